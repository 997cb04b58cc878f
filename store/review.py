"""Messages the bot did not understand, waiting for staff review."""

from __future__ import annotations

from sqlalchemy import select, update

from core.messages import utcnow
from store.audit import Actor, record
from store.database import Database
from store.models import UnrecognisedMessage

# Why a message is in the inbox of missed messages. The dialogue flags the first five as it answers
# (the clarified: "which of these services?"); the pipeline adds the last two when the citizen's
# next message says the answer missed ("مش هاد قصدي") or asks for a person.
REASONS = ("low_confidence", "no_service", "out_of_scope", "not_in_catalog", "clarified", "not_what_i_asked", "handoff")


class ReviewRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def pending(self, limit: int = 100) -> list[UnrecognisedMessage]:
        with self._db.session() as s:
            return list(
                s.execute(
                    select(UnrecognisedMessage)
                    .where(UnrecognisedMessage.reviewed_at.is_(None))
                    .order_by(UnrecognisedMessage.id)
                    .limit(limit)
                ).scalars()
            )

    def mark_reviewed(self, unrecognised_id: int) -> None:
        with self._db.session() as s:
            s.execute(
                update(UnrecognisedMessage)
                .where(UnrecognisedMessage.id == unrecognised_id)
                .values(reviewed_at=utcnow())
            )

    def mark_reviewed_by(self, unrecognised_id: int, actor: Actor) -> bool:
        """Mark one message reviewed, audited; False when there is no such pending message."""
        with self._db.session() as s:
            row = s.get(UnrecognisedMessage, unrecognised_id)
            if row is None or row.reviewed_at is not None:
                return False
            row.reviewed_at = utcnow()
            record(s, actor, "review.mark_reviewed", "unrecognised_message", row.id,
                   before={"reviewed_at": None}, after={"reviewed_at": row.reviewed_at.isoformat()})
            return True
