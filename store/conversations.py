"""Conversations: a citizen's messages in and out, grouped by activity."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from store.database import Database
from store.models import DIRECTION_OUT, Conversation, Message

CONVERSATION_IDLE = timedelta(hours=24)  # after a day of silence the next message starts a new conversation
CONVERSATIONS = Conversation.__table__
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
