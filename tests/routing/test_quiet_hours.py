"""Quiet hours, with the clock moved as operators and outside checks move it: `run_due` (what
`tawasol jobs run-due --as-of T` runs) for a night moment, then for the morning. A promotional
broadcast due at night waits for the end of the ministry's quiet hours (configured in the console:
here 22:00-07:30), other broadcasts go; an alert step due at night waits for 08:00. Sent for real:
the outbox bound to the fake Graph API and an SMPP peer (tests/routing/conftest.py); the broadcasts
sweep queues its jobs in arq's queue on Redis (a database of its own), and the test runs each queued
job as `tawasol jobs worker` would."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

import pytest
import redis
from arq import create_pool
from arq.connections import RedisSettings

from core.amman import AMMAN
from jobs.broadcasts import send_broadcast
from jobs.context import QUEUE_NAME, JobContext, JobSettings, Masked
from jobs.registry import DEFERRED
from jobs.worker import run_due
from store.alerts import RecordRow
from store.audit import CLI_ACTOR
from store.broadcasts import SCHEDULED
from tests.availability import unavailable

# Not 0, 11 or 14 (other suites' arq queues and flushes): the queued jobs here are this test's alone.
REDIS_URL = os.environ.get("TAWASOL_TEST_QUIET_REDIS_URL", "redis://127.0.0.1:6379/9")
NIGHT = datetime(2027, 3, 10, 23, 0, tzinfo=AMMAN)
BEFORE_THE_END = datetime(2027, 3, 11, 7, 29, tzinfo=AMMAN)
MORNING = datetime(2027, 3, 11, 7, 30, tzinfo=AMMAN)


@pytest.fixture
def jobs_redis():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        unavailable(f"Redis at {REDIS_URL}")
    before = set(client.keys("*"))
    yield client
    made = set(client.keys("*")) - before
    if made:
        client.delete(*made)
    client.close()


def _ctx(world, redis_url=REDIS_URL) -> JobContext:  # type: ignore[no-untyped-def]
    return JobContext(JobSettings("unused", redis_url, timedelta(days=365)), world.store, world.outbox)


async def run_queued_jobs(ctx: JobContext) -> list[str]:
    """Every job waiting in arq's queue, run as the worker runs it (arguments unmasked), then taken
    off the queue; what each returned."""
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL), default_queue_name=QUEUE_NAME)
    try:
        lines = []
        for job in await pool.queued_jobs(queue_name=QUEUE_NAME):
            args = [a.value if isinstance(a, Masked) else a for a in job.args]
            lines.append(await DEFERRED[job.function](ctx, *args))
            await pool.zrem(QUEUE_NAME, job.job_id)
            await pool.delete(f"arq:job:{job.job_id}")
        return lines
    finally:
        await pool.close()


def report(reports, sweep: str) -> str:
    return next(r.did for r in reports if r.sweep == sweep)


def _broadcast(store, category: str, phones: list[str]) -> int:
    broadcast_id = store.broadcasts.create(
        agency_id="cspd", title=category, text_ar=f"رسالة {category}", text_en=category, template=None,
        category=category, source="csv", spec=None, send_at=None, segments_ar=1, segments_en=1, actor=CLI_ACTOR,
    )
    store.broadcasts.add_numbers(broadcast_id, [(p, None) for p in phones])
    store.broadcasts.apply_opt_outs(broadcast_id, "cspd")
    assert store.broadcasts.move(broadcast_id, ("draft",), SCHEDULED, actor=CLI_ACTOR)
    return broadcast_id


async def test_a_promotional_broadcast_due_at_night_waits_for_the_configured_morning(world, jobs_redis):
    store = world.store
    store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status", sms_sender_ids=["CSPD"])
    store.credit.top_up("cspd", 100)
    store.broadcasts.set_policy(approval_threshold=None, quiet_start="22:00", quiet_end="07:30", actor=CLI_ACTOR)
    promo_phones, awareness_phones = ["962785550001", "962785550002"], ["962785550003"]
    promotional = _broadcast(store, "promotional", promo_phones)
    awareness = _broadcast(store, "awareness", awareness_phones)
    ctx = _ctx(world)

    night = await run_due(ctx, NIGHT)
    said = report(night, "broadcasts")
    assert "1 broadcast(s) started" in said and "1 promotional broadcast(s) wait" in said and "07:30" in said, said
    lines = await run_queued_jobs(ctx)
    assert len(lines) == 1 and lines[0].startswith(f"broadcast {awareness}: done"), lines
    await world.settle()
    assert [len(world.sms_to(p)) for p in awareness_phones] == [1]
    assert [len(world.sms_to(p)) for p in promo_phones] == [0, 0]
    assert store.broadcasts.get(promotional).status == SCHEDULED
    # The job itself checks too (a broadcast sent "now" from the console at night): nothing goes.
    held = await send_broadcast(_ctx(world, redis_url=None), promotional, NIGHT.isoformat())
    assert "quiet hours, again at 2027-03-11T07:30:00+03:00" in held, held
    assert store.broadcasts.progress(promotional).sent == 0

    # A minute before the end of the quiet hours: still waiting.
    assert "1 promotional broadcast(s) wait" in report(await run_due(ctx, BEFORE_THE_END), "broadcasts")
    assert await run_queued_jobs(ctx) == []
    assert [len(world.sms_to(p)) for p in promo_phones] == [0, 0]

    morning = await run_due(ctx, MORNING)
    assert report(morning, "broadcasts") == "1 broadcast(s) started or restarted"
    lines = await run_queued_jobs(ctx)
    assert len(lines) == 1 and lines[0].startswith(f"broadcast {promotional}: done"), lines
    await world.settle()
    assert [len(world.sms_to(p)) for p in promo_phones + awareness_phones] == [1, 1, 1]
    assert all(s.source_addr == "CSPD" for s in world.smsc.accepted)


async def test_an_alert_step_due_at_night_waits_for_eight_in_the_morning(world, jobs_redis):
    store = world.store
    store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status", sms_sender_ids=["CSPD"])
    phone = "962785550010"
    citizen = store.citizens.for_phone(phone)
    store.subscriptions.subscribe(citizen, "passport_expiry", source="keyword")
    # Fed in the evening of the day its 7-day step came due (09:00): the step is due, but it is night.
    expires = date(2027, 3, 17)
    store.alerts.upsert_records("cspd", [RecordRow(phone, "passport", "P-QUIET-1", expires)])
    ctx = _ctx(world)

    for moment in (datetime(2027, 3, 10, 21, 0, tzinfo=AMMAN), datetime(2027, 3, 11, 7, 59, tzinfo=AMMAN)):
        said = report(await run_due(ctx, moment), "alerts")
        assert said == "1 alert(s) due wait for 08:00 Amman time (quiet hours)", (moment, said)
        await world.settle()
        assert world.sms_to(phone) == []
    said = report(await run_due(ctx, datetime(2027, 3, 11, 8, 0, tzinfo=AMMAN)), "alerts")
    assert said.startswith("1 alert(s) sent"), said
    await world.settle()
    parts = world.sms_to(phone)  # one alert, in as many SMS parts as its Arabic text takes
    assert parts and all(p.source_addr == "CSPD" for p in parts)
    assert [(d.days_before, d.outcome) for d in store.alerts.deliveries()] == [(7, "sent")]
    # Again at 08:30: sent once, never twice.
    assert report(await run_due(ctx, datetime(2027, 3, 11, 8, 30, tzinfo=AMMAN)), "alerts").startswith("0 alert(s) sent")
    await world.settle()
    assert len(world.sms_to(phone)) == len(parts)
