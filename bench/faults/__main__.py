"""`python -m bench.faults [--only NAME[,NAME]] [--quick]`: break each dependency under load and
count, where citizens would see it, what was lost and what came twice.

For each fault a steady stream of messages (each from a new citizen) runs before, during and after
it, with a burst of `--burst` messages half a second before it, so the fault meets messages in every
stage (being accepted, queued, answered, sent). Printed per fault: messages sent; in flight (sent before the dependency came back and not yet
answered when the fault began); lost (not fully answered `--settle` seconds after the fault);
doubled (a citizen got the same answer twice); down (seconds from the fault to the dependency's
return: for a kill, the restart); recover (seconds from the return until the last in-flight message
was answered); health (what the web tier's /health said meanwhile, in order).
The expected answers per message text are measured first, on the same rig, without a fault.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import httpx

from bench.faults.rig import Rig
from bench.faults.scenarios import FAULTS, Fault, Timing
from bench.faults.traffic import SMS_TEXTS, WHATSAPP_TEXTS, Received, Sent, Traffic
from bench.table import print_table

REPOSITORY = Path(__file__).resolve().parent.parent.parent
JSON_KEYS = ("fault", "messages", "in_flight", "lost", "doubled", "down_s", "recover_s", "health")
HEADERS = ("fault", "messages", "in flight", "lost", "doubled", "down s", "recover s", "health during → after")


@dataclass
class Row:
    fault: Fault
    sent: int
    in_flight: int
    lost: int
    doubled: int
    down_s: float
    recover_s: Optional[float]
    health: str

    def values(self) -> list[object]:
        return [self.fault.name, self.sent, self.in_flight, self.lost, self.doubled, self.down_s, self.recover_s, self.health]

    def cells(self) -> list[object]:
        recover = "—" if self.recover_s is None else f"{self.recover_s:.1f}"
        return [self.fault.name, self.sent, self.in_flight, self.lost, self.doubled, f"{self.down_s:.1f}", recover, self.health]


@dataclass
class HealthWatch:
    """Polls /health every half second; keeps (time, state), state being its `status` or "down"."""

    url: str
    seen: list[tuple[float, str]] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=2) as client:
            while not stop.is_set():
                try:
                    response = await client.get(self.url)
                    state = response.json().get("status", str(response.status_code))
                except (httpx.HTTPError, ValueError):
                    state = "down"
                self.seen.append((time.time(), state))
                await asyncio.sleep(0.5)

    def story(self, start: float) -> str:
        states: list[str] = []
        for at, state in self.seen:
            if at >= start and (not states or states[-1] != state):
                states.append(state)
        return " → ".join(states) or "?"


def _model(given: Optional[str]) -> str:
    if given:
        return given
    archives = sorted((REPOSITORY / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not archives:
        sys.exit("no model in models/: run `uv run tawasol train` first")
    return str(archives[-1])


async def _settle(traffic: Traffic, sent: list[Sent], expected: dict[tuple[str, str], int], until: float) -> dict[str, Received]:
    phones = {s.phone for s in sent}
    while True:
        received = await traffic.received(phones)
        if all(len(received[s.phone].counts) >= expected[s.channel, s.text] for s in sent) or time.time() > until:
            break
        await asyncio.sleep(1.0)
    await asyncio.sleep(3.0)  # a late second copy still counts
    return await traffic.received(phones)


async def _calibrate(traffic: Traffic, settle_s: float) -> dict[tuple[str, str], int]:
    """How many distinct answers each text gets when nothing is broken."""
    until = time.time() + 60
    sent = [await traffic.send(channel, text, lambda: until) for channel, texts in (("whatsapp", WHATSAPP_TEXTS), ("sms", SMS_TEXTS)) for text in texts]
    deadline = time.time() + settle_s
    while True:
        await asyncio.sleep(3.0)
        received = await traffic.received({s.phone for s in sent})
        counts = {(s.channel, s.text): len(received[s.phone].counts) for s in sent}
        if all(counts.values()) or time.time() > deadline:
            await asyncio.sleep(3.0)
            received = await traffic.received({s.phone for s in sent})
            return {(s.channel, s.text): max(1, len(received[s.phone].counts)) for s in sent}


async def _run_fault(rig: Rig, traffic: Traffic, fault: Fault, timing: Timing, expected, args) -> Row:
    texts = WHATSAPP_TEXTS if fault.channel == "whatsapp" else SMS_TEXTS
    watch = HealthWatch(f"{rig.web_url}/health")
    stop_watch, stop_sending = asyncio.Event(), asyncio.Event()
    watcher = asyncio.create_task(watch.run(stop_watch))
    tasks: list[asyncio.Task] = []
    began = time.time()
    # Meta redelivers for days; here until `settle` past the dependency's return (a slow restart
    # must not run the redeliveries out before the service is back).
    redeliver_until = [began + args.settle]

    async def sender() -> None:
        index = 0
        while not stop_sending.is_set():
            tasks.append(asyncio.create_task(traffic.send(fault.channel, texts[index % len(texts)], lambda: redeliver_until[0])))
            index += 1
            await asyncio.sleep(1.0 / args.rate)

    sending = asyncio.create_task(sender())
    await asyncio.sleep(args.before)
    # A burst just before the fault, so it meets messages in every stage (accepted, queued, answered, sent).
    for index in range(args.burst):
        tasks.append(asyncio.create_task(traffic.send(fault.channel, texts[index % len(texts)], lambda: redeliver_until[0])))
    await asyncio.sleep(args.burst_lead)
    fault_at = time.time()
    back_at = await asyncio.to_thread(fault.inject, rig, timing)
    redeliver_until[0] = back_at + args.settle
    await asyncio.sleep(args.after)
    stop_sending.set()
    await sending
    sent = list(await asyncio.gather(*tasks))
    received = await _settle(traffic, sent, expected, back_at + args.settle)
    # Health after the fault: until everything is answered, and a little past it.
    await asyncio.sleep(2.0)
    stop_watch.set()
    await watcher

    in_flight = lost = doubled = 0
    last_answer = back_at
    for message in sent:
        got = received[message.phone]
        complete = len(got.counts) >= expected[message.channel, message.text]
        done_at = max(got.first_at.values()) if complete else None
        if message.at < back_at and (done_at is None or done_at > fault_at):
            in_flight += 1
            if done_at is not None:
                last_answer = max(last_answer, done_at)
        lost += not complete
        doubled += any(n > 1 for n in got.counts.values())
    return Row(
        fault, len(sent), in_flight, lost, doubled, back_at - fault_at,
        None if lost else max(0.0, last_answer - back_at), watch.story(fault_at),
    )


async def _ready(rig: Rig) -> None:
    """Between faults: everything up and the SMSC bound again."""
    httpx.delete(f"{rig.fake_url}/_fake/outage", timeout=10)
    deadline = time.time() + 60
    while rig.smsc.get("/state")["bound"] < 1 and time.time() < deadline:
        await asyncio.sleep(0.5)


async def _main(args: argparse.Namespace) -> None:
    wanted = set(args.only.split(",")) if args.only else None
    faults = [f for f in FAULTS if wanted is None or f.name in wanted]
    if wanted and len(faults) != len(wanted):
        sys.exit(f"unknown fault(s): {sorted(wanted - {f.name for f in FAULTS})}; known: {', '.join(f.name for f in FAULTS)}")
    timing = Timing(args.duration, args.bind_refusal, args.restart)
    rig = await asyncio.to_thread(Rig, _model(args.model))
    print(f"rig up: logs in {rig.logs}", flush=True)
    traffic = Traffic(rig.fake_url, rig.smsc.control)
    rows: list[Row] = []
    try:
        await _ready(rig)
        expected = await _calibrate(traffic, 120)
        print("answers per message without a fault: " + ", ".join(f"{c}:{t[:20]}…={n}" for (c, t), n in expected.items()), flush=True)
        for fault in faults:
            await _ready(rig)
            print(f"\n{fault.name}: {fault.description} …", flush=True)
            row = await _run_fault(rig, traffic, fault, timing, expected, args)
            rows.append(row)
            print_table(HEADERS, [row.cells()])
    finally:
        await traffic.aclose()
        await asyncio.to_thread(rig.close)
    print(
        f"\nAll faults (duration {args.duration:.0f} s, SMSC bind refusal {args.bind_refusal:.0f} s, "
        f"PostgreSQL/Redis down {args.restart:.0f} s, {args.rate:g} msg/s):\n"
    )
    print_table(HEADERS, [row.cells() for row in rows])
    if args.json:
        Path(args.json).write_text(json.dumps([dict(zip(JSON_KEYS, row.values())) for row in rows], indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated fault names: " + ", ".join(f.name for f in FAULTS))
    parser.add_argument("--quick", action="store_true", help="10 s faults, 2 s restarts")
    parser.add_argument("--duration", type=float, help="seconds of Graph API / SMSC throttling and full window (60)")
    parser.add_argument("--bind-refusal", type=float, help="seconds the SMSC refuses binds (30)")
    parser.add_argument("--restart", type=float, help="seconds PostgreSQL / Redis stay down (5)")
    parser.add_argument("--rate", type=float, default=4.0, help="messages per second during each fault")
    parser.add_argument("--before", type=float, default=3.0, help="seconds of traffic before the fault")
    parser.add_argument("--after", type=float, default=3.0, help="seconds of traffic after the dependency returns")
    parser.add_argument("--burst", type=int, default=20, help="messages sent at once just before each fault")
    parser.add_argument("--burst-lead", type=float, default=0.5, help="seconds between the burst and the fault")
    parser.add_argument("--model", help="the model archive (default: the newest in models/)")
    parser.add_argument("--json", help="also write the rows to this file, as JSON")
    parser.add_argument("--settle", type=float, help="seconds after the return to wait for answers (180; quick 120)")
    args = parser.parse_args()
    args.duration = args.duration or (10.0 if args.quick else 60.0)
    args.bind_refusal = args.bind_refusal or (10.0 if args.quick else 30.0)
    args.restart = args.restart or (2.0 if args.quick else 5.0)
    args.settle = args.settle or (120.0 if args.quick else 180.0)
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
