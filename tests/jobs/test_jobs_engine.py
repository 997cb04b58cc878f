"""The engine on arq and real Redis: a sweep's cron run happens once across workers; deferred jobs
run once per job id; the registry is the one place sweeps are listed."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from arq import create_pool
from arq.connections import RedisSettings

from core.messages import utcnow
from jobs.deferred import enqueue
from jobs.registry import DEFERRED, SWEEPS
from jobs.worker import WorkerNeedsRedis, build_worker
from store.models import Erasure, Message
from tests.jobs.conftest import JOBS_REDIS_URL, context
from tests.jobs.seed import all_rows, exchange


async def workers(store, queue_name: str, n: int):
    """`n` workers as `n` processes would run them: each its own Redis connection."""
    settings = context(store, redis_url=JOBS_REDIS_URL).settings
    made = []
    for _ in range(n):
        pool = await create_pool(RedisSettings.from_dsn(JOBS_REDIS_URL), default_queue_name=queue_name)
        made.append(
            build_worker(settings, burst=True, handle_signals=False, queue_name=queue_name, poll_delay=0.05, redis_pool=pool)
        )
    return made


async def test_two_workers_run_a_due_sweep_once(store, jobs_redis, queue_name):
    old = utcnow() - timedelta(days=400)
    for n in range(5):
        exchange(store, f"96279000000{n}", f"smsc-{n}", "old question", at=old)
    first, second = await workers(store, queue_name, 2)
    # Both workers reach the same scheduled moment (as two processes would at minute 17).
    moment = datetime.now(tz=timezone.utc).replace(microsecond=0) - timedelta(seconds=1)
    try:
        for worker in (first, second):
            for cron_job in worker.cron_jobs:
                cron_job.next_run = moment
            await worker.run_cron(moment, delay=0.5)
        # The burst run below also runs the workers' own cron at the clock's time: a sweep due every
        # few seconds (restart_stalled_broadcasts) could fall due again during it on a slow machine
        # and be counted twice. That is the next moment, not this one: held off.
        for worker in (first, second):
            for cron_job in worker.cron_jobs:
                cron_job.next_run = moment + timedelta(days=1)
        await asyncio.gather(first.run_check(), second.run_check())
        # Each sweep once across the two workers, not once per worker.
        assert first.jobs_complete + second.jobs_complete == len(SWEEPS)
        assert all(m.redacted_at is not None for m in all_rows(store, Message))
    finally:
        await asyncio.gather(first.close(), second.close())


async def test_a_deferred_job_runs_once_per_job_id(store, jobs_redis, queue_name):
    exchange(store, "962791234567", "smsc-1", "question", at=utcnow())
    job = await enqueue(JOBS_REDIS_URL, "forget_citizen", "+962791234567", job_id="forget-1", queue_name=queue_name)
    again = await enqueue(JOBS_REDIS_URL, "forget_citizen", "+962791234567", job_id="forget-1", queue_name=queue_name)
    assert job is not None and again is None
    (worker,) = await workers(store, queue_name, 1)
    try:
        assert await worker.run_check() == 1
    finally:
        await worker.close()
    (record,) = all_rows(store, Erasure)
    assert record.reference == "9627*****567" and record.messages == 2
    with pytest.raises(KeyError):
        await enqueue(JOBS_REDIS_URL, "no_such_job", queue_name=queue_name)


def test_the_registry_lists_each_sweep_once_and_every_worker_needs_redis(store):
    assert len({s.name for s in SWEEPS}) == len(SWEEPS) and "retention" in {s.name for s in SWEEPS}
    assert "forget_citizen" in DEFERRED
    with pytest.raises(WorkerNeedsRedis):
        build_worker(context(store).settings)
