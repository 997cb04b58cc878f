"""POST/GET /api/v1/transactions and their steps: exactly one message per step to the right
channel and language, idempotent retries, another agency's transactions invisible, bad input
refused with a reason and nothing stored."""

from __future__ import annotations

import pytest

from coordination import InProcessCoordination
from core.messages import SMS, WHATSAPP
from tests.agency_api.conftest import EMPLOYEE, ON_WHATSAPP, SMS_ONLY


def registration(number: str = "2026-000123", phone: str = SMS_ONLY, **extra) -> dict:
    body = {
        "number": number,
        "service_id": "cspd.passport_renew",
        "citizen_phone": phone,
        "registered_at": "2026-11-02T09:30:00+03:00",
    }
    body.update(extra)
    return body


async def test_registration_notifies_the_citizen_once_by_sms_with_number_service_and_date(world):
    answer = await world.client.post("/transactions", json=registration(), headers=world.headers())
    assert answer.status_code == 201, answer.text
    record = answer.json()
    assert record["number"] == "2026-000123" and record["state"] == "registered"
    assert [e["type"] for e in record["events"]] == ["registered"]
    [message] = world.sent_to(SMS_ONLY)
    assert message.channel == SMS
    assert "2026-000123" in message.text and "2026-11-02" in message.text and "تجديد جواز السفر" in message.text
    assert "ايقاف CSPD" in message.text  # how to stop this agency's messages, in the same message
    shown = (await world.client.get("/transactions/2026-000123", headers=world.headers())).json()
    [notification] = shown["notifications"]
    assert notification["recipient"] == "citizen" and notification["channel"] == SMS
    assert notification["status"] == "sent" and notification["sender"] == "CSPD"
    assert notification["route_reason"] == "no_whatsapp_identity"
    assert [step["status"] for step in notification["timeline"]][-1] == "sent"


async def test_a_citizen_on_whatsapp_hears_on_whatsapp_in_english_when_the_agency_says_so(world):
    world.wrote_on_whatsapp(ON_WHATSAPP)
    body = registration("2026-000124", ON_WHATSAPP, citizen_language="en", assigned_employee_phone="+962 79 111 0009")
    assert (await world.client.post("/transactions", json=body, headers=world.headers())).status_code == 201
    [message] = world.sent_to(ON_WHATSAPP)
    assert message.channel == WHATSAPP
    assert "your transaction 2026-000124 (Passport renewal) was registered on 2026-11-02" in message.text
    assert "STOP CSPD" in message.text
    [employee] = world.sent_to(EMPLOYEE)
    assert employee.channel == SMS and "2026-000124" in employee.text  # an SMS of its own
    ledger = world.store.outbound.ledger
    shown = (await world.client.get("/transactions/2026-000124", headers=world.headers())).json()
    categories = {n["recipient"]: ledger(n["message_id"]).category for n in shown["notifications"]}
    assert categories == {"citizen": "transaction_status", "employee": "internal"}
    assert ledger(shown["notifications"][0]["message_id"]).agency_id == "cspd"


async def test_each_step_notifies_once_with_what_it_carries_and_the_state_machine_refuses_nonsense(world):
    headers = world.headers()
    await world.client.post("/transactions", json=registration(), headers=headers)
    steps = [
        {"type": "payment_received", "at": "2026-11-02T09:31:00+03:00"},
        {"type": "documents_received", "at": "2026-11-02T11:05:00+03:00"},
        {"type": "issued", "at": "2026-11-04T10:00:00+03:00", "document_number": "P7788991", "destination": "مكتب إربد"},
        {"type": "completed", "at": "2026-11-05T12:00:00+03:00"},
    ]
    for step in steps:
        answer = await world.client.post("/transactions/2026-000123/events", json=step, headers=headers)
        assert answer.status_code == 201, answer.text
    texts = [m.text for m in world.sent_to(SMS_ONLY)]
    assert len(texts) == 5  # registration + four steps, one message each
    assert "09:31" in texts[1] and "11:05" in texts[2]
    assert "P7788991" in texts[3] and "مكتب إربد" in texts[3] and "2026-11-04" in texts[3]
    assert "2026-11-05" in texts[4]
    refused = await world.client.post("/transactions/2026-000123/events", json={"type": "documents_received"}, headers=headers)
    assert refused.status_code == 409 and refused.json()["error"] == "transaction_closed"
    assert len(world.sent_to(SMS_ONLY)) == 5


