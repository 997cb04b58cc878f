"""`python -m bench.agency_api [--transactions 200 --senders 8 --runs 3 --database-url URL] [--stack]`:
transaction steps accepted per second through the agency API, each notifying its citizen.

`--stack`: the production processes instead (bench/agency_stack.py): `tawasol serve --workers 0`
(the API: it stores each step with its notification entries and enqueues them), `tawasol jobs
worker` (arq: turns each entry into a message and sends it), the fake Graph API and an smpp34 SMSC
(a receipt for every submit), over a fresh PostgreSQL database (`--postgres-admin-url`) and a Redis
database (`--redis-url`, emptied). Reports events accepted per second through the API, notifications
delivered per second to the fake Graph API and to the SMSC (from the first call until the last
reached its provider), and CPU seconds per event of each process (/proc/<pid>/stat).

Without --stack:

Three processes on 127.0.0.1: this load generator (an agency's system: `--senders` concurrent
clients, each transaction registered then moved through four steps, one POST each with its
Idempotency-Key), the app (`bot.app.create_app` under uvicorn, no message workers: the API sends
through the outbox itself) and the fake Graph API. Half the citizens have an open WhatsApp window,
half are SMS only (the development server's simulated SMS channel: rendered for real, not sent
over SMPP). Prints medians over the runs: API calls and notifications per second, latency, and CPU
per API call of the app and of the fake Graph API.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.e2e_procs import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN, cpu_seconds, free_port
from bench.table import print_table

STEPS = ["payment_received", "documents_received", "issued", "completed"]


def serve(port: int, graph_url: str, database_url: str) -> None:
    """The app process: production app, WhatsApp to the fake Graph API, simulated SMS, no workers."""
    from bot.app import create_app
    from bot.serving import serve_http
    from bot.settings import Settings
    from core.messages import SMS
    from simulators.web.sms_simulator import SimulatedSmsChannel

    settings = Settings.from_env({
        "DATABASE_URL": database_url, "WHATSAPP_API_BASE_URL": graph_url, "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN, "WHATSAPP_APP_SECRET": APP_SECRET, "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "LOG_LEVEL": "WARNING",
    })
    app = create_app(settings, workers=0, stand_ins={SMS: SimulatedSmsChannel()})
    serve_http(app, "127.0.0.1", port, lambda: print("ready", flush=True))


def _prepare(database_url: str, transactions: int) -> str:
    """The agency, its key, and the WhatsApp citizens' open windows; the key."""
    from core.messages import WHATSAPP, utcnow
    from store import Store
    from store.citizens import resolve_identity
    from store.migrate import upgrade

    upgrade(database_url)
    store = Store(database_url)
    try:
        store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status", sms_sender_ids=["CSPD"])
        with store.db.session() as s:
            for n in range(0, transactions, 2):
                resolve_identity(s, WHATSAPP, _phone(n), inbound_at=utcnow())
        return store.agencies.issue_key("cspd").key
    finally:
        store.close()


def _phone(n: int) -> str:
    return f"96279{n:07d}"


def _sent_messages(database_url: str) -> int:
    """Messages sent; RuntimeError unless every citizen got exactly one per call (five each)."""
    from sqlalchemy import text

    from store import Store

    store = Store(database_url)
    try:
        with store.db.engine.connect() as connection:
            per_citizen = connection.execute(
                text("SELECT citizen_id, COUNT(*) FROM messages WHERE direction = 'out' "
                     "AND status IN ('sent', 'delivered', 'read') GROUP BY citizen_id")
            ).all()
    finally:
        store.close()
    wrong = [(citizen, count) for citizen, count in per_citizen if count != 1 + len(STEPS)]
    if wrong:
        raise RuntimeError(f"citizens without exactly {1 + len(STEPS)} messages: {wrong[:5]}")
    return sum(count for _, count in per_citizen)


