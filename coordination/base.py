"""What several processes must share, as interfaces. Two implementations: Redis, and in-process.

The in-process one (no REDIS_URL) is correct for exactly one process; run more and they will
answer the same message twice and exceed the provider rate limits.
"""

from __future__ import annotations

import enum
from typing import AsyncContextManager, Optional, Protocol


class Deduplicator(Protocol):
    async def first_time(self, key: str, ttl_s: float) -> bool:
        """True the first time `key` is seen within `ttl_s` seconds (a fast front to a durable check)."""


class LockBusy(Exception):
    """The citizen's lock stayed taken for the whole wait."""


class CitizenLock(Protocol):
    def hold(self, citizen_id: int, wait_s: Optional[float] = None) -> AsyncContextManager[None]:
        """`async with locks.hold(citizen_id):` — one holder per citizen at a time, across processes.

        Everything that reads then changes a citizen's messages (answering, sending, pushes) holds it.
        With `wait_s`, LockBusy if it is not free within that many seconds (else wait as long as it takes).
        """


class JobQueue(Protocol):
    async def push(self, job_id: int) -> None:
        """Add a job (an inbound message id) at the tail."""

    async def pop(self, timeout: float) -> Optional[int]:
        """The oldest job, or None after `timeout` seconds. It stays reserved until `ack`."""

    async def ack(self, job_id: int) -> None:
        """The job is done (whatever the outcome): forget it."""

    async def requeue_unacked(self) -> int:
        """Put back jobs reserved by consumers that died before acking them; returns how many."""

    async def requeue_dead(self) -> int:
        """Put back the jobs of consumers whose process is known dead (cheap: every sweep)."""

    async def length(self) -> int:
        """Jobs waiting (not reserved); raises when the queue's server cannot be reached."""


class RateLimiter(Protocol):
    name: str
    per_second: float

    async def acquire(self, n: int = 1) -> None:
        """Wait until `n` units may go (one message, or one SMS segment each)."""


class Admission(enum.Enum):
    """What the per-citizen flood limit says of one more message from a citizen."""

    ADMIT = "admit"  # within the citizen's budget: answer it
    NOTIFY = "notify"  # the first one over budget in this flood: tell the citizen, once
    HOLD = "hold"  # over budget, already told: store it, do not answer


class CitizenFlood(Protocol):
    async def take(self, key: str, per_second: float, capacity: float) -> Admission:
        """Spend one message of the budget `key` (a citizen's, never their number in clear)."""

    async def forget(self, key: str) -> int:
        """Drop what is held under `key` (a citizen's erasure); returns how many keys went."""


class Coordination(Protocol):
    dedup: Deduplicator
    locks: CitizenLock
    queue: JobQueue
    flood: CitizenFlood
    shared: bool  # True when other processes see the same state (Redis)

    def rate_limiter(self, name: str, per_second: float, burst: Optional[float] = None) -> RateLimiter:
        """The limiter called `name`; every holder of that name shares one budget."""

    async def close(self) -> None:
        ...


def token_bucket(
    tokens: float, elapsed_s: float, n: float, per_second: float, capacity: float
) -> tuple[float, float]:
    """One step of the token bucket both implementations use (the Redis Lua script mirrors it).

    Refill for the time elapsed, then either take `n` (returns new tokens, 0) or say how long to wait
    (returns refilled tokens, seconds). A request bigger than the bucket goes once the bucket is
    full, leaving a debt that later requests wait off, so the long-run rate still holds.
    """
    tokens = min(capacity, tokens + max(0.0, elapsed_s) * per_second)
    needed = min(n, capacity)
    if tokens >= needed:
        return tokens - n, 0.0
    return tokens, (needed - tokens) / per_second


def default_burst(per_second: float) -> float:
    """One second's worth, at least one unit."""
    return max(1.0, per_second)


def flood_step(
    tokens: float, notified: bool, elapsed_s: float, per_second: float, capacity: float
) -> tuple[float, bool, Admission]:
    """One message against a citizen's bucket (the Redis Lua script mirrors it).

    A full bucket means the citizen paused long enough for the flood to be over, so the next flood
    gets its own notice; during a flood the bucket never refills, so the notice goes once.
    """
    tokens = min(capacity, tokens + max(0.0, elapsed_s) * per_second)
    if tokens >= capacity:
        notified = False
    if tokens >= 1.0:
        return tokens - 1.0, notified, Admission.ADMIT
    if not notified:
        return tokens, True, Admission.NOTIFY
    return tokens, True, Admission.HOLD
