"""Issue 21's "done when", alerts: a test agency uploads 10,000 records; the job engine's sweeps run
for each day across 70 days (`run_due`, what `tawasol jobs run-due --as-of` runs), and each citizen
gets exactly the alerts their schedule says, on the channel the routing rules say, none twice, none
after a renewal; a violation alert arrives within seconds.

Real servers all round: the app (uvicorn thread: the agency API over HTTP, WhatsApp status
webhooks), the fake Graph API (uvicorn thread, checking templates as Meta does), an SMSC we did not
write (smpp34), PostgreSQL and Redis; the job engine is a runtime of its own, as `tawasol jobs` is.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import insert, select

from bot.runtime import Runtime
from bot.settings import Settings
from channels.whatsapp.templates import TemplateCatalog
from core.amman import AMMAN
from core.messages import utcnow
from jobs.context import JobContext, JobSettings
from jobs.worker import run_due
from simulators.background_server import BackgroundServer
from simulators.whatsapp_graph import create_app as create_fake_graph
from store import Store
from store.models import AlertDelivery, ChannelIdentity, Message, Subscription
from tests.availability import unavailable
from tests.databases import fresh_postgres_database, postgres_reachable
from tests.sms.smsc import LocalSmsc, eventually

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.soak]  # 4-10 min: `make soak`

REPOSITORY = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own, emptied before and after
SECRET, TOKEN, PHONE_ID = "alerts-secret", "alerts-token", "100000000000777"
RECORDS = int(os.environ.get("TAWASOL_TEST_ALERT_RECORDS", "10000"))  # fewer to try things quickly
DAYS = 70
DAY0 = date(2027, 1, 10)
TYPES = ("passport", "id_card", "driving_license", "vehicle_registration", "residence_permit")
SCHEDULES = {t: (30, 7, 0) for t in TYPES} | {"driving_license": (14, 0)}  # the agency's own for licences
RENEWED_ON = 20  # the day some documents are renewed


def phone(i: int) -> str:
    return f"96278{i:07d}"


def expiry_day(i: int) -> int:
    # Spread over nearly three years, as documents renewed every few years are: about 1,300 citizens
    # get one or more alerts within the 70 days, about 2,000 alerts in all.
    return 1 + (i * 7919) % 1000


def channel_group(i: int) -> str:
    return {0: "sms", 1: "sms", 2: "window"}.get(i % 10, "template")


def subscribed(i: int) -> bool:
    return i % 20 != 19


def renewed(i: int) -> bool:
    return i % 4 == 3 and 25 <= expiry_day(i) <= 60


def expected_days_before(i: int) -> list[int]:
    """The steps record i's citizen should get, said plainly: each step due (09:00 on its day) on
    one of the 70 mornings the sweep runs (10:00); of the steps that came due before the first run,
    only the latest, and not the last step (it is only sent on its day and the day after); nothing
    the sweep would send on or after the day the document was renewed."""
    if not subscribed(i):
        return []
    steps = SCHEDULES[TYPES[i % 5]]
    due = {d: expiry_day(i) - d for d in steps}
    sent = {d: due[d] for d in steps if 0 <= due[d] < DAYS}
    before = [d for d in steps if due[d] < 0]
    if before and 0 not in sent.values() and min(before) != min(steps):
        sent[min(before)] = 0
    if renewed(i):
        sent = {d: day for d, day in sent.items() if day < RENEWED_ON}
    return sorted(sent, reverse=True)


def morning(day: int) -> datetime:
    d = DAY0 + timedelta(days=day)
    return datetime(d.year, d.month, d.day, 10, 0, tzinfo=AMMAN)


def record(i: int, expires_on: date) -> dict:
    return {"citizen_phone": phone(i), "document_type": TYPES[i % 5], "document_number": f"{TYPES[i % 5][:2].upper()}{i:06d}",
            "expires_on": expires_on.isoformat()}


@pytest.fixture
def shared_redis():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.RedisError:
        unavailable(f"Redis at {REDIS_URL}")
    yield
    client.flushdb()
    client.close()


async def test_ten_thousand_records_over_seventy_days_alert_each_citizen_exactly_as_scheduled(tmp_path, shared_redis):
    if not postgres_reachable():
        unavailable("PostgreSQL")
    smsc = await LocalSmsc().start()
    fake_app = create_fake_graph(
        app_secret=SECRET, phone_number_id=PHONE_ID, access_token=TOKEN, templates=TemplateCatalog.load().approved()
    )
    fake = BackgroundServer(fake_app).start()
    with fresh_postgres_database(f"tawasol_alerts_{os.getpid()}") as database_url:
        values = {
            "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
            "WHATSAPP_API_BASE_URL": fake.url, "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID, "WHATSAPP_ACCESS_TOKEN": TOKEN,
            "WHATSAPP_APP_SECRET": SECRET, "WHATSAPP_VERIFY_TOKEN": "alerts-verify", "WHATSAPP_RATE": "5000",
            "SMPP_HOST": "127.0.0.1", "SMPP_PORT": str(smsc.port), "SMPP_SYSTEM_ID": "tawasol", "SMPP_PASSWORD": "secret",
            "SMPP_TPS": "0", "LOG_LEVEL": "WARNING",
        }
        settings = Settings.from_env(values)
        from bot.app import create_app

        web = BackgroundServer(create_app(settings, workers=0)).start(timeout=120)
        jobs = Runtime(settings)  # the job engine's process: `tawasol jobs` binds the channels the same way
        try:
            await jobs.start(workers=0)
            store = jobs.require_store()
            context = JobContext(JobSettings(database_url, REDIS_URL, timedelta(days=365)), store, jobs.require_pipeline().outbox)
            async with httpx.AsyncClient(base_url=web.url + "/api/v1", timeout=120) as client:
                await client.post(f"{fake.url}/_fake/config", json={"webhook_url": web.url + "/webhooks/whatsapp"})
                store.agencies.add("moi", name_ar="وزارة الداخلية", name_en="Interior", sms_sender_ids=["MOI"])
                key = store.agencies.issue_key("moi").key
                auth = {"Authorization": f"Bearer {key}"}
                answer = await client.put("/alert-schedules/driving_license", json={"days_before": [14, 0]}, headers=auth)
                assert answer.status_code == 200, answer.text

                # Upload: 10,000 rows in one streamed request.
                rows = [record(i, DAY0 + timedelta(days=expiry_day(i))) for i in range(RECORDS)]
                started = time.perf_counter()
                answer = await client.put("/records", content=json.dumps(rows).encode(), headers={**auth, "Content-Type": "application/json"})
                upload_s = time.perf_counter() - started
                assert answer.status_code == 200, answer.text[:500]
                assert answer.json()["accepted"] == RECORDS and answer.json()["refused"] == 0

                arrange(store)
                sent_per_day: list[int] = []
                started = time.perf_counter()
                for day in range(DAYS):
                    if day == RENEWED_ON:
                        renewals = [record(i, DAY0 + timedelta(days=expiry_day(i) + 5 * 365)) for i in range(RECORDS) if renewed(i)]
                        answer = await client.put("/records", json=renewals, headers=auth)
                        assert {r["outcome"] for r in answer.json()["rows"]} == {"renewed"}
                    reports = await run_due(context, morning(day))
                    [alerts] = [r for r in reports if r.sweep == "alerts"]
                    sent_per_day.append(alerts.changed)
                    # The clock jumps a day in an instant here: let WhatsApp's "delivered" webhooks
                    # land first, as a day would, or the next run's delivery timer (rightly) moves
                    # every push still unconfirmed to SMS.
                    await eventually(lambda: not awaiting_delivery(store), timeout=60, interval=0.05)
                sweeps_s = time.perf_counter() - started
                # Every run again, as a second worker or a restart would: nothing more; and the
                # command operators run, in a process of its own, finds nothing left either.
                again = await run_due(context, morning(DAYS - 1))
                assert [r.changed for r in again if r.sweep == "alerts"] == [0]
                env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SMPP_", "SMS_", "REDIS_URL"))}
                env.update(values)
                command = [sys.executable, "-m", "bot.cli", "jobs", "run-due", "--as-of", morning(DAYS - 1).isoformat()]
                done = await asyncio.to_thread(
                    subprocess.run, command, cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=300
                )
                assert done.returncode == 0, done.stderr[-2000:]
                assert "alerts: 0 alert(s) sent, 0 skipped" in done.stdout, done.stdout

                # The violation: in seconds, on the citizen's channel.
                violator = 2  # window open on WhatsApp
                store.subscriptions.subscribe(store.citizens.for_phone(phone(violator)), "traffic_violations", source="keyword")
                started = time.perf_counter()
                answer = await client.post(
                    "/violations", headers=auth,
                    json={"citizen_phone": phone(violator), "plate": "22-11111", "occurred_at": "2027-03-01T08:00:00+03:00",
                          "amount_jod": 15, "place": "Airport Road"},
                )
                assert answer.status_code == 201 and answer.json()["alerted"] is True, answer.text
                found = await client.get(f"{fake.url}/_fake/messages/wait", params={"to": phone(violator), "count": 1 + len(expected_days_before(violator)), "timeout": 10})
                violation_s = time.perf_counter() - started
                assert found.status_code == 200 and "22-11111" in json.dumps(found.json(), ensure_ascii=False)
                assert violation_s < 5

            await eventually(lambda: len(smsc.accepted) >= sms_parts(store), timeout=60)
            check_every_citizen(store, fake_app.state.fake.messages, smsc)
        finally:
            await jobs.stop()
            web.stop()
            fake.stop()
            await smsc.stop()
    print(f"\nupload {RECORDS} rows: {upload_s:.1f} s; {DAYS} daily sweeps: {sweeps_s:.1f} s, "
          f"{sum(sent_per_day)} alerts; violation alert: {violation_s:.2f} s")


def arrange(store: Store) -> None:
    """Citizens as the routing rules see them (WhatsApp with the window open, WhatsApp outside it,
    SMS only) and subscribed or not, written in bulk."""
    now = utcnow()
    with store.db.session() as s:
        citizens = dict(s.execute(select(ChannelIdentity.address, ChannelIdentity.citizen_id)).all())
        whatsapp = [
            {"citizen_id": citizens[phone(i)], "channel": "whatsapp", "address": phone(i), "created_at": now,
             "last_inbound_at": now - (timedelta(hours=1) if channel_group(i) == "window" else timedelta(days=40))}
            for i in range(RECORDS) if channel_group(i) != "sms"
        ]
        s.execute(insert(ChannelIdentity.__table__), whatsapp)
        s.execute(insert(Subscription.__table__), [
            {"citizen_id": citizens[phone(i)], "topic": f"{TYPES[i % 5]}_expiry", "active": True, "source": "chat",
             "created_at": now, "updated_at": now}
            for i in range(RECORDS) if subscribed(i)
        ])


def awaiting_delivery(store: Store) -> bool:
    with store.db.session() as s:
        return s.execute(select(Message.id).where(Message.deliver_by.isnot(None)).limit(1)).first() is not None


def sms_parts(store: Store) -> int:
    with store.db.session() as s:
        return sum(s.execute(select(Message.segments).where(Message.direction == "out", Message.channel == "sms")).scalars())


def check_every_citizen(store: Store, graph_messages: list, smsc: LocalSmsc) -> None:
    with store.db.session() as s:
        messages = s.execute(
            select(Message.address, Message.channel, Message.route_reason, Message.text, Message.status, Message.service_id)
            .where(Message.direction == "out", Message.kind == "alert")
        ).all()
        deliveries = s.execute(select(AlertDelivery.record_id, AlertDelivery.days_before, AlertDelivery.outcome)).all()
    by_phone = defaultdict(list)
    for m in messages:
        by_phone[m.address].append(m)
    graph = Counter(m.to for m in graph_messages)
    sms_to = Counter(s.destination_addr for s in smsc.accepted)
    wrong = []
    for i in range(RECORDS):
        number = phone(i)
        mine = by_phone.get(number, [])
        expected = expected_days_before(i)
        if i == 2:
            mine = [m for m in mine if "22-11111" not in m.text]
        if len(mine) != len(expected):
            wrong.append((i, expiry_day(i), expected, [(m.channel, m.route_reason, m.status, m.text[30:70]) for m in mine]))
            continue
        want = {"sms": ("sms", "no_whatsapp_identity"), "window": ("whatsapp", "whatsapp_window_open"),
                "template": ("whatsapp", "template_outside_window")}[channel_group(i)]
        if any((m.channel, m.route_reason) != want or m.status == "failed" for m in mine):
            wrong.append((i, "channel", want, [(m.channel, m.route_reason, m.status) for m in mine]))
        if any(m.service_id is None for m in mine):
            wrong.append((i, "no service on the alert"))
        if channel_group(i) != "sms" and graph[number] != len(mine) + (1 if i == 2 else 0):
            wrong.append((i, "graph received", graph[number]))
        if channel_group(i) == "sms" and expected and not sms_to[number]:
            wrong.append((i, "smsc received nothing"))
    assert not wrong, f"{len(wrong)} citizens got other alerts than scheduled, e.g. {wrong[:5]}"
    assert all(outcome == "sent" for _, _, outcome in deliveries)
    steps = Counter((record_id, days) for record_id, days, _ in deliveries)
    assert max(steps.values()) == 1  # no step twice
