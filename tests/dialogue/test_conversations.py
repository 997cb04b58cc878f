"""Conversations with the brain: context, ambiguity, forms, languages, honest fallbacks."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timezone

import pytest

from core.messages import KIND_CHOICE, KIND_TEXT, WHATSAPP, InboundMessage
from tests.dialogue.registry_helpers import ensure_agency, register_for

pytestmark = pytest.mark.slow
_ids = itertools.count()


def said(text: str = "", payload: str | None = None) -> InboundMessage:
    kind = KIND_CHOICE if payload else KIND_TEXT
    return InboundMessage(WHATSAPP, f"test-{next(_ids)}", "962790000000", kind=kind, text=text, payload=payload)


@pytest.fixture
def citizen() -> str:
    return f"citizen-{uuid.uuid4().hex[:8]}"


async def test_a_follow_up_without_a_service_answers_about_the_last_one(brain, citizen):
    first = await brain.respond(citizen, said("قديش رسوم تجديد جواز السفر؟"))
    assert first.service_id == "cspd.passport_renew" and first.intent == "ask_fees"
    assert "50" in first.replies[0].text  # the catalog's fee for passport renewal
    follow = await brain.respond(citizen, said("وشو الاوراق المطلوبة؟"))
    assert follow.intent == "ask_documents"
    assert "جواز السفر القديم" in follow.replies[0].text


async def test_english_questions_get_english_answers_naming_the_agency(brain, citizen):
    answer = await brain.respond(citizen, said("how long does a non-conviction certificate take?"))
    reply = answer.replies[0]
    assert reply.language == "en"
    assert "Ministry of Justice" in reply.heading
    assert "the agency confirms the final figure" in reply.caveat  # a duration is a figure


async def test_arabizi_is_answered_in_arabic(brain, citizen):
    answer = await brain.respond(citizen, said("2desh rsoom shahadet el meelad?"))
    assert answer.language == "arabizi"
    assert answer.replies[0].language == "ar"
    assert answer.service_id == "cspd.birth_certificate"


async def test_an_ambiguous_word_offers_choices_and_a_tap_answers(brain, citizen):
    answer = await brain.respond(citizen, said("قديش رسوم الرخصة؟"))
    choices = answer.replies[0].choices
    assert len(choices) >= 3
    driving = next(c for c in choices if "القيادة" in c.title)
    tapped = await brain.respond(citizen, said(payload=driving.id))
    assert "رخصة القيادة" in tapped.replies[0].heading
    assert tapped.intent == "ask_fees"


async def test_asking_an_aspect_first_then_naming_the_service_answers_that_aspect(brain, citizen):
    first = await brain.respond(citizen, said("كم رسومها؟"))
    assert first.review_reason == "no_service"  # staff see it
    second = await brain.respond(citizen, said("شهادة عدم محكومية"))
    assert "وزارة العدل" in second.replies[0].heading
    assert "مجان" in second.replies[0].text or "دينار" in second.replies[0].text


async def test_transaction_status_asks_for_the_number_then_looks_it_up(brain, citizen, _actions_store):
    register_for(_actions_store, citizen, "2024-228734", [("issued", datetime(2026, 11, 4, 8, 0, tzinfo=timezone.utc))])
    ask = await brain.respond(citizen, said("بدي اعرف وين صارت معاملتي"))
    assert ask.intent == "transaction_status"
    assert "رقم" in ask.replies[0].text
    answer = await brain.respond(citizen, said("2024-228734"))
    text = answer.replies[0].text
    assert "2024-228734" in text and "صدرت" in text and "2026-11-04" in text
    # The number is forgotten: the next question about a transaction asks again.
    again = await brain.respond(citizen, said("وين معاملتي؟"))
    assert "رقم" in again.replies[0].text


async def test_a_number_in_the_question_is_answered_from_the_registry_at_once(brain, citizen, _actions_store):
    register_for(_actions_store, citizen, "123456", [("documents_received", datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc))])
    answer = await brain.respond(citizen, said("وين صارت معاملتي 123456"))
    text = answer.replies[0].text
    assert "123456" in text and "استُلمت الوثائق" in text and "2026-11-02" in text
    english = await brain.respond(citizen + "-en", said("status of my application 123456 please"))
    assert "I found no transaction with number 123456" in english.replies[0].text  # someone else's: not theirs


async def test_unknown_transaction_and_an_agency_system_that_is_down_are_said_plainly(brain, citizen, _actions_store):
    missing = await brain.respond(citizen, said("وين معاملتي رقم 2024-110000"))
    assert "لم أجد" in missing.replies[0].text
    ensure_agency(_actions_store, "moi", "وزارة الداخلية", "Ministry of Interior")
    _actions_store.agencies.set_lookup_url("moi", "http://127.0.0.1:9/lookup")  # nothing listens on port 9
    try:
        down = await brain.respond(citizen, said("وين معاملتي رقم 2024-110999"))
    finally:
        _actions_store.agencies.set_lookup_url("moi", None)
    assert "لا تجيب الآن" in down.replies[0].text


async def test_out_of_scope_is_declined_and_flagged_for_review(brain, citizen):
    answer = await brain.respond(citizen, said("مين رح يربح كاس العالم؟"))
    assert answer.intent == "out_of_scope"
    assert answer.review_reason == "out_of_scope"
    assert any(c.id == "/list_services" for c in answer.replies[0].choices)


async def test_the_services_menu_pages_through_agencies(brain, citizen):
    menu = await brain.respond(citizen, said("شو الخدمات اللي عندكم؟"))
    choices = menu.replies[0].choices
    assert 2 <= len(choices) <= 10
    agency = await brain.respond(citizen, said(payload=choices[0].id))
    assert agency.replies[0].choices and all(c.id.startswith("/ask_overview") for c in agency.replies[0].choices)


async def test_a_preferred_language_overrides_how_the_citizen_wrote(brain, citizen):
    answer = await brain.respond(citizen, said("قديش رسوم الهوية"), language="en")
    assert answer.replies[0].language == "en"
    assert "Civil Status" in answer.replies[0].heading


async def test_handoff_and_complaint_open_tickets_staff_can_see(brain, citizen, _actions_store):
    before = len(_actions_store.tickets.open_tickets(limit=10_000))
    handoff = await brain.respond(citizen, said("بدي احكي مع موظف لو سمحت"))
    assert handoff.intent == "human_handoff" and "T-" in handoff.replies[0].text
    complaint = await brain.respond(citizen, said("I want to file a complaint, the office staff were rude"))
    assert complaint.intent == "complaint"
    tickets = _actions_store.tickets.open_tickets(limit=10_000)[before:]
    assert [t.kind for t in tickets] == ["handoff", "complaint"]
    assert "rude" in tickets[1].text


async def test_subscribing_and_unsubscribing_are_recorded(brain, _actions_store):
    citizen = str(_actions_store.citizens.resolve("whatsapp", "962795550001"))
    subscribed = await brain.respond(citizen, said("ذكرني قبل ما يخلص جوازي"))
    assert subscribed.intent == "subscribe_alerts"
    assert _actions_store.subscriptions.topics(int(citizen)) == ["passport_expiry"]
    assert "STOP" not in subscribed.replies[0].text and "ايقاف تنبيه جواز" in subscribed.replies[0].text
    vague = await brain.respond(citizen, said("بدي اشترك بالتنبيهات"))
    assert vague.intent == "subscribe_alerts" and "تنبيه جواز" in vague.replies[0].text  # which one?
    assert _actions_store.subscriptions.topics(int(citizen)) == ["passport_expiry"]
    unsubscribed = await brain.respond(citizen, said("I don't want alerts anymore, unsubscribe me"))
    assert unsubscribed.intent == "unsubscribe"
    assert _actions_store.subscriptions.topics(int(citizen)) == []


async def test_a_reply_to_an_alert_is_answered_about_the_alerts_service(brain, citizen):
    import dataclasses

    # The pipeline hands the alert's service over with the citizen's first message after it
    # (tests/pipeline/test_alert_keywords.py); a citizen who never wrote before, too.
    reply = dataclasses.replace(said("كيف بجددها؟"), context_service="cspd.passport_renew")
    answer = await brain.respond(citizen, reply)
    assert "سند" in answer.replies[0].text or "جواز" in answer.replies[0].text + (answer.replies[0].heading or "")
    assert "تجديد جواز السفر" in (answer.replies[0].heading or "")
    follow = await brain.respond(citizen, said("وكم الرسوم؟"))  # the service stays the conversation's
    assert "50" in follow.replies[0].text
    licence = dataclasses.replace(said("how do I renew it?"), context_service="dvld.driving_license_renew")
    answer = await brain.respond(citizen, licence)
    assert "licen" in (answer.replies[0].heading or "").lower()
