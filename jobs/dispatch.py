"""How the agency API hands a step's notification entries to the job engine: one arq job each,
with a job id per entry, so an enqueue repeated while the job waits is a no-op."""

from __future__ import annotations

from typing import Awaitable, Callable

from jobs.deferred import Enqueuer
from jobs.notifications import JOB_NAME, job_id


def dispatch_to_jobs(enqueuer: Enqueuer) -> Callable[[list[int]], Awaitable[None]]:
    """The agency API's `dispatch` (api/app.py)."""

    async def dispatch(entry_ids: list[int]) -> None:
        for entry_id in entry_ids:
            await enqueuer(JOB_NAME, entry_id, job_id=job_id(entry_id))

    return dispatch
