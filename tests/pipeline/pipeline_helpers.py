"""Small helpers for the pipeline tests: short timings, running workers, waiting without sleeps."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from sqlalchemy import select

from pipeline.outbox import RetryPolicy
from pipeline.pipeline import PipelineTuning
from store.models import Message

FAST_RETRY = RetryPolicy(max_attempts=5, give_up_after_s=0.0, base_s=0.01, max_s=0.05)
FAST = PipelineTuning(
    brain_timeout_s=0.5,
    sweep_interval_s=0.02,
    orphan_after_s=60.0,
    unknown_status_grace_s=0.05,
    pop_timeout_s=0.05,
)


@asynccontextmanager
async def running(pipeline, workers: int = 1):
    task = asyncio.create_task(pipeline.run_workers(workers))
    try:
        yield task
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


async def eventually(check, timeout: float = 10.0, interval: float = 0.02):
    """Wait until `check()` (sync or async) is truthy; fail with its last value if it never is."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        await asyncio.sleep(interval)


def rows(store, **where) -> list[Message]:
    """Messages matching column=value filters, in id order."""
    query = select(Message).order_by(Message.id)
    for column, value in where.items():
        query = query.where(getattr(Message, column) == value)
    with store.db.session() as s:
        return list(s.execute(query).scalars())
