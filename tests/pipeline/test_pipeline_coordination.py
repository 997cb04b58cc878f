"""Dedupe keys, locks, the job queue and rate limits, in-process and on Redis."""

from __future__ import annotations

import asyncio
import time

import pytest

from coordination import InProcessCoordination, RedisCoordination, build_coordination
from coordination.base import token_bucket


async def test_first_time_then_seen_then_expired(coordination_factory):
    dedup = coordination_factory().dedup
    assert await dedup.first_time("in:whatsapp:wamid.1", 0.2)
    assert not await dedup.first_time("in:whatsapp:wamid.1", 0.2)
    assert await dedup.first_time("in:sms:wamid.1", 0.2)
    await asyncio.sleep(0.3)
    assert await dedup.first_time("in:whatsapp:wamid.1", 0.2)


async def test_lock_admits_one_holder_at_a_time_across_instances(coordination_factory):
    first, second = coordination_factory(), coordination_factory()  # two processes on Redis
    inside, overlaps, entries = 0, 0, []

    async def hold(locks, key, n, pause=0.01):
        nonlocal inside, overlaps
        async with locks.hold(key):
            inside += 1
            overlaps = max(overlaps, inside)
            entries.append(n)
            await asyncio.sleep(pause)
            inside -= 1

    await asyncio.gather(*(hold((first if n % 2 else second).locks, 7, n) for n in range(10)))
    assert overlaps == 1
    assert sorted(entries) == list(range(10))

    # Different keys don't wait for each other: 10 × 0.1 s one after the other would take 1 s.
    inside = 0
    started = time.monotonic()
    await asyncio.gather(*(hold(first.locks, 100 + n, n, pause=0.1) for n in range(10)))
    assert time.monotonic() - started < 0.5


@pytest.mark.redis
async def test_redis_lock_is_renewed_while_held(redis_url, redis_prefix):
    holder = RedisCoordination(redis_url, prefix=redis_prefix, lock_timeout_s=0.6)
    other = RedisCoordination(redis_url, prefix=redis_prefix, lock_timeout_s=0.6)
    order = []
    try:
        async def slow():
            async with holder.locks.hold(1):
                order.append("slow in")
                await asyncio.sleep(1.8)  # three timeouts long: only renewal keeps the lock
                order.append("slow out")

        async def eager():
            await asyncio.sleep(0.1)
            async with other.locks.hold(1):
                order.append("eager in")

        await asyncio.gather(slow(), eager())
        assert order == ["slow in", "slow out", "eager in"]
    finally:
        await holder.close()
        await other.close()


async def test_queue_is_fifo_and_pop_times_out(coordination_factory):
    queue = coordination_factory().queue
    for job in (3, 1, 2):
        await queue.push(job)
    assert [await queue.pop(0.5) for _ in range(3)] == [3, 1, 2]
    started = time.monotonic()
    assert await queue.pop(0.1) is None
    assert time.monotonic() - started >= 0.09


@pytest.mark.redis
async def test_redis_queue_gives_back_jobs_a_dead_consumer_never_acked(redis_url, redis_prefix):
    worker = RedisCoordination(redis_url, prefix=redis_prefix, consumer="host-a:worker")
    try:
        for job in (10, 11, 12):
            await worker.queue.push(job)
        assert await worker.queue.pop(0.5) == 10
        await worker.queue.ack(10)
        assert await worker.queue.pop(0.5) == 11
        assert await worker.queue.pop(0.5) == 12
        # ... and the process dies before acking 11 and 12.
    finally:
        await worker.close()

    restarted = RedisCoordination(redis_url, prefix=redis_prefix, consumer="host-a:worker")
    try:
        assert await restarted.queue.requeue_unacked() == 2
        assert [await restarted.queue.pop(0.5) for _ in range(2)] == [11, 12]
        assert await restarted.queue.pop(0.05) is None
    finally:
        await restarted.close()


@pytest.mark.redis
async def test_redis_queue_takes_over_a_stale_consumers_jobs(redis_url, redis_prefix):
    dead = RedisCoordination(redis_url, prefix=redis_prefix, consumer="dead", stale_consumer_s=0.2)
    alive = RedisCoordination(redis_url, prefix=redis_prefix, consumer="alive", stale_consumer_s=0.2)
    try:
        await dead.queue.push(5)
        assert await dead.queue.pop(0.5) == 5
        assert await alive.queue.requeue_unacked() == 0  # "dead" was seen just now
        await asyncio.sleep(0.3)
        assert await alive.queue.requeue_unacked() == 1
        assert await alive.queue.pop(0.5) == 5
    finally:
        await dead.close()
        await alive.close()


@pytest.mark.parametrize(
    "tokens, elapsed, n, expected",
    [
        (10.0, 0.0, 1, (9.0, 0.0)),  # take
        (0.0, 0.0, 1, (0.0, 0.1)),  # wait for one token at 10/s
        (0.0, 0.05, 1, (0.5, 0.05)),  # half refilled
        (5.0, 10.0, 1, (9.0, 0.0)),  # refill is capped at capacity
        (10.0, 0.0, 25, (-15.0, 0.0)),  # bigger than the bucket: goes when full, leaves a debt
        (-15.0, 0.0, 1, (-15.0, 1.6)),  # which the next request waits off
    ],
)
def test_token_bucket_arithmetic(tokens, elapsed, n, expected):
    new_tokens, wait = token_bucket(tokens, elapsed, n, per_second=10.0, capacity=10.0)
    assert (round(new_tokens, 6), round(wait, 6)) == expected


async def test_in_process_rate_limiter_holds_the_rate():
    limiter = InProcessCoordination().rate_limiter("send:sms", per_second=100.0, burst=10)
    started = time.monotonic()
    await asyncio.gather(*(limiter.acquire() for _ in range(60)))
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 2.0  # (60 - 10 burst) / 100 per second = 0.5 s (generous: loaded CI)


@pytest.mark.redis
async def test_redis_rate_limit_is_shared_between_two_limiter_instances(redis_url, redis_prefix):
    one = RedisCoordination(redis_url, prefix=redis_prefix)
    two = RedisCoordination(redis_url, prefix=redis_prefix)
    try:
        a = one.rate_limiter("send:whatsapp", per_second=100.0, burst=10)
        b = two.rate_limiter("send:whatsapp", per_second=100.0, burst=10)
        started = time.monotonic()
        await asyncio.gather(*(limiter.acquire() for limiter in (a, b) for _ in range(50)))
        elapsed = time.monotonic() - started
        # 100 units at 100/s with a burst of 10 take 0.9 s together; unshared, each would take 0.4 s.
        assert 0.85 <= elapsed < 3.0

        # Another name has its own budget.
        other = one.rate_limiter("send:sms", per_second=100.0, burst=10)
        started = time.monotonic()
        await asyncio.gather(*(other.acquire() for _ in range(10)))
        assert time.monotonic() - started < 0.3  # within its burst: no waiting
    finally:
        await one.close()
        await two.close()


async def test_build_coordination_says_when_it_is_in_process(caplog):
    coordination = build_coordination(None)
    assert isinstance(coordination, InProcessCoordination) and not coordination.shared
    assert any("REDIS_URL is not set" in r.getMessage() for r in caplog.records)
