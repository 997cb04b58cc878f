"""The transaction registry: transactions agencies register through the API, their steps, what
each step sent, escalations to managers, and the idempotency keys of the API's requests.

What a step may follow is the API's rule (api/lifecycle.py), handed in as `transition`; this
module only keeps the rows consistent: a step and its Idempotency-Key are written in one
transaction, so a retried request can never record a step twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Optional, Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.messages import utcnow
from store.citizens import citizen_for_phone
from store.database import Database
from store.notification_outbox import owe, pending_entries
from store.outbound import NewOutbound, insert_outbound
from store.models import (
    Agency,
    IdempotencyKey,
    Message,
    MessageStatusEvent,
    Transaction,
    TransactionEscalation,
    TransactionEvent,
    TransactionNotification,
)

REGISTERED = "registered"  # the first step of every transaction: its registration
CITIZEN, EMPLOYEE, MANAGER = "citizen", "employee", "manager"  # who a step's notification is for


class RegistryConflict(ValueError):
    """The request contradicts what is stored (another content for a number, a step the
    transaction's state refuses); the message says why."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class IdempotencyKeyReused(ValueError):
    """The Idempotency-Key was used before for another request."""


class TransactionNotFound(LookupError):
    pass


@dataclass(frozen=True)
class IdempotencyClaim:
    key: str
    request_hash: str


@dataclass(frozen=True)
class Answer:
    """What an API write answered: the status code and JSON body (a replay: the first answer)."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False
    event_id: Optional[int] = None  # a step just recorded
    entry_ids: tuple[int, ...] = ()  # the notifications it owes (store/notification_outbox.py): the caller dispatches them


@dataclass(frozen=True)
class NewTransaction:
    agency_id: str
    number: str
    service_id: str
    citizen_phone: str
    language: Optional[str]
    registered_at: datetime
    assigned_employee_phone: Optional[str]
    manager_phone: Optional[str]
    escalate_after_days: Optional[int]
    content_hash: str


@dataclass(frozen=True)
class NewEvent:
    type: str
    at: datetime
    note: Optional[str] = None
    destination: Optional[str] = None
    document_number: Optional[str] = None
    employee_phone: Optional[str] = None


@dataclass(frozen=True)
class StatusStep:
    status: str
    at: datetime
    detail: Optional[str]


@dataclass(frozen=True)
class NotificationView:
    event_id: Optional[int]
    escalation_id: Optional[int]
    recipient: str
    skipped: Optional[str]
    message_id: Optional[int]
    channel: Optional[str] = None
    status: Optional[str] = None
    sender: Optional[str] = None
    route_reason: Optional[str] = None
    route_cause: Optional[str] = None
    text: Optional[str] = None
    segments: Optional[int] = None
    timeline: tuple[StatusStep, ...] = ()


@dataclass(frozen=True)
class TransactionView:
    transaction: Transaction
    events: list[TransactionEvent]
    notifications: list[NotificationView] = field(default_factory=list)
    escalations: list[TransactionEscalation] = field(default_factory=list)


# (transaction, its events, the new event) -> the state after it; raises RegistryConflict.
Transition = Callable[[Transaction, list[TransactionEvent], NewEvent], str]
Respond = Callable[[TransactionView], dict[str, Any]]


class TransactionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- writes from the API -------------------------------------------------------------------

    def register(
        self, new: NewTransaction, *, idempotency: Optional[IdempotencyClaim], respond: Respond
    ) -> Answer:
        """Register a transaction and its first step (201); the same content again answers the
        stored record (200) and records nothing; another content under the same number is a
        RegistryConflict."""

        def work(s: Session) -> Answer:
            existing = s.execute(
                select(Transaction).where(Transaction.agency_id == new.agency_id, Transaction.number == new.number)
            ).scalar_one_or_none()
            if existing is not None:
                if existing.content_hash != new.content_hash:
                    raise RegistryConflict(
                        "number_taken",
                        f"transaction {new.number} is already registered with other content "
                        "(service, citizen, dates, phones or period differ)",
                    )
                return Answer(200, respond(_view(s, existing)))
            citizen_id = citizen_for_phone(s, new.citizen_phone)
            transaction = Transaction(
                agency_id=new.agency_id,
                number=new.number,
                service_id=new.service_id,
                citizen_id=citizen_id,
                citizen_phone=new.citizen_phone,
                language=new.language,
                registered_at=new.registered_at,
                assigned_employee_phone=new.assigned_employee_phone,
                manager_phone=new.manager_phone,
                escalate_after_days=new.escalate_after_days,
                state=REGISTERED,
                content_hash=new.content_hash,
            )
            s.add(transaction)
            s.flush()
            event = TransactionEvent(transaction_id=transaction.id, type=REGISTERED, at=new.registered_at)
            s.add(event)
            s.flush()
            recipients = [CITIZEN] + ([EMPLOYEE] if new.assigned_employee_phone else [])
            entries = owe(s, transaction.id, recipients, event_id=event.id)
            return Answer(201, respond(_view(s, transaction)), event_id=event.id, entry_ids=tuple(entries))

        return self._idempotent(new.agency_id, idempotency, work)

    def add_event(
        self,
        agency_id: str,
        number: str,
        new: NewEvent,
        *,
        transition: Transition,
        idempotency: Optional[IdempotencyClaim],
        respond: Respond,
    ) -> Answer:
        """Record a step (201) if `transition` allows it; TransactionNotFound for a number the
        agency does not have (another agency's included)."""

        def work(s: Session) -> Answer:
            transaction = s.execute(
                select(Transaction)
                .where(Transaction.agency_id == agency_id, Transaction.number == number)
                .with_for_update()  # one step at a time per transaction (PostgreSQL; SQLite writes one at a time)
            ).scalar_one_or_none()
            if transaction is None:
                raise TransactionNotFound(number)
            events = _events(s, transaction.id)
            state = transition(transaction, events, new)
            event = TransactionEvent(
                transaction_id=transaction.id,
                type=new.type,
                at=new.at,
                note=new.note,
                destination=new.destination,
                document_number=new.document_number,
                employee_phone=new.employee_phone,
            )
            s.add(event)
            s.flush()
            transaction.state = state
            if new.type == "forwarded":
                transaction.clock_started_at, transaction.clock_event_id = new.at, event.id
            elif state != "forwarded":
                transaction.clock_started_at = transaction.clock_event_id = None
            if new.employee_phone:
                transaction.assigned_employee_phone = new.employee_phone
            transaction.updated_at = utcnow()
            s.flush()
            recipients = [CITIZEN] + ([EMPLOYEE] if new.type == "assigned" and new.employee_phone else [])
            entries = owe(s, transaction.id, recipients, event_id=event.id)
            return Answer(201, respond(_view(s, transaction)), event_id=event.id, entry_ids=tuple(entries))

        return self._idempotent(agency_id, idempotency, work)

    def _idempotent(
        self, agency_id: str, claim: Optional[IdempotencyClaim], work: Callable[[Session], Answer]
    ) -> Answer:
        """`work` and the key's row in one transaction. Two requests with one key at once: the
        second's insert fails on the key's unique constraint, its work rolls back, and it answers
        the first's stored answer."""
        for attempt in (1, 2):
            try:
                with self._db.session() as s:
                    if claim is not None:
                        stored = _stored_answer(s, agency_id, claim)
                        if stored is not None:
                            return stored
                    answer = work(s)
                    if claim is not None:
                        s.add(
                            IdempotencyKey(
                                agency_id=agency_id, key=claim.key, request_hash=claim.request_hash,
                                status_code=answer.status_code, response=answer.body,
                            )
                        )
                        s.flush()
                    return answer
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    # --- idempotency for writes that are not one transaction (one-off notifications) -----------

    def claim_key(self, agency_id: str, claim: IdempotencyClaim) -> Optional[Answer]:
        """Take the key before the work: None when it is ours now; the stored answer when the
        first request finished; status 0 when it is still running. IdempotencyKeyReused when the
        key named another request."""
        try:
            with self._db.session() as s:
                stored = _stored_answer(s, agency_id, claim)
                if stored is not None:
                    return stored
                s.add(IdempotencyKey(agency_id=agency_id, key=claim.key, request_hash=claim.request_hash,
                                     status_code=0, response={}))
                s.flush()
                return None
        except IntegrityError:
            with self._db.session() as s:
                return _stored_answer(s, agency_id, claim)

    def finish_key(self, agency_id: str, key: str, status_code: int, body: dict[str, Any]) -> None:
        with self._db.session() as s:
            s.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.agency_id == agency_id, IdempotencyKey.key == key)
                .values(status_code=status_code, response=body)
            )

    def queue_one_off(
        self,
        agency_id: str,
        key: Optional[str],
        rows: Sequence[NewOutbound],
        answer: Callable[[list[int]], tuple[int, dict[str, Any]]],
    ) -> tuple[int, dict[str, Any]]:
        """A one-off notification's messages queued (status "queued", each with its ledger row)
        and its Idempotency-Key's answer (`answer(ids)`: status code and body) written in ONE
        transaction: a retry finds the messages and the answer, or neither (the key, claimed by
        `claim_key`, is then released by the caller). Sending is the outbox's, afterwards."""
        with self._db.session() as s:
            ids = insert_outbound(s, rows) if rows else []
            status_code, body = answer(ids)
            if key is not None:
                s.execute(
                    update(IdempotencyKey)
                    .where(IdempotencyKey.agency_id == agency_id, IdempotencyKey.key == key)
                    .values(status_code=status_code, response=body)
                )
            return status_code, body

    def release_key(self, agency_id: str, key: str) -> None:
        """The request was refused before any work: the key may be used again."""
        with self._db.session() as s:
            s.execute(
                IdempotencyKey.__table__.delete().where(
                    IdempotencyKey.agency_id == agency_id, IdempotencyKey.key == key, IdempotencyKey.status_code == 0
                )
            )

    # --- reads ---------------------------------------------------------------------------------

    def view(self, agency_id: str, number: str) -> Optional[TransactionView]:
        with self._db.session() as s:
            transaction = s.execute(
                select(Transaction).where(Transaction.agency_id == agency_id, Transaction.number == number)
            ).scalar_one_or_none()
            return None if transaction is None else _view(s, transaction, with_notifications=True)

    def view_by_id(self, transaction_id: int) -> Optional[TransactionView]:
        with self._db.session() as s:
            transaction = s.get(Transaction, transaction_id)
            return None if transaction is None else _view(s, transaction, with_notifications=True)

    def event(self, event_id: int) -> Optional[tuple[Transaction, TransactionEvent]]:
        with self._db.session() as s:
            event = s.get(TransactionEvent, event_id)
            if event is None:
                return None
            return s.get(Transaction, event.transaction_id), event

    def of_citizen(self, citizen_id: int, number: str) -> Optional[tuple[Transaction, TransactionEvent]]:
        """The citizen's own transaction with this number (any agency) and its last step; a
        number registered for someone else is not theirs to see."""
        wanted = _comparable(number)
        with self._db.session() as s:
            rows = s.execute(
                select(Transaction).where(Transaction.citizen_id == citizen_id).order_by(Transaction.id.desc())
            ).scalars()
            for transaction in rows:
                if _comparable(transaction.number) == wanted:
                    last = _events(s, transaction.id)[-1]
                    return transaction, last
        return None

    def has_transaction_with(self, citizen_id: int, agency_id: str) -> bool:
        with self._db.session() as s:
            return s.execute(
                select(Transaction.id).where(Transaction.citizen_id == citizen_id, Transaction.agency_id == agency_id).limit(1)
            ).first() is not None

    # --- escalation ----------------------------------------------------------------------------

    def waiting_for_reply(self, started_before: datetime) -> list[Transaction]:
        """Forwarded transactions whose clock started before `started_before`."""
        with self._db.session() as s:
            return list(
                s.execute(
                    select(Transaction)
                    .where(
                        Transaction.state == "forwarded",
                        Transaction.clock_started_at.is_not(None),
                        Transaction.clock_started_at <= started_before,
                    )
                    .order_by(Transaction.id)
                ).scalars()
            )

    def claim_escalation(self, transaction_id: int, clock_event_id: int, period: int, due_at: datetime) -> Optional[int]:
        """The manager's notification entry (store/notification_outbox.py) if this caller is the
        first to claim (transaction, clock, period): the escalation and what it owes in one
        transaction; None when another worker (or an earlier run) already has."""
        try:
            with self._db.session() as s:
                row = TransactionEscalation(
                    transaction_id=transaction_id, clock_event_id=clock_event_id, period=period, due_at=due_at
                )
                s.add(row)
                s.flush()
                return owe(s, transaction_id, [MANAGER], escalation_id=row.id)[0]
        except IntegrityError:
            return None


