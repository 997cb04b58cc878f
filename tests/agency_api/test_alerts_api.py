"""The alert calls of the agency API and the alert sweep, on SQLite and PostgreSQL: records upload
(JSON and CSV, each row accepted or refused), subscriptions made by an agency, violations alerted at
once, schedules, and the sweep's rules (the latest step due, renewals, never twice, quiet hours)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal

from actions.catalog_access import catalog
from api.alerts import current_step, run_alerts, step_due
from core.amman import AMMAN
from core.messages import SMS, WHATSAPP
from tests.agency_api.conftest import ON_WHATSAPP, SMS_ONLY

TODAY = date(2027, 3, 1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=AMMAN)


def record(number: str, expires_on: date, phone: str = SMS_ONLY, document_type: str = "passport") -> dict:
    return {"citizen_phone": phone, "document_type": document_type, "document_number": number, "expires_on": expires_on.isoformat()}


async def upload(world, rows, **kwargs):
    return await world.client.put("/records", json=rows, headers=world.headers(), **kwargs)


async def test_a_json_upload_answers_each_row_and_upserts_by_type_and_number(world):
    rows = [
        record("P1", TODAY + timedelta(days=40)),
        {"citizen_phone": "12", "document_type": "passport", "document_number": "P2", "expires_on": "2027-01-01"},
        record("P3", TODAY, document_type="spaceship"),
        {"citizen_phone": SMS_ONLY, "document_type": "id_card", "document_number": "I1", "expires_on": "01/02/2027"},
        "not an object",
        record("I2", TODAY + timedelta(days=3), document_type="id_card"),
    ]
    answer = await upload(world, rows)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["refused"]) == (2, 4)
    outcome = {r["row"]: r for r in body["rows"]}
    assert outcome[1]["outcome"] == "created" and outcome[6]["outcome"] == "created"
    assert "citizen_phone" in outcome[2]["reason"]
    assert "spaceship" in outcome[3]["reason"]
    assert "ISO date" in outcome[4]["reason"]
    assert outcome[5]["reason"] == "each record is a JSON object"
    again = (await upload(world, [record("P1", TODAY + timedelta(days=40)), record("P1", TODAY + timedelta(days=400))])).json()
    assert [r["outcome"] for r in again["rows"]] == ["unchanged", "renewed"]
    assert world.store.alerts.record("cspd", "passport", "P1").expires_on == TODAY + timedelta(days=400)
    # Another agency's document with the same number is its own record.
    other = await world.client.put("/records", json=[record("P1", TODAY)], headers=world.headers(world.other_key))
    assert other.json()["rows"][0]["outcome"] == "created"
    assert world.store.alerts.record("cspd", "passport", "P1").expires_on == TODAY + timedelta(days=400)


async def test_a_csv_upload_streams_in_and_refuses_bad_lines(world):
    csv = (
        "citizen_phone,document_type,document_number,expires_on\r\n"
        f"{SMS_ONLY},driving_license,D-77,2027-05-01\r\n"
        f"+{ON_WHATSAPP},vehicle_registration,\"12-34567\",2027-06-01\r\n"
        "962790000000,passport,P9\r\n"
    )

    async def chunks():
        for start in range(0, len(csv), 7):  # arrives in small pieces, cut mid-line
            yield csv[start:start + 7].encode()

    answer = await world.client.put(
        "/records", content=chunks(), headers={**world.headers(), "Content-Type": "text/csv"}
    )
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert [r["accepted"] for r in rows] == [True, True, False]
    assert "3 fields" in rows[2]["reason"]
    assert world.store.alerts.record("cspd", "vehicle_registration", "12-34567") is not None
    headerless = await world.client.put(
        "/records", content=f"{SMS_ONLY},passport,P1,2027-01-01\n", headers={**world.headers(), "Content-Type": "text/csv"}
    )
    assert headerless.status_code == 422 and headerless.json()["error"] == "unreadable_body"


async def test_a_csv_with_bare_carriage_returns_is_read_and_a_stray_one_is_refused_not_a_500(world):
    # Old spreadsheets end lines with a bare CR; schemathesis sent "\r0", which was a 500.
    csv = f"citizen_phone,document_type,document_number,expires_on\r{SMS_ONLY},passport,P5,2027-01-01\r"
    answer = await world.client.put("/records", content=csv, headers={**world.headers(), "Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert [r["accepted"] for r in answer.json()["rows"]] == [True]
    stray = await world.client.put("/records", content="\r0", headers={**world.headers(), "Content-Type": "text/csv"})
    assert stray.status_code == 422 and stray.json()["error"] == "unreadable_body", stray.text
    quoted = await world.client.put(
        "/records", content='citizen_phone,document_type,document_number,expires_on\n"a\x00b,passport,P1,2027-01-01\n',
        headers={**world.headers(), "Content-Type": "text/csv"},
    )
    assert quoted.status_code in (200, 422), quoted.text


async def test_uploads_refuse_other_media_broken_json_and_rows_past_the_limit(world, monkeypatch):
    assert (await world.client.put("/records", content="x", headers={**world.headers(), "Content-Type": "text/plain"})).status_code == 415
    broken = await world.client.put("/records", content='[{"citizen_phone": ', headers={**world.headers(), "Content-Type": "application/json"})
    assert broken.status_code == 422 and "not closed" in broken.json()["reason"]
    assert (await world.client.put("/records", json=[])).status_code == 401
    import api.alert_routes as routes

    monkeypatch.setattr(routes, "MAX_ROWS", 3)
    rows = [record(f"P{n}", TODAY) for n in range(5)]
    body = (await upload(world, rows)).json()
    assert (body["accepted"], body["refused"]) == (3, 1) and body["rows"][-1]["error"] == "over_limit"


async def test_an_agency_subscribes_a_citizen_and_it_is_recorded_as_its_doing(world):
    body = {"citizen_phone": "+962791110002", "topic": "passport_expiry"}
    first = await world.client.post("/subscriptions", json=body, headers=world.headers())
    assert first.status_code == 201 and first.json()["changed"] is True
    again = await world.client.post("/subscriptions", json=body, headers=world.headers())
    assert again.status_code == 200 and again.json()["changed"] is False
    citizen = world.store.citizens.for_phone(SMS_ONLY)
    row = world.store.subscriptions.get(citizen, "passport_expiry")
    assert (row.active, row.source, row.agency_id) == (True, "agency", "cspd")
    bad = await world.client.post("/subscriptions", json={**body, "topic": "weather"}, headers=world.headers())
    assert bad.status_code == 422 and "weather" in bad.json()["reason"]
    gone = await world.client.request("DELETE", "/subscriptions", json=body, headers=world.headers())
    assert gone.status_code == 200 and gone.json() == {**body, "citizen_phone": SMS_ONLY, "subscribed": False, "changed": True}
    assert world.store.subscriptions.topics(citizen) == []
    assert not world.sent_to(SMS_ONLY)  # a subscription sends nothing by itself


async def test_a_violation_alerts_a_subscriber_at_once_and_only_once_per_key(world):
    violation = {"citizen_phone": SMS_ONLY, "plate": "12-34567", "occurred_at": "2027-03-01T08:15:00+03:00",
                 "amount_jod": 20, "place": "شارع المدينة المنورة"}
    unsubscribed = await world.client.post("/violations", json=violation, headers=world.headers())
    assert unsubscribed.status_code == 201 and unsubscribed.json()["skipped"] == "not_subscribed"
    assert not world.sent_to(SMS_ONLY)
    world.store.subscriptions.subscribe(world.store.citizens.for_phone(SMS_ONLY), "traffic_violations", source="chat")
    headers = world.headers(idempotency="violation-1")
    answer = await world.client.post("/violations", json=violation, headers=headers)
    assert answer.status_code == 201 and answer.json()["alerted"] is True and answer.json()["channel"] == SMS
    replay = await world.client.post("/violations", json=violation, headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json() == answer.json()
    [message] = world.sent_to(SMS_ONLY)
    assert "12-34567" in message.text and "20 دينار" in message.text and "ايقاف تنبيه مخالفات" in message.text
    entry = world.store.outbound.ledger(answer.json()["message_ids"][0])
    assert (entry.category, entry.agency_id) == ("awareness", "cspd")
    assert not entry.citizen_share  # free to the citizen
    assert (await world.client.post("/violations", json={**violation, "amount_jod": "20"}, headers=world.headers())).status_code == 422


async def test_schedules_default_to_30_7_and_the_day_and_an_agency_sets_its_own(world):
    shown = (await world.client.get("/alert-schedules", headers=world.headers())).json()
    assert {s["document_type"]: s["days_before"] for s in shown}["passport"] == [30, 7, 0]
    answer = await world.client.put("/alert-schedules/passport", json={"days_before": [0, 60, 14]}, headers=world.headers())
    assert answer.json() == {"document_type": "passport", "days_before": [60, 14, 0], "default": False}
    assert (await world.client.put("/alert-schedules/boat", json={"days_before": [1]}, headers=world.headers())).status_code == 404
    assert (await world.client.put("/alert-schedules/passport", json={"days_before": [-1]}, headers=world.headers())).status_code == 422
    # Another agency's schedule is its own.
    other = (await world.client.get("/alert-schedules", headers=world.headers(world.other_key))).json()
    assert {s["document_type"]: s["days_before"] for s in other}["passport"] == [30, 7, 0]


def test_the_step_due_is_the_latest_one_and_the_last_one_only_for_a_day():
    expires = date(2027, 4, 30)
    steps = (30, 7, 0)
    assert step_due(expires, 30) == datetime(2027, 3, 31, 9, 0, tzinfo=AMMAN)
    assert current_step(expires, steps, at(date(2027, 3, 31), 8)) is None  # before 09:00
    assert current_step(expires, steps, at(date(2027, 3, 31))) == 30
    assert current_step(expires, steps, at(date(2027, 4, 20))) == 30  # late, but the 7-day one is not due yet
    assert current_step(expires, steps, at(date(2027, 4, 23))) == 7
    assert current_step(expires, steps, at(date(2027, 4, 30))) == 0
    assert current_step(expires, steps, at(date(2027, 5, 1), 8)) == 0  # the sweep was down: the day after, still
    assert current_step(expires, steps, at(date(2027, 5, 2))) is None  # long past: nothing, ever
    assert current_step(expires, (14,), at(date(2027, 4, 16))) == 14  # an agency's own schedule
    assert current_step(expires, (14,), at(date(2027, 4, 17))) is None  # its last step, a day late


async def subscribed_sms_citizen(world, phone: str, topic: str = "passport_expiry") -> int:
    citizen = world.store.citizens.for_phone(phone)
    world.store.subscriptions.subscribe(citizen, topic, source="keyword")
    return citizen


async def test_the_sweep_sends_each_step_once_and_none_after_a_renewal(world):
    await subscribed_sms_citizen(world, SMS_ONLY)
    expires = TODAY + timedelta(days=30)
    await upload(world, [record("P1", expires), record("I1", expires, document_type="id_card")])  # not subscribed to IDs
    store, outbox = world.store, world.outbox
    first = await run_alerts(store, outbox, catalog, at(TODAY))
    assert (first.sent, first.skipped) == (1, 0)
    [message] = world.sent_to(SMS_ONLY)
    assert "P1" in message.text and "ينتهي بعد 30 يوماً" in message.text and "تجديد جواز السفر" in message.text
    assert "ايقاف تنبيه جواز" in message.text and message.sender == "CSPD"
    # Two workers at once, and the same moment again: nothing more.
    runs = await asyncio.gather(*(run_alerts(store, outbox, catalog, at(TODAY, 11)) for _ in range(3)))
    assert sum(r.sent for r in runs) == 0 and len(world.sent_to(SMS_ONLY)) == 1
    # The 7-day step, in quiet hours: it waits for the morning.
    night = await run_alerts(store, outbox, catalog, at(expires - timedelta(days=7), 22))
    assert (night.waiting, night.sent) == (1, 0)
    morning = await run_alerts(store, outbox, catalog, at(expires - timedelta(days=6), 8))
    assert morning.sent == 1 and "بعد 6 أيام" in world.sent_to(SMS_ONLY)[-1].text
    # Renewed: the on-the-day step of the old date never goes; the new date's steps will.
    await upload(world, [record("P1", expires + timedelta(days=3650))])
    assert (await run_alerts(store, outbox, catalog, at(expires))).sent == 0
    assert len(world.sent_to(SMS_ONLY)) == 2
    later = await run_alerts(store, outbox, catalog, at(expires + timedelta(days=3650 - 30)))
    assert later.sent == 1
    deliveries = store.alerts.deliveries()
    assert [(d.days_before, d.outcome) for d in deliveries] == [(30, "sent"), (7, "sent"), (30, "sent")]


async def test_alerts_go_in_the_citizens_language_on_whatsapp_inside_the_window_and_skip_a_stop(world):
    world.wrote_on_whatsapp(ON_WHATSAPP)
    citizen = await subscribed_sms_citizen(world, ON_WHATSAPP, "driving_license_expiry")
    world.store.citizens.set_language(citizen, "en")
    stopped = await subscribed_sms_citizen(world, "962791110077", "driving_license_expiry")
    world.store.citizens.opt_out(stopped)
    expires = TODAY + timedelta(days=7)
    await upload(world, [record("D1", expires, ON_WHATSAPP, "driving_license"), record("D2", expires, "962791110077", "driving_license")])
    run = await run_alerts(world.store, world.outbox, catalog, at(TODAY, 12))
    assert (run.sent, run.skipped) == (1, 1)
    [message] = world.sent_to(ON_WHATSAPP)
    assert message.channel == WHATSAPP
    assert "your driving licence no. D1 expires in 7 days" in message.text and "STOP ALERT LICENSE" in message.text
    assert "Driving licence renewal" in message.text or "renew" in message.text
    assert not world.sent_to("962791110077")
    outcomes = sorted(d.outcome for d in world.store.alerts.deliveries())
    assert outcomes == ["opted_out", "sent"]
    entry = world.store.outbound.ledger(message_id(world, ON_WHATSAPP))
    assert (entry.category, entry.agency_id, entry.citizen_share) == ("awareness", "cspd", None)


def message_id(world, phone: str) -> int:
    from sqlalchemy import select

    from store.models import Message

    with world.store.db.session() as s:
        return s.execute(select(Message.id).where(Message.address == phone, Message.direction == "out")).scalars().first()


async def test_an_expiry_long_past_sends_nothing_and_a_late_upload_sends_only_the_latest_step(world):
    await subscribed_sms_citizen(world, SMS_ONLY)
    await upload(world, [record("OLD", TODAY - timedelta(days=200)), record("SOON", TODAY + timedelta(days=3))])
    run = await run_alerts(world.store, world.outbox, catalog, at(TODAY))
    assert run.sent == 1
    [message] = world.sent_to(SMS_ONLY)
    assert "SOON" in message.text and "بعد 3 أيام" in message.text
    assert [(d.days_before) for d in world.store.alerts.deliveries()] == [7]
