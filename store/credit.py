"""Agencies' message credit: reserved atomically before a message is sent, topped up by staff.

Credit counts messages (one notification = one, whatever its channel and segments), as the
service's liaison officers ask for it (seed 000). `agencies.message_credit` is what is left; NULL
means no cap. A reservation is one conditional UPDATE (`... WHERE message_credit >= n`), so two
callers racing for the last message cannot both win: PostgreSQL re-checks the condition on the row
the first one committed, SQLite serialises writers.

Urgent categories (transaction status: a citizen waits for news of a transaction they started, and
refusing it would punish the citizen for the agency's bookkeeping) are never refused: they take the
credit below zero, and the next top-up pays that back. Every other category is refused once the
credit cannot cover it.

The liaison officer is told when 80% and when 100% of the credit granted at the last top-up is used,
once each per top-up: the reservation that crosses a threshold claims it with another conditional
UPDATE (`... WHERE credit_alerted < threshold`) and returns it in `CreditDecision.alerts`, so
exactly one caller sends each alert (billing/credit.py sends it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import select, update

from core.messages import utcnow
from store.database import Database
from store.models import Agency, CreditAlert

TRANSACTION_STATUS = "transaction_status"
URGENT_CATEGORIES = frozenset({TRANSACTION_STATUS})
CATEGORIES = frozenset({"transaction_status", "awareness", "promotional", "internal", "reply"})
ALERT_THRESHOLDS = (80, 100)  # percent of the credit granted at the last top-up

# CreditDecision.reason values (machine-readable; `detail` says it for people).
UNKNOWN_AGENCY = "unknown_agency"
CREDIT_EXHAUSTED = "credit_exhausted"


class CreditError(ValueError):
    """A credit operation that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class CreditDecision:
    """The answer to `reserve`: whether the messages may go, and what is left."""

    allowed: bool
    agency_id: str
    category: str
    messages: int
    urgent: bool  # an urgent category: allowed even past the credit
    remaining: Optional[int]  # credit left after this reservation (or now, if refused); None: no cap
    reason: Optional[str] = None  # when refused: UNKNOWN_AGENCY or CREDIT_EXHAUSTED
    detail: Optional[str] = None  # when refused: a sentence for the API's 402 body and the logs
    alerts: tuple[int, ...] = ()  # thresholds this call claimed: the caller tells the liaison officer


@dataclass(frozen=True)
class CreditState:
    agency_id: str
    remaining: Optional[int]
    granted: Optional[int]
    alerted: int


@dataclass(frozen=True)
class AlertRecord:
    agency_id: str
    threshold: int
    credit_granted: int
    remaining: int
    message_id: Optional[int]
    note: Optional[str]
    created_at: datetime


def _threshold_reached(remaining: int, granted: Optional[int]) -> int:
    """The highest alert threshold `remaining` out of `granted` has reached (0: none)."""
    if remaining <= 0:
        return 100
    if granted is not None and granted > 0 and 5 * remaining <= granted:  # 80% or more used
        return 80
    return 0


class CreditRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def reserve(self, agency_id: str, category: str, messages: int = 1) -> CreditDecision:
        """Take `messages` from the agency's credit for messages of `category`, or refuse.

        Refused (allowed=False) when the agency is unknown, or when the category is not urgent and
        the credit left is less than `messages`. ValueError for an unknown category or messages < 1.
        Atomic: concurrent reservations never spend the same credit twice."""
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}: one of {sorted(CATEGORIES)}")
        if messages < 1:
            raise ValueError("reserve at least one message")
        urgent = category in URGENT_CATEGORIES
        agencies = Agency.__table__
        with self._db.session() as s:
            current = s.execute(
                select(agencies.c.message_credit).where(agencies.c.id == agency_id)
            ).one_or_none()
            if current is None:
                return CreditDecision(
                    False, agency_id, category, messages, urgent, None,
                    UNKNOWN_AGENCY, f"no agency {agency_id!r}",
                )
            if current.message_credit is None:
                return CreditDecision(True, agency_id, category, messages, urgent, None)
            taking = update(agencies).where(agencies.c.id == agency_id, agencies.c.message_credit.isnot(None))
            if not urgent:
                taking = taking.where(agencies.c.message_credit >= messages)
            taken = s.execute(
                taking.values(message_credit=agencies.c.message_credit - messages, updated_at=utcnow())
            ).rowcount
            # After our UPDATE this reads our own row version (PostgreSQL: under our row lock).
            state = s.execute(
                select(agencies.c.message_credit, agencies.c.credit_granted).where(agencies.c.id == agency_id)
            ).one()
            if state.message_credit is None:  # the cap was lifted between our two statements
                return CreditDecision(True, agency_id, category, messages, urgent, None)
            alerts = self._claim_alert(s, agency_id, state.message_credit, state.credit_granted)
            if not taken:
                return CreditDecision(
                    False, agency_id, category, messages, urgent, state.message_credit,
                    CREDIT_EXHAUSTED,
                    f"message credit used up: {max(state.message_credit, 0)} left, {messages} asked; "
                    "the agency's liaison officer can ask the ministry for more",
                    alerts,
                )
            return CreditDecision(True, agency_id, category, messages, urgent, state.message_credit, alerts=alerts)

    @staticmethod
    def _claim_alert(s, agency_id: str, remaining: int, granted: Optional[int]) -> tuple[int, ...]:
        threshold = _threshold_reached(remaining, granted)
        if not threshold:
            return ()
        agencies = Agency.__table__
        claimed = s.execute(
            update(agencies)
            .where(agencies.c.id == agency_id, agencies.c.credit_alerted < threshold)
            .values(credit_alerted=threshold)
        ).rowcount
        return (threshold,) if claimed else ()

    def release(self, agency_id: str, messages: int) -> Optional[int]:
        """Give back credit reserved for messages that were not sent (opted out, unreachable);
        what is left after, None when the agency has no cap or does not exist."""
        if messages < 1:
            raise ValueError("release at least one message")
        agencies = Agency.__table__
        with self._db.session() as s:
            s.execute(
                update(agencies)
                .where(agencies.c.id == agency_id, agencies.c.message_credit.isnot(None))
                .values(message_credit=agencies.c.message_credit + messages, updated_at=utcnow())
            )
            return s.execute(select(agencies.c.message_credit).where(agencies.c.id == agency_id)).scalar_one_or_none()

    def top_up(self, agency_id: str, messages: int) -> CreditState:
        """Add `messages` to the agency's credit (an agency with no cap gets a cap of `messages`).
        The new balance is what the 80% and 100% alerts are counted from, and both may be sent
        again. CreditError for an unknown agency or messages < 1."""
        if messages < 1:
            raise CreditError("a top-up adds at least one message")
        agencies = Agency.__table__
        with self._db.session() as s:
            # One statement: both columns are computed from the row as it was (no lost update).
            new_balance = agencies.c.message_credit + messages
            done = s.execute(
                update(agencies)
                .where(agencies.c.id == agency_id, agencies.c.message_credit.isnot(None))
                .values(message_credit=new_balance, credit_granted=new_balance, credit_alerted=0, updated_at=utcnow())
            ).rowcount
            if not done:
                done = s.execute(
                    update(agencies)
                    .where(agencies.c.id == agency_id, agencies.c.message_credit.is_(None))
                    .values(message_credit=messages, credit_granted=messages, credit_alerted=0, updated_at=utcnow())
                ).rowcount
            if not done:
                raise CreditError(f"no agency {agency_id!r}: add it first (tawasol agency add)")
        return self.state(agency_id)

    def state(self, agency_id: str) -> CreditState:
        with self._db.session() as s:
            row = s.get(Agency, agency_id)
            if row is None:
                raise CreditError(f"no agency {agency_id!r}")
            return CreditState(row.id, row.message_credit, row.credit_granted, row.credit_alerted or 0)

    def record_alert(
        self,
        agency_id: str,
        threshold: int,
        *,
        credit_granted: int,
        remaining: int,
        message_id: Optional[int] = None,
        note: Optional[str] = None,
    ) -> None:
        with self._db.session() as s:
            s.add(CreditAlert(
                agency_id=agency_id, threshold=threshold, credit_granted=credit_granted, remaining=remaining,
                message_id=message_id, note=note[:256] if note else None,
            ))

    def alerts(self, agency_id: str) -> list[AlertRecord]:
        with self._db.session() as s:
            rows = s.execute(
                select(CreditAlert).where(CreditAlert.agency_id == agency_id).order_by(CreditAlert.id)
            ).scalars()
            return [
                AlertRecord(r.agency_id, r.threshold, r.credit_granted, r.remaining, r.message_id, r.note, r.created_at)
                for r in rows
            ]
