"""Messages in and out, their status timeline, and the conversations they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Iterable, Optional

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.messages import (
    STATUS_ANSWERED,
    STATUS_DELIVERED,
    STATUS_FAILED,
    STATUS_QUEUED,
    STATUS_READ,
    STATUS_RECEIVED,
    STATUS_RETRYING,
    STATUS_SENT,
    InboundMessage,
    utcnow,
)
from store.citizens import Identity, resolve_identity
from store.database import Database
from store.models import (
    DIRECTION_IN,
    DIRECTION_OUT,
    ChannelIdentity,
    Citizen,
    Conversation,
    Message,
    MessageStatusEvent,
    UnrecognisedMessage,
)

CONVERSATION_IDLE = timedelta(hours=24)  # after a day of silence the next message starts a new conversation
PENDING_OUTBOUND = (STATUS_QUEUED, STATUS_RETRYING)
# The hot paths (every message: store, answer, send, statuses) use Core statements on the tables:
# in bench/e2e's profile ORM object handling was the largest single cost of the web tier and workers.
MESSAGES = Message.__table__
EVENTS = MessageStatusEvent.__table__
CONVERSATIONS = Conversation.__table__
# Statements built once and executed with parameters: building one per call (coercing each value into
# a bind parameter, generating its cache key) was about half of the store's CPU per message.
_LOCK_CITIZEN = select(Citizen.__table__.c.id).where(Citizen.__table__.c.id == bindparam("citizen_id")).with_for_update()
_INSERT_MESSAGE = insert(MESSAGES)
_INSERT_EVENT = insert(EVENTS)
_UPDATE_MESSAGE = update(MESSAGES).where(MESSAGES.c.id == bindparam("target_id"))
_LATEST_CONVERSATION = (
    select(CONVERSATIONS.c.id, CONVERSATIONS.c.last_activity_at)
    .where(CONVERSATIONS.c.citizen_id == bindparam("citizen_id"))
    .order_by(CONVERSATIONS.c.last_activity_at.desc(), CONVERSATIONS.c.id.desc())
    .limit(1)
)
_INSERT_CONVERSATION = insert(CONVERSATIONS)
_UPDATE_CONVERSATION = update(CONVERSATIONS).where(CONVERSATIONS.c.id == bindparam("target_id"))
_PENDING_OUTBOUND = (
    select(MESSAGES)
    .where(
        MESSAGES.c.citizen_id == bindparam("citizen_id"),
        MESSAGES.c.direction == DIRECTION_OUT,
        MESSAGES.c.status.in_(PENDING_OUTBOUND),
    )
    .order_by(MESSAGES.c.id)
)
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
_WAITING_INBOUND = (
    select(MESSAGES)
    .where(
        MESSAGES.c.citizen_id == bindparam("citizen_id"),
        MESSAGES.c.direction == DIRECTION_IN,
        MESSAGES.c.status == STATUS_RECEIVED,
        MESSAGES.c.id <= bindparam("up_to_id"),
    )
    .order_by(MESSAGES.c.id)
    .limit(2)
)
# A read-only row of `messages` (attribute access like a Message, no ORM identity or lazy loads).
MessageRow = Row
_DELIVERY_RANK = {STATUS_QUEUED: 0, STATUS_RETRYING: 0, STATUS_SENT: 1, STATUS_DELIVERED: 2, STATUS_READ: 3}


class DuplicateMessage(Exception):
    """This provider message is already stored (a redelivery)."""

    def __init__(self, message_id: int) -> None:
        super().__init__(f"duplicate of message {message_id}")
        self.message_id = message_id


@dataclass(frozen=True)
class StoredInbound:
    message_id: int
    citizen_id: int


@dataclass
class NewOutbound:
    """An outbound message to persist (status "queued") before it is handed to a provider."""

    citizen_id: int
    channel: str
    address: str
    text: str
    kind: str = "reply"  # "reply", or the push kind ("alert", "status_update", ...)
    body: Optional[dict[str, Any]] = None
    reply: Optional[dict[str, Any]] = None
    reply_key: Optional[str] = None
    choices: Optional[list[dict[str, Any]]] = None
    segments: int = 1
    cost: Optional[Decimal] = None
    language: Optional[str] = None
    reply_to_id: Optional[int] = None


@dataclass(frozen=True)
class Understanding:
    """What the brain made of an inbound message (kept on it for staff)."""

    intent: Optional[str] = None
    confidence: Optional[float] = None
    service_id: Optional[str] = None
    language: Optional[str] = None


@dataclass(frozen=True)
class AnswerContext:
    """The citizen's oldest message waiting for an answer, and what answering it needs."""

    message: MessageRow
    attempts: int
    citizen: Row  # of `citizens`
    identities: list[Identity]
    more_waiting: bool  # another message of the citizen (up to the asked id) waits after this one


