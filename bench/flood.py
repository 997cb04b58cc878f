"""Other citizens' latency while one number floods: without the flood, with it under the per-citizen
limit, and with it and no limit, side by side in one run (issue 17, "Floods and abuse").

    uv run python -m bench.flood [--seconds 10] [--calm 20] [--flood-rate 50] [--brain-ms 12]
                                 [--redis URL] [--postgres ADMIN_URL]

The real pipeline (accept → store → queue → workers → outbox) on a fresh SQLite file per scenario
(or a fresh PostgreSQL database with --postgres, dropped after), in-process coordination (or Redis
with --redis), and a brain stand-in that spends --brain-ms of CPU
on the event loop per answer, as the Rasa brain does (10-15 ms a message in bench/e2e's profile).
Calm citizens each send a message a second; latency is from `accept` to the reply's send. The
flooding number sends --flood-rate messages a second for the whole run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Optional

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.table import print_table
from channels.base import Rendered, SendOutcome
from coordination import InProcessCoordination, RedisCoordination
from core.brain import Answer
from core.messages import STATUS_THROTTLED, BotReply, InboundMessage, Verdict
from pipeline.flood import FloodPolicy
from pipeline.outbox import Outbox
from pipeline.pipeline import Pipeline, PipelineTuning
from store import Store
from store.migrate import upgrade

FLOODER = "962799999999"
TUNING = PipelineTuning(sweep_interval_s=0.5, pop_timeout_s=0.2)


class CpuBrain:
    """Spends `cost_s` of CPU on the event loop, then echoes the message's tag."""

    def __init__(self, cost_s: float) -> None:
        self.cost_s = cost_s

    async def respond(self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None) -> Answer:
        deadline = time.perf_counter() + self.cost_s
        while time.perf_counter() < deadline:
            pass
        return Answer(replies=[BotReply(text=f"re:{message.text}", language="en")], intent="echo", language="en")


@dataclass
class TimingChannel:
    """A channel that records when each reply goes out (the tag in its text names the question)."""

    name: str = "sms"
    rate: Optional[float] = None
    sent_at: dict[str, float] = field(default_factory=dict)
    notices: int = 0

    async def start(self, sink: Any) -> None:
        pass

    async def stop(self) -> None:
        pass

    def health(self) -> dict[str, Any]:
        return {}

    def free_form_open(self, last_inbound_at: Optional[datetime], now: datetime) -> bool:
        return True

    def render(self, reply: BotReply, address: str, *, free_form: bool = True) -> list[Rendered]:
        return [Rendered(self.name, address, reply.text, body={"text": reply.text})]

    async def send(self, message: Rendered) -> SendOutcome:
        if message.text.startswith("re:"):
            self.sent_at[message.text[3:]] = time.perf_counter()
        else:
            self.notices += 1
        return SendOutcome(Verdict.SENT, provider_id=uuid.uuid4().hex)


@dataclass
class Outcome:
    scenario: str
    calm_latencies_ms: list[float]
    calm_sent: int
    flood_sent: int
    flood_answered: int
    flood_held: int
    notices: int
    refused: int


@contextmanager
def fresh_database(postgres_admin_url: Optional[str]) -> Iterator[str]:
    if not postgres_admin_url:
        yield f"sqlite:///{Path(tempfile.mkdtemp(prefix='tawasol-flood-')) / 'flood.db'}"
        return
    name = f"tawasol_bench_flood_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def scenario(name: str, args: argparse.Namespace, *, flood: bool, policy: Optional[FloodPolicy]) -> Outcome:
    with fresh_database(args.postgres) as url:
        return await _scenario(url, name, args, flood=flood, policy=policy)


