"""The ledger read for statements: what was sent for whom, by category and channel, and who pays.

A ledger row is written when its message is queued (store/outbound.py), so a message that never
left — failed before any provider accepted it, superseded by its fallback on another channel, given
up after its retries — has a row too. Only messages a provider accepted are billed: a row counts
when its message has a `sent` (or later: `delivered`, `read`) status event. So a WhatsApp message
that failed and went by SMS instead is billed once, by SMS, and a retried message once.

Sums are exact on both databases: amounts are summed as whole millionths of a JOD (SQLite keeps the
Money columns as REAL; each value rounded to its six decimals is an exact integer there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import BigInteger, and_, cast, exists, func, select

from core.messages import STATUS_DELIVERED, STATUS_READ, STATUS_SENT
from store.database import Database
from store.models import LedgerEntry, MessageStatusEvent

MICRO = Decimal("0.000001")
ACCEPTED = (STATUS_SENT, STATUS_DELIVERED, STATUS_READ)


@dataclass(frozen=True)
class LedgerTotals:
    """Exact sums over the billed messages of one (agency, category, channel)."""

    agency_id: Optional[str]  # None: the ministry's own messages
    category: str
    channel: str
    messages: int
    segments: int
    amount: Decimal
    agency_share: Decimal
    ministry_share: Decimal
    citizen_share: Decimal


def _micro_sum(column):
    return func.coalesce(func.sum(cast(func.round(column * 1_000_000), BigInteger)), 0)


def _jod(micros) -> Decimal:
    return (Decimal(int(micros)) * MICRO).quantize(MICRO)


class LedgerRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def totals(
        self, *, start: datetime, end: datetime, agency_id: Optional[str] = None, every_agency: bool = False
    ) -> list[LedgerTotals]:
        """Billed messages queued in [start, end), grouped by agency, category and channel: of
        `agency_id` (None: the ministry's own), or of everyone when `every_agency`."""
        entries = LedgerEntry.__table__
        events = MessageStatusEvent.__table__
        accepted = exists().where(and_(events.c.message_id == entries.c.message_id, events.c.status.in_(ACCEPTED)))
        query = select(
            entries.c.agency_id,
            entries.c.category,
            entries.c.channel,
            func.count(),
            func.coalesce(func.sum(entries.c.segments), 0),
            _micro_sum(entries.c.amount),
            _micro_sum(entries.c.agency_share),
            _micro_sum(entries.c.ministry_share),
            _micro_sum(entries.c.citizen_share),
        ).where(entries.c.created_at >= start, entries.c.created_at < end, accepted)
        if not every_agency:
            query = query.where(
                entries.c.agency_id.is_(None) if agency_id is None else entries.c.agency_id == agency_id
            )
        query = query.group_by(entries.c.agency_id, entries.c.category, entries.c.channel)
        with self._db.session() as s:
            return [
                LedgerTotals(
                    agency_id=row[0], category=row[1], channel=row[2], messages=int(row[3]), segments=int(row[4]),
                    amount=_jod(row[5]), agency_share=_jod(row[6]), ministry_share=_jod(row[7]),
                    citizen_share=_jod(row[8]),
                )
                for row in s.execute(query)
            ]