def _comparable(number: str) -> str:
    return "".join(ch for ch in number.casefold() if ch.isalnum())


def _stored_answer(s: Session, agency_id: str, claim: IdempotencyClaim) -> Optional[Answer]:
    row = s.execute(
        select(IdempotencyKey).where(IdempotencyKey.agency_id == agency_id, IdempotencyKey.key == claim.key)
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.request_hash != claim.request_hash:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {claim.key!r} was used for another request (a different path or body); "
            "use a new key for a new request"
        )
    return Answer(row.status_code, dict(row.response or {}), replayed=True)


def _events(s: Session, transaction_id: int) -> list[TransactionEvent]:
    return list(
        s.execute(
            select(TransactionEvent).where(TransactionEvent.transaction_id == transaction_id).order_by(TransactionEvent.id)
        ).scalars()
    )


def _view(s: Session, transaction: Transaction, *, with_notifications: bool = False) -> TransactionView:
    events = _events(s, transaction.id)
    if not with_notifications:
        return TransactionView(transaction, events)
    links = list(
        s.execute(
            select(TransactionNotification, Message)
            .outerjoin(Message, Message.id == TransactionNotification.message_id)
            .where(TransactionNotification.transaction_id == transaction.id)
            .order_by(TransactionNotification.id)
        )
    )
    message_ids = [m.id for _, m in links if m is not None]
    timelines: dict[int, list[StatusStep]] = {}
    if message_ids:
        for row in s.execute(
            select(MessageStatusEvent)
            .where(MessageStatusEvent.message_id.in_(message_ids))
            .order_by(MessageStatusEvent.at, MessageStatusEvent.id)
        ).scalars():
            timelines.setdefault(row.message_id, []).append(
                StatusStep(row.status, row.at, row.error_code or row.detail)
            )
    # A message replaced by its fallback is linked through the reply it shares with it: show both.
    fallbacks: dict[str, list[Message]] = {}
    keys = [m.reply_key for _, m in links if m is not None and m.reply_key]
    if keys:
        for message in s.execute(
            select(Message).where(Message.reply_key.in_(keys), Message.id.not_in(message_ids)).order_by(Message.id)
        ).scalars():
            fallbacks.setdefault(message.reply_key, []).append(message)
            for row in s.execute(
                select(MessageStatusEvent).where(MessageStatusEvent.message_id == message.id).order_by(MessageStatusEvent.at)
            ).scalars():
                timelines.setdefault(message.id, []).append(StatusStep(row.status, row.at, row.error_code or row.detail))
    notifications: list[NotificationView] = []
    for entry in pending_entries(s, transaction.id):
        # Owed but not yet turned into a message (the job engine has it): shown as pending.
        notifications.append(
            NotificationView(
                event_id=entry.event_id, escalation_id=entry.escalation_id, recipient=entry.recipient,
                skipped=None, message_id=None, status="pending",
            )
        )
    for link, message in links:
        for shown in [message, *fallbacks.pop(message.reply_key, [])] if message is not None else [None]:
            notifications.append(
                NotificationView(
                    event_id=link.event_id,
                    escalation_id=link.escalation_id,
                    recipient=link.recipient,
                    skipped=link.skipped,
                    message_id=shown.id if shown is not None else None,
                    channel=shown.channel if shown is not None else None,
                    status=shown.status if shown is not None else None,
                    sender=shown.sender if shown is not None else None,
                    route_reason=shown.route_reason if shown is not None else None,
                    route_cause=shown.route_cause if shown is not None else None,
                    text=shown.text if shown is not None else None,
                    segments=shown.segments if shown is not None else None,
                    timeline=tuple(timelines.get(shown.id, ())) if shown is not None else (),
                )
            )
    escalations = list(
        s.execute(
            select(TransactionEscalation)
            .where(TransactionEscalation.transaction_id == transaction.id)
            .order_by(TransactionEscalation.id)
        ).scalars()
    )
    return TransactionView(transaction, events, notifications, escalations)