def _wait_ready(process: subprocess.Popen, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


async def _load(api: str, key: str, transactions: int, senders: int) -> list[float]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {key}"}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(transactions):
        queue.put_nowait(n)

    async def post(client: httpx.AsyncClient, path: str, body: dict, idempotency: str) -> None:
        started = time.perf_counter()
        answer = await client.post(api + path, json=body, headers={**headers, "Idempotency-Key": idempotency})
        latencies.append(time.perf_counter() - started)
        if answer.status_code != 201:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")

    async def sender() -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            while not queue.empty():
                n = queue.get_nowait()
                number = f"B-{n:06d}"
                await post(client, "/transactions", {
                    "number": number, "service_id": "cspd.passport_renew", "citizen_phone": _phone(n),
                    "registered_at": "2026-11-02T09:30:00+03:00",
                }, f"reg-{number}")
                for step in STEPS:
                    await post(client, f"/transactions/{number}/events", {"type": step}, f"{number}-{step}")

    await asyncio.gather(*(sender() for _ in range(senders)))
    return latencies


def one_run(transactions: int, senders: int, database_url: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        key = _prepare(url, transactions)
        graph_port, app_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SMPP_", "SMS_", "DATABASE_URL"))}
        graph = subprocess.Popen(
            [sys.executable, "-m", "simulators.whatsapp_graph", "--port", str(graph_port), "--auto-statuses", "",
             "--app-secret", APP_SECRET, "--access-token", ACCESS_TOKEN, "--phone-number-id", PHONE_NUMBER_ID],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        app = subprocess.Popen(
            [sys.executable, "-m", "bench.agency_api", "--serve", str(app_port), f"http://127.0.0.1:{graph_port}", url],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            _wait_ready(graph, f"http://127.0.0.1:{graph_port}/_fake/messages")
            _wait_ready(app, f"http://127.0.0.1:{app_port}/health")
            cpu_app, cpu_graph = cpu_seconds(app.pid), cpu_seconds(graph.pid)
            started = time.perf_counter()
            latencies = asyncio.run(_load(f"http://127.0.0.1:{app_port}/api/v1", key, transactions, senders))
            elapsed = time.perf_counter() - started
            calls = len(latencies)
            whatsapp = len(httpx.get(f"http://127.0.0.1:{graph_port}/_fake/messages").json()["messages"])
            sent = _sent_messages(url)
            if sent != calls:
                raise RuntimeError(f"{calls} API calls sent {sent} messages: one each was expected")
            latencies.sort()
            return {
                "calls_per_s": calls / elapsed,
                "notifications_per_s": sent / elapsed,
                "whatsapp_share": whatsapp / calls,
                "p50_ms": latencies[len(latencies) // 2] * 1000,
                "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
                "app_cpu_ms": (cpu_seconds(app.pid) - cpu_app) / calls * 1000,
                "graph_cpu_ms": (cpu_seconds(graph.pid) - cpu_graph) / calls * 1000,
            }
        finally:
            for process in (app, graph):
                process.terminate()
                process.wait(10)


def stack_run(transactions: int, senders: int, admin_url: str, redis_url: str) -> dict[str, float]:
    """One run over the production processes; see the module's docstring."""
    import redis
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bench.agency_stack import Stack

    name = f"tawasol_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    queue = redis.Redis.from_url(redis_url)
    queue.flushdb()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            key = _prepare(url, transactions)
            stack = Stack(Path(tmp), url, redis_url)
            try:
                stack.start()
                time.sleep(2)  # the worker binds the SMSC
                cpu_before = stack.cpu()
                started = time.perf_counter()
                latencies = asyncio.run(_load(f"{stack.web_url}/api/v1", key, transactions, senders))
                accepted = time.perf_counter() - started
                events = len(latencies)
                deadline = time.monotonic() + 600
                while True:
                    whatsapp = len(stack.whatsapp_messages())
                    if whatsapp + _sms_messages(stack) >= events or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                delivered = time.perf_counter() - started
                cpu_after = stack.cpu()
                sent = _sent_messages(url)
                if sent != events:
                    raise RuntimeError(f"{events} API calls sent {sent} messages: one each was expected")
                latencies.sort()
                result = {
                    "events_per_s": events / accepted,
                    "delivered_per_s": (whatsapp + _sms_messages(stack)) / delivered,
                    "whatsapp_per_s": whatsapp / delivered,
                    "sms_per_s": _sms_messages(stack) / delivered,
                    "p50_ms": latencies[len(latencies) // 2] * 1000,
                    "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
                }
                for process in ("web", "worker", "graph", "smsc"):
                    result[f"{process}_cpu_ms"] = (cpu_after[process] - cpu_before[process]) / events * 1000
                return result
            finally:
                stack.stop()
    finally:
        queue.flushdb()
        queue.close()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _sms_messages(stack) -> int:
    """Messages (not parts) the SMSC took: a multi-part message counts once, by its first part."""
    count = 0
    for submit in stack.sms_submits():
        body = bytes.fromhex(submit["short_message"])
        count += 1 if not submit["esm_class"] & 0x40 or body[5] == 1 else 0
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=200)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file per run")
    parser.add_argument("--stack", action="store_true", help="the production processes over PostgreSQL, Redis, arq and SMPP")
    parser.add_argument("--postgres-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15", help="a Redis database the bench may empty")
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "GRAPH_URL", "DATABASE_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.serve[2])
        return
    if args.stack:
        results = [stack_run(args.transactions, args.senders, args.postgres_admin_url, args.redis_url) for _ in range(args.runs)]
        median = {name: statistics.median(r[name] for r in results) for name in results[0]}
        print(f"{args.transactions} transactions x 5 events, {args.senders} senders, PostgreSQL, arq worker, {args.runs} runs (medians)")
        print_table(
            ["events/s (API)", "delivered/s", "to Graph/s", "to SMSC/s", "p50 ms", "p95 ms",
             "web CPU ms/event", "worker CPU ms/event", "fake Graph CPU ms/event", "SMSC CPU ms/event"],
            [[median["events_per_s"], median["delivered_per_s"], median["whatsapp_per_s"], median["sms_per_s"],
              median["p50_ms"], median["p95_ms"], median["web_cpu_ms"], median["worker_cpu_ms"],
              median["graph_cpu_ms"], median["smsc_cpu_ms"]]],
        )
        return
    results = [one_run(args.transactions, args.senders, args.database_url) for _ in range(args.runs)]
    median = {name: statistics.median(r[name] for r in results) for name in results[0]}
    print(f"{args.transactions} transactions x 5 calls, {args.senders} senders, {args.runs} runs (medians)")
    print_table(
        ["API calls/s", "notifications/s", "on WhatsApp", "p50 ms", "p95 ms", "app CPU ms/call", "fake Graph CPU ms/call"],
        [[median["calls_per_s"], median["notifications_per_s"], f"{median['whatsapp_share']:.0%}", median["p50_ms"],
          median["p95_ms"], median["app_cpu_ms"], median["graph_cpu_ms"]]],
    )


if __name__ == "__main__":
    main()
