"""In-process stand-ins for the Redis coordination: for one process only (no REDIS_URL)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable, Optional

from coordination.base import Admission, LockBusy, default_burst, flood_step, token_bucket

_PURGE_EVERY = 10_000  # keys added between sweeps of expired dedupe keys


class InProcessDeduplicator:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._expires: dict[str, float] = {}
        self._added = 0

    async def first_time(self, key: str, ttl_s: float) -> bool:
        now = self._clock()
        expires = self._expires.get(key)
        if expires is not None and expires > now:
            return False
        self._expires[key] = now + ttl_s
        self._added += 1
        if self._added % _PURGE_EVERY == 0:
            self._expires = {k: t for k, t in self._expires.items() if t > now}
        return True


class InProcessLocks:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: Counter[str] = Counter()

    @asynccontextmanager
    async def hold(self, citizen_id: int, wait_s: Optional[float] = None) -> AsyncIterator[None]:
        key = str(citizen_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            if wait_s is None or not lock.locked():
                await lock.acquire()  # a free lock is taken without yielding to the loop
            else:
                try:
                    await asyncio.wait_for(lock.acquire(), wait_s)
                except asyncio.TimeoutError:
                    raise LockBusy(f"citizen {citizen_id}") from None
            try:
                yield
            finally:
                lock.release()
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:  # forget idle keys: one per citizen would grow without end
                del self._users[key]
                del self._locks[key]


class InProcessJobQueue:
    """A plain asyncio queue. It dies with the process; the store's recovery re-enqueues from the DB."""

    def __init__(self) -> None:
        self._queue: Optional[asyncio.Queue[int]] = None

    @property
    def _jobs(self) -> asyncio.Queue[int]:
        if self._queue is None:
            self._queue = asyncio.Queue()
        return self._queue

    async def push(self, job_id: int) -> None:
        self._jobs.put_nowait(job_id)

    async def pop(self, timeout: float) -> Optional[int]:
        try:
            return await asyncio.wait_for(self._jobs.get(), timeout)
        except asyncio.TimeoutError:
            return None

    async def ack(self, job_id: int) -> None:
        return None

    async def requeue_unacked(self) -> int:
        return 0

    async def requeue_dead(self) -> int:
        return 0  # one process: its jobs die with it

    def qsize(self) -> int:
        return self._jobs.qsize()

    async def length(self) -> int:
        return self._jobs.qsize()


class InProcessRateLimiter:
    def __init__(
        self,
        name: str,
        per_second: float,
        burst: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second <= 0:
            raise ValueError(f"rate limiter {name!r}: per_second must be positive")
        self.name = name
        self.per_second = per_second
        self.capacity = burst or default_burst(per_second)
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()
        self._turn = asyncio.Lock()  # waiters are served in arrival order

    async def acquire(self, n: int = 1) -> None:
        async with self._turn:
            while True:
                now = self._clock()
                self._tokens, wait = token_bucket(
                    self._tokens, now - self._updated, n, self.per_second, self.capacity
                )
                self._updated = now
                if wait <= 0:
                    return
                await asyncio.sleep(wait)


class InProcessFlood:
    """Per-citizen budgets in a dict; idle ones (full buckets) are forgotten as it grows."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, bool, float]] = {}  # key -> tokens, notified, updated

    async def take(self, key: str, per_second: float, capacity: float) -> Admission:
        now = self._clock()
        tokens, notified, updated = self._buckets.get(key, (capacity, False, now))
        tokens, notified, admission = flood_step(tokens, notified, now - updated, per_second, capacity)
        self._buckets[key] = (tokens, notified, now)
        if len(self._buckets) > _PURGE_EVERY:
            self._buckets = {
                k: v for k, v in self._buckets.items() if v[0] + (now - v[2]) * per_second < capacity
            }
        return admission

    async def forget(self, key: str) -> int:
        return 1 if self._buckets.pop(key, None) is not None else 0


class InProcessCoordination:
    shared = False

    def __init__(self) -> None:
        self.dedup = InProcessDeduplicator()
        self.flood = InProcessFlood()
        self.locks = InProcessLocks()
        self.queue = InProcessJobQueue()
        self._limiters: dict[str, InProcessRateLimiter] = {}

    def rate_limiter(self, name: str, per_second: float, burst: Optional[float] = None) -> InProcessRateLimiter:
        limiter = self._limiters.get(name)
        if limiter is None or limiter.per_second != per_second:
            limiter = self._limiters[name] = InProcessRateLimiter(name, per_second, burst)
        return limiter

    async def close(self) -> None:
        return None
