"""Broadcasts: queueing 100,000 recipients, sending rates, and citizens' answers during a broadcast.

    python -m bench.broadcasts [--recipients 100000] [--send 3000] [--answers 200]

On a fresh PostgreSQL database (the shared server, a database of its own):
1. queue: `BroadcastRepository.add_numbers` (COPY into a temporary table + INSERT ... ON CONFLICT)
   and `apply_opt_outs` for `--recipients` numbers (1% of them opted out), seconds;
2. send: `send_broadcast` (the job's own function, in this process) through the production outbox
   to the fake Graph API (simulators/, its own uvicorn thread) and a real SMPP peer (smpp34's
   server, another process), messages a second per channel;
3. answers: citizens write while a broadcast sends and while none does (same run, same servers);
   their answer's latency from `pipeline.accept` to the fake Graph API holding it, p50 and p95.
   The brain is a stand-in answering at once (like the fast-path answers: greetings, menu numbers),
   so the latency is the queue, the store, the rate limiter and the provider, which is what a
   broadcast competes for; the model's own time (bench/nlu_latency.py) adds to both columns alike.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from typing import Optional

import httpx
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url

from bench.e2e_procs import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN, free_port
from bench.table import print_table
from channels.sms.config import SmsConfig
from channels.sms.handler import SmsChannel
from channels.whatsapp.channel import WhatsAppChannel
from channels.whatsapp.config import WhatsAppConfig
from channels.whatsapp.templates import TemplateCatalog
from coordination import InProcessCoordination
from core.brain import Answer
from core.messages import SMS, WHATSAPP, BotReply, InboundMessage, utcnow
from jobs.broadcasts import send_broadcast
from jobs.context import JobContext, JobSettings
from pipeline.outbox import Outbox
from pipeline.pipeline import Pipeline
from simulators.background_server import BackgroundServer
from simulators.whatsapp_graph import create_app as create_fake_graph
from store import Store
from store.audit import CLI_ACTOR
from store.broadcasts import SCHEDULED
from store.migrate import upgrade
from store.models import ChannelIdentity

ADMIN_URL = os.environ.get("TAWASOL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
WHATSAPP_RATE = 200.0  # messages a second the account allows (fake: no limit of its own)
SMS_TPS = 100.0


class InstantBrain:
    async def respond(self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None) -> Answer:
        return Answer(replies=[BotReply(text="أهلًا بك في تواصل", language="ar")], intent="greet", confidence=0.99)


def _fresh_database(name: str) -> str:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def _drop_database(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _broadcast(store: Store, title: str) -> int:
    return store.broadcasts.create(
        agency_id="cspd", title=title, text_ar="تذكير من الدائرة", text_en="A reminder", template="broadcast_announcement",
        category="awareness", source="csv", spec=None, send_at=None, segments_ar=1, segments_en=1, actor=CLI_ACTOR,
    )


def queue_rows(store: Store, recipients: int) -> list[list[object]]:
    numbers = [(f"9627{7_000_000 + i:08d}", None) for i in range(recipients)]
    for phone, _ in numbers[: recipients // 100]:
        store.citizens.opt_out(store.citizens.resolve(SMS, phone))
    broadcast_id = _broadcast(store, "queue")
    started = time.perf_counter()
    added = store.broadcasts.add_numbers(broadcast_id, numbers)
    copied = time.perf_counter() - started
    skipped = store.broadcasts.apply_opt_outs(broadcast_id, "cspd")
    total = time.perf_counter() - started
    return [
        ["queue: numbers inserted (COPY)", added, f"{copied:.2f} s"],
        ["queue: opt-outs marked", skipped, f"{total - copied:.2f} s"],
        ["queue: total, under a minute?", added - skipped, f"{total:.2f} s ({'yes' if total < 60 else 'NO'})"],
    ]


def _serve_smsc(port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "bench.sms_throughput", "--serve", str(port)],
                               stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "READY"
    return process


async def world_rows(store: Store, send: int, answers: int) -> list[list[object]]:
    graph = create_fake_graph(APP_SECRET, None, PHONE_NUMBER_ID, access_token=ACCESS_TOKEN,
                              templates=TemplateCatalog.load().approved(), auto_statuses=[])
    smsc_port = free_port()
    smsc = _serve_smsc(smsc_port)
    rows: list[list[object]] = []
    try:
        with BackgroundServer(graph) as fake_server:
            whatsapp = WhatsAppChannel(
                WhatsAppConfig(phone_number_id=PHONE_NUMBER_ID, access_token=ACCESS_TOKEN, app_secret=APP_SECRET,
                               verify_token=VERIFY_TOKEN, api_base_url=fake_server.url, rate=WHATSAPP_RATE),
                templates=TemplateCatalog.load(),
            )
            sms = SmsChannel(SmsConfig(host="127.0.0.1", port=smsc_port, system_id="tawasol", password="x", tps=SMS_TPS))
            coordination = InProcessCoordination()
            outbox = Outbox(store, coordination, {WHATSAPP: whatsapp, SMS: sms}, {WHATSAPP: WHATSAPP_RATE, SMS: SMS_TPS})
            pipeline = Pipeline(store, coordination, InstantBrain(), outbox, flood=None)
            await whatsapp.start(pipeline)
            await sms.start(pipeline)
            for _ in range(100):
                if sms.client.bound:
                    break
                await asyncio.sleep(0.05)
            workers = asyncio.create_task(pipeline.run_workers(4))
            async with httpx.AsyncClient(base_url=fake_server.url, timeout=30) as fake:
                ctx = JobContext(JobSettings("unused", None, timedelta(days=1)), store, outbox, coordination)
                quiet = await _answers(pipeline, fake, answers, "96276")  # no broadcast
                wa = [f"96279{i:07d}" for i in range(send)]
                sms_only = [f"96278{i:07d}" for i in range(send // 3)]
                for phone in wa:
                    store.citizens.resolve(WHATSAPP, phone)
                with store.db.session() as s:
                    s.execute(update(ChannelIdentity).where(ChannelIdentity.address.in_(wa))
                              .values(last_inbound_at=utcnow() - timedelta(hours=1)))
                broadcast_id = _broadcast(store, "send")
                store.broadcasts.add_numbers(broadcast_id, [(p, None) for p in wa + sms_only])
                store.broadcasts.apply_opt_outs(broadcast_id, "cspd")
                store.broadcasts.move(broadcast_id, ("draft",), SCHEDULED, actor=CLI_ACTOR)
                started = time.perf_counter()
                sending = asyncio.create_task(send_broadcast(ctx, broadcast_id))
                await asyncio.sleep(1.0)
                busy = await _answers(pipeline, fake, answers, "96277")  # while the broadcast sends
                still_sending = not sending.done()
                await sending
                elapsed = time.perf_counter() - started
                await pipeline.drain()
                sent = (await fake.get("/_fake/messages")).json()["messages"]
                broadcast_wa = sum(1 for m in sent if m["to"] in set(wa))
                progress = store.broadcasts.progress(broadcast_id)
                rows += [
                    ["send: WhatsApp (fake Graph API)", broadcast_wa, f"{broadcast_wa / elapsed:.0f}/s"],
                    ["send: SMS-only (SMPP peer)", len(sms_only), f"{len(sms_only) / elapsed:.0f}/s"],
                    ["send: all recipients", progress.sent + progress.fell_back_sms,
                     f"{(progress.sent + progress.fell_back_sms) / elapsed:.0f}/s in {elapsed:.1f} s"],
                    ["answers p50 / p95, no broadcast", len(quiet), f"{_pct(quiet, 50):.0f} / {_pct(quiet, 95):.0f} ms"],
                    ["answers p50 / p95, during the broadcast", len(busy),
                     f"{_pct(busy, 50):.0f} / {_pct(busy, 95):.0f} ms"
                     + ("" if still_sending else " (broadcast ended first: raise --send)")],
                    ["p95 ratio during / without", "", f"{_pct(busy, 95) / max(_pct(quiet, 95), 0.001):.2f}x"],
                ]
            workers.cancel()
            await asyncio.gather(workers, return_exceptions=True)
            await pipeline.drain()
            await whatsapp.stop()
            await sms.stop()
    finally:
        smsc.kill()
        smsc.wait()
    return rows


async def _answers(pipeline: Pipeline, fake: httpx.AsyncClient, count: int, prefix: str) -> list[float]:
    """`count` citizens write, 20 a second; each one's ms from accept to the answer at the fake."""

    async def one(i: int) -> float:
        phone = f"{prefix}{i:07d}"
        started = time.perf_counter()
        await pipeline.accept(InboundMessage(channel=WHATSAPP, provider_id=f"wamid.bench.{prefix}.{i}", address=phone,
                                             text="مرحبا"))
        response = await fake.get("/_fake/messages/wait", params={"to": phone, "count": 1, "timeout": 30})
        response.raise_for_status()
        return (time.perf_counter() - started) * 1000

    tasks = []
    for i in range(count):
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(0.05)
    return list(await asyncio.gather(*tasks))


def _pct(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=3000, help="WhatsApp recipients of the send run (+1/3 SMS-only)")
    parser.add_argument("--answers", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    name = f"tawasol_bench_broadcasts_{os.getpid()}"
    url = _fresh_database(name)
    store = Store(url)
    try:
        store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status", sms_sender_ids=["CSPD"])
        rows = queue_rows(store, args.recipients)
        store.credit.top_up("cspd", 10_000_000)
        rows += asyncio.run(world_rows(store, args.send, args.answers))
    finally:
        store.close()
        _drop_database(name)
    print(f"PostgreSQL, {os.cpu_count()} cores shared; WhatsApp rate {WHATSAPP_RATE:.0f}/s, SMSC TPS {SMS_TPS:.0f}; "
          f"the broadcast's lane takes at most half a channel's rate and waits while answers are queued")
    print_table(["measure", "count", "value"], rows)


if __name__ == "__main__":
    main()
