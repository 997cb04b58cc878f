"""The notification outbox: what each step of a transaction owes its citizen, employee or manager.

An entry is written in the same database transaction as its step (or escalation), so a step is
never stored without its notifications, nor a notification without its step. A worker claims an
entry (a token and a time on the row), works out the messages, and queues them in ONE transaction
that also checks its claim still holds and marks the entry done: a worker killed before that
commit leaves the entry pending (a later claim redoes it, nothing was queued), one killed after it
leaves queued messages, which the outbox's own recovery sends. Either way each (transaction, step,
recipient) turns into messages once: the key is unique and `complete` is conditional.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Optional, Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from core.messages import utcnow
from store.database import Database
from store.models import (
    Agency,
    NotificationEntry,
    Transaction,
    TransactionEscalation,
    TransactionEvent,
    TransactionNotification,
)
from store.outbound import NewOutbound, insert_outbound

PENDING, DONE = "pending", "done"


def entry_key(transaction_id: int, recipient: str, *, event_id: Optional[int] = None, escalation_id: Optional[int] = None) -> str:
    step = f"e{event_id}" if event_id is not None else f"x{escalation_id}"
    return f"t{transaction_id}:{step}:{recipient}"


def owe(
    s: Session,
    transaction_id: int,
    recipients: Iterable[str],
    *,
    event_id: Optional[int] = None,
    escalation_id: Optional[int] = None,
) -> list[int]:
    """Write the entries a step owes, in the caller's transaction; their ids."""
    rows = [
        NotificationEntry(
            key=entry_key(transaction_id, recipient, event_id=event_id, escalation_id=escalation_id),
            transaction_id=transaction_id, event_id=event_id, escalation_id=escalation_id,
            recipient=recipient, status=PENDING, attempts=0,
        )
        for recipient in recipients
    ]
    s.add_all(rows)
    s.flush()
    return [row.id for row in rows]


@dataclass(frozen=True)
class ClaimedEntry:
    """An entry this worker may turn into messages, with what that needs, read at the claim."""

    id: int
    token: str
    recipient: str
    transaction: Transaction
    agency: Agency
    event: Optional[TransactionEvent]  # the step; for an escalation, the `forwarded` step whose clock ran out
    escalation: Optional[TransactionEscalation]


class NotificationOutbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    def claim(self, entry_id: int, *, stale_before: datetime) -> Optional[ClaimedEntry]:
        """Take a pending entry nobody holds (or whose holder claimed it before `stale_before`:
        it died); None when it is done or held by a live worker."""
        token = uuid.uuid4().hex
        now = utcnow()
        with self._db.session() as s:
            taken = s.execute(
                update(NotificationEntry)
                .where(
                    NotificationEntry.id == entry_id,
                    NotificationEntry.status == PENDING,
                    or_(NotificationEntry.claim.is_(None), NotificationEntry.claimed_at < stale_before),
                )
                .values(claim=token, claimed_at=now, attempts=NotificationEntry.attempts + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not taken:
                return None
            entry = s.get(NotificationEntry, entry_id)
            transaction = s.get(Transaction, entry.transaction_id)
            escalation = s.get(TransactionEscalation, entry.escalation_id) if entry.escalation_id else None
            event_id = entry.event_id if escalation is None else escalation.clock_event_id
            event = s.get(TransactionEvent, event_id) if event_id else None
            return ClaimedEntry(
                entry.id, token, entry.recipient, transaction, s.get(Agency, transaction.agency_id), event, escalation
            )

    def complete(
        self, claimed: ClaimedEntry, rows: Sequence[NewOutbound], *, skipped: Optional[str] = None
    ) -> Optional[list[int]]:
        """Queue `rows` (or record why none: `skipped`), link them to the step and mark the entry
        done, in one transaction, if the claim still holds; the queued ids, or None when another
        worker took the entry over meanwhile (nothing written)."""
        now = utcnow()
        with self._db.session() as s:
            held = s.execute(
                update(NotificationEntry)
                .where(
                    NotificationEntry.id == claimed.id,
                    NotificationEntry.status == PENDING,
                    NotificationEntry.claim == claimed.token,
                )
                .values(status=DONE, done_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not held:
                return None
            ids = insert_outbound(s, rows) if rows else []
            event_id = None if claimed.escalation is not None else claimed.event.id
            escalation_id = claimed.escalation.id if claimed.escalation is not None else None
            for message_id in ids or [None]:
                s.add(
                    TransactionNotification(
                        transaction_id=claimed.transaction.id, event_id=event_id, escalation_id=escalation_id,
                        recipient=claimed.recipient, message_id=message_id,
                        skipped=None if message_id else (skipped or "not_sent"),
                    )
                )
            if escalation_id is not None:
                s.execute(
                    update(TransactionEscalation).where(TransactionEscalation.id == escalation_id).values(sent_at=now)
                )
            elif not _still_owed(s, event_id):
                s.execute(update(TransactionEvent).where(TransactionEvent.id == event_id).values(notified_at=now))
            return ids

    def due(self, *, created_before: datetime, stale_before: datetime, limit: int = 500) -> list[int]:
        """Pending entries a sweep should send: unclaimed and older than `created_before` (their
        request's own dispatch had its chance), or claimed before `stale_before` (the claimer died)."""
        with self._db.session() as s:
            return list(
                s.execute(
                    select(NotificationEntry.id)
                    .where(
                        NotificationEntry.status == PENDING,
                        or_(
                            NotificationEntry.claim.is_(None) & (NotificationEntry.created_at < created_before),
                            NotificationEntry.claimed_at < stale_before,
                        ),
                    )
                    .order_by(NotificationEntry.id)
                    .limit(limit)
                ).scalars()
            )

    def pending_count(self) -> int:
        with self._db.session() as s:
            return s.execute(
                select(func.count()).select_from(NotificationEntry).where(NotificationEntry.status == PENDING)
            ).scalar_one()


def pending_entries(s: Session, transaction_id: int) -> list[NotificationEntry]:
    """A transaction's notifications not yet turned into messages (GET shows them as pending)."""
    return list(
        s.execute(
            select(NotificationEntry)
            .where(NotificationEntry.transaction_id == transaction_id, NotificationEntry.status == PENDING)
            .order_by(NotificationEntry.id)
        ).scalars()
    )


def _still_owed(s: Session, event_id: int) -> bool:
    return s.execute(
        select(NotificationEntry.id)
        .where(NotificationEntry.event_id == event_id, NotificationEntry.status == PENDING)
        .limit(1)
    ).first() is not None
