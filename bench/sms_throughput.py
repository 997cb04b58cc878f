"""SMS channel benchmark against a local SMSC (smpp34's Rust server, in its own process).

    .venv/bin/python bench/sms_throughput.py [--runs 3] [--messages 3000]

Prints a table of medians:
- MT submit throughput with no TPS cap (segments/s acknowledged by the SMSC), single-part GSM
  messages and two-part Arabic ones, window 10 (the default) and 50;
- time from start() to bound;
- time to be bound again after the SMSC ends the session, after a long-lived session (the client
  reconnects at once) and after a young one (the 1 s backoff, ±20% jitter, applies).
The SMSC process only answers; the numbers measure our client (smpplib + the owner thread).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.messages import InboundMessage, StatusUpdate  # noqa: E402
from channels.base import Rendered  # noqa: E402
from channels.sms import segments  # noqa: E402
from channels.sms.config import SmsConfig  # noqa: E402
from channels.sms.handler import SmsChannel  # noqa: E402


async def serve(port: int) -> None:
    """The SMSC: accept every submit; on "unbind-me" from stdin, end every session."""
    import smpp34

    server = smpp34.Server("127.0.0.1", port, system_id="BENCH")
    await server.start()
    esmes: dict[str, smpp34.Esme] = {}
    print("READY", flush=True)
    loop = asyncio.get_running_loop()

    async def commands() -> None:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            if line.strip() == "unbind-me":
                for esme in list(esmes.values()):
                    await esme.unbind()
                print("UNBOUND", flush=True)

    asyncio.ensure_future(commands())
    count = 0
    while True:
        event = await server.next()
        if isinstance(event, smpp34.Esme):
            esmes[event.session_id] = event
        elif isinstance(event, smpp34.Unbound):
            esmes.pop(event.session_id, None)
        elif isinstance(event, smpp34.SubmitSmEvent):
            count += 1
            event.accept(str(count))


class NullSink:
    async def accept(self, message: InboundMessage) -> None:
        return None

    async def record_status(self, update: StatusUpdate) -> bool:
        return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmscProcess:
    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(self.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "READY"

    def end_sessions(self) -> None:
        self.process.stdin.write("unbind-me\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "UNBOUND"

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def config(port: int, **overrides) -> SmsConfig:
    return SmsConfig(host="127.0.0.1", port=port, system_id="bench", password="bench", tps=None, **overrides)


async def wait_bound(channel: SmsChannel, timeout: float = 30.0) -> float:
    started = time.perf_counter()
    while not channel.client.bound:
        if time.perf_counter() - started > timeout:
            raise TimeoutError("not bound")
        await asyncio.sleep(0.0005)
    return time.perf_counter() - started


async def throughput(smsc: SmscProcess, messages: int, text: str, window: int) -> float:
    channel = SmsChannel(config(smsc.port, window=window))
    await channel.start(NullSink())
    try:
        await wait_bound(channel)
        rendered = [
            Rendered("sms", "962791234567", text, body={"text": f"{text} {i}", "udh_ref": i % 256})
            for i in range(messages)
        ]
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(channel.sender.send(r) for r in rendered))
        elapsed = time.perf_counter() - started
        assert all(o.ok for o in outcomes)
        return sum(segments.count(r.body["text"]) for r in rendered) / elapsed
    finally:
        await channel.stop()


async def bind_time(smsc: SmscProcess) -> float:
    channel = SmsChannel(config(smsc.port))
    started = time.perf_counter()
    await channel.start(NullSink())
    try:
        await wait_bound(channel)
        return time.perf_counter() - started
    finally:
        await channel.stop()


async def recovery_time(smsc: SmscProcess, long_lived: bool) -> float:
    # stable_session_s=0 makes any session count as long-lived, without waiting 10 s per run.
    overrides = {"stable_session_s": 0.0} if long_lived else {}
    channel = SmsChannel(config(smsc.port, **overrides))
    await channel.start(NullSink())
    try:
        await wait_bound(channel)
        binds = channel.client.binds
        started = time.perf_counter()
        await asyncio.get_running_loop().run_in_executor(None, smsc.end_sessions)
        while channel.client.binds == binds or not channel.client.bound:
            await asyncio.sleep(0.0005)
        return time.perf_counter() - started
    finally:
        await channel.stop()


async def bench(runs: int, messages: int) -> list[tuple[str, list[float], str]]:
    smsc = SmscProcess()
    gsm = "Your passport renewal request was received"
    arabic = "تم استلام طلب تجديد جواز السفر الخاص بك وسيكون جاهزاً للاستلام خلال يوم عمل واحد"
    rows = []
    try:
        for label, text, window in (
            ("MT throughput, 1-part GSM, window 10", gsm, 10),
            ("MT throughput, 2-part Arabic, window 10", arabic, 10),
            ("MT throughput, 1-part GSM, window 50", gsm, 50),
        ):
            values = [await throughput(smsc, messages, text, window) for _ in range(runs)]
            rows.append((label, values, "segments/s"))
        rows.append(("time to bind", [await bind_time(smsc) * 1000 for _ in range(max(runs, 5))], "ms"))
        rows.append((
            "recover after SMSC unbind (long-lived session)",
            [await recovery_time(smsc, True) * 1000 for _ in range(max(runs, 5))],
            "ms",
        ))
        rows.append((
            "recover after SMSC unbind (young session: 1 s backoff)",
            [await recovery_time(smsc, False) * 1000 for _ in range(runs)],
            "ms",
        ))
    finally:
        smsc.close()
    return rows


def print_table(rows: list[tuple[str, list[float], str]], runs: int, messages: int) -> None:
    print(f"SMS channel vs local SMSC (smpp34, separate process); {messages} messages per throughput run, "
          f"{os.cpu_count()} cores")
    width = max(len(r[0]) for r in rows)
    print(f"{'metric'.ljust(width)} | {'median':>10} | {'min':>10} | {'max':>10} | unit       | runs")
    print(f"{'-' * width}-+-{'-' * 10}-+-{'-' * 10}-+-{'-' * 10}-+------------+-----")
    for label, values, unit in rows:
        print(
            f"{label.ljust(width)} | {statistics.median(values):10.1f} | {min(values):10.1f} | "
            f"{max(values):10.1f} | {unit:<10} | {len(values)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve))
        return
    logging.basicConfig(level=logging.ERROR)  # the drops we cause on purpose log warnings
    rows = asyncio.run(bench(args.runs, args.messages))
    print_table(rows, args.runs, args.messages)


if __name__ == "__main__":
    main()
