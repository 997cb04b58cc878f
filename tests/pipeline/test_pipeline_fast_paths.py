"""Keywords, SMS menu numbers, MORE, and media — answered before (or instead of) the brain."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from catalog import replies
from pipeline.keywords import Keyword, match_keyword, menu_number
from core.messages import KIND_MEDIA, BotReply, InboundMessage
from pipeline_doubles import EchoBrain, FakeSender, MenuBrain
from pipeline_helpers import rows

ADDRESS = "962791234567"
_ids = itertools.count(1)


@pytest.mark.parametrize(
    "text, keyword, language",
    [
        ("STOP", Keyword.STOP, "en"),
        ("stop", Keyword.STOP, "en"),
        ("إيقاف", Keyword.STOP, "ar"),
        ("ايقاف", Keyword.STOP, "ar"),
        ("الغاء", Keyword.STOP, "ar"),
        ("إلغاء", Keyword.STOP, "ar"),
        ("START", Keyword.START, "en"),
        ("ابدأ", Keyword.START, "ar"),
        ("HELP", Keyword.HELP, "en"),
        ("مساعدة", Keyword.HELP, "ar"),
        ("مُسَاعَدَة", Keyword.HELP, "ar"),  # with harakat
        ("AR", Keyword.ARABIC, "en"),
        ("عربي", Keyword.ARABIC, "ar"),
        ("EN", Keyword.ENGLISH, "en"),
        ("English", Keyword.ENGLISH, "en"),
        ("MORE", Keyword.MORE, "en"),
        ("المزيد", Keyword.MORE, "ar"),
        ("مزيد", Keyword.MORE, "ar"),
        (" Stop! ", Keyword.STOP, "en"),
        ("\u200fإيقاف", Keyword.STOP, "ar"),  # a right-to-left mark some keyboards add
    ],
)
def test_keywords(text, keyword, language):
    match = match_keyword(text)
    assert (match.keyword, match.language) == (keyword, language)


@pytest.mark.parametrize("text", ["stop my passport renewal", "أريد إيقاف الخدمة", "", "helpful", "1"])
def test_not_keywords(text):
    assert match_keyword(text) is None


@pytest.mark.parametrize(
    "text, number",
    [("1", 1), ("2", 2), ("٢", 2), ("٣", 3), ("۴", 4), ("10", 10), ("١٠", 10), (" 3. ", 3), ("2)", 2),
     ("0", None), ("123", None), ("1 2", None), ("one", None), ("", None), ("1a", None)],
)
def test_menu_numbers(text, number):
    assert menu_number(text) == number


def sms(text: str) -> InboundMessage:
    return InboundMessage(channel="sms", provider_id=f"smsc-{next(_ids)}", address=ADDRESS, text=text)


@pytest.fixture
def senders():
    return {"sms": FakeSender("sms"), "whatsapp": FakeSender("whatsapp")}


async def say(pipeline, message: InboundMessage) -> None:
    accepted = await pipeline.accept(message)
    await pipeline.process(accepted.message_id)


async def test_stop_and_start_toggle_pushes_without_the_brain(make_pipeline, store, senders):
    brain = EchoBrain()
    pipeline = make_pipeline(brain, senders)
    await say(pipeline, sms("إيقاف"))
    citizen_id = rows(store, direction="in")[0].citizen_id
    assert store.citizens.get(citizen_id).opted_out_at is not None
    assert "تم إيقاف" in senders["sms"].texts[-1]

    push = await pipeline.outbox.push(citizen_id, BotReply(text="جوازك ينتهي قريباً"), kind="alert")
    assert push.skipped == "opted_out" and push.message_ids == []

    await say(pipeline, sms("START"))
    assert store.citizens.get(citizen_id).opted_out_at is None
    # A keyword carries no choice of language: the conversation so far was Arabic.
    assert senders["sms"].texts[-1].startswith("تم السماح برسائل التنبيه")
    assert brain.calls == []


async def test_stop_with_an_agency_code_stops_that_agency_and_says_exactly_that(make_pipeline, store, senders):
    from routing.billing import BodyType, MessageKind
    from routing.policy import Agency

    store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status")
    brain = EchoBrain()
    pipeline = make_pipeline(brain, senders)
    await say(pipeline, sms("إيقاف cspd"))
    citizen_id = rows(store, direction="in")[0].citizen_id
    confirmation = senders["sms"].texts[-1]
    assert "الأحوال المدنية" in confirmation and "إشعارات معاملاتك" in confirmation and "ابدأ CSPD" in confirmation
    assert store.citizens.opted_out_of_agency(citizen_id, "cspd")
    assert store.citizens.get(citizen_id).opted_out_at is None  # only that agency: the rest still comes
    cspd = Agency("cspd", BodyType.GOVERNMENT)
    push = await pipeline.outbox.push(
        citizen_id, BotReply(text="صدرت معاملتك"), "transaction_status", agency=cspd, asked_for=True
    )
    assert push.skipped == "opted_out_of_agency"
    other = await pipeline.outbox.push(citizen_id, BotReply(text="حملة"), "awareness", category=MessageKind.AWARENESS)
    assert other.message_ids
    await say(pipeline, sms("START CSPD"))
    assert not store.citizens.opted_out_of_agency(citizen_id, "cspd")
    await say(pipeline, sms("STOP XYZ"))
    assert "XYZ" in senders["sms"].texts[-1] and brain.calls == []


class EnglishBrain(EchoBrain):
    async def respond(self, conversation_key, message, *, language=None):
        answer = await super().respond(conversation_key, message, language=language)
        return dataclasses.replace(answer, replies=[BotReply(text="Passport renewal costs 50 JD.", language="en")])


KEYWORD_REPLIES = {  # (keyword as written, the start of its confirmation in ar, in en)
    "STOP": ("تم إيقاف", "Alerts and announcements are stopped"), "stop": ("تم إيقاف", "Alerts and announcements are stopped"),
    "إيقاف": ("تم إيقاف", "Alerts and announcements are stopped"), "الغاء": ("تم إيقاف", "Alerts and announcements are stopped"),
    "START": ("تم السماح", "Alerts are allowed"), "ابدأ": ("تم السماح", "Alerts are allowed"),
    "HELP": ("أهلاً بك في تواصل", "Welcome to Tawasol"), "help": ("أهلاً بك في تواصل", "Welcome to Tawasol"),
    "مساعدة": ("أهلاً بك في تواصل", "Welcome to Tawasol"), "MORE": ("لا يوجد المزيد", "There is nothing more"),
    "المزيد": ("لا يوجد المزيد", "There is nothing more"),
}


@pytest.mark.parametrize("keyword", sorted(KEYWORD_REPLIES))
@pytest.mark.parametrize("conversation", ["ar", "en"])
async def test_a_keyword_is_answered_in_the_conversations_language(make_pipeline, store, senders, keyword, conversation):
    brain = EchoBrain() if conversation == "ar" else EnglishBrain()
    pipeline = make_pipeline(brain, senders)
    await say(pipeline, sms("قديش رسوم الجواز" if conversation == "ar" else "passport fees"))
    await say(pipeline, sms(keyword))
    arabic, english = KEYWORD_REPLIES[keyword]
    assert senders["sms"].texts[-1].startswith(arabic if conversation == "ar" else english)


@pytest.mark.parametrize("keyword, language", [("STOP", "en"), ("إيقاف", "ar"), ("HELP", "en"), ("مساعدة", "ar")])
async def test_a_first_keyword_is_answered_in_its_own_language(make_pipeline, store, senders, keyword, language):
    await say(make_pipeline(EchoBrain(), senders), sms(keyword))
    assert (senders["sms"].texts[-1][0].isascii()) == (language == "en")


async def test_the_citizens_choice_wins_over_the_conversation(make_pipeline, store, senders):
    pipeline = make_pipeline(EnglishBrain(), senders)
    await say(pipeline, sms("passport fees"))
    await say(pipeline, sms("عربي"))
    await say(pipeline, sms("STOP"))
    assert senders["sms"].texts[-1].startswith("تم إيقاف")


async def test_language_keywords_set_the_preference_the_brain_then_gets(make_pipeline, store, senders):
    brain = EchoBrain()
    pipeline = make_pipeline(brain, senders)
    await say(pipeline, sms("English"))
    assert senders["sms"].texts[-1] == "Done. I will answer in English."
    await say(pipeline, sms("STOP"))
    await say(pipeline, sms("how much is a passport"))
    assert brain.calls[-1].language == "en"
    await say(pipeline, sms("عربي"))
    assert senders["sms"].texts[-1] == "تم. سأجيبك باللغة العربية."
    await say(pipeline, sms("help"))
    assert senders["sms"].texts[-1].startswith("أهلاً بك في تواصل")  # the preference wins over the keyword
    citizen = store.citizens.get(rows(store, direction="in")[0].citizen_id)
    assert citizen.preferred_language == "ar"


async def test_sms_menu_numbers_pick_from_the_last_menu(make_pipeline, store, senders):
    brain = MenuBrain()
    pipeline = make_pipeline(brain, senders)
    await say(pipeline, sms("ابغى خدمة"))
    assert "1. تجديد جواز السفر" in senders["sms"].texts[-1]

    await say(pipeline, sms("٢"))  # Arabic-Indic two
    picked = brain.calls[-1].message
    assert (picked.kind, picked.payload) == ("choice", MenuBrain.CHOICES[1].id)
    assert senders["sms"].texts[-1] == f"picked: {MenuBrain.CHOICES[1].id}"
    stored = rows(store, direction="in")[-1]
    assert (stored.text, stored.kind, stored.payload) == ("٢", "choice", MenuBrain.CHOICES[1].id)

    await say(pipeline, sms("3"))
    assert brain.calls[-1].message.payload == MenuBrain.CHOICES[2].id

    calls = len(brain.calls)
    await say(pipeline, sms("7"))
    assert senders["sms"].texts[-1] == "يرجى إرسال رقم من 1 إلى 3."
    assert len(brain.calls) == calls


async def test_a_number_without_a_menu_or_on_whatsapp_goes_to_the_brain_as_text(make_pipeline, senders):
    brain = EchoBrain()
    pipeline = make_pipeline(brain, senders)
    await say(pipeline, sms("2"))
    assert (brain.calls[-1].message.kind, brain.calls[-1].message.text) == ("text", "2")

    menu_brain = MenuBrain()
    pipeline = make_pipeline(menu_brain, senders)
    await say(pipeline, InboundMessage(channel="whatsapp", provider_id="wamid.m", address=ADDRESS, text="menu"))
    await say(pipeline, InboundMessage(channel="whatsapp", provider_id="wamid.n", address=ADDRESS, text="1"))
    assert menu_brain.calls[-1].message.kind == "text"


class LongAnswerBrain(EchoBrain):
    async def respond(self, conversation_key, message, *, language=None):
        answer = await super().respond(conversation_key, message, language=language)
        answer.replies = [BotReply(text="ملخص الإجابة", more="التفاصيل الكاملة للإجابة", language="ar")]
        return answer


async def test_more_sends_what_the_sms_summary_kept_back_once(make_pipeline, senders):
    pipeline = make_pipeline(LongAnswerBrain(), senders)
    await say(pipeline, sms("المزيد"))
    assert senders["sms"].texts[-1].startswith("لا يوجد المزيد")

    await say(pipeline, sms("رسوم الجواز"))
    assert senders["sms"].texts[-1] == "ملخص الإجابة"
    await say(pipeline, sms("MORE"))
    assert senders["sms"].texts[-1] == "التفاصيل الكاملة للإجابة"
    await say(pipeline, sms("MORE"))
    # Not the same details again; in the conversation's language, not the keyword's.
    assert senders["sms"].texts[-1].startswith("لا يوجد المزيد")


async def test_media_gets_a_polite_text_only_reply(make_pipeline, senders):
    brain = EchoBrain()
    pipeline = make_pipeline(brain, senders)
    voice = InboundMessage(channel="whatsapp", provider_id="wamid.v", address=ADDRESS, kind=KIND_MEDIA)
    await say(pipeline, voice)
    assert senders["whatsapp"].texts == [replies.say("media_not_supported", "ar")]
    assert brain.calls == []


async def test_reactions_and_system_notices_get_no_reply(make_pipeline, senders):
    brain = EchoBrain()
    pipeline = make_pipeline(brain, senders)
    for kind in ("reaction", "system"):
        await say(pipeline, InboundMessage("whatsapp", f"wamid.{kind}", ADDRESS, kind="unsupported", raw={"type": kind}))
    assert senders["whatsapp"].texts == []
    assert brain.calls == []
