"""Enqueueing a one-off job of the registry (`DEFERRED`) for `tawasol jobs worker` to run."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from arq.jobs import Job

from jobs.context import QUEUE_NAME, Masked
from jobs.registry import DEFERRED


async def enqueue(
    redis_url: str,
    name: str,
    *args: Any,
    job_id: Optional[str] = None,
    at: Optional[datetime] = None,
    queue_name: str = QUEUE_NAME,
) -> Optional[Job]:
    """Queue `name(*args)` to run now or at `at`. `job_id` makes it run once: a second enqueue with
    the same id while the first is queued or running returns None (arq's own check). Text
    arguments travel masked in arq's log lines (`Masked`); the job id is logged as it is, so it
    must never hold a number."""
    if name not in DEFERRED:
        raise KeyError(f"no deferred job called {name!r} (jobs/registry.py lists them)")
    pool = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=queue_name)
    try:
        carried = [Masked(a) if isinstance(a, str) else a for a in args]
        return await pool.enqueue_job(name, *carried, _job_id=job_id, _defer_until=at)
    finally:
        await pool.close()


class Enqueuer:
    """Enqueueing from a long-lived process (the web tier): one Redis pool, opened on first use,
    closed with the process; `enqueue` above opens one per call (for commands)."""

    def __init__(self, redis_url: str, queue_name: str = QUEUE_NAME) -> None:
        self._settings = RedisSettings.from_dsn(redis_url)
        self._queue_name = queue_name
        self._pool: Optional[ArqRedis] = None

    async def __call__(self, name: str, *args: Any, job_id: Optional[str] = None) -> Optional[Job]:
        if name not in DEFERRED:
            raise KeyError(f"no deferred job called {name!r} (jobs/registry.py lists them)")
        if self._pool is None:
            self._pool = await create_pool(self._settings, default_queue_name=self._queue_name)
        carried = [Masked(a) if isinstance(a, str) else a for a in args]
        return await self._pool.enqueue_job(name, *carried, _job_id=job_id)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
