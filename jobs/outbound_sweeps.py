"""The sweeps that send messages: escalations to managers (api/escalation.py) and pushes WhatsApp
did not deliver in time moved to SMS (pipeline/delivery_fallbacks.py). Both claim each step with a
unique row or a conditional update before sending, so any number of job workers send it once."""

from __future__ import annotations

from datetime import datetime

from api.escalation import run_escalations
from jobs.context import JobContext, SweepReport
from pipeline.delivery_fallbacks import run_delivery_fallbacks


def _no_outbox(sweep: str, now: datetime) -> SweepReport:
    return SweepReport(sweep, now, "skipped: no channel is configured in this process, nothing can be sent", 0)


async def escalate_unanswered_transactions(ctx: JobContext, now: datetime) -> SweepReport:
    if ctx.outbox is None:
        return _no_outbox("escalation", now)
    sent = await run_escalations(ctx.store, ctx.outbox, now)
    return SweepReport("escalation", now, f"{sent} escalation SMS handed to the outbox", sent)


async def move_undelivered_pushes(ctx: JobContext, now: datetime) -> SweepReport:
    if ctx.outbox is None:
        return _no_outbox("delivery_fallbacks", now)
    moved = await run_delivery_fallbacks(ctx.store, ctx.outbox, now)
    return SweepReport("delivery_fallbacks", now, f"{moved} undelivered push(es) moved to their fallback channel", moved)
