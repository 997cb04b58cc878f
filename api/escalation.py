"""Qassim's rule: a transaction sent to another body (`forwarded`) with no `reply_received` within
its period (the transaction's `escalate_after_days`, else its agency's, 10 days by default) sends
its manager one SMS for each period that passes without a reply.

`run_escalations(store, outbox, now)` is a plain function over the store, for the job engine to call
on a schedule (and `tawasol jobs run-due --as-of` to call with another `now`). Each (transaction,
clock, period) is claimed by a unique row before its SMS goes, so many workers and restarts send
it once; a claim whose sender died is sent by a later run.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from api.notifier import MANAGER, Notifier, payer_of, service_name
from api.wording import escalation_text
from actions.catalog_access import catalog
from core.messages import utcnow
from pipeline.outbox import Outbox
from store import Store
from store.models import TransactionEscalation

logger = logging.getLogger(__name__)

# A claim older than this with no SMS sent: its claimer died (real time, whatever `now` says).
ABANDONED_CLAIM = timedelta(minutes=5)


async def run_escalations(store: Store, outbox: Outbox, now: datetime) -> int:
    """Send the escalations due at `now` (an aware datetime); how many SMS were handed to the outbox."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    notifier = Notifier(store, outbox, catalog)
    sent = 0
    for claim in await asyncio.to_thread(store.transactions.unsent_escalations, utcnow() - ABANDONED_CLAIM):
        sent += await _send(store, notifier, claim)
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
        claimed = await asyncio.to_thread(
            store.transactions.claim_escalation, transaction.id, transaction.clock_event_id, period, due_at
        )
        if claimed is None:
            continue  # this period was escalated already (another worker, an earlier run)
        claim = TransactionEscalation(
            id=claimed, transaction_id=transaction.id, clock_event_id=transaction.clock_event_id, period=period, due_at=due_at
        )
        sent += await _send(store, notifier, claim)
    return sent


async def _send(store: Store, notifier: Notifier, claim: TransactionEscalation) -> int:
    found = await asyncio.to_thread(store.transactions.event, claim.clock_event_id)
    if found is None:
        return 0
    transaction, forwarded = found
    agency = await asyncio.to_thread(store.agencies.get, transaction.agency_id)
    days = (claim.due_at - forwarded.at).days
    text = escalation_text(transaction, service_name(notifier.catalog(), transaction.service_id, "ar"), forwarded, days)
    result = await notifier.send_internal(transaction.manager_phone, text, payer_of(agency))
    await asyncio.to_thread(
        store.transactions.link, transaction.id, MANAGER, result.message_ids,
        escalation_id=claim.id, skipped=result.skipped or "unreachable",
    )
    await asyncio.to_thread(store.transactions.mark_escalation_sent, claim.id)
    logger.info(
        "escalated transaction_id=%s agency=%s period=%d messages=%d", transaction.id, transaction.agency_id,
        claim.period, len(result.message_ids),
    )
    return 1 if result.message_ids else 0
