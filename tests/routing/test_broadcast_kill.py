"""`kill -9` of a real job worker (`tawasol jobs worker`, a subprocess bound to the fake Graph API
and a real SMPP peer) in the middle of a broadcast on PostgreSQL: a second worker, started by the
stalled-broadcast sweep, finishes it; nobody is missed and nobody gets two copies."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import update

from core.messages import SMS, WHATSAPP, utcnow
from jobs.broadcasts import restart_stalled_broadcasts
from jobs.context import JobContext, JobSettings
from jobs.deferred import enqueue
from store import Store
from store.audit import CLI_ACTOR
from store.broadcasts import SCHEDULED
from store.models import ChannelIdentity
from tests.databases import empty_all_tables
from tests.sms.smsc import LocalSmsc, eventually
from tests.whatsapp.support import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN

REDIS_URL = os.environ.get("TAWASOL_TEST_BROADCAST_REDIS_URL", "redis://127.0.0.1:6379/14")
REPOSITORY = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.soak]  # a real worker killed mid-way, minutes: `make soak`


def _clear(client: redis.Redis) -> None:
    """Only what the worker and arq write (database 14 is this test's: arq's queue name is fixed)."""
    for pattern in ("tawasol*", "arq:*"):
        keys = list(client.scan_iter(pattern))
        if keys:
            client.delete(*keys)


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "jobs", "worker"], cwd=REPOSITORY, env=env,
        stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )


async def test_kill_9_mid_broadcast_loses_and_doubles_nobody(postgres_url, fake_graph_server, tmp_path):
    client = redis.Redis.from_url(REDIS_URL)
    _clear(client)
    store = Store(postgres_url)
    empty_all_tables(store.db)
    smsc = await LocalSmsc().start()
    workers: list[subprocess.Popen] = []
    try:
        async with __import__("httpx").AsyncClient(base_url=fake_graph_server.url, timeout=15) as fake:
            (await fake.post("/_fake/reset")).raise_for_status()
            (await fake.post("/_fake/config", json={"auto_statuses": [], "status_delay": 0})).raise_for_status()
            store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status", sms_sender_ids=["CSPD"])
            store.credit.top_up("cspd", 10_000)
            wa = [f"96279{1000 + i:07d}" for i in range(300)]
            sms = [f"96278{1000 + i:07d}" for i in range(150)]
            for phone in wa:
                store.citizens.resolve(WHATSAPP, phone)
            with store.db.session() as s:
                s.execute(update(ChannelIdentity).where(ChannelIdentity.address.in_(wa))
                          .values(last_inbound_at=utcnow() - timedelta(hours=1)))
            broadcast_id = store.broadcasts.create(
                agency_id="cspd", title="kill", text_ar="تذكير", text_en="Reminder", template="broadcast_announcement",
                category="awareness", source="csv", spec=None, send_at=None, segments_ar=1, segments_en=1,
                actor=CLI_ACTOR)
            store.broadcasts.add_numbers(broadcast_id, [(p, None) for p in wa + sms])
            store.broadcasts.apply_opt_outs(broadcast_id, "cspd")
            assert store.broadcasts.move(broadcast_id, ("draft",), SCHEDULED, actor=CLI_ACTOR)

            env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SMPP_", "SMS_"))}
            env.update(DATABASE_URL=postgres_url, REDIS_URL=REDIS_URL, WHATSAPP_API_BASE_URL=fake_graph_server.url,
                       WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID, WHATSAPP_ACCESS_TOKEN=ACCESS_TOKEN,
                       WHATSAPP_APP_SECRET=APP_SECRET, WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN, WHATSAPP_RATE="60",
                       SMPP_HOST="127.0.0.1", SMPP_PORT=str(smsc.port), SMPP_SYSTEM_ID="tawasol",
                       SMPP_PASSWORD="secret", SMS_SHORT_CODE="94444", LOG_LEVEL="INFO")
            log = tmp_path / "worker.log"
            await enqueue(REDIS_URL, "send_broadcast", broadcast_id)
            first = _worker(env, log)
            workers.append(first)
            deadline = time.monotonic() + 120
            while store.broadcasts.progress(broadcast_id).sent < 120:
                assert first.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                await asyncio.sleep(0.05)
            os.kill(first.pid, signal.SIGKILL)  # mid-way: recipients claimed, messages in flight
            first.wait(10)
            halfway = store.broadcasts.progress(broadcast_id)
            assert 0 < halfway.sent < 450

            # The sweep (every minute in a live worker; called here as `run-due` would) sees the
            # broadcast stalled and queues it again; a fresh worker settles and finishes it.
            ctx = JobContext(JobSettings(postgres_url, REDIS_URL, timedelta(days=365)), store)
            report = await restart_stalled_broadcasts(ctx, utcnow() + timedelta(minutes=2))
            assert report.changed == 1
            second = _worker(env, log)
            workers.append(second)
            deadline = time.monotonic() + 180
            while store.broadcasts.get(broadcast_id).status != "done":
                assert second.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, (store.broadcasts.progress(broadcast_id), log.read_text()[-3000:])
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)  # anything a worker had stored but not sent is flushed at its start
            await eventually(lambda: len({s.destination_addr for s in smsc.accepted}) >= 150, timeout=30)
            graph = Counter(m["to"] for m in (await fake.get("/_fake/messages")).json()["messages"])
            texts = Counter(s.destination_addr for s in smsc.accepted)
            assert set(graph) == set(wa), f"missed on WhatsApp: {len(set(wa) - set(graph))}"
            assert set(texts) == set(sms), f"missed on SMS: {len(set(sms) - set(texts))}"
            doubled = [p for p, n in (graph + texts).items() if n > 1]
            assert doubled == [], f"{len(doubled)} recipients got two copies"
            final = store.broadcasts.progress(broadcast_id)
            assert final.sent == 450 and final.queued == 0 and final.sending == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.kill(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(20)
                except subprocess.TimeoutExpired:
                    os.kill(worker.pid, signal.SIGKILL)
        await smsc.stop()
        store.close()
        _clear(client)
        client.close()