async def _scenario(url: str, name: str, args: argparse.Namespace, *, flood: bool, policy: Optional[FloodPolicy]) -> Outcome:
    upgrade(url)
    store = Store(url)
    prefix = f"bench_flood:{uuid.uuid4().hex[:8]}"
    coordination = RedisCoordination(args.redis, prefix=prefix) if args.redis else InProcessCoordination()
    channel = TimingChannel()
    outbox = Outbox(store, coordination, {"sms": channel}, {"sms": None})
    pipeline = Pipeline(store, coordination, CpuBrain(args.brain_ms / 1000), outbox, tuning=TUNING, flood=policy)
    accepted_at: dict[str, float] = {}
    held = refused = 0
    in_flight: list[asyncio.Task[None]] = []
    workers = asyncio.create_task(pipeline.run_workers(args.workers))

    async def send(address: str, tag: str) -> None:
        nonlocal held, refused
        accepted_at[tag] = time.perf_counter()
        try:
            result = await pipeline.accept(InboundMessage(channel="sms", provider_id=tag, address=address, text=tag))
        except Exception:  # a webhook would answer 500 and the provider redeliver: counted, not hidden
            refused += 1
            return
        held += result.held

    async def calm_citizen(n: int) -> None:
        await asyncio.sleep(n / args.calm)  # spread their starts over the first second
        for k in range(args.seconds):
            await send(f"96279{n:07d}", f"calm-{n}-{k}")
            await asyncio.sleep(1.0)

    async def flooder() -> None:
        interval, k = 1.0 / args.flood_rate, 0
        start = time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            in_flight.append(asyncio.create_task(send(FLOODER, f"flood-{k}")))
            k += 1
            await asyncio.sleep(max(0.0, start + k * interval - time.perf_counter()))

    senders = [calm_citizen(n) for n in range(args.calm)] + ([flooder()] if flood else [])
    await asyncio.gather(*senders)
    await asyncio.gather(*in_flight)
    calm_tags = [t for t in accepted_at if t.startswith("calm-")]
    deadline = time.perf_counter() + args.drain_seconds
    while time.perf_counter() < deadline and not all(t in channel.sent_at for t in calm_tags):
        await asyncio.sleep(0.05)
    workers.cancel()
    await asyncio.gather(workers, return_exceptions=True)
    with store.db.session() as s:
        from sqlalchemy import func, select

        from store.models import Message

        held_rows = s.execute(
            select(func.count()).select_from(Message).where(Message.address == FLOODER, Message.status == STATUS_THROTTLED)
        ).scalar_one()
    store.close()
    if args.redis:
        keys = [k async for k in coordination.redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await coordination.redis.delete(*keys)
    await coordination.close()
    latencies = [(channel.sent_at[t] - accepted_at[t]) * 1000 for t in calm_tags if t in channel.sent_at]
    flood_tags = [t for t in accepted_at if t.startswith("flood-")]
    return Outcome(
        name,
        latencies,
        len(calm_tags),
        len(flood_tags),
        sum(t in channel.sent_at for t in flood_tags),
        held_rows,
        channel.notices,
        refused,
    )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run(args: argparse.Namespace) -> list[list[Outcome]]:
    """The three scenarios, `--runs` rounds of them interleaved (this machine's speed drifts)."""
    policy = FloodPolicy()
    rounds = []
    for _ in range(args.runs):
        rounds.append([
            await scenario("no flood (limit on)", args, flood=False, policy=policy),
            await scenario(f"one number at {args.flood_rate:g}/s, limit on", args, flood=True, policy=policy),
            await scenario(f"one number at {args.flood_rate:g}/s, no limit", args, flood=True, policy=None),
        ])
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="How long the calm citizens (and the flood) send.")
    parser.add_argument("--calm", type=int, default=20, help="Calm citizens, one message a second each.")
    parser.add_argument("--flood-rate", type=float, default=50.0, help="The flooding number's messages a second.")
    parser.add_argument("--brain-ms", type=float, default=12.0, help="CPU the brain stand-in spends per answer.")
    parser.add_argument("--workers", type=int, default=2, help="Pipeline workers (one process).")
    parser.add_argument("--runs", type=int, default=3, help="Rounds of the three scenarios, interleaved.")
    parser.add_argument("--drain-seconds", type=float, default=60.0, help="How long to wait for the last calm answers.")
    parser.add_argument("--redis", default=None, help="A Redis URL: share the limit through Redis (default in process).")
    parser.add_argument("--postgres", default=None, help="A PostgreSQL admin URL: a fresh database per scenario (default SQLite).")
    args = parser.parse_args()
    rounds = asyncio.run(run(args))
    policy = FloodPolicy()
    print(
        f"{args.calm} calm citizens x 1 msg/s for {args.seconds} s; brain {args.brain_ms:g} ms CPU; "
        f"{args.workers} workers; limit {policy.burst} at once then {policy.per_minute:g}/min; "
        f"coordination {'Redis' if args.redis else 'in process'}; database {'PostgreSQL' if args.postgres else 'SQLite'}; "
        f"medians of {args.runs} interleaved runs"
    )
    rows = []
    for i, scenario_name in enumerate(o.scenario for o in rounds[0]):
        runs = [r[i] for r in rounds]
        p50s = [statistics.median(o.calm_latencies_ms) if o.calm_latencies_ms else float("nan") for o in runs]
        p95s = [percentile(o.calm_latencies_ms, 0.95) for o in runs]
        last = runs[-1]
        rows.append((
            scenario_name,
            f"{sum(len(o.calm_latencies_ms) for o in runs)}/{sum(o.calm_sent for o in runs)}",
            statistics.median(p50s), statistics.median(p95s), " / ".join(f"{v:.0f}" for v in p50s),
            last.flood_sent, last.flood_answered, last.flood_held, last.notices, sum(o.refused for o in runs),
        ))
    print_table(
        ["scenario", "calm answered", "calm p50 ms", "calm p95 ms", "p50 per run", "flood msgs", "flood answered", "flood held", "notices", "accept errors (all runs)"],
        rows,
    )
    print("flood columns: the last run")


if __name__ == "__main__":
    main()
