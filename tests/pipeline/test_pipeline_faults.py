"""A dependency that fails for a while costs late answers, never lost or doubled ones (issue 17's
faults, the cheap reproductions of what `python -m bench.faults` found)."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import redis

from coordination import RedisCoordination
from core.messages import InboundMessage, Verdict
from channels.base import SendOutcome
from pipeline.circuit import Circuit
from pipeline.outbox import CIRCUIT_OPEN, Outbox, RetryPolicy
from pipeline.pipeline import Pipeline
from tests.availability import unavailable
from tests.sms.smsc import free_port
from pipeline_doubles import RATES
from pipeline_doubles import EchoBrain, FakeSender
from pipeline_helpers import FAST, FAST_RETRY, eventually, rows, running


def message(n: int) -> InboundMessage:
    return InboundMessage(channel="whatsapp", provider_id=f"wamid.{n}", address=f"96279000{n:04d}", text=f"q{n}")


def provider_down(retry_after: float = 60.0) -> SendOutcome:
    return SendOutcome(Verdict.RETRY_LATER, error_code="500", error_title="down", retry_after=retry_after, provider_down=True)


def test_the_circuit_opens_after_failures_in_a_row_and_a_probe_closes_it():
    now = [0.0]
    circuit = Circuit(threshold=2, min_open_s=1.0, max_open_s=10.0, clock=lambda: now[0])
    assert circuit.allows() and not circuit.record(provider_down(5.0))
    assert circuit.allows() and not circuit.record(provider_down(5.0))
    assert circuit.open and not circuit.allows() and circuit.wait_s() == 5.0
    now[0] = 5.0
    assert circuit.allows() and not circuit.allows()  # one probe at a time...
    now[0] = 7.5
    assert circuit.allows()  # ... unless the last one hangs
    assert circuit.record(SendOutcome(Verdict.SENT, provider_id="x"))  # closed: the provider is back
    assert not circuit.open and circuit.allows()
    # A refusal about one recipient or message says nothing about the provider.
    for _ in range(5):
        circuit.record(SendOutcome(Verdict.RETRY_LATER, error_code="131056", retry_after=6.0))
    assert not circuit.open


async def test_a_provider_outage_holds_sends_and_its_return_sends_every_waiting_retry(store, coordination_factory):
    # Three sends meet the outage (Retry-After 60 s); the fourth is not even tried; the probe after
    # the circuit's short hold succeeds, and all four go out at once, not a minute later.
    sender = FakeSender("whatsapp", script=[provider_down(), provider_down(), provider_down()])
    coordination = coordination_factory()
    outbox = Outbox(store, coordination, {"whatsapp": sender}, RATES, retry=FAST_RETRY,
                    circuit=lambda: Circuit(threshold=3, max_open_s=2.0))  # long enough for a loaded machine to reach the 4th
    pipeline = Pipeline(store, coordination, EchoBrain(), outbox, tuning=FAST)
    for n in range(4):
        accepted = await pipeline.accept(message(n))
        await pipeline.process(accepted.message_id)
    assert sender.attempts == 3
    fourth = rows(store, direction="out")[3]
    assert fourth.status == "retrying" and store.statuses.timeline(fourth.id)[-1].error_code == CIRCUIT_OPEN
    started = time.monotonic()
    async with running(pipeline):
        await eventually(lambda: all(r.status == "sent" for r in rows(store, direction="out")), timeout=10)
    assert time.monotonic() - started < 10  # the provider's 60 s Retry-After was overtaken by its return
    assert len(sender.sent) == 4 and len({m.address for m in sender.sent}) == 4  # each once


async def test_retries_outlast_their_count_while_the_message_is_young(store, coordination_factory):
    sender = FakeSender("whatsapp", script=[provider_down(0.01) for _ in range(8)])
    coordination = coordination_factory()
    retry = RetryPolicy(max_attempts=3, give_up_after_s=3600, base_s=0.01, max_s=0.02)
    outbox = Outbox(store, coordination, {"whatsapp": sender}, RATES, retry=retry,
                    circuit=lambda: Circuit(threshold=100))
    pipeline = Pipeline(store, coordination, EchoBrain(), outbox, tuning=FAST)
    accepted = await pipeline.accept(message(1))
    await pipeline.process(accepted.message_id)
    async with running(pipeline):
        await eventually(lambda: rows(store, direction="out")[0].status == "sent", timeout=10)
    assert sender.attempts == 9 and len(sender.sent) == 1


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of the test's own, on a free port, that it may stop, start and flush."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server (to start a Redis the test may break)")
    port = free_port()
    processes = []

    def start():
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=port, socket_timeout=1).ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    yield f"redis://127.0.0.1:{port}/0", start
    for process in processes:
        process.terminate()
        process.wait(10)


@pytest.mark.redis
async def test_a_message_stored_while_redis_was_down_is_answered_when_it_returns(store, own_redis):
    url, start_redis = own_redis
    sender = FakeSender("whatsapp")
    coordination = RedisCoordination(url, prefix="t")
    try:
        pipeline = Pipeline(store, coordination, EchoBrain(), Outbox(store, coordination, {"whatsapp": sender}, RATES), tuning=FAST)
        accepted = await pipeline.accept(message(1))  # stored; the queue does not answer
        assert not accepted.duplicate and rows(store, direction="in")[0].status == "received"
        start_redis()
        async with running(pipeline):
            await eventually(lambda: len(sender.sent) == 1, timeout=10)  # not after the orphan sweep's minute
    finally:
        await coordination.close()


@pytest.mark.redis
async def test_a_flushed_queue_is_refilled_from_the_store(store, own_redis):
    url, start_redis = own_redis
    start_redis()
    sender = FakeSender("whatsapp")
    coordination = RedisCoordination(url, prefix="t")
    try:
        pipeline = Pipeline(store, coordination, EchoBrain(), Outbox(store, coordination, {"whatsapp": sender}, RATES), tuning=FAST)
        await pipeline.recover()
        for n in range(3):
            await pipeline.accept(message(n))
        redis.Redis.from_url(url).flushall()  # the jobs are gone; the messages are in the store
        async with running(pipeline):
            await eventually(lambda: len(sender.sent) == 3, timeout=10)
        assert sorted(m.address for m in sender.sent) == sorted(message(n).address for n in range(3))
    finally:
        await coordination.close()


async def test_a_lock_left_taken_does_not_stall_the_worker(store, coordination_factory):
    # bench/faults, redis-restart: locks held when Redis went down outlived their holders (30 s),
    # and every worker task waited on one of them, answering nobody.
    import asyncio
    import dataclasses

    sender = FakeSender("whatsapp")
    coordination = coordination_factory()
    pipeline = Pipeline(store, coordination, EchoBrain(), Outbox(store, coordination, {"whatsapp": sender}, RATES),
                        tuning=dataclasses.replace(FAST, lock_wait_s=0.1, retry_failed_job_s=0.05))
    stuck = await pipeline.accept(message(1))
    stuck_citizen = rows(store, direction="in")[0].citizen_id
    taken, release = asyncio.Event(), asyncio.Event()

    async def dead_holder():
        async with coordination.locks.hold(stuck_citizen):
            taken.set()
            await release.wait()

    holder = asyncio.create_task(dead_holder())
    await taken.wait()
    await pipeline.accept(message(2))
    async with running(pipeline, workers=1):
        await eventually(lambda: [m.address for m in sender.sent] == [message(2).address], timeout=5)
        release.set()
        await eventually(lambda: len(sender.sent) == 2, timeout=5)
    await holder
    assert rows(store, direction="in")[0].id == stuck.message_id


async def test_a_brain_whose_dialogue_state_is_away_is_asked_again_not_apologised_for(store, coordination_factory):
    # bench/faults, redis-restart: Rasa's tracker store (Redis) refused, and the citizen got an apology.
    from core.brain import Answer, BrainUnavailable
    from core.messages import BotReply

    class BrainWithoutRedisForAWhile:
        calls = 0

        async def respond(self, conversation_key, message, *, language=None):
            self.calls += 1
            if self.calls <= 2:
                raise BrainUnavailable("dialogue state unavailable: ConnectionError")
            return Answer(replies=[BotReply(text=f"answer: {message.text}")])

    sender = FakeSender("whatsapp")
    coordination = coordination_factory()
    import dataclasses

    pipeline = Pipeline(store, coordination, BrainWithoutRedisForAWhile(), Outbox(store, coordination, {"whatsapp": sender}, RATES),
                        tuning=dataclasses.replace(FAST, brain_timeout_s=5.0, retry_failed_job_s=0.05))
    accepted = await pipeline.accept(message(1))
    await pipeline.process(accepted.message_id)
    assert sender.texts == ["answer: q1"]


async def test_sends_held_by_the_circuit_keep_no_growing_backoff(store, coordination_factory):
    # bench/faults graph-500 for a minute: rows turned back by the open circuit had their backoff
    # doubled each time, so after the outage they waited up to a minute more (recovery 63 s).
    sender = FakeSender("whatsapp", script=[provider_down(0.01) for _ in range(3)])
    coordination = coordination_factory()
    outbox = Outbox(store, coordination, {"whatsapp": sender}, RATES,
                    retry=RetryPolicy(max_attempts=50, give_up_after_s=3600, base_s=5.0, max_s=60.0),
                    # Open long enough that the second message meets it shut on a busy machine.
                    circuit=lambda: Circuit(threshold=1, min_open_s=0.5, max_open_s=0.5))
    pipeline = Pipeline(store, coordination, EchoBrain(), outbox, tuning=FAST)
    for n in range(2):
        accepted = await pipeline.accept(message(n))
        await pipeline.process(accepted.message_id)
    held = rows(store, direction="out")[1]
    assert store.statuses.timeline(held.id)[-1].error_code == CIRCUIT_OPEN
    from core.messages import utcnow

    assert (held.next_attempt_at - utcnow()).total_seconds() < 1.0  # the circuit's wait, not 5 s of backoff


_DYING_WORKER = """
import asyncio, sys
from coordination import RedisCoordination