async def test_issued_after_rejected_is_refused_and_the_rejection_carries_its_note(world):
    headers = world.headers()
    await world.client.post("/transactions", json=registration(), headers=headers)
    rejected = {"type": "rejected", "note": "الصورة غير مطابقة للمواصفات"}
    assert (await world.client.post("/transactions/2026-000123/events", json=rejected, headers=headers)).status_code == 201
    assert "الصورة غير مطابقة للمواصفات" in world.sent_to(SMS_ONLY)[-1].text
    issued = await world.client.post("/transactions/2026-000123/events", json={"type": "issued"}, headers=headers)
    assert issued.status_code == 409 and "rejected" in issued.json()["reason"]
    reply = await world.client.post("/transactions/2026-000123/events", json={"type": "reply_received"}, headers=headers)
    assert reply.status_code == 409


async def test_a_retry_with_the_same_idempotency_key_answers_the_first_answer_and_sends_nothing(world):
    first = await world.client.post("/transactions", json=registration(), headers=world.headers(idempotency="k-1"))
    again = await world.client.post("/transactions", json=registration(), headers=world.headers(idempotency="k-1"))
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    step = {"type": "payment_received", "at": "2026-11-02T09:31:00+03:00"}
    for _ in range(3):
        answer = await world.client.post("/transactions/2026-000123/events", json=step, headers=world.headers(idempotency="k-2"))
        assert answer.status_code == 201
    assert len(world.sent_to(SMS_ONLY)) == 2
    assert world.count("transaction_events") == 2
    other = await world.client.post(
        "/transactions/2026-000123/events", json={"type": "documents_received"}, headers=world.headers(idempotency="k-2")
    )
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
    assert world.count("transaction_events") == 2


async def test_the_same_registration_again_is_the_same_record_and_other_content_is_a_conflict(world):
    await world.client.post("/transactions", json=registration(), headers=world.headers())
    same = await world.client.post("/transactions", json=registration(), headers=world.headers())
    assert same.status_code == 200 and same.json()["number"] == "2026-000123"
    other = await world.client.post("/transactions", json=registration(phone="962791110003"), headers=world.headers())
    assert other.status_code == 409 and other.json()["error"] == "number_taken"
    assert len(world.sent_to(SMS_ONLY)) == 1 and world.count("transactions") == 1


async def test_an_agency_cannot_see_or_touch_another_agencys_transaction(world):
    await world.client.post("/transactions", json=registration(), headers=world.headers())
    other = world.headers(world.other_key)
    assert (await world.client.get("/transactions/2026-000123", headers=other)).status_code == 404
    step = await world.client.post("/transactions/2026-000123/events", json={"type": "completed"}, headers=other)
    assert step.status_code == 404 and step.json()["error"] == "not_found"
    # dvld may register the same number for its own service: numbers are per agency.
    own = registration(service_id="dvld.driving_license_renew")
    assert (await world.client.post("/transactions", json=own, headers=other)).status_code == 201


BAD_REGISTRATIONS = [
    ("unknown service", {"service_id": "cspd.no_such_service"}, "unknown_service"),
    ("another agency's service", {"service_id": "dvld.driving_license_renew"}, "service_of_another_agency"),
    ("local number", {"citizen_phone": "0791234567"}, "invalid_request"),
    ("letters in the number", {"citizen_phone": "9627912345ab"}, "invalid_request"),
    ("number as an integer", {"number": 123456}, "invalid_request"),
    ("oversize number", {"number": "9" * 65}, "invalid_request"),
    ("naive timestamp", {"registered_at": "2026-11-02T09:30:00"}, "invalid_request"),
    ("in the future", {"registered_at": "2036-12-07T09:30:00+03:00"}, "in_the_future"),
    ("unknown field", {"priority": "high"}, "invalid_request"),
    ("period as a string", {"escalate_after_days": "10"}, "invalid_request"),
    ("language not ar/en", {"citizen_language": "fr"}, "invalid_request"),
]


