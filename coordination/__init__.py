"""Coordination between processes: dedupe keys, per-citizen locks, the job queue, rate limits.

    coordination = build_coordination(settings.redis_url)
"""

from __future__ import annotations

import logging
from typing import Optional

from coordination.base import (
    Admission,
    CitizenFlood,
    CitizenLock,
    Coordination,
    Deduplicator,
    JobQueue,
    LockBusy,
    RateLimiter,
)
from coordination.in_process import InProcessCoordination
from coordination.redis_backend import RedisCoordination

logger = logging.getLogger(__name__)


def build_coordination(redis_url: Optional[str], *, prefix: str = "tawasol") -> Coordination:
    if redis_url:
        return RedisCoordination(redis_url, prefix=prefix)
    logger.warning(
        "REDIS_URL is not set: using in-process locks, queue, dedupe and rate limits. "
        "Run exactly ONE process like this; set REDIS_URL to run more."
    )
    return InProcessCoordination()


__all__ = [
    "Admission",
    "CitizenFlood",
    "CitizenLock",
    "Coordination",
    "Deduplicator",
    "JobQueue",
    "LockBusy",
    "RateLimiter",
    "InProcessCoordination",
    "RedisCoordination",
    "build_coordination",
]
