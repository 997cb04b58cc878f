"""How the agency API hands its notifications to the job engine: a step's entries one arq job each,
with a job id per entry, so an enqueue repeated while the job waits is a no-op; a one-off
notification's queued messages one job that sends the citizen's queue."""

from __future__ import annotations

from typing import Awaitable, Callable

from jobs.deferred import Enqueuer
from jobs.notifications import JOB_NAME, SEND_QUEUED, job_id, send_job_id


def dispatch_to_jobs(enqueuer: Enqueuer) -> Callable[[list[int]], Awaitable[None]]:
    """The agency API's `dispatch` (api/app.py)."""

    async def dispatch(entry_ids: list[int]) -> None:
        for entry_id in entry_ids:
            await enqueuer(JOB_NAME, entry_id, job_id=job_id(entry_id))

    return dispatch


def send_queued_by_jobs(enqueuer: Enqueuer) -> Callable[[int, list[int]], Awaitable[None]]:
    """The agency API's `send_queued` (api/app.py)."""

    async def send(citizen_id: int, message_ids: list[int]) -> None:
        await enqueuer(SEND_QUEUED, citizen_id, job_id=send_job_id(message_ids[0]))

    return send
