"""The retention sweep: texts of messages older than RETENTION_DAYS are redacted (store/retention.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from jobs.context import JobContext, SweepReport

logger = logging.getLogger(__name__)


async def redact_expired_texts(ctx: JobContext, now: datetime) -> SweepReport:
    cutoff = now - ctx.settings.retention
    done = await asyncio.to_thread(ctx.store.retention.redact_before, cutoff, now=now)
    did = (
        f"redacted {done.messages} messages, {done.review_rows} review rows, {done.tickets} tickets "
        f"created before {cutoff.isoformat(timespec='seconds')} (retention {ctx.settings.retention.days} days)"
    )
    if done.messages or done.review_rows or done.tickets:
        logger.info("retention %s", did)
    return SweepReport("retention", now, did, done.messages + done.review_rows + done.tickets)
