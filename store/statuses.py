"""Every message's status timeline, and the providers' word on what we sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from core.messages import STATUS_DELIVERED, STATUS_FAILED, STATUS_QUEUED, STATUS_READ, STATUS_RETRYING, STATUS_SENT, utcnow
from store.database import Database
from store.messages import MESSAGES, UPDATE_MESSAGE
from store.models import DIRECTION_OUT, MessageStatusEvent

EVENTS = MessageStatusEvent.__table__
_INSERT_EVENT = insert(EVENTS)
_OUTBOUND_BY_PROVIDER_ID = (
    select(MESSAGES.c.id, MESSAGES.c.citizen_id, MESSAGES.c.channel, MESSAGES.c.address, MESSAGES.c.reply_key, MESSAGES.c.status)
    .where(
        MESSAGES.c.channel == bindparam("channel"),
        MESSAGES.c.direction == DIRECTION_OUT,
        MESSAGES.c.provider_id.in_(bindparam("provider_ids", expanding=True)),
    )
    .limit(1)
    .with_for_update()
)
_EVENT_SEEN = (
    select(EVENTS.c.id)
    .where(EVENTS.c.message_id == bindparam("message_id"), EVENTS.c.status == bindparam("status"))
    .limit(1)
)
_DELIVERY_RANK = {STATUS_QUEUED: 0, STATUS_RETRYING: 0, STATUS_SENT: 1, STATUS_DELIVERED: 2, STATUS_READ: 3}


@dataclass(frozen=True)
class ProviderStatus:
    """A provider's word on one of our outbound messages (a delivery receipt, a status webhook)."""

    channel: str
    provider_ids: tuple[str, ...]  # the id, in each form the provider may use for it
    status: str
    at: datetime
    error_code: Optional[str] = None
    error_title: Optional[str] = None


@dataclass(frozen=True)
class StatusRecorded:
    message_id: int
    citizen_id: int
    channel: str
    address: str
    reply_key: Optional[str]
    current_status: str
    new_event: bool  # False when the provider repeated a status we already had


def status_advances(current: str, new: str) -> bool:
    """Whether a provider status may replace the current one (webhooks arrive out of order).

    delivered never goes back to sent; a late "failed" does not undo "delivered"; but "delivered"
    after "failed" wins — the handset's receipt is the stronger evidence.
    """
    if new == STATUS_FAILED:
        return current not in (STATUS_DELIVERED, STATUS_READ, STATUS_FAILED)
    if current == STATUS_FAILED:
        return new in (STATUS_DELIVERED, STATUS_READ)
    return _DELIVERY_RANK.get(new, -1) > _DELIVERY_RANK.get(current, -1)


def add_event(
    session: Session,
    message_id: int,
    status: str,
    *,
    at: Optional[datetime] = None,
    error_code: Optional[str] = None,
    error_title: Optional[str] = None,
    detail: Optional[str] = None,
) -> None:
    """One entry on a message's timeline, in the caller's transaction."""
    session.execute(_INSERT_EVENT, event_row(message_id, status, at=at, error_code=error_code, error_title=error_title, detail=detail))


def event_row(
    message_id: int,
    status: str,
    *,
    at: Optional[datetime] = None,
    error_code: Optional[str] = None,
    error_title: Optional[str] = None,
    detail: Optional[str] = None,
) -> dict:
    return {
        "message_id": message_id,
        "status": status,
        "at": at or utcnow(),
        "error_code": error_code,
        "error_title": (error_title or None) and error_title[:512],
        "detail": detail,
    }


def add_events(session: Session, rows: list[dict]) -> None:
    """Several timeline entries in one statement (psycopg2 sends an executemany INSERT as one)."""
    if rows:
        session.execute(_INSERT_EVENT, rows)


def _record_status(s: Session, status_update: ProviderStatus) -> Optional[StatusRecorded]:
    row = s.execute(
        _OUTBOUND_BY_PROVIDER_ID,
        {"channel": status_update.channel, "provider_ids": list(status_update.provider_ids)},
    ).first()
    if row is None:
        return None
    seen = s.execute(_EVENT_SEEN, {"message_id": row.id, "status": status_update.status}).scalar_one_or_none()
    current = row.status
    if seen is None:
        add_event(
            s, row.id, status_update.status,
            at=status_update.at, error_code=status_update.error_code, error_title=status_update.error_title,
        )
        if status_advances(row.status, status_update.status):
            current = status_update.status
            changes = {"status": current}
            if current != STATUS_SENT:
                changes["deliver_by"] = None  # delivered, read or failed: the delivery timer is done with it
            s.execute(UPDATE_MESSAGE, {"target_id": row.id, **changes})
    return StatusRecorded(
        message_id=row.id,
        citizen_id=row.citizen_id,
        channel=row.channel,
        address=row.address,
        reply_key=row.reply_key,
        current_status=current,
        new_event=seen is None,
    )


class StatusRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        channel: str,
        provider_ids: list[str],
        status: str,
        *,
        at: datetime,
        error_code: Optional[str] = None,
        error_title: Optional[str] = None,
    ) -> Optional[StatusRecorded]:
        """Add a provider's status to the timeline of the outbound message it names (None: unknown)."""
        [recorded] = self.record_many([ProviderStatus(channel, tuple(provider_ids), status, at, error_code, error_title)])
        return recorded

    def record_many(self, statuses: list[ProviderStatus]) -> list[Optional[StatusRecorded]]:
        """Several providers' statuses in one transaction (pipeline/group_commit.py); one result each."""
        with self._db.session() as s:
            return [_record_status(s, status) for status in statuses]

    def timeline(self, message_id: int) -> list[MessageStatusEvent]:
        with self._db.session() as s:
            return list(
                s.execute(
                    select(MessageStatusEvent)
                    .where(MessageStatusEvent.message_id == message_id)
                    .order_by(MessageStatusEvent.id)
                ).scalars()
            )
