"""The dashboards' rollup sweep: each past Amman day counted once into dashboard_daily (store/dashboards.py).

Incremental: a run rolls up the days not rolled yet, oldest first (at most MAX_DAYS_PER_RUN, so a
first run over a year of history spreads over a few runs, each well inside arq's job timeout), and
the last SETTLE_DAYS days again, since their delivery receipts, read receipts and billing may still
move. Re-rolling a day replaces its rows: running it twice changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from jobs.context import JobContext, SweepReport
from store.dashboards import amman_day

logger = logging.getLogger(__name__)

SETTLE_DAYS = 2
MAX_DAYS_PER_RUN = 60


async def roll_up_dashboards(ctx: JobContext, now: datetime) -> SweepReport:
    repository = ctx.store.dashboards
    days = await asyncio.to_thread(repository.days_to_roll, amman_day(now), SETTLE_DAYS, MAX_DAYS_PER_RUN)
    rows = 0
    for day in days:
        rows += await asyncio.to_thread(repository.roll_up_day, day, now)
    if not days:
        did = "no messages yet: nothing to roll up"
    else:
        did = f"rolled up {len(days)} days ({days[0].isoformat()} .. {days[-1].isoformat()}), {rows} rows"
        logger.info("dashboards %s", did)
    return SweepReport("dashboards", now, did, rows)
