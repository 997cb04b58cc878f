"""Coordination through Redis (redis-py asyncio), shared by every web and worker process."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from contextlib import asynccontextmanager, suppress
from typing import AsyncIterator, Optional

import redis.asyncio as aioredis
from redis.exceptions import LockError

from coordination.base import Admission, LockBusy, default_burst
from coordination.liveness import OWNER_SEPARATOR, Liveness, owner_of

logger = logging.getLogger(__name__)

# KEYS[1]: bucket hash. ARGV: per_second, capacity, n. Returns the seconds to wait ("0": taken), as a
# string because Redis truncates Lua numbers to integers. Same arithmetic as base.token_bucket; the
# clock is Redis's own, so processes on different machines agree on it.
_TOKEN_BUCKET_LUA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local per_second = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or capacity
local updated = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - updated) * per_second)
local needed = math.min(n, capacity)
local wait = 0
if tokens >= needed then
  tokens = tokens - n
else
  wait = (needed - tokens) / per_second
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_second * 1000) + 60000)
return tostring(wait)
"""

# KEYS[1]: a citizen's flood bucket. ARGV: per_second, capacity. Returns "admit", "notify" or "hold";
# base.flood_step is the same arithmetic. One script call, so processes sharing the citizen agree.
_FLOOD_LUA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local per_second = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated', 'notified')
local tokens = tonumber(state[1]) or capacity
local updated = tonumber(state[2]) or now
local notified = state[3] == '1'
tokens = math.min(capacity, tokens + math.max(0, now - updated) * per_second)
if tokens >= capacity then
  notified = false
end
local verdict
if tokens >= 1 then
  tokens = tokens - 1
  verdict = 'admit'
elseif not notified then
  notified = true
  verdict = 'notify'