@pytest.mark.parametrize("why, change, error", BAD_REGISTRATIONS, ids=[b[0] for b in BAD_REGISTRATIONS])
async def test_bad_registrations_are_refused_with_a_reason_and_nothing_is_stored(world, why, change, error):
    answer = await world.client.post("/transactions", json=registration(**change), headers=world.headers(idempotency="k"))
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["error"] == error and answer.json()["reason"]
    assert world.count("transactions") == 0 and world.count("idempotency_keys") == 0 and world.count("messages") == 0


BAD_EVENTS = [
    ("unknown type", {"type": "stamped"}, 422),
    ("rejected without a note", {"type": "rejected"}, 422),
    ("assigned without an employee", {"type": "assigned"}, 422),
    ("oversize note", {"type": "rejected", "note": "x" * 501}, 422),
    ("reply before forwarding", {"type": "reply_received"}, 409),
    ("before registration", {"type": "payment_received", "at": "2026-11-01T09:30:00+03:00"}, 409),
]


@pytest.mark.parametrize("why, body, status", BAD_EVENTS, ids=[b[0] for b in BAD_EVENTS])
async def test_bad_events_are_refused_with_a_reason_and_nothing_is_stored(world, why, body, status):
    await world.client.post("/transactions", json=registration(), headers=world.headers())
    answer = await world.client.post("/transactions/2026-000123/events", json=body, headers=world.headers(idempotency="e"))
    assert answer.status_code == status, answer.text
    assert answer.json()["reason"]
    assert world.count("transaction_events") == 1 and world.count("idempotency_keys") == 0
    assert len(world.sent_to(SMS_ONLY)) == 1


