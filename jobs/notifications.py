"""Agency notifications on the job engine.

A transaction's step: one deferred job per notification entry (the API enqueues it once the step is
stored) and a sweep for entries whose job was lost (Redis away at the enqueue, a worker killed
mid-job). Both go through `Notifier.deliver`, which claims each entry, so a job and the sweep racing
for one entry send it once.

A one-off notification (`POST /api/v1/notifications`): the API queues its messages with the
request's Idempotency-Key answer in one transaction (it answers with their ids), and a job sends
the citizen's queue. A lost job leaves them queued, and the outbox's sweep for queued messages
nobody sent (every process's pipeline) sends them; sending is the outbox's, once per message."""

from __future__ import annotations

from datetime import datetime

from actions.catalog_access import catalog
from api.notifier import Notifier
from jobs.context import JobContext, SweepReport

JOB_NAME = "deliver_notification"
SEND_QUEUED = "send_queued_messages"


def job_id(entry_id: int) -> str:
    """arq's job id for an entry: a second enqueue while the first is queued or running is a no-op."""
    return f"notify:{entry_id}"


def send_job_id(message_id: int) -> str:
    """arq's job id for sending a one-off notification: named by its first message."""
    return f"send:{message_id}"


async def send_queued_messages(ctx: JobContext, citizen_id: int) -> str:
    if ctx.outbox is None or ctx.coordination is None:
        return "skipped: no channel is configured in this process (the outbox's sweep of a process with channels sends them)"
    # Under the citizen's lock, as every send: their messages go in order, one sender at a time.
    async with ctx.coordination.locks.hold(int(citizen_id)):
        sent = await ctx.outbox.flush(int(citizen_id))
    return f"{sent} message(s) sent"


async def deliver_notification(ctx: JobContext, entry_id: int) -> str:
    if ctx.outbox is None:
        return "skipped: no channel is configured in this process (the sweep of a worker with channels sends it)"
    sent = await Notifier(ctx.store, ctx.outbox, catalog).deliver(int(entry_id))
    return "queued" if sent else "not ours: done already or held by a live worker"


async def send_owed_notifications(ctx: JobContext, now: datetime) -> SweepReport:
    if ctx.outbox is None:
        return SweepReport("notifications", now, "skipped: no channel is configured in this process, nothing can be sent", 0)
    done = await Notifier(ctx.store, ctx.outbox, catalog).deliver_due()
    return SweepReport("notifications", now, f"{done} owed notification(s) queued whose job was lost", done)

