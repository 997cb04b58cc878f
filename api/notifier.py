"""Every step of a transaction notified: the citizen in their language, the employee a transaction
is assigned to by SMS, the manager when a forwarded transaction gets no reply (api/escalation.py).

A step is stored with the notifications it owes, in one database transaction (an entry of the
notification outbox per recipient, store/notification_outbox.py). `deliver(entry_id)` turns one
entry into messages: it claims the entry, works out the message (language, wording, template,
channel: the outbox's routing), and queues it in the transaction that marks the entry done and
links the message to its step; then the outbox sends it. Run by the job engine (the API enqueues
each entry; `deliver_due` is the sweep for entries whose job was lost), or, with no job engine, by
the API itself after it answered. Any number of processes, and any of them killed at any moment:
each (transaction, step, recipient) is queued once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Callable, Optional

from api.wording import citizen_text, employee_text, escalation_text, template_values
from catalog.replies import reply_language
from catalog.services import Catalog
from core.messages import SMS, BotReply, Notice, utcnow
from pipeline.outbox import Outbox, PlannedPush
from routing.billing import MessageKind
from routing.policy import Agency as Payer
from routing.policy import agency_of
from store import Store
from store.models import Agency, DIRECTION_OUT, Transaction, TransactionEvent
from store.notification_outbox import ClaimedEntry
from store.transactions import CITIZEN, EMPLOYEE, MANAGER

logger = logging.getLogger(__name__)

__all__ = ["CITIZEN", "EMPLOYEE", "MANAGER", "Notifier", "payer_of", "service_name", "language_of_citizen"]

# A claim older than this is its holder's no more (it died): another worker may take the entry.
# A slow holder that comes back after it finds its claim gone and writes nothing.
CLAIM_LASTS = timedelta(seconds=30)
# An entry this old that nobody claimed: its dispatch (the API's enqueue) was lost; the sweep sends it.
UNCLAIMED_AFTER = timedelta(seconds=5)


def payer_of(agency: Agency) -> Payer:
    """The routing table's view of an agency: who pays (seed 000) and the SMS sender it uses."""
    return agency_of(agency)


def service_name(catalog: Catalog, service_id: str, language: str) -> str:
    service = catalog.service(service_id)
    return service.name.get(reply_language(language)) if service else service_id


class Notifier:
    def __init__(
        self, store: Store, outbox: Outbox, catalog: Callable[[], Catalog], *, claim_lasts: timedelta = CLAIM_LASTS
    ) -> None:
        self._store = store
        self._outbox = outbox
        self.catalog = catalog
        self._claim_lasts = claim_lasts

    async def deliver(self, entry_id: int) -> bool:
        """Queue and send the message one outbox entry owes; False when it was not this call's to
        do (done already, or held by a live worker)."""
        claimed = await asyncio.to_thread(
            self._store.notifications.claim, entry_id, stale_before=utcnow() - self._claim_lasts
        )
        if claimed is None:
            return False
        person, planned = await self._plan(claimed)
        if person is None:
            ids = await asyncio.to_thread(self._store.notifications.complete, claimed, [], skipped="no_phone")
        else:
            skipped = planned.result.skipped or "unreachable"
            ids = await self._outbox.queue(
                person, lambda: self._store.notifications.complete(claimed, planned.rows, skipped=skipped)
            )
        if ids is None:
            logger.warning("notification entry_id=%s was taken over by another worker: nothing queued here", entry_id)
            return False
        t = claimed.transaction
        logger.info(
            "transaction notified agency=%s transaction_id=%s recipient=%s channel=%s messages=%d skipped=%s",
            t.agency_id, t.id, claimed.recipient, planned.result.channel if planned else None, len(ids),
            planned.result.skipped if planned else "no_phone",
        )
        return True

    async def deliver_due(self, *, limit: int = 500) -> int:
        """The sweep: entries whose dispatch was lost, or whose claimer died; how many it queued."""
        now = utcnow()
        due = await asyncio.to_thread(
            self._store.notifications.due,
            created_before=now - UNCLAIMED_AFTER, stale_before=now - self._claim_lasts, limit=limit,
        )
        done = 0
        for entry_id in due:
            try:
                done += await self.deliver(entry_id)
            except Exception:
                logger.exception("notification entry_id=%s failed; the next sweep tries again", entry_id)
        return done

    async def _plan(self, claimed: ClaimedEntry) -> tuple[Optional[int], Optional[PlannedPush]]:
        """(the person it goes to, the push planned) for an entry; (None, None) when the step
        names no phone for its recipient."""
        transaction, event, payer = claimed.transaction, claimed.event, payer_of(claimed.agency)
        if claimed.recipient == CITIZEN:
            language = await asyncio.to_thread(self.citizen_language, transaction)
            service = service_name(self.catalog(), transaction.service_id, language)
            text = citizen_text(event, transaction, claimed.agency, service, language)
            # Outside WhatsApp's window the approved template of this step's kind goes instead
            # (data/whatsapp_templates.yml), filled from these values.
            notice = Notice(
                f"transaction_{event.type}", template_values(event, transaction, service, language), claimed.agency.id
            )
            planned = await self._outbox.plan_push(
                transaction.citizen_id,
                BotReply(text=text, language=language, notice=notice),
                MessageKind.TRANSACTION_STATUS.value,
                category=MessageKind.TRANSACTION_STATUS,
                agency=payer,
                asked_for=True,  # they started the transaction: a plain STOP does not silence it
            )
            return transaction.citizen_id, planned
        service = service_name(self.catalog(), transaction.service_id, "ar")
        if claimed.recipient == MANAGER:
            phone = transaction.manager_phone
            days = (claimed.escalation.due_at - event.at).days
            text = escalation_text(transaction, service, event, days) if phone else ""
        else:
            phone = _employee_of(transaction, event)
            text = employee_text(transaction, service, event.at) if phone else ""
        if not phone:
            return None, None
        person = await asyncio.to_thread(self._store.citizens.for_phone, phone)
        return person, await self.plan_internal(person, text, payer)

    async def plan_internal(self, person: int, text: str, payer: Payer) -> PlannedPush:
        """An SMS to an agency's staff (the employee, the manager), billed as internal."""
        return await self._outbox.plan_push(
            person,
            BotReply(text=text, language="ar"),
            MessageKind.INTERNAL.value,
            category=MessageKind.INTERNAL,
            agency=payer,
            asked_for=True,
            only=(SMS,),
        )

    def citizen_language(self, transaction: Transaction) -> str:
        """The language the agency gave, else the citizen's chosen one, else the language we last
        spoke to them in, else Arabic."""
        if transaction.language:
            return transaction.language
        return language_of_citizen(self._store, transaction.citizen_id)


def language_of_citizen(store: Store, citizen_id: int) -> str:
    citizen = store.citizens.get(citizen_id)
    if citizen is not None and citizen.preferred_language:
        return reply_language(citizen.preferred_language)
    for row in reversed(store.conversations.history(citizen_id, limit=6)):
        if row.direction == DIRECTION_OUT and row.language:
            return reply_language(row.language)
    return "ar"


def _employee_of(transaction: Transaction, event: TransactionEvent) -> Optional[str]:
    if event.type == "registered":
        return transaction.assigned_employee_phone
    if event.type == "assigned":
        return event.employee_phone
    return None