async def main(url, prefix, citizen_id):
    coordination = RedisCoordination(url, prefix=prefix)
    job = await coordination.queue.pop(5)
    async with coordination.locks.hold(citizen_id):
        print("HOLDING", job, flush=True)
        await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


@pytest.mark.redis
@pytest.mark.timeout(120)
async def test_a_killed_worker_s_job_and_lock_are_taken_over_in_seconds(store, redis_url, redis_prefix):
    # bench/faults worker-kill: a worker killed while answering held its citizen's lock (30 s
    # timeout) and the job in its processing list (given back after 5 minutes, or the orphan sweep's
    # minute). Its liveness key stops being renewed; another worker takes both within seconds.
    import asyncio
    import os
    import signal
    import sys

    sender = FakeSender("whatsapp")
    coordination = RedisCoordination(redis_url, prefix=redis_prefix)
    try:
        pipeline = Pipeline(store, coordination, EchoBrain(), Outbox(store, coordination, {"whatsapp": sender}, RATES), tuning=FAST)
        accepted = await pipeline.accept(message(1))
        citizen_id = rows(store, direction="in")[0].citizen_id
        dying = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _DYING_WORKER, redis_url, redis_prefix, str(citizen_id),
            stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": os.getcwd()},
        )
        line = (await asyncio.wait_for(dying.stdout.readline(), 60)).decode().split()
        assert line == ["HOLDING", str(accepted.message_id)]
        dying.send_signal(signal.SIGKILL)
        await dying.wait()
        killed_at = time.monotonic()
        assert await coordination.queue.length() == 0  # the job is in the dead worker's hands
        async with running(pipeline, workers=1):
            await eventually(lambda: len(sender.sent) == 1, timeout=20)
            taken_over_s = time.monotonic() - killed_at
            await asyncio.sleep(1.0)
        assert len(sender.sent) == 1  # answered once
        assert taken_over_s < 12, taken_over_s  # the liveness TTL (5 s) and grace (2 s), not 30 s or 60 s
        print(f"taken over in {taken_over_s:.1f} s")
    finally:
        await coordination.close()
