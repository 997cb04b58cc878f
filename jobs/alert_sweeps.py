"""The alert sweep: document-expiry alert steps due as of `now` (api/alerts.py decides what is
due from the records and schedules, and claims each step before sending, so any number of job
workers, a late run or a rerun after a crash send each step at most once)."""

from __future__ import annotations

from datetime import datetime

from actions.catalog_access import catalog
from api.alerts import run_alerts
from jobs.context import JobContext, SweepReport


async def send_due_alerts(ctx: JobContext, now: datetime) -> SweepReport:
    if ctx.outbox is None:
        return SweepReport("alerts", now, "skipped: no channel is configured in this process, nothing can be sent", 0)
    run = await run_alerts(ctx.store, ctx.outbox, catalog, now)
    if run.waiting:
        return SweepReport("alerts", now, f"{run.waiting} alert(s) due wait for 08:00 Amman time (quiet hours)", 0)
    did = f"{run.sent} alert(s) sent, {run.skipped} skipped (opted out or unreachable)"
    if run.claimed < run.due:
        did += f"; {run.due - run.claimed} claimed by another worker"
    return SweepReport("alerts", now, did, run.claimed)