@dataclass(frozen=True)
class Completed:
    """An answered inbound message: the ids of its queued replies, and everything the citizen has
    pending (those replies, after any older ones still waiting), in the order it must go out."""

    outbound_ids: list[int]
    pending: list[MessageRow]


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
    session.execute(
        _INSERT_EVENT,
        {
            "message_id": message_id,
            "status": status,
            "at": at or utcnow(),
            "error_code": error_code,
            "error_title": (error_title or None) and error_title[:512],
            "detail": detail,
        },
    )


def touch_conversation(session: Session, citizen_id: int, channel: str, at: datetime) -> int:
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
            s.execute(_UPDATE_MESSAGE, {"target_id": row.id, "status": current})
    return StatusRecorded(
        message_id=row.id,
        citizen_id=row.citizen_id,
        channel=row.channel,
        address=row.address,
        reply_key=row.reply_key,
        current_status=current,
        new_event=seen is None,
    )


def _pending_outbound(session: Session, citizen_id: int) -> list[MessageRow]:
    return list(session.execute(_PENDING_OUTBOUND, {"citizen_id": citizen_id}))


class MessageRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- inbound -------------------------------------------------------------------------------

    def add_inbound(self, msg: InboundMessage) -> StoredInbound:
        """Persist a citizen's message (status "received"); raise DuplicateMessage for a redelivery.

        The unique (channel, direction, provider_id) constraint is the durable dedupe. An
        IntegrityError can also mean a concurrent first message from the same new number created
        its identity first: then one retry finds that identity.
        """
        for attempt in (1, 2):
            try:
                with self._db.session() as s:
                    citizen_id = resolve_identity(
                        s, msg.channel, msg.address, inbound_at=msg.received_at, display_name=msg.display_name
                    )
                    # Serialise one citizen's inserts (PostgreSQL) so ids follow arrival order; the
                    # workers answer a citizen's messages in id order. SQLite's write lock does this already.
                    s.execute(_LOCK_CITIZEN, {"citizen_id": citizen_id})
                    now = utcnow()
                    message_id = s.execute(
                        _INSERT_MESSAGE,
                        {
                            "conversation_id": touch_conversation(s, citizen_id, msg.channel, now),
                            "citizen_id": citizen_id,
                            "direction": DIRECTION_IN,
                            "channel": msg.channel,
                            "address": msg.address,
                            "provider_id": msg.provider_id,
                            "kind": msg.kind,
                            "text": msg.text or "",
                            "payload": msg.payload,
                            "raw": msg.raw or None,
                            "status": STATUS_RECEIVED,
                            "attempts": 0,
                            "created_at": now,
                        },
                    ).inserted_primary_key[0]
                    add_event(s, message_id, STATUS_RECEIVED, at=msg.received_at)
                    return StoredInbound(message_id, citizen_id)
            except IntegrityError:
                existing = self.find_id(msg.channel, DIRECTION_IN, msg.provider_id)
                if existing is not None:
                    raise DuplicateMessage(existing) from None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def find_id(self, channel: str, direction: str, provider_id: str) -> Optional[int]:
        with self._db.session() as s:
            return s.execute(
                select(Message.id).where(
                    Message.channel == channel, Message.direction == direction, Message.provider_id == provider_id
                )
            ).scalar_one_or_none()

    def state(self, message_id: int) -> Optional[Row]:
        """(citizen_id, direction, status) of a message: what a worker checks before taking a job."""
        with self._db.session() as s:
            return s.execute(
                select(MESSAGES.c.citizen_id, MESSAGES.c.direction, MESSAGES.c.status).where(MESSAGES.c.id == message_id)
            ).first()

    def get(self, message_id: int) -> Optional[Message]:
        with self._db.session() as s:
            return s.get(Message, message_id)

    def received_inbound_ids(self, *, created_before: Optional[datetime] = None, limit: int = 10_000) -> list[int]:
        """Inbound messages persisted but not answered (a worker died, or the queue lost the job)."""
        query = select(Message.id).where(Message.direction == DIRECTION_IN, Message.status == STATUS_RECEIVED)
        if created_before is not None:
            query = query.where(Message.created_at < created_before)
        with self._db.session() as s:
            return list(s.execute(query.order_by(Message.id).limit(limit)).scalars())

    def start_next_answer(self, citizen_id: int, up_to_id: int) -> Optional[AnswerContext]:
        """Take the citizen's oldest message still waiting (id ≤ `up_to_id`), count one more
        processing attempt on it (a message that keeps crashing the worker is given up), and load
        what answering needs, in one transaction. None when nothing waits."""
        with self._db.session() as s:
            waiting = s.execute(_WAITING_INBOUND, {"citizen_id": citizen_id, "up_to_id": up_to_id}).all()
            if not waiting:
                return None
            row = waiting[0]
            attempts = (row.attempts or 0) + 1
            s.execute(_UPDATE_MESSAGE, {"target_id": row.id, "attempts": attempts})
            citizen = s.execute(select(Citizen.__table__).where(Citizen.__table__.c.id == citizen_id)).one()
            identities = ChannelIdentity.__table__
            found = s.execute(
                select(identities).where(identities.c.citizen_id == citizen_id).order_by(identities.c.id)
            ).all()
            return AnswerContext(row, attempts, citizen, [Identity.of(i) for i in found], len(waiting) > 1)

    def complete_inbound(
        self,
        inbound_id: int,
        *,
        outbound: Iterable[NewOutbound],
        understanding: Optional[Understanding] = None,
        unrecognised_reason: Optional[str] = None,
        interpreted_kind: Optional[str] = None,
        interpreted_payload: Optional[str] = None,
    ) -> Completed:
        """Mark an inbound message answered and queue its replies, in ONE transaction.

        So a crash leaves either nothing (the message is answered again after recovery) or the
        answer queued (sent by recovery): never two answers. No outbound ids when the message was
        already answered (someone else got there first).
        """
        with self._db.session() as s:
            row = s.execute(
                select(MESSAGES.c.status, MESSAGES.c.citizen_id, MESSAGES.c.conversation_id, MESSAGES.c.text, MESSAGES.c.language)
                .where(MESSAGES.c.id == inbound_id)
                .with_for_update()
            ).one()
            if row.status != STATUS_RECEIVED:
                return Completed([], _pending_outbound(s, row.citizen_id))
            changes: dict[str, Any] = {"status": STATUS_ANSWERED}
            if understanding is not None:
                changes.update(
                    intent=understanding.intent,
                    confidence=understanding.confidence,
                    service_id=understanding.service_id,
                    language=understanding.language,
                )
            if interpreted_kind is not None:
                changes.update(kind=interpreted_kind, payload=interpreted_payload)
            s.execute(_UPDATE_MESSAGE, {"target_id": inbound_id, **changes})
            add_event(s, inbound_id, STATUS_ANSWERED)
            if unrecognised_reason is not None:
                s.execute(
                    insert(UnrecognisedMessage.__table__).values(
                        message_id=inbound_id,
                        text=row.text,
                        language=changes.get("language", row.language),
                        intent=changes.get("intent"),
                        confidence=changes.get("confidence"),
                        reason=unrecognised_reason,
                    )
                )
            ids = self._insert_outbound(s, outbound, conversation_id=row.conversation_id)
            return Completed(ids, _pending_outbound(s, row.citizen_id))

    def fail_inbound(self, message_id: int, detail: str) -> None:
        with self._db.session() as s:
            s.execute(update(Message).where(Message.id == message_id).values(status=STATUS_FAILED))
            add_event(s, message_id, STATUS_FAILED, detail=detail)

    # --- outbound ------------------------------------------------------------------------------

    def add_outbound(self, rows: Iterable[NewOutbound]) -> list[int]:
        with self._db.session() as s:
            return self._insert_outbound(s, rows)

    def _insert_outbound(
        self, s: Session, rows: Iterable[NewOutbound], conversation_id: Optional[int] = None
    ) -> list[int]:
        ids = []
        for new in rows:
            now = utcnow()
            message_id = s.execute(
                _INSERT_MESSAGE,
                {
                    "conversation_id": conversation_id or touch_conversation(s, new.citizen_id, new.channel, now),
                    "citizen_id": new.citizen_id,
                    "direction": DIRECTION_OUT,
                    "channel": new.channel,
                    "address": new.address,
                    "kind": new.kind,
                    "text": new.text,
                    "body": new.body or None,
                    "reply": new.reply,
                    "reply_key": new.reply_key,
                    "choices": new.choices or None,
                    "segments": new.segments,
                    "cost": new.cost,
                    "language": new.language,
                    "reply_to_id": new.reply_to_id,
                    "status": STATUS_QUEUED,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                },
            ).inserted_primary_key[0]
            add_event(s, message_id, STATUS_QUEUED)
            ids.append(message_id)
        return ids

    def pending_outbound(self, citizen_id: int) -> list[MessageRow]:
        """Queued or retrying messages to the citizen, in the order they must go out."""
        with self._db.session() as s:
            return _pending_outbound(s, citizen_id)

    def citizens_with_due_outbound(self, *, now: datetime, queued_before: datetime, limit: int = 500) -> list[int]:
        """Citizens with a retry whose time has come, or a queued message nobody sent (a crash)."""
        with self._db.session() as s:
            return list(
                s.execute(
                    select(Message.citizen_id)
                    .where(
                        Message.direction == DIRECTION_OUT,
                        or_(
                            (Message.status == STATUS_RETRYING) & (Message.next_attempt_at <= now),
                            (Message.status == STATUS_QUEUED) & (Message.next_attempt_at <= queued_before),
                        ),
                    )
                    .distinct()
                    .limit(limit)
                ).scalars()
            )

    def mark_sent(self, message_id: int, provider_id: Optional[str]) -> None:
        with self._db.session() as s:
            current = s.execute(
                select(MESSAGES.c.status, MESSAGES.c.attempts).where(MESSAGES.c.id == message_id).with_for_update()
            ).one()
            changes: dict[str, Any] = {"provider_id": provider_id, "attempts": (current.attempts or 0) + 1}
            if status_advances(current.status, STATUS_SENT):
                changes["status"] = STATUS_SENT
            s.execute(_UPDATE_MESSAGE, {"target_id": message_id, **changes})
            add_event(s, message_id, STATUS_SENT)

    def mark_retrying(
        self,
        message_id: int,
        *,
        next_attempt_at: datetime,
        error_code: Optional[str],
        error_title: Optional[str],
    ) -> int:
        """Schedule another attempt; returns the number of attempts made so far."""
        with self._db.session() as s:
            row = s.get(Message, message_id)
            row.attempts = (row.attempts or 0) + 1
            row.status = STATUS_RETRYING
            row.next_attempt_at = next_attempt_at
            add_event(
                s,
                message_id,
                STATUS_RETRYING,
                error_code=error_code,
                error_title=error_title,
                detail=f"attempt {row.attempts}; next at {next_attempt_at.isoformat()}",
            )
            return row.attempts

    def mark_failed(
        self,
        message_id: int,
        *,
        error_code: Optional[str] = None,
        error_title: Optional[str] = None,
        detail: Optional[str] = None,
        count_attempt: bool = True,
    ) -> None:
        with self._db.session() as s:
            row = s.get(Message, message_id)
            if count_attempt:
                row.attempts = (row.attempts or 0) + 1
            row.status = STATUS_FAILED
            row.next_attempt_at = None
            add_event(s, message_id, STATUS_FAILED, error_code=error_code, error_title=error_title, detail=detail)

    def fall_back(self, reply_key: str, from_channel: str, rows: list[NewOutbound]) -> list[int]:
        """Replace a reply's messages on `from_channel` by `rows` on another channel, once.

        The reply's other parts still pending on `from_channel` are failed ("superseded"), so a
        split reply is not sent twice. Returns [] if this reply already fell back to that channel
        (e.g. the send error and a later status webhook both asked for it).
        """
        if not rows:
            return []
        to_channel = rows[0].channel
        with self._db.session() as s:
            already = s.execute(
                select(Message.id).where(Message.reply_key == reply_key, Message.channel == to_channel).limit(1)
            ).scalar_one_or_none()
            if already is not None:
                return []
            superseded = s.execute(
                select(Message).where(
                    Message.reply_key == reply_key,
                    Message.channel == from_channel,
                    Message.status.in_(PENDING_OUTBOUND),
                )
            ).scalars()
            for row in superseded:
                row.status = STATUS_FAILED
                add_event(s, row.id, STATUS_FAILED, detail=f"superseded: reply sent by {to_channel} instead")
            return self._insert_outbound(s, rows)

    # --- provider statuses ---------------------------------------------------------------------

    def record_provider_status(
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
        [recorded] = self.record_provider_statuses(
            [ProviderStatus(channel, tuple(provider_ids), status, at, error_code, error_title)]
        )
        return recorded

    def record_provider_statuses(self, statuses: list[ProviderStatus]) -> list[Optional[StatusRecorded]]:
        """Several providers' statuses in one transaction (pipeline/group_commit.py); one result each."""
        with self._db.session() as s:
            return [_record_status(s, status) for status in statuses]

    # --- what the citizen was last offered -----------------------------------------------------

    def latest_choices(self, citizen_id: int) -> Optional[list[dict[str, Any]]]:
        """The choices of the newest outbound message that offered some (SMS menu numbers map to them)."""
        with self._db.session() as s:
            return s.execute(
                select(Message.choices)
                .where(
                    Message.citizen_id == citizen_id,
                    Message.direction == DIRECTION_OUT,
                    Message.choices.isnot(None),
                    Message.status != STATUS_FAILED,
                )
                .order_by(Message.id.desc())
                .limit(1)
            ).scalar_one_or_none()

    def latest_more(self, citizen_id: int) -> Optional[tuple[str, Optional[str]]]:
        """(text, language) kept back from the last thing we said ("send MORE"), if anything was.

        "The last thing we said" is the newest outbound message and its siblings (the other
        messages answering the same inbound one), so MORE never digs up an older answer.
        """
        with self._db.session() as s:
            newest = s.execute(
                select(Message)
                .where(Message.citizen_id == citizen_id, Message.direction == DIRECTION_OUT)
                .order_by(Message.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if newest is None:
                return None
            batch = select(Message).where(Message.citizen_id == citizen_id, Message.direction == DIRECTION_OUT)
            if newest.reply_to_id is not None:
                batch = batch.where(Message.reply_to_id == newest.reply_to_id)
            else:
                batch = batch.where(Message.id == newest.id)
            for row in s.execute(batch.order_by(Message.id.desc())).scalars():
                more = (row.body or {}).get("more")
                if more:
                    return more, row.language
            return None

    def history(self, citizen_id: int, limit: int = 200) -> list[Message]:
        """The citizen's latest `limit` messages, in and out, oldest first (for staff and tests)."""
        with self._db.session() as s:
            newest_first = s.execute(
                select(Message).where(Message.citizen_id == citizen_id).order_by(Message.id.desc()).limit(limit)
            ).scalars()
            return list(reversed(list(newest_first)))

    def outbound_for_address(self, channel: str, address: str, after_id: int = 0, limit: int = 100) -> list[Message]:
        """What we sent to an address on a channel after message `after_id`, oldest first (the
        simulator polls this to show SMS replies)."""
        with self._db.session() as s:
            return list(
                s.execute(
                    select(Message)
                    .where(
                        Message.direction == DIRECTION_OUT,
                        Message.channel == channel,
                        Message.address == address,
                        Message.id > after_id,
                    )
                    .order_by(Message.id)
                    .limit(limit)
                ).scalars()
            )

    def timeline(self, message_id: int) -> list[MessageStatusEvent]:
        with self._db.session() as s:
            return list(
                s.execute(
                    select(MessageStatusEvent)
                    .where(MessageStatusEvent.message_id == message_id)
                    .order_by(MessageStatusEvent.id)
                ).scalars()
            )
