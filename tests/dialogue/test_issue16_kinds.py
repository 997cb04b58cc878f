"""Issue 16's kinds, each as a kind: services we do not have, the reply language, the transaction
form that stuck, and follow-ups that name another service. Messages written for these tests."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path

import pytest

from core.messages import KIND_TEXT, WHATSAPP, InboundMessage

pytestmark = pytest.mark.slow
_ids = itertools.count()
HERE = Path(__file__).resolve().parent

UNLISTED = [
    line.split("\t")
    for line in (HERE.parent / "nlu" / "unlisted_messages.tsv").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]
# Known misses, kept visible (strict: a fix must move them back): every word of the first and third
# was seen beside some catalog service in data/nlu ("علامة" beside the tawjihi, "كرت", "طلاب"), so
# they read as follow-ups and the service discussed before answers them; "تصريح" is one of the work
# permit's own names in the catalog, so the second is answered as a work permit.
MISSES = {"كيف بعمل كرت مواصلات للطلاب", "كيف بعمل تصريح حفر للشارع", "بدي اسجل علامة تجارية"}
UNLISTED_CASES = [
    pytest.param(t, e, marks=pytest.mark.xfail(strict=True, reason="known miss")) if t in MISSES else (t, e)
    for t, e in UNLISTED
]
# What a catalog answer starts with: "<service> — <agency>"; none of them may answer an unlisted service.
CATALOG_HEADER = " — "


def said(text: str) -> InboundMessage:
    return InboundMessage(WHATSAPP, f"k16-{next(_ids)}", "962790000000", kind=KIND_TEXT, text=text)


@pytest.fixture
def citizen() -> str:
    return f"citizen-{uuid.uuid4().hex[:8]}"


# --- 1. a service we do not have --------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", UNLISTED_CASES)
async def test_a_service_we_do_not_have_gets_no_other_services_answer(brain, citizen, text, expected):
    # A service discussed just before must not catch the question (context carry-over).
    await brain.respond(citizen, said("قديش رسوم الهوية"))
    answer = await brain.respond(citizen, said(text))
    reply = answer.replies[0].text
    assert CATALOG_HEADER not in reply.split("\n")[0], reply
    assert answer.service_id is None
    if answer.intent not in ("complaint", "human_handoff"):  # a ticket is an honest answer too
        assert answer.review_reason in ("not_in_catalog", "out_of_scope", "low_confidence"), reply


@pytest.mark.parametrize("text, expected", [(t, e) for t, e in UNLISTED if e != "unknown"])
async def test_a_well_known_unlisted_service_is_named_with_its_agency(brain, citizen, text, expected):
    from nlu.not_yet import not_yet_list

    answer = await brain.respond(citizen, said(text))
    known = not_yet_list().get(expected)
    language = answer.replies[0].language
    assert known.name_in(language) in answer.replies[0].text
    assert known.agency_in(language) in answer.replies[0].text
    assert answer.review_reason == "not_in_catalog"
    assert any(c.id == "/human_handoff" for c in answer.replies[0].choices)


async def test_asked_twice_a_company_registration_is_still_not_the_last_services(brain, citizen, _actions_store):
    await brain.respond(citizen, said("قديش رسوم الهوية"))
    first = await brain.respond(citizen, said("ابي اسجل شركة جديدة"))
    await brain.respond(citizen, said("شهادة ميلاد"))
    again = await brain.respond(citizen, said("ابي اسجل شركة جديدة"))
    for answer in (first, again):
        assert "تسجيل الشركات" in answer.replies[0].text and "دائرة مراقبة الشركات" in answer.replies[0].text
        assert answer.review_reason == "not_in_catalog"
    # The conversation is no longer about the birth certificate: a bare follow-up asks which service.
    follow = await brain.respond(citizen, said("وكم الرسوم؟"))
    assert "شهادة الميلاد" not in follow.replies[0].text and "عن أي خدمة" in follow.replies[0].text


QUALIFIED = [  # a catalog service's name with a qualifier that makes it a service we do not have
    ("كم راتب التقاعد العسكري للعريف", "التقاعد العسكري"),
    ("how do I get a military pension", "Military retirement pensions"),
    ("بدي اطلع بطاقة اعاقة لابني", "بطاقة الأشخاص ذوي الإعاقة"),
    ("قديش رسوم بيع الارض بدائرة الاراضي", "بيع العقارات"),
]


@pytest.mark.parametrize("text, named", QUALIFIED)
async def test_a_qualified_catalog_name_gets_the_honest_not_yet(brain, citizen, text, named):
    answer = await brain.respond(citizen, said(text))
    assert answer.service_id is None and named in answer.replies[0].text, answer.replies[0].text
    assert answer.review_reason == "not_in_catalog"


async def test_a_not_yet_service_named_beside_a_catalog_one_is_answered_for_the_catalog_one_and_kept(brain, citizen):
    answer = await brain.respond(citizen, said("بدي شهادة عدم محكومية للوظيفة الحكومية، شو الاوراق؟"))
    assert answer.service_id == "moj.non_conviction", answer.replies[0].text
    assert answer.review_reason == "not_in_catalog"


# A catalog name made only of the not-yet service's own words, and a question whose goal is a not-yet
# service while it tells of a catalog one in passing: the honest "not yet", named, and kept for review.
NOT_YET_GOALS = [
    ("كيف بطلع ترخيص تكسي او تطبيق نقل ذكي؟", "public_transport_permit"),
    ("ترخيص التكسي من هيئة النقل شو بدو؟", "public_transport_permit"),
    ("شهادتي الجامعية من برا، كيف بعمل المعادلة؟", "university_degree"),
    ("بنتي جابت 90 بالتوجيهي، كيف تقدم على طب بالجامعة؟", "university_admission"),
    ("My son passed the tawjihi last year. How does he apply to university?", "university_admission"),
    ("جددت جواز سفري الشهر الماضي، كيف بسجل شركة جديدة؟", "company_registration"),
]


@pytest.mark.parametrize("text, expected", NOT_YET_GOALS)
async def test_a_not_yet_goal_beside_a_catalog_name_gets_the_named_not_yet_and_a_review_row(
    brain, citizen, text, expected
):
    from nlu.not_yet import not_yet_list

    answer = await brain.respond(citizen, said(text))
    reply = answer.replies[0]
    assert answer.service_id is None and CATALOG_HEADER not in reply.text.split("\n")[0], reply.text
    assert not_yet_list().get(expected).name_in(reply.language) in reply.text, reply.text
    assert answer.review_reason == "not_in_catalog"


@pytest.mark.parametrize(
    "text, service",
    [
        ("الهوية ضاعت بالسوق، بدهم مني كتاب من المخفر؟", "cspd.id_card_lost"),
        ("بدي اسجل شركة، وكم رسوم تجديد الجواز؟", "cspd.passport_renew"),
    ],
)
async def test_a_catalog_service_asked_about_beside_a_not_yet_one_is_answered_and_kept(brain, citizen, text, service):
    answer = await brain.respond(citizen, said(text))
    assert answer.service_id == service, answer.replies[0].text
    assert answer.review_reason == "not_in_catalog"


@pytest.mark.parametrize(
    "text",
    ["بدي اشتكي على شركة الكهرباء، الفاتورة غلط وما حدا رد علي", "I want to complain about the customs, they held my parcel for a month"],
)
async def test_a_complaint_about_a_service_we_do_not_have_is_also_kept_for_review(brain, citizen, _actions_store, text):
    answer = await brain.respond(citizen, said(text))
    assert answer.intent == "complaint", answer.intent
    assert "T-" in answer.replies[0].text  # the ticket is still opened
    assert answer.review_reason == "not_in_catalog"


async def test_a_complaint_about_a_catalog_service_is_not_a_review_row(brain, citizen, _actions_store):
    answer = await brain.respond(citizen, said("بدي اقدم شكوى على موظف الجوازات، اتأخر علي بتجديد جواز السفر"))
    assert answer.intent == "complaint" and answer.review_reason is None


FOLLOW_UPS = [  # (first question, follow-up, a word of the right answer)
    ("قديش رسوم تجديد جواز السفر؟", "وكم الرسوم؟", "50"),
    ("بدي اجدد جوازي", "شو الاوراق المطلوبة؟", "الجواز"),
    ("بدي اجدد جوازي", "وين بروح؟", "الجوازات"),
    ("بدي اجدد جوازي", "وقديش بتاخد وقت؟", "تجديد جواز السفر"),
    ("شهادة عدم محكومية", "كم رسومها؟", "عدم المحكومية"),
    ("شهادة عدم محكومية", "والاوراق؟", "عدم المحكومية"),
    ("شهادة عدم محكومية", "وكيف بطلعها؟", "عدم المحكومية"),
    ("ترخيص السيارة", "قديش بكلف؟", "ترخيص المركبة"),
    ("ترخيص السيارة", "شو الشروط؟", "ترخيص المركبة"),
    ("ترخيص السيارة", "وين المكان والدوام؟", "ترخيص المركبة"),
    ("how do I renew my passport", "and the fees?", "Passport renewal"),
    ("how do I renew my passport", "what documents do I need?", "Passport renewal"),
    ("how do I renew my passport", "how long does it take?", "Passport renewal"),
    ("birth certificate", "how much?", "Birth certificate"),
    ("birth certificate", "where do I go?", "Birth certificate"),
    ("bde ajaded jawaz", "2desh el rsoom?", "تجديد جواز السفر"),
    ("bde ajaded jawaz", "shu el awra2 el matloobe?", "تجديد جواز السفر"),
    ("دفتر العائلة", "طيب وكم المدة؟", "دفتر العائلة"),
    ("دفتر العائلة", "ومين بحقله يطلعه؟", "دفتر العائلة"),
    ("كشف الضمان", "كيف بطلعه؟", "كشف"),
    ("كشف الضمان", "وهل في رسوم؟", "كشف"),
]


@pytest.mark.parametrize("first, follow_up, expected", FOLLOW_UPS)
async def test_a_follow_up_of_question_words_still_carries_the_service(brain, citizen, first, follow_up, expected):
    await brain.respond(citizen, said(first))
    answer = await brain.respond(citizen, said(follow_up))
    assert answer.review_reason is None, answer.replies[0].text
    assert expected in answer.replies[0].whole_text()  # the service is named in the heading


# --- 2. the reply language --------------------------------------------------------------------------

NEUTRAL = ["2024-118734", "5512093", "٢٠٢٤-١١٨٧٣٤", "👍", "🙏🙏", "1", "2", "؟", "...", "ABC-55120"]


@pytest.mark.parametrize("neutral", NEUTRAL)
@pytest.mark.parametrize("opening, language", [("قديش رسوم تجديد الجواز", "ar"), ("passport renewal fees", "en")])
async def test_a_message_without_language_keeps_the_conversations(brain, citizen, neutral, opening, language):
    await brain.respond(citizen, said(opening))
    answer = await brain.respond(citizen, said(neutral))
    for reply in answer.replies:
        assert reply.language == language, reply.text
        assert any("\u0600" <= ch <= "\u06ff" for ch in reply.text) == (language == "ar"), reply.text


@pytest.mark.parametrize("language", ["ar", "en"])
async def test_a_transaction_number_given_to_the_form_is_answered_in_the_conversations_language(brain, citizen, language):
    await brain.respond(citizen, said("وين صارت معاملتي" if language == "ar" else "where is my application"))
    answer = await brain.respond(citizen, said("2024-118734"))
    assert "2024-118734" in answer.replies[0].text
    assert answer.replies[0].language == language


ENGLISH_WITH_TYPOS = [
    "pasport renwal fee?", "how much is pasport renewl", "requird documants for pasport", "drivng licence renewl fee",
    "wher do i renew my passprt", "how long dose the id card take", "birth certficate fees", "non conviction certificat",
    "what are the requirments for a work permit", "how do i renw my driving licence", "documants for family book",
    "tax clearence certificate", "how much does the helth certificate cost", "is the residnce permit free",
    "how to get a buildng permit", "where is the licensng department", "can i pay trafic fines online",
    "how long does the retirment take", "what documents for passport renewl", "pasport renewal requirments",
]


@pytest.mark.parametrize("text", ENGLISH_WITH_TYPOS)
async def test_english_with_typos_stays_english(brain, citizen, text):
    answer = await brain.respond(citizen, said(text))
    assert answer.language == "en"
    assert all(reply.language == "en" for reply in answer.replies)


async def test_a_chosen_language_wins_over_how_the_citizen_wrote(brain, citizen):
    for text in ("قديش رسوم الجواز", "bde ajaded jawaz", "2024-118734"):
        answer = await brain.respond(citizen, said(text), language="en")
        assert answer.replies[0].language == "en"
    answer = await brain.respond(citizen, said("passport fees"), language="ar")
    assert answer.replies[0].language == "ar"


# --- 5. the transaction form ends when the citizen moves on ------------------------------------------

MOVING_ON = [
    "قديش رسوم تجديد الجواز", "شو الاوراق المطلوبة للهوية", "وين مكتب الاحوال", "شكرا", "مرحبا", "مع السلامة",
    "شو الخدمات اللي عندكم", "بدي احكي مع موظف", "how much is a passport", "thanks", "hello",
    "كم بتاخد شهادة عدم المحكومية", "بدي اشترك بالتنبيهات", "انت روبوت؟", "ابي اسجل شركة جديدة",
    "رسوم ترخيص السيارة", "bde ajaded jawaz", "where is the civil status office", "birth certificate fees",
    "شو شروط تصريح العمل", "documents for a driving licence",
]
BAD_NUMBER = ("لم أجد رقم معاملة", "I could not find a transaction number")


@pytest.mark.parametrize("moving_on", MOVING_ON)
async def test_a_citizen_who_moves_on_is_not_asked_for_the_number_again(brain, citizen, moving_on):
    await brain.respond(citizen, said("بدي اعرف وين صارت معاملتي"))
    for text in (moving_on, "وشو كمان؟", "قديش رسوم الهوية"):
        answer = await brain.respond(citizen, said(text))
        assert not any(bad in r.text for r in answer.replies for bad in BAD_NUMBER), (text, answer.replies)


async def test_the_form_still_takes_the_number_and_the_no(brain, citizen):
    await brain.respond(citizen, said("وين معاملتي"))
    unsure = await brain.respond(citizen, said("ما بعرف وين الايصال"))
    assert unsure.replies
    answer = await brain.respond(citizen, said("2024-118734"))
    assert "2024-118734" in answer.replies[0].text
    await brain.respond(citizen, said("وين معاملتي"))
    cancelled = await brain.respond(citizen, said("لا"))
    assert "الإلغاء" in cancelled.replies[0].text


@pytest.mark.parametrize("number", ["2024-118734", "5512093", "ABC-55120", "2023-000111", "7788123"])
async def test_statuses_come_from_the_registry_not_invented(brain, citizen, number, _actions_store):
    from datetime import datetime, timezone

    from tests.dialogue.registry_helpers import register_for

    answer = await brain.respond(citizen, said(f"وين معاملتي رقم {number}"))
    assert number in answer.replies[0].text and "لم أجد" in answer.replies[0].text  # nothing registered: nothing made up
    register_for(_actions_store, citizen, number, [("completed", datetime(2026, 11, 5, 9, 0, tzinfo=timezone.utc))])
    answer = await brain.respond(citizen, said(f"وين معاملتي رقم {number}"))
    assert number in answer.replies[0].text and "أُنجزت" in answer.replies[0].text
    english = await brain.respond(citizen, said(f"status of my application {number}"))
    assert any("completed" in r.text and "2026-11-05" in r.text for r in english.replies)


# --- 6. a follow-up naming another service switches to it ---------------------------------------------

SWITCHES = [  # (first, follow-up naming another service, the service it must switch to)
    ("كم رسوم شهادة عدم المحكومية؟", "وللهوية؟", "cspd.id_card"),
    ("كم رسوم شهادة عدم المحكومية؟", "وللجواز؟", "cspd.passport_new"),
    ("كم رسوم شهادة عدم المحكومية؟", "وبالنسبة لشهادة الميلاد؟", "cspd.birth_certificate"),
    ("كم رسوم شهادة عدم المحكومية؟", "طيب ودفتر العائلة؟", "cspd.family_book"),
    ("كم رسوم شهادة عدم المحكومية؟", "وتجديد الجواز؟", "cspd.passport_renew"),
    ("شو اوراق شهادة عدم المحكومية", "وللهوية؟", "cspd.id_card"),
    ("شو اوراق شهادة عدم المحكومية", "وكشف الضمان؟", "ssc.insurance_statement"),
    ("شو اوراق شهادة عدم المحكومية", "وبراءة الذمة؟", "istd.tax_clearance"),
    ("قديش رسوم تجديد الجواز", "وللهوية؟", "cspd.id_card"),
    ("قديش رسوم تجديد الجواز", "ولرخصة السواقة؟", "dvld.driving_license_renew"),
    ("قديش رسوم تجديد الجواز", "وترخيص السيارة؟", "dvld.vehicle_license_renew"),
    ("قديش رسوم تجديد الجواز", "وفي شهادة عدم المحكومية؟", "moj.non_conviction"),
    ("وين مكتب الاحوال لتجديد الهوية", "وللجواز؟", "cspd.passport_new"),
    ("how much is the non-conviction certificate", "and for the ID card?", "cspd.id_card"),
    ("how much is the non-conviction certificate", "what about the passport?", "cspd.passport_new"),
    ("how much is the non-conviction certificate", "and the birth certificate?", "cspd.birth_certificate"),
    ("passport renewal documents", "and for the driving licence renewal?", "dvld.driving_license_renew"),
    ("bde shahadet 3adam ma7koomiye", "wel hawiye?", "cspd.id_card"),
    ("شهادة عدم محكومية قديش بتاخد", "والهوية؟", "cspd.id_card"),
    ("شهادة عدم محكومية قديش بتاخد", "وللاقامة؟", "moi.residence_permit"),
    ("شهادة عدم محكومية قديش بتاخد", "وتصريح العمل؟", "mol.work_permit"),
]


@pytest.mark.parametrize("first, follow_up, service", SWITCHES)
async def test_a_follow_up_naming_another_service_switches_to_it(brain, citizen, first, follow_up, service):
    before = await brain.respond(citizen, said(first))
    after = await brain.respond(citizen, said(follow_up))
    assert after.service_id == service, after.replies[0].text
    # The same question, about the service now named: its buttons are for that service.
    assert any(service in c.id for c in after.replies[0].choices)
    if before.intent != "ask_overview":
        assert f"/{before.intent}" not in " ".join(c.id for c in after.replies[0].choices)


async def test_an_unknown_name_offers_the_service_just_discussed_as_such_and_a_known_one_does_not(brain, citizen):
    await brain.respond(citizen, said("قديش رسوم الهوية"))
    unknown = await brain.respond(citizen, said("how do I get a fishing permit"))
    assert "If your question was about National ID card" in unknown.replies[0].text
    assert any("cspd.id_card" in c.id for c in unknown.replies[0].choices)
    await brain.respond(citizen, said("قديش رسوم الهوية"))
    named = await brain.respond(citizen, said("بدي اوصل عداد كهرباء"))
    assert not any("cspd.id_card" in c.id for c in named.replies[0].choices)
    assert [c.id for c in named.replies[0].choices] == ["/human_handoff"]
