"""Qassim's rule: a transaction sent to another body (`forwarded`) with no `reply_received` within
its period (the transaction's `escalate_after_days`, else its agency's, 10 days by default) sends
its manager one SMS for each period that passes without a reply.

`run_escalations(store, outbox, now)` is a plain function over the store, for the job engine to call
on a schedule (and `tawasol jobs run-due --as-of` to call with another `now`). Each (transaction,
clock, period) is claimed by a unique row, written with the manager's notification entry in one
transaction (store/notification_outbox.py), so many workers and restarts send it once; an entry
whose sender died is sent by the notification sweep.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from api.notifier import Notifier
from actions.catalog_access import catalog
from pipeline.outbox import Outbox
from store import Store

logger = logging.getLogger(__name__)


async def run_escalations(store: Store, outbox: Outbox, now: datetime) -> int:
    """Claim and send the escalations due at `now` (an aware datetime); how many were claimed."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    notifier = Notifier(store, outbox, catalog)
    claimed = 0
    for transaction in await asyncio.to_thread(store.transactions.waiting_for_reply, now - timedelta(days=1)):
        agency = await asyncio.to_thread(store.agencies.get, transaction.agency_id)
        days = transaction.escalate_after_days or agency.escalate_after_days
        period = (now - transaction.clock_started_at) // timedelta(days=days)
        if period < 1:
            continue
        if not transaction.manager_phone:
            logger.info("escalation due but no manager_phone transaction_id=%s period=%d", transaction.id, period)
            continue
        due_at = transaction.clock_started_at + period * timedelta(days=days)
        entry = await asyncio.to_thread(
            store.transactions.claim_escalation, transaction.id, transaction.clock_event_id, period, due_at
        )
        if entry is None:
            continue  # this period was escalated already (another worker, an earlier run)
        claimed += 1
        logger.info("escalating transaction_id=%s agency=%s period=%d", transaction.id, transaction.agency_id, period)
        try:
            await notifier.deliver(entry)
        except Exception:
            logger.exception("escalation entry_id=%s not sent now; the notification sweep sends it", entry)
    return claimed
