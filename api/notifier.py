"""Every step of a transaction notified: the citizen in their language, the employee a transaction
is assigned to by SMS. Sent through the outbox (which routes, bills and records); each message is
linked to its step, so `GET /transactions/{number}` shows what went where and why.

A step is recorded before it is notified (the API answers once it is stored). If the process dies
in between, `notify_unfinished` (a sweep for the job engine) notifies the steps left over; a
recipient already linked to a step is never notified twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Callable, Optional

from api.wording import citizen_text, employee_text, template_values
from catalog.replies import reply_language
from catalog.services import Catalog
from core.messages import SMS, BotReply, Notice, utcnow
from pipeline.outbox import Outbox, PushResult
from routing.billing import MessageKind
from routing.policy import Agency as Payer
from routing.policy import agency_of
from store import Store
from store.models import Agency, DIRECTION_OUT, Transaction, TransactionEvent

logger = logging.getLogger(__name__)

CITIZEN, EMPLOYEE, MANAGER = "citizen", "employee", "manager"
# A step younger than this may still be being notified by the request that recorded it.
UNFINISHED_AFTER = timedelta(minutes=2)


def payer_of(agency: Agency) -> Payer:
    """The routing table's view of an agency: who pays (seed 000) and the SMS sender it uses."""
    return agency_of(agency)


def service_name(catalog: Catalog, service_id: str, language: str) -> str:
    service = catalog.service(service_id)
    return service.name.get(reply_language(language)) if service else service_id


class Notifier:
    def __init__(self, store: Store, outbox: Outbox, catalog: Callable[[], Catalog]) -> None:
        self._store = store
        self._outbox = outbox
        self.catalog = catalog

    async def notify_event(self, event_id: int) -> None:
        """Notify everyone a step concerns (those not yet notified), then mark it notified."""
        found = await asyncio.to_thread(self._store.transactions.to_notify, event_id)
        if found is None:
            return
        transaction, event, agency, done = found
        payer = payer_of(agency)
        if CITIZEN not in done:
            language = await asyncio.to_thread(self.citizen_language, transaction)
            service = service_name(self.catalog(), transaction.service_id, language)
            text = citizen_text(event, transaction, agency, service, language)
            # Outside WhatsApp's window the approved template of this step's kind goes instead
            # (data/whatsapp_templates.yml), filled from these values.
            notice = Notice(f"transaction_{event.type}", template_values(event, transaction, service, language), agency.id)
            result = await self._outbox.push(
                transaction.citizen_id,
                BotReply(text=text, language=language, notice=notice),
                MessageKind.TRANSACTION_STATUS.value,
                category=MessageKind.TRANSACTION_STATUS,
                agency=payer,
                asked_for=True,  # they started the transaction: a plain STOP does not silence it
            )
            await self._link(transaction, CITIZEN, result, event_id=event.id)
        employee = _employee_of(transaction, event)
        if employee and EMPLOYEE not in done:
            result = await self.send_internal(
                employee, employee_text(transaction, service_name(self.catalog(), transaction.service_id, "ar"), event.at), payer
            )
            await self._link(transaction, EMPLOYEE, result, event_id=event.id)
        await asyncio.to_thread(self._store.transactions.mark_notified, event_id)

    async def send_internal(self, phone: str, text: str, payer: Payer) -> PushResult:
        """An SMS to an agency's staff (the employee, the manager), billed as internal."""
        person = await asyncio.to_thread(self._store.citizens.for_phone, phone)
        return await self._outbox.push(
            person,
            BotReply(text=text, language="ar"),
            MessageKind.INTERNAL.value,
            category=MessageKind.INTERNAL,
            agency=payer,
            asked_for=True,
            only=(SMS,),
        )

    async def _link(
        self, transaction: Transaction, recipient: str, result: PushResult, *,
        event_id: Optional[int] = None, escalation_id: Optional[int] = None,
    ) -> None:
        await asyncio.to_thread(
            self._store.transactions.link, transaction.id, recipient, result.message_ids,
            event_id=event_id, escalation_id=escalation_id, skipped=result.skipped or "unreachable",
        )
        logger.info(
            "transaction notified agency=%s transaction_id=%s recipient=%s channel=%s messages=%d skipped=%s",
            transaction.agency_id, transaction.id, recipient, result.channel, len(result.message_ids), result.skipped,
        )

    def citizen_language(self, transaction: Transaction) -> str:
        """The language the agency gave, else the citizen's chosen one, else the language we last
        spoke to them in, else Arabic."""
        if transaction.language:
            return transaction.language
        return language_of_citizen(self._store, transaction.citizen_id)



async def resume_notifications(store: Store, outbox: Outbox, *, older_than: timedelta = UNFINISHED_AFTER) -> int:
    """Notify the steps a dead process recorded but did not finish notifying (recorded more than
    `older_than` ago, real time); recipients already notified are skipped. A sweep for the job
    engine; returns how many steps it finished."""
    from actions.catalog_access import catalog

    notifier = Notifier(store, outbox, catalog)
    pending = await asyncio.to_thread(store.transactions.unnotified_events, utcnow() - older_than)
    for event_id in pending:
        await notifier.notify_event(event_id)
    return len(pending)


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
