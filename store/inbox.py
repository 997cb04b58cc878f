"""The inbox of missed messages: what the bot did not understand, or understood too little of, still
waiting for staff (unrecognised_messages not yet resolved), with the message's channel and the
bot's guess; and resolving them (labelled, a new question, out of scope, dismissed), audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.messages import utcnow
from store.audit import Actor, record
from store.database import Database
from store.models import Message, UnrecognisedMessage

LABELLED, NEW_QUESTION, OUT_OF_SCOPE, DISMISSED = "labelled", "new_question", "out_of_scope", "dismissed"
RESOLUTIONS = (LABELLED, NEW_QUESTION, OUT_OF_SCOPE, DISMISSED)
OPEN_LIMIT = 1000  # the newest this many open messages are grouped on one page


@dataclass(frozen=True)
class MissedFilter:
    agency_id: Optional[str] = None  # the guessed service's agency
    service_id: Optional[str] = None
    channel: Optional[str] = None
    language: Optional[str] = None
    since: Optional[datetime] = None
    until: Optional[datetime] = None


@dataclass(frozen=True)
class MissedMessage:
    id: int  # of unrecognised_messages
    message_id: int
    text: str
    language: Optional[str]
    intent: Optional[str]  # the bot's guess
    confidence: Optional[float]
    service_id: Optional[str]
    reason: str
    channel: str
    at: datetime

    @property
    def agency_id(self) -> Optional[str]:
        return self.service_id.split(".", 1)[0] if self.service_id and "." in self.service_id else None


def _query(scope: Optional[str], where: MissedFilter):
    u, m = UnrecognisedMessage, Message
    query = (
        select(u.id, u.message_id, u.text, u.language, u.intent, u.confidence, u.reason, m.service_id, m.channel,
               m.created_at)
        .join(m, m.id == u.message_id)
        .where(u.reviewed_at.is_(None))
    )
    # A liaison officer's scope is their agency's services: a message with no service guessed is
    # the ministry's to sort.
    for agency in (scope, where.agency_id):
        if agency:
            query = query.where(m.service_id.startswith(agency + ".", autoescape=True))
    if where.service_id:
        query = query.where(m.service_id == where.service_id)
    if where.channel:
        query = query.where(m.channel == where.channel)
    if where.language:
        query = query.where(u.language == where.language)
    if where.since:
        query = query.where(m.created_at >= where.since)
    if where.until:
        query = query.where(m.created_at < where.until)
    return query


def _row(r) -> MissedMessage:
    return MissedMessage(r.id, r.message_id, r.text or "", r.language, r.intent, r.confidence, r.service_id, r.reason,
                         r.channel, r.created_at)


class MissedInbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    def open(self, scope: Optional[str], where: MissedFilter = MissedFilter(), limit: int = OPEN_LIMIT) -> list[MissedMessage]:
        """Open missed messages the viewer may see (`scope`: their agency; None: all), newest first."""
        query = _query(scope, where).order_by(UnrecognisedMessage.id.desc()).limit(limit)
        with self._db.session() as s:
            return [_row(r) for r in s.execute(query)]

    def visible(self, scope: Optional[str], ids: Iterable[int]) -> Optional[list[MissedMessage]]:
        """The open messages `ids` names, or None if any of them is unknown, resolved, or outside
        `scope` (the caller answers 404: another agency's message looks like no message)."""
        wanted = sorted(set(ids))
        if not wanted:
            return None
        query = _query(scope, MissedFilter()).where(UnrecognisedMessage.id.in_(wanted)).order_by(UnrecognisedMessage.id)
        with self._db.session() as s:
            found = [_row(r) for r in s.execute(query)]
        return found if [f.id for f in found] == wanted else None

    def count_open(self, scope: Optional[str]) -> int:
        query = select(func.count()).select_from(_query(scope, MissedFilter()).subquery())
        with self._db.session() as s:
            return int(s.execute(query).scalar_one())


def resolve_in(session: Session, items: list[MissedMessage], resolution: str, actor: Actor, detail: dict) -> int:
    """Mark open missed messages resolved inside the caller's transaction, one audit entry each (under
    the agency of the service the bot guessed); returns how many were still open (another person
    may have resolved some meanwhile)."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"unknown resolution {resolution!r}")
    now = utcnow()
    by_id = {item.id: item for item in items}
    done = 0
    for row in session.execute(
        select(UnrecognisedMessage)
        .where(UnrecognisedMessage.id.in_(list(by_id)), UnrecognisedMessage.reviewed_at.is_(None))
        .order_by(UnrecognisedMessage.id)
        .with_for_update()
    ).scalars():
        row.reviewed_at, row.resolution, row.resolved_by = now, resolution, actor.staff_id
        record(session, actor, f"inbox.{resolution}", "unrecognised_message", row.id,
               agency_id=by_id[row.id].agency_id, before={"resolution": None},
               after={"resolution": resolution, "message_id": row.message_id, **detail})
        done += 1
    return done


class InboxActions:
    """Out of scope, dismissed, a new question for a service: nothing to train on, only resolved.
    (Labelling makes training examples: store/curation.py.)"""

    def __init__(self, db: Database) -> None:
        self._db = db

    def resolve(self, items: list[MissedMessage], resolution: str, actor: Actor, service_id: Optional[str] = None) -> int:
        detail = {"service_id": service_id} if service_id else {}
        with self._db.session() as s:
            return resolve_in(s, items, resolution, actor, detail)
