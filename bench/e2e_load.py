"""The load generator of the end-to-end benchmark: its own process, talking only HTTP on 127.0.0.1.

`C` senders work closed-loop, like citizens waiting for an answer: each takes the next message,
sends it, waits for its reply, then takes the next. Two targets:

- "tawasol": a signed WhatsApp webhook POST to our service; the reply is the first message the
  fake Graph API accepts for that citizen (long-poll `/_fake/messages/wait?to=`), timed with the
  fake's own arrival clock (`at`, time.time() on the same machine).
- "rasa": stock Rasa's REST channel; the reply is the HTTP response.

`run_in_process` runs `generate` in a spawned process. After the warm-up messages it reports
"warm" on the pipe and waits for "go", so the benchmark can attach a profiler to the service
before the timed messages start.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Awaitable, Callable, Optional, TypeVar

import aiohttp

from bench.e2e_traffic import Message, sign

T = TypeVar("T")


@dataclass
class LoadSpec:
    target: str  # "tawasol" or "rasa"
    url: str  # our webhook URL, or Rasa's REST webhook URL
    messages: list[Message]
    warmup: list[Message]
    concurrency: int = 16
    reply_timeout_s: float = 30.0
    deadline_s: float = 300.0  # the timed phase stops sending after this long
    fake_url: str = ""  # the fake Graph API (target "tawasol")
    app_secret: str = ""
    phone_number_id: str = ""


@dataclass
class Outcome:
    """One timed message. Times are time.time() seconds (comparable with the fake's `at`)."""

    index: int
    phone: str
    sent_at: float
    posted_at: float = 0.0  # the webhook/REST call returned
    http_status: Optional[int] = None
    error: Optional[str] = None
    reply_at: Optional[float] = None  # first reply seen (tawasol) / response received (rasa)
    replies: list[str] = field(default_factory=list)  # rasa: the texts in the response


@dataclass
class LoadResult:
    outcomes: list[Outcome]
    started_at: float
    finished_at: float
    unsent: int  # messages not sent before the deadline
    peak_rss_mb: float
    cpu_s: float  # this process's CPU during the timed phase


# A keep-alive connection that the server closed while it sat idle fails when reused (connection reset,
# server disconnected): such a request is sent once more on a fresh connection, as Meta redelivers a
# webhook that failed. Every target gets the same treatment.
_STALE_CONNECTION = (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError)


async def _once_more_if_stale(request: Callable[[], Awaitable[T]]) -> T:
    try:
        return await request()
    except _STALE_CONNECTION:
        return await request()


async def _send_tawasol(session: aiohttp.ClientSession, spec: LoadSpec, message: Message) -> Outcome:
    body = message.webhook_body(spec.phone_number_id)
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(body, spec.app_secret),
        "User-Agent": "facebookexternalua",
    }
    outcome = Outcome(message.index, message.phone, sent_at=time.time())

    async def post() -> int:
        async with session.post(spec.url, data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def wait_for_reply() -> list:
        params = {"to": message.phone, "count": "1", "timeout": str(spec.reply_timeout_s)}
        async with session.get(f"{spec.fake_url}/_fake/messages/wait", params=params) as response:
            return (await response.json()).get("messages") or []

    try:
        outcome.http_status = await _once_more_if_stale(post)
        outcome.posted_at = time.time()
        if outcome.http_status != 200:
            outcome.error = f"webhook HTTP {outcome.http_status}"
            return outcome
        found = await _once_more_if_stale(wait_for_reply)
        if found:
            outcome.reply_at = min(m["at"] for m in found)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"[:200]
    return outcome


async def _send_rasa(session: aiohttp.ClientSession, spec: LoadSpec, message: Message) -> Outcome:
    outcome = Outcome(message.index, message.phone, sent_at=time.time())

    async def post() -> tuple[int, Any]:
        async with session.post(spec.url, json={"sender": message.phone, "message": message.rasa_text}) as response:
            return response.status, (await response.json(content_type=None) if response.status == 200 else None)

    try:
        outcome.http_status, payload = await _once_more_if_stale(post)
        outcome.posted_at = time.time()
        if outcome.http_status != 200:
            outcome.error = f"rest HTTP {outcome.http_status}"
            return outcome
        outcome.replies = [str(m.get("text") or m.get("custom") or m) for m in payload or []]
        if outcome.replies:
            outcome.reply_at = outcome.posted_at
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"[:200]
    return outcome


async def _run_phase(
    session: aiohttp.ClientSession, spec: LoadSpec, messages: list[Message], deadline: Optional[float]
) -> tuple[list[Outcome], int]:
    send = _send_tawasol if spec.target == "tawasol" else _send_rasa
    pending = list(reversed(messages))
    outcomes: list[Outcome] = []

    async def sender() -> None:
        while pending:
            if deadline is not None and time.monotonic() > deadline:
                return
            outcomes.append(await send(session, spec, pending.pop()))

    await asyncio.gather(*(sender() for _ in range(spec.concurrency)))
    return outcomes, len(pending)


async def generate(spec: LoadSpec, pipe: Any = None) -> LoadResult:
    timeout = aiohttp.ClientTimeout(total=spec.reply_timeout_s + 30)
    connector = aiohttp.TCPConnector(limit=4 * spec.concurrency + 8)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await _run_phase(session, spec, spec.warmup, None)
        if pipe is not None:
            pipe.send("warm")
            pipe.recv()  # "go"
        started, cpu_before = time.time(), time.process_time()
        outcomes, unsent = await _run_phase(session, spec, spec.messages, time.monotonic() + spec.deadline_s)
        finished, cpu = time.time(), time.process_time() - cpu_before
    return LoadResult(sorted(outcomes, key=lambda o: o.index), started, finished, unsent, own_peak_rss_mb(), cpu)


def own_peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _child(spec: LoadSpec, pipe: Any) -> None:
    try:
        result = asyncio.run(generate(spec, pipe))
        pipe.send(("result", asdict(result)))
    except BaseException as exc:  # reported to the parent, which decides
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))


class LoadProcess:
    """The generator in a spawned process (not a thread of the benchmark)."""

    def __init__(self, spec: LoadSpec) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child_end = context.Pipe()
        self.process = context.Process(target=_child, args=(spec, child_end), name="e2e-load", daemon=True)
        self.process.start()
        self._timeout = spec.deadline_s + spec.reply_timeout_s + 120 + 5 * len(spec.warmup)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_warm(self) -> None:
        if not self._pipe.poll(self._timeout):
            raise RuntimeError("load generator: warm-up did not finish")
        message = self._pipe.recv()
        if message != "warm":
            raise RuntimeError(f"load generator failed during warm-up: {message}")

    def go(self) -> LoadResult:
        self._pipe.send("go")
        if not self._pipe.poll(self._timeout):
            self.process.kill()
            raise RuntimeError("load generator did not finish in time")
        kind, payload = self._pipe.recv()
        self.process.join(10)
        if kind != "result":
            raise RuntimeError(f"load generator failed: {payload}")
        outcomes = [Outcome(**o) for o in payload.pop("outcomes")]
        return LoadResult(outcomes=outcomes, **payload)
