"""Retention: message texts older than the retention period are redacted; the rows stay.

Run by the retention sweep (jobs/retention.py) with the moment it runs for; idempotent, in batches
of one transaction each, so it can run on several workers at once and resume after a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, not_, or_, select, update

from core.messages import STATUS_QUEUED, STATUS_RECEIVED, STATUS_RETRYING
from store.database import Database
from store.messages import MESSAGES
from store.models import DIRECTION_IN, DIRECTION_OUT
from store.redaction import TICKETS, redact_messages, redact_review_rows

BATCH = 500

# Work still in flight keeps its text: a message waiting for its answer, or a reply waiting to go.
_IN_FLIGHT = or_(
    and_(MESSAGES.c.direction == DIRECTION_IN, MESSAGES.c.status == STATUS_RECEIVED),
    and_(MESSAGES.c.direction == DIRECTION_OUT, MESSAGES.c.status.in_((STATUS_QUEUED, STATUS_RETRYING))),
)


@dataclass(frozen=True)
class Redacted:
    messages: int = 0
    review_rows: int = 0
    tickets: int = 0

    def __add__(self, other: "Redacted") -> "Redacted":
        return Redacted(
            self.messages + other.messages, self.review_rows + other.review_rows, self.tickets + other.tickets
        )


class RetentionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def redact_before(self, cutoff: datetime, *, now: datetime, batch: int = BATCH) -> Redacted:
        """Redact every message created before `cutoff` (and its review copy), and the texts of
        tickets opened before it. Returns what this call changed."""
        total = Redacted()
        after_id = 0
        while True:
            with self._db.session() as s:
                ids = list(
                    s.execute(
                        select(MESSAGES.c.id)
                        .where(
                            MESSAGES.c.created_at < cutoff,
                            MESSAGES.c.redacted_at.is_(None),
                            MESSAGES.c.id > after_id,
                            not_(_IN_FLIGHT),
                        )
                        .order_by(MESSAGES.c.id)
                        .limit(batch)
                    ).scalars()
                )
                if not ids:
                    break
                after_id = ids[-1]
                total += Redacted(redact_messages(s, ids, now), redact_review_rows(s, ids))
        with self._db.session() as s:
            tickets = s.execute(
                update(TICKETS).where(TICKETS.c.created_at < cutoff, TICKETS.c.text != "").values(text="")
            ).rowcount
        return total + Redacted(tickets=tickets)
