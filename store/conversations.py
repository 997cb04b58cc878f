"""Conversations: a citizen's messages in and out, grouped by activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import bindparam, exists, func, insert, select, update
from sqlalchemy.orm import Session

from store.database import Database
from store.models import DIRECTION_OUT, ChannelIdentity, Conversation, Message, MessageStatusEvent

CONVERSATION_IDLE = timedelta(hours=24)  # after a day of silence the next message starts a new conversation
CONVERSATIONS = Conversation.__table__
MESSAGES = Message.__table__
IDENTITIES = ChannelIdentity.__table__
_LATEST_CONVERSATION = (
    select(CONVERSATIONS.c.id, CONVERSATIONS.c.last_activity_at)
    .where(CONVERSATIONS.c.citizen_id == bindparam("citizen_id"))
    .order_by(CONVERSATIONS.c.last_activity_at.desc(), CONVERSATIONS.c.id.desc())
    .limit(1)
)
_INSERT_CONVERSATION = insert(CONVERSATIONS)
_UPDATE_CONVERSATION = update(CONVERSATIONS).where(CONVERSATIONS.c.id == bindparam("target_id"))


def touch_conversation(session: Session, citizen_id: int, channel: str, at: datetime) -> int:
    """The id of the citizen's current conversation (a new one after a day of silence), now active."""
    current = session.execute(_LATEST_CONVERSATION, {"citizen_id": citizen_id}).first()
    if current is None or at - current.last_activity_at > CONVERSATION_IDLE:
        return session.execute(
            _INSERT_CONVERSATION,
            {"citizen_id": citizen_id, "started_at": at, "last_activity_at": at, "last_channel": channel},
        ).inserted_primary_key[0]
    session.execute(
        _UPDATE_CONVERSATION,
        {"target_id": current.id, "last_activity_at": max(current.last_activity_at, at), "last_channel": channel},
    )
    return current.id


class ConversationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def history(self, citizen_id: int, limit: int = 200) -> list[Message]:
        """The citizen's latest `limit` messages, in and out, oldest first (for staff and tests)."""
        with self._db.session() as s:
            newest_first = s.execute(
                select(Message).where(Message.citizen_id == citizen_id).order_by(Message.id.desc()).limit(limit)
            ).scalars()
            return list(reversed(list(newest_first)))

    def last_language(self, citizen_id: int) -> Optional[str]:
        """The language of the last message we sent the citizen that had one."""
        with self._db.session() as s:
            return s.execute(
                select(Message.language)
                .where(Message.citizen_id == citizen_id, Message.direction == DIRECTION_OUT, Message.language.isnot(None))
                .order_by(Message.id.desc())
                .limit(1)
            ).scalar_one_or_none()


@dataclass(frozen=True)
class ConversationSummary:
    id: int
    citizen_id: int
    address: str  # the citizen's phone number (international digits); the console masks it by role
    started_at: datetime
    last_activity_at: datetime
    last_channel: Optional[str]
    messages: int


@dataclass(frozen=True)
class ConversationQuery:
    phone: Optional[str] = None  # digits anywhere in the number
    service_id: Optional[str] = None
    since: Optional[datetime] = None  # last activity at or after
    until: Optional[datetime] = None  # started before


def _about_agency(agency_id: str) -> Any:
    """Conversations in which some message was about one of the agency's services."""
    return exists().where(
        MESSAGES.c.conversation_id == CONVERSATIONS.c.id,
        MESSAGES.c.service_id.startswith(agency_id + ".", autoescape=True),
    )


