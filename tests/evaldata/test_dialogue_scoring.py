"""How the dialogue scorer reads a reply: which service it answers or names, its language, its
caveat, a sticky prompt, a left-to-right-led Arabic line, SMS cost. Real catalog, real wording."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.dialogue_eval import wording_of
from bot.dialogue_scoring import ReplyMessage, ReplyReader, TurnResult, dialogue_table, tally_by
from bot.dialogue_set import Expectation
from catalog.services import Catalog

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(REPO / "data" / "catalog")


@pytest.fixture(scope="module")
def reader(catalog) -> ReplyReader:
    say, keys = wording_of(REPO / "data" / "replies.yml")
    return ReplyReader(catalog, say, keys)


@pytest.fixture(scope="module")
def wording():
    return wording_of(REPO / "data" / "replies.yml")[0]


def judge(reader, expect: Expectation, *messages: ReplyMessage, channel: str = "whatsapp") -> TurnResult:
    result = TurnResult(conversation="c", kind="k", channel=channel, turn=1, say="-", expect=vars(expect))
    return reader.judge(result, expect, list(messages))


def answer(catalog, service_id: str, aspect: str, language: str) -> str:
    service = catalog.service(service_id)
    return f"{service.name.get(language)} — {service.agency.name.get(language)}\n\n{service.answer(aspect, language)}"


def test_another_services_answer_to_a_not_yet_question_is_wrong(reader, catalog):
    reply = ReplyMessage(answer(catalog, "cspd.id_card", "overview", "ar"))
    result = judge(reader, Expectation(service="not_yet", language="ar"), reply)
    assert result.outcome == "other_service" and result.answered == ["cspd.id_card"]


def test_the_bots_own_example_of_a_service_is_not_an_answer(reader, wording):
    reply = ReplyMessage(wording("which_service", "ar"))  # "...(مثلاً: تجديد جواز السفر)"
    result = judge(reader, Expectation(service="not_yet", language="ar"), reply)
    assert result.outcome == "right" and result.named == [] and result.language == "ar"


def test_services_offered_as_choices_are_offers_not_answers(reader):
    reply = ReplyMessage("خدمة تسجيل الشركات ليست في تواصل بعد.\nأرسل 1 لـتصريح العمل لغير الأردنيين",
                         choices=("تصريح العمل لغير الأردنيين",), segments=1)
    result = judge(reader, Expectation(service="not_yet", language="ar"), reply, channel="sms")
    assert result.outcome == "right"


def test_the_expected_service_is_right_and_its_answer_whole(reader, catalog):
    reply = ReplyMessage(answer(catalog, "cspd.passport_renew", "fees", "en"))
    result = judge(reader, Expectation(service="cspd.passport_renew", aspect="fees", language="en"), reply)
    assert (result.outcome, result.whole, result.language_right) == ("right", True, True)
    wrong = judge(reader, Expectation(service="moj.non_conviction", language="ar"), reply)
    assert (wrong.outcome, wrong.language_right) == ("other_service", False)


def test_an_answer_cut_short_on_sms_still_tells_its_service_but_is_not_whole(reader, catalog):
    text = catalog.service("cspd.passport_renew").answer("overview", "ar")
    reply = ReplyMessage(text[:60] + "…\nأرسل \"المزيد\" للتفاصيل", segments=2)
    result = judge(reader, Expectation(service="cspd.passport_renew", aspect="overview", language="ar", max_segments=2),
                   reply, channel="sms")
    # Within the segment budget, but not whole: a cut answer is not what the budget asks for.
    assert (result.outcome, result.whole, result.segments, result.within_segments) == ("right", False, 2, False)


def test_caveat_sticky_prompt_ltr_line_and_sms_emoji_are_seen(reader, catalog, wording):
    text = answer(catalog, "cspd.id_card", "documents", "ar") + "\n\nℹ️ " + wording("unverified", "ar")
    text += "\n\n" + wording("bad_transaction_number", "ar") + " 👋"
    result = judge(reader, Expectation(service="cspd.id_card", caveat=False, no_prompt=("transaction_number",),
                                       max_segments=2), ReplyMessage(text, segments=5), channel="sms")
    assert result.caveat_seen and result.caveat_right is False
    assert result.prompt_seen is True
    assert result.ltr_lines == 1  # the line led by ℹ
    assert result.emoji is True and result.within_segments is False


def test_no_reply_is_never_right(reader):
    result = judge(reader, Expectation(service="not_yet", language="ar"))
    assert result.outcome == "no_answer" and result.language_right is False


def test_the_table_counts_what_the_turns_say(reader, catalog):
    right = judge(reader, Expectation(service="cspd.passport_renew", language="en"),
                  ReplyMessage(answer(catalog, "cspd.passport_renew", "fees", "en")))
    wrong = judge(reader, Expectation(service="not_yet", language="ar"),
                  ReplyMessage(answer(catalog, "cspd.passport_renew", "fees", "en")))
    rows = tally_by([right, wrong], lambda r: "all")
    assert rows["all"].service == [1, 2] and rows["all"].not_yet_other == [1, 1] and rows["all"].language == [1, 2]
    table = dialogue_table(rows)
    assert "50% 1/2" in table and "100% 1/1" in table