@pytest.mark.parametrize("authorization", [None, "Bearer", "Basic abc", "Bearer tws_abcdefgh_wrongwrongwrongwrongwrong"])
async def test_missing_or_wrong_keys_get_401_with_a_reason(world, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    answer = await world.client.post("/transactions", json=registration(), headers=headers)
    assert answer.status_code == 401 and answer.json()["error"] == "unauthorized"
    assert world.count("transactions") == 0


async def test_a_revoked_key_gets_401(world):
    world.store.agencies.revoke_key(world.key[:12])
    answer = await world.client.get("/transactions/2026-000123", headers=world.headers())
    assert answer.status_code == 401 and "revoked" in answer.json()["reason"]


async def test_stop_leaves_transaction_notifications_but_stop_agency_silences_them(world):
    await world.client.post("/transactions", json=registration(), headers=world.headers())
    citizen = world.store.citizens.for_phone(SMS_ONLY)
    world.store.citizens.opt_out(citizen)
    await world.client.post("/transactions/2026-000123/events", json={"type": "documents_received"}, headers=world.headers())
    assert len(world.sent_to(SMS_ONLY)) == 2  # they started it: a plain STOP does not silence it
    awareness = {"citizen_phone": SMS_ONLY, "category": "awareness", "text_ar": "حملة توعية"}
    skipped = await world.client.post("/notifications", json=awareness, headers=world.headers())
    assert skipped.status_code == 200 and skipped.json()["skipped"] == "opted_out"
    world.store.citizens.opt_out_of_agency(citizen, "cspd")
    await world.client.post("/transactions/2026-000123/events", json={"type": "completed"}, headers=world.headers())
    assert len(world.sent_to(SMS_ONLY)) == 2
    shown = (await world.client.get("/transactions/2026-000123", headers=world.headers())).json()
    assert shown["notifications"][-1]["skipped"] == "opted_out_of_agency"


async def test_a_one_off_notification_is_sent_once_per_key_and_billed_by_its_category(world):
    world.wrote_on_whatsapp(ON_WHATSAPP)
    body = {"citizen_phone": ON_WHATSAPP, "category": "awareness", "text_ar": "موعد تجديد الهويات", "text_en": "ID renewal"}
    first = await world.client.post("/notifications", json=body, headers=world.headers(idempotency="n-1"))
    again = await world.client.post("/notifications", json=body, headers=world.headers(idempotency="n-1"))
    assert first.status_code == 201 and again.json() == first.json()
    [message] = world.sent_to(ON_WHATSAPP)
    assert message.channel == WHATSAPP and "موعد تجديد الهويات" in message.text
    assert world.store.outbound.ledger(first.json()["message_ids"][0]).category == "awareness"
    bad = await world.client.post("/notifications", json={**body, "category": "reply"}, headers=world.headers())
    assert bad.status_code == 422


async def test_the_openapi_document_lists_the_endpoints(world):
    schema = (await world.client.get("/openapi.json")).json()
    assert {"/transactions", "/transactions/{number}/events", "/transactions/{number}", "/notifications"} <= set(schema["paths"])


async def test_a_step_recorded_by_a_process_that_died_is_notified_once_by_the_sweep(world):
    from datetime import datetime, timedelta, timezone

    from actions.catalog_access import catalog
    from api.lifecycle import transition
    from api.notifier import Notifier
    from store.transactions import NewEvent

    await world.client.post("/transactions", json=registration(), headers=world.headers())
    # The process stored the step (and, in the same transaction, what it owes) and died before
    # notifying anyone.
    at = datetime(2026, 11, 3, 7, 0, tzinfo=timezone.utc)
    answer = world.store.transactions.add_event(
        "cspd", "2026-000123", NewEvent("documents_received", at), transition=transition, idempotency=None,
        respond=lambda view: {},
    )
    assert len(answer.entry_ids) == 1
    assert len(world.sent_to(SMS_ONLY)) == 1
    view = world.store.transactions.view("cspd", "2026-000123")
    assert [(n.recipient, n.status) for n in view.notifications if n.event_id == answer.event_id] == [("citizen", "pending")]
    # Another worker claims it and dies before queueing anything: its claim goes stale.
    dead = world.store.notifications.claim(answer.entry_ids[0], stale_before=datetime.now(timezone.utc))
    assert dead is not None
    sweeper = Notifier(world.store, world.outbox, catalog, claim_lasts=timedelta(0))
    with_old_entries = [e for e in world.store.notifications.due(
        created_before=datetime.now(timezone.utc) + timedelta(seconds=1), stale_before=datetime.now(timezone.utc)
    )]
    assert with_old_entries == [answer.entry_ids[0]]
    assert await sweeper.deliver(answer.entry_ids[0]) is True
    assert await sweeper.deliver(answer.entry_ids[0]) is False  # done: never twice
    # The dead claimer comes back: its claim no longer holds, so it writes nothing.
    assert world.store.notifications.complete(dead, [], skipped="x") is None
    texts = [m.text for m in world.sent_to(SMS_ONLY)]
    assert len(texts) == 2 and "10:00" in texts[1]
    view = world.store.transactions.view("cspd", "2026-000123")
    assert [(n.recipient, n.status) for n in view.notifications if n.event_id == answer.event_id] == [("citizen", "sent")]


async def test_simultaneous_retries_with_one_key_record_and_send_once(world):
    import asyncio

    await world.client.post("/transactions", json=registration(), headers=world.headers())
    step = {"type": "documents_received", "at": "2026-11-02T11:05:00+03:00"}
    answers = await asyncio.gather(*(
        world.client.post("/transactions/2026-000123/events", json=step, headers=world.headers(idempotency="same"))
        for _ in range(6)
    ))
    assert {a.status_code for a in answers} == {201}
    assert all(a.json() == answers[0].json() for a in answers)  # every retry got the first answer
    assert world.count("transaction_events") == 2 and len(world.sent_to(SMS_ONLY)) == 2
    bodies = [registration(number=f"2026-9{n}") for n in range(4)]
    registered = await asyncio.gather(*(
        world.client.post("/transactions", json=body, headers=world.headers(idempotency="reg"))
        for body in [bodies[0]] * 4
    ))
    assert {a.status_code for a in registered} == {201} and world.count("transactions") == 2


async def test_outside_the_whatsapp_window_without_a_template_the_step_goes_by_sms(world):
    from datetime import timedelta

    from core.messages import utcnow

    world.wrote_on_whatsapp(ON_WHATSAPP, at=utcnow() - timedelta(hours=25))
    await world.client.post("/transactions", json=registration(phone=ON_WHATSAPP), headers=world.headers())
    [message] = world.sent_to(ON_WHATSAPP)
    assert message.channel == SMS
    shown = (await world.client.get("/transactions/2026-000123", headers=world.headers())).json()
    assert shown["notifications"][0]["route_reason"] == "whatsapp_window_closed"


async def test_without_citizen_language_the_citizens_own_language_is_used(world):
    citizen = world.store.citizens.for_phone(SMS_ONLY)
    world.store.citizens.set_language(citizen, "en")
    await world.client.post("/transactions", json=registration(), headers=world.headers())
    [message] = world.sent_to(SMS_ONLY)
    assert message.text.startswith("Civil Status: your transaction 2026-000123 (Passport renewal)")
    assert message.text.endswith("STOP CSPD")


async def test_an_agency_out_of_credit_gets_402_for_optional_messages_but_its_steps_still_go(world):
    world.store.credit.top_up("cspd", 1)
    body = {"citizen_phone": SMS_ONLY, "category": "awareness", "text_ar": "حملة توعية"}
    assert (await world.client.post("/notifications", json=body, headers=world.headers())).status_code == 201
    refused = await world.client.post("/notifications", json=body, headers=world.headers(idempotency="late"))
    assert refused.status_code == 402 and refused.json()["reason"]
    assert world.count("idempotency_keys") == 0 and len(world.sent_to(SMS_ONLY)) == 1
    assert (await world.client.post("/transactions", json=registration(), headers=world.headers())).status_code == 201
    assert len(world.sent_to(SMS_ONLY)) == 2  # transaction status is urgent: it goes past the credit


async def test_sms_receipts_set_each_notifications_status_and_an_undelivered_sms_is_failed(world):
    """A deliver_sm receipt (TLVs or the receipt text), read by channels/sms/receipts.py and
    recorded by the pipeline as the SMS channel does, moves the notification's status in GET and
    the step's delivery history: DELIVRD -> delivered, UNDELIV -> failed."""
    from channels.sms import receipts
    from channels.sms.deliver_sm import DeliverSm
    from pipeline.pipeline import Pipeline
    from tests.pipeline.pipeline_doubles import EchoBrain

    pipeline = Pipeline(world.store, InProcessCoordination(), EchoBrain(), world.outbox)
    for number, phone in (("R-1", SMS_ONLY), ("R-2", "962791110003")):
        body = {**registration(), "number": number, "citizen_phone": phone}
        assert (await world.client.post("/transactions", json=body, headers=world.headers())).status_code == 201
    [first] = world.sent_to(SMS_ONLY)
    [second] = world.sent_to("962791110003")
    delivered_id = world.store.outbound.for_address(SMS, SMS_ONLY)[0].provider_id
    failed_id = world.store.outbound.for_address(SMS, "962791110003")[0].provider_id
    # One receipt in TLVs, one in the text only (SMPP 3.4 Appendix B).
    tlv = DeliverSm(source_addr=SMS_ONLY, destination_addr="94444", esm_class=0x04,
                    receipted_message_id=delivered_id, message_state=2)
    text = f"id:{failed_id} sub:001 dlvrd:000 submit date:2611220317 done date:2611220318 stat:UNDELIV err:001 text:"
    only_text = DeliverSm(source_addr="962791110003", destination_addr="94444", esm_class=0x04)
    for deliver, body_text in ((tlv, ""), (only_text, text)):
        update = receipts.to_status(receipts.parse(deliver, body_text), address=deliver.source_addr)
        assert await pipeline.record_status(update) is True

    async def citizen_statuses(number: str) -> list[str]:
        got = (await world.client.get(f"/transactions/{number}", headers=world.headers())).json()
        return [n["status"] for n in got["notifications"] if n["recipient"] == "citizen"]

    assert await citizen_statuses("R-1") == ["delivered"]
    assert await citizen_statuses("R-2") == ["failed"]
    [failed_message] = world.store.outbound.for_address(SMS, "962791110003")
    [step] = world.store.outbound.delivery_history([failed_message.id])
    assert step.status == "failed" and "UNDELIV" in [e.error_code for e in step.attempts[0].events if e.error_code]
    assert first.channel == second.channel == SMS