class ConversationBrowser:
    """Conversations as staff read them, within an agency (None: every agency)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def search(self, agency_id: Optional[str], where: ConversationQuery = ConversationQuery(), limit: int = 100) -> list[ConversationSummary]:
        counted = (
            select(MESSAGES.c.conversation_id, func.count().label("messages"))
            .group_by(MESSAGES.c.conversation_id)
            .subquery()
        )
        address = (
            select(func.min(IDENTITIES.c.address))
            .where(IDENTITIES.c.citizen_id == CONVERSATIONS.c.citizen_id)
            .scalar_subquery()
        )
        query = select(
            CONVERSATIONS, address.label("address"), func.coalesce(counted.c.messages, 0).label("messages")
        ).outerjoin(counted, counted.c.conversation_id == CONVERSATIONS.c.id)
        if agency_id is not None:
            query = query.where(_about_agency(agency_id))
        if where.phone:
            digits = "".join(ch for ch in where.phone if ch.isdigit())
            query = query.where(
                exists().where(
                    IDENTITIES.c.citizen_id == CONVERSATIONS.c.citizen_id,
                    IDENTITIES.c.address.contains(digits, autoescape=True),
                )
            )
        if where.service_id:
            query = query.where(
                exists().where(MESSAGES.c.conversation_id == CONVERSATIONS.c.id, MESSAGES.c.service_id == where.service_id)
            )
        if where.since:
            query = query.where(CONVERSATIONS.c.last_activity_at >= where.since)
        if where.until:
            query = query.where(CONVERSATIONS.c.started_at < where.until)
        query = query.order_by(CONVERSATIONS.c.last_activity_at.desc(), CONVERSATIONS.c.id.desc()).limit(limit)
        with self._db.session() as s:
            return [
                ConversationSummary(r.id, r.citizen_id, r.address or "", r.started_at, r.last_activity_at,
                                    r.last_channel, r.messages)
                for r in s.execute(query)
            ]

    def get(self, conversation_id: int, agency_id: Optional[str]) -> Optional[ConversationSummary]:
        """None when there is no such conversation or it is about none of `agency_id`'s services."""
        with self._db.session() as s:
            query = select(CONVERSATIONS.c.id).where(CONVERSATIONS.c.id == conversation_id)
            if agency_id is not None:
                query = query.where(_about_agency(agency_id))
            if s.execute(query).first() is None:
                return None
        with self._db.session() as s:
            row = s.execute(select(CONVERSATIONS).where(CONVERSATIONS.c.id == conversation_id)).one()
            address = s.execute(
                select(func.min(IDENTITIES.c.address)).where(IDENTITIES.c.citizen_id == row.citizen_id)
            ).scalar_one_or_none()
            count = s.execute(
                select(func.count()).select_from(MESSAGES).where(MESSAGES.c.conversation_id == conversation_id)
            ).scalar_one()
        return ConversationSummary(row.id, row.citizen_id, address or "", row.started_at, row.last_activity_at,
                                   row.last_channel, count)

    def messages(self, conversation_id: int) -> list[tuple[Message, list[MessageStatusEvent]]]:
        """Every message in and out, oldest first, each with its status timeline."""
        return self._with_timelines(select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id))

    def around(self, citizen_id: int, at: datetime, limit: int = 300) -> list[tuple[Message, list[MessageStatusEvent]]]:
        """The citizen's messages, both channels, from the start of the conversation that was
        going on at `at` (a ticket's opening) to now: what an agent reads before and while
        answering. The newest `limit`, oldest first."""
        with self._db.session() as s:
            started = s.execute(
                select(func.max(CONVERSATIONS.c.started_at))
                .where(CONVERSATIONS.c.citizen_id == citizen_id, CONVERSATIONS.c.started_at <= at)
            ).scalar_one_or_none()
        since = started or at
        newest_first = self._with_timelines(
            select(Message).where(Message.citizen_id == citizen_id, Message.created_at >= since)
            .order_by(Message.id.desc()).limit(limit)
        )
        return list(reversed(newest_first))

    def _with_timelines(self, query: Any) -> list[tuple[Message, list[MessageStatusEvent]]]:
        with self._db.session() as s:
            messages = list(s.execute(query).scalars())
            ids = [m.id for m in messages]
            events: dict[int, list[MessageStatusEvent]] = {i: [] for i in ids}
            if ids:
                for event in s.execute(
                    select(MessageStatusEvent).where(MessageStatusEvent.message_id.in_(ids)).order_by(MessageStatusEvent.id)
                ).scalars():
                    events[event.message_id].append(event)
            return [(m, events[m.id]) for m in messages]