else
  verdict = 'hold'
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now), 'notified', notified and '1' or '0')
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_second * 1000) + 60000)
return verdict
"""


# KEYS[1]: a lock, KEYS[2]: its owner's liveness key. ARGV[1]: the token seen. Deletes the lock if it
# still has that token and its owner's key is still missing (checked and done in one step).
_BREAK_DEAD_LOCK_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('EXISTS', KEYS[2]) == 0 then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
_DEAD_CHECK_EVERY_S = 0.5  # while waiting for a lock, how often its holder's liveness is looked at


class RedisFlood:
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = f"{prefix}:flood:"
        self._script = client.register_script(_FLOOD_LUA)

    async def take(self, key: str, per_second: float, capacity: float) -> Admission:
        verdict = await self._script(keys=[self._prefix + key], args=[per_second, capacity])
        return Admission(verdict.decode() if isinstance(verdict, bytes) else verdict)

    async def forget(self, key: str) -> int:
        return int(await self._redis.delete(self._prefix + key))


class RedisDeduplicator:
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = f"{prefix}:dedupe:"

    async def first_time(self, key: str, ttl_s: float) -> bool:
        return bool(await self._redis.set(self._prefix + key, b"1", nx=True, px=int(ttl_s * 1000)))


class RedisLocks:
    """A Redis lock per key, with a timeout so a holder cut off from Redis can't block a citizen
    forever, renewed while held so a slow answer (the brain, a provider) doesn't lose it half-way.
    Its token names the holding process: a waiter breaks a lock whose holder has stopped beating
    (coordination/liveness.py), so a killed worker's citizens wait seconds, not the timeout."""

    def __init__(self, client: aioredis.Redis, prefix: str, timeout_s: float = 30.0, liveness: Optional[Liveness] = None) -> None:
        self._redis = client
        self._prefix = f"{prefix}:lock:"
        self._timeout_s = timeout_s
        self._liveness = liveness
        self._break_dead = client.register_script(_BREAK_DEAD_LOCK_LUA)

    @asynccontextmanager
    async def hold(self, citizen_id: int, wait_s: Optional[float] = None) -> AsyncIterator[None]:
        key = f"citizen:{citizen_id}"
        lock = self._redis.lock(self._prefix + key, timeout=self._timeout_s, sleep=0.01, thread_local=False)
        if not await self._acquire(lock, key, wait_s):
            raise LockBusy(key)
        # The renewal stops on this flag as well as on cancel: redis-py can swallow a cancellation
        # that lands mid-command (see Pipeline.run_workers), and `await renewal` would never end.
        released = asyncio.Event()
        renewal = asyncio.create_task(self._keep(lock, key, released))
        try:
            yield
        finally:
            released.set()
            renewal.cancel()
            with suppress(asyncio.CancelledError):
                await renewal
            try:
                await lock.release()
            except LockError:
                logger.warning("lock lost before release key=%s (held past its timeout?)", key)

    async def _acquire(self, lock: aioredis.client.Lock, key: str, wait_s: Optional[float]) -> bool:
        if self._liveness is None:
            return bool(await lock.acquire(blocking_timeout=wait_s))
        token = f"{self._liveness.owner}{OWNER_SEPARATOR}{uuid.uuid4().hex}"
        started = next_check = time.monotonic()
        while True:
            if await lock.acquire(blocking=False, token=token):
                return True
            now = time.monotonic()
            if now >= next_check:
                next_check = now + _DEAD_CHECK_EVERY_S
                await self._break_if_holder_dead(key)
                continue
            if wait_s is not None and now - started >= wait_s:
                return False
            await asyncio.sleep(0.01)

    async def _break_if_holder_dead(self, key: str) -> None:
        assert self._liveness is not None
        name = self._prefix + key
        token = await self._redis.get(name)
        owner = owner_of(token)
        if owner is None:  # free now, or taken by a process that names no owner: wait it out
            return
        alive_key = self._liveness.key_prefix + owner
        present = bool(await self._redis.exists(alive_key))
        if self._liveness.dead_for_long_enough(owner, present):
            if await self._break_dead(keys=[name, alive_key], args=[token]):
                logger.warning("lock of a dead process broken key=%s owner=%s", key, owner)

    async def _keep(self, lock: aioredis.client.Lock, key: str, released: asyncio.Event) -> None:
        while not released.is_set():
            await asyncio.sleep(self._timeout_s / 3)
            try:
                await lock.reacquire()
            except LockError:
                logger.error("lock renewal failed key=%s: another worker may now hold it", key)
                return
            except Exception as exc:  # Redis blip: try again next round, the lock has time left
                logger.warning("lock renewal error key=%s error=%s", key, exc)


