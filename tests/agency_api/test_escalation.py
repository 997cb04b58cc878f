"""`run_escalations(store, outbox, now)`: one SMS to the manager per period a forwarded transaction
waits for a reply, once across concurrent runs, never after the reply."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from api.escalation import run_escalations
from core.messages import SMS
from tests.agency_api.conftest import MANAGER, SMS_ONLY

FORWARDED_AT = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)


async def _forwarded(world, number="2026-000777", **extra):
    body = {
        "number": number, "service_id": "cspd.passport_renew", "citizen_phone": SMS_ONLY,
        "registered_at": "2026-11-01T09:00:00+03:00", "manager_phone": MANAGER, **extra,
    }
    assert (await world.client.post("/transactions", json=body, headers=world.headers())).status_code == 201
    step = {"type": "forwarded", "at": FORWARDED_AT.isoformat(), "destination": "وزارة الداخلية"}
    assert (await world.client.post(f"/transactions/{number}/events", json=step, headers=world.headers())).status_code == 201


async def test_the_manager_hears_once_per_period_without_a_reply(world):
    await _forwarded(world)
    assert await run_escalations(world.store, world.outbox, FORWARDED_AT + timedelta(days=9, hours=23)) == 0
    assert await run_escalations(world.store, world.outbox, FORWARDED_AT + timedelta(days=10)) == 1
    assert await run_escalations(world.store, world.outbox, FORWARDED_AT + timedelta(days=12)) == 0
    [sms] = world.sent_to(MANAGER)
    assert sms.channel == SMS and "2026-000777" in sms.text and "وزارة الداخلية" in sms.text and "10" in sms.text
    assert await run_escalations(world.store, world.outbox, FORWARDED_AT + timedelta(days=20, minutes=1)) == 1
    assert len(world.sent_to(MANAGER)) == 2
    shown = (await world.client.get("/transactions/2026-000777", headers=world.headers())).json()
    assert [e["period"] for e in shown["escalations"]] == [1, 2]
    assert [n["recipient"] for n in shown["notifications"]].count("manager") == 2
    assert world.store.outbound.ledger(shown["notifications"][-1]["message_id"]).category == "internal"


async def test_concurrent_runs_send_one_sms(world):
    await _forwarded(world)
    later = FORWARDED_AT + timedelta(days=11)
    counts = await asyncio.gather(*(run_escalations(world.store, world.outbox, later) for _ in range(4)))
    assert sum(counts) == 1 and len(world.sent_to(MANAGER)) == 1


async def test_a_reply_stops_the_clock_and_the_transaction_period_overrides_the_agencys(world):
    await _forwarded(world, escalate_after_days=3)
    assert await run_escalations(world.store, world.outbox, FORWARDED_AT + timedelta(days=3)) == 1
    reply = {"type": "reply_received", "at": (FORWARDED_AT + timedelta(days=4)).isoformat()}
    assert (await world.client.post("/transactions/2026-000777/events", json=reply, headers=world.headers())).status_code == 201
    assert await run_escalations(world.store, world.outbox, FORWARDED_AT + timedelta(days=30)) == 0
    assert len(world.sent_to(MANAGER)) == 1