class RedisJobQueue:
    """A reliable queue: `pop` moves the job to this consumer's processing list (BLMOVE) until `ack`.

    A consumer that dies leaves its jobs there; `requeue_unacked` puts back its own (a restart under
    the same name) and those of consumers not seen for `stale_after_s`.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        key: str,
        consumer: str,
        stale_after_s: float = 300.0,
        liveness: Optional[Liveness] = None,
    ) -> None:
        self._liveness = liveness
        self._redis = client
        self._pending = key
        self._consumers = f"{key}:consumers"
        self.consumer = consumer
        self._processing = self._processing_list(consumer)
        self._stale_after_s = stale_after_s

    def _processing_list(self, consumer: str) -> str:
        return f"{self._pending}:processing:{consumer}"

    async def push(self, job_id: int) -> None:
        await self._redis.lpush(self._pending, job_id)

    async def pop(self, timeout: float) -> Optional[int]:
        await self._redis.zadd(self._consumers, {self.consumer: time.time()})  # "still alive"
        raw = await self._redis.blmove(self._pending, self._processing, timeout, "RIGHT", "LEFT")
        return None if raw is None else int(raw)

    async def ack(self, job_id: int) -> None:
        await self._redis.lrem(self._processing, 1, job_id)

    async def requeue_unacked(self) -> int:
        stale = await self._redis.zrangebyscore(self._consumers, "-inf", time.time() - self._stale_after_s)
        consumers = {c.decode() if isinstance(c, bytes) else c for c in stale} | {self.consumer}
        moved = 0
        for consumer in sorted(consumers):
            # Newest first onto the consumer end of the queue, so the oldest comes out first.
            while await self._redis.lmove(self._processing_list(consumer), self._pending, "LEFT", "RIGHT"):
                moved += 1
            if consumer != self.consumer:
                await self._redis.zrem(self._consumers, consumer)
        if moved:
            logger.warning("requeued unacknowledged jobs count=%d consumers=%s", moved, sorted(consumers))
        return moved

    async def requeue_dead(self) -> int:
        """Jobs held by consumers whose process stopped beating (killed): back in the queue, in
        seconds. Answering them twice is prevented as for any job that comes back (the store skips
        an answered message, under the citizen's lock)."""
        if self._liveness is None:
            return 0
        moved = 0
        for raw in await self._redis.zrange(self._consumers, 0, -1):
            consumer = raw.decode() if isinstance(raw, bytes) else raw
            if consumer == self.consumer:
                continue
            present = bool(await self._redis.exists(self._liveness.key_prefix + consumer))
            if not self._liveness.dead_for_long_enough(consumer, present):
                continue
            count = 0
            while await self._redis.lmove(self._processing_list(consumer), self._pending, "LEFT", "RIGHT"):
                count += 1
            await self._redis.zrem(self._consumers, consumer)
            self._liveness.forget(consumer)
            moved += count
            logger.warning("jobs of a dead consumer queued again consumer=%s count=%d", consumer, count)
        return moved

    async def length(self) -> int:
        return int(await self._redis.llen(self._pending))


class RedisRateLimiter:
    def __init__(self, client: aioredis.Redis, prefix: str, name: str, per_second: float, burst: Optional[float]):
        if per_second <= 0:
            raise ValueError(f"rate limiter {name!r}: per_second must be positive")
        self.name = name
        self.per_second = per_second
        self.capacity = burst or default_burst(per_second)
        self._key = f"{prefix}:rate:{name}"
        self._script = client.register_script(_TOKEN_BUCKET_LUA)
        self._turn = asyncio.Lock()  # this process's waiters queue here, not all polling Redis

    async def acquire(self, n: int = 1) -> None:
        async with self._turn:
            while True:
                wait = float(await self._script(keys=[self._key], args=[self.per_second, self.capacity, n]))
                if wait <= 0:
                    return
                await asyncio.sleep(wait)


class RedisCoordination:
    shared = True

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "tawasol",
        consumer: Optional[str] = None,
        lock_timeout_s: float = 30.0,
        stale_consumer_s: float = 300.0,
        liveness_ttl_s: float = 5.0,
    ) -> None:
        self.prefix = prefix
        self.redis = aioredis.Redis.from_url(url)
        self.dedup = RedisDeduplicator(self.redis, prefix)
        self.flood = RedisFlood(self.redis, prefix)
        consumer = consumer or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.liveness = Liveness(url, prefix, consumer, ttl_s=liveness_ttl_s, beat_s=liveness_ttl_s / 5)
        self.liveness.start()
        self.locks = RedisLocks(self.redis, prefix, lock_timeout_s, self.liveness)
        self.queue = RedisJobQueue(self.redis, f"{prefix}:jobs", consumer, stale_consumer_s, self.liveness)
        self._limiters: dict[str, RedisRateLimiter] = {}

    def rate_limiter(self, name: str, per_second: float, burst: Optional[float] = None) -> RedisRateLimiter:
        limiter = self._limiters.get(name)
        if limiter is None or limiter.per_second != per_second:
            limiter = self._limiters[name] = RedisRateLimiter(self.redis, self.prefix, name, per_second, burst)
        return limiter

    async def close(self) -> None:
        await asyncio.to_thread(self.liveness.stop)
        await self.redis.close()  # also closes the pool from_url made
