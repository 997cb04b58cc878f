"""Inbound messages: stored once (the durable dedupe), answered once, in arrival order per citizen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Optional

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.messages import STATUS_ANSWERED, STATUS_FAILED, STATUS_FOR_AGENT, STATUS_RECEIVED, InboundMessage, utcnow
from store.citizens import Identity, resolve_identity
from store.conversations import touch_conversation
from store.database import Database
from store.messages import INSERT_MESSAGE, MESSAGES, UPDATE_MESSAGE, MessageRow
from store.models import DIRECTION_IN, ChannelIdentity, Citizen, Message, Ticket, UnrecognisedMessage
from store.outbound import NewOutbound, insert_outbound, pending_outbound
from store.statuses import add_event, add_events, event_row

_LOCK_CITIZEN = select(Citizen.__table__.c.id).where(Citizen.__table__.c.id == bindparam("citizen_id")).with_for_update()
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
TICKETS = Ticket.__table__
# The ticket an agent holds for this citizen (taken, not closed): while there is one, the bot is quiet.
_HELD_TICKET = (
    select(TICKETS.c.id, TICKETS.c.service_id)
    .where(TICKETS.c.citizen_id == bindparam("citizen_id"), TICKETS.c.status == "taken")
    .order_by(TICKETS.c.id)
    .limit(1)
)


class DuplicateMessage(Exception):
    """This provider message is already stored (a redelivery)."""

    def __init__(self, message_id: int) -> None:
        super().__init__(f"duplicate of message {message_id}")
        self.message_id = message_id


@dataclass(frozen=True)
class StoredInbound:
    message_id: int
    citizen_id: int
    conversation_id: Optional[int] = None


@dataclass(frozen=True)
class Understanding:
    """What the brain made of an inbound message (kept on it for staff)."""

    intent: Optional[str] = None
    confidence: Optional[float] = None
    service_id: Optional[str] = None
    language: Optional[str] = None


@dataclass(frozen=True)
class HeldTicket:
    """A ticket an agent has taken: its citizen's messages go to the agent, not the bot."""

    id: int
    service_id: Optional[str]


@dataclass(frozen=True)
class AnswerContext:
    """The citizen's oldest message waiting for an answer, and what answering it needs."""

    message: MessageRow
    attempts: int
    citizen: Row  # of `citizens`
    identities: list[Identity]
    more_waiting: bool  # another message of the citizen (up to the asked id) waits after this one
    held: Optional[HeldTicket] = None  # an agent holds the conversation (store/tickets.py)


@dataclass(frozen=True)
class Completed:
    """An answered inbound message: the ids of its queued replies, and everything the citizen has
    pending (those replies, after any older ones still waiting), in the order it must go out."""

    outbound_ids: list[int]
    pending: list[MessageRow]


def _insert_inbound(
    s: Session, msg: InboundMessage, status: str, known: Optional[tuple[int, int]] = None
) -> StoredInbound:
    """`known`: (citizen id, conversation id) already resolved in this transaction for the same
    number (a batch of one flood's messages), so only the message and its timeline are written."""
    now = utcnow()
    if known is None:
        citizen_id = resolve_identity(s, msg.channel, msg.address, inbound_at=msg.received_at, display_name=msg.display_name)
        # Serialise one citizen's inserts (PostgreSQL) so ids follow arrival order; the workers answer a
        # citizen's messages in id order. SQLite's write lock does this already.
        s.execute(_LOCK_CITIZEN, {"citizen_id": citizen_id})
        conversation_id = touch_conversation(s, citizen_id, msg.channel, now)
    else:
        citizen_id, conversation_id = known
    message_id = s.execute(
        INSERT_MESSAGE,
        {
            "conversation_id": conversation_id,
            "citizen_id": citizen_id,
            "direction": DIRECTION_IN,
            "channel": msg.channel,
            "address": msg.address,
            "provider_id": msg.provider_id,
            "kind": msg.kind,
            "text": msg.text or "",
            "payload": msg.payload,
            "raw": msg.raw or None,
            "status": status,
            "attempts": 0,
            "created_at": now,
        },
    ).inserted_primary_key[0]
    add_event(s, message_id, STATUS_RECEIVED, at=msg.received_at)
    if status != STATUS_RECEIVED:
        add_event(s, message_id, status)
    return StoredInbound(message_id, citizen_id, conversation_id)


def _insert_known_together(
    s: Session, batch: list[tuple[int, InboundMessage, tuple[int, int]]], status: str
) -> dict[int, StoredInbound]:
    """A flood's messages whose citizen and conversation are resolved, in two statements (one
    multi-row INSERT … RETURNING, one batched insert of their timelines) instead of three each: on
    PostgreSQL every statement is a round trip, and a flood of held messages cost the process the
    time its other citizens' answers needed (bench/flood.py)."""
    if not batch:
        return {}
    now = utcnow()
    rows = [
        {
            "conversation_id": ids[1], "citizen_id": ids[0], "direction": DIRECTION_IN, "channel": msg.channel,
            "address": msg.address, "provider_id": msg.provider_id, "kind": msg.kind, "text": msg.text or "",
            "payload": msg.payload, "raw": msg.raw or None, "status": status, "attempts": 0, "created_at": now,
        }
        for _, msg, ids in batch
    ]
    returned = s.execute(insert(MESSAGES).values(rows).returning(MESSAGES.c.id, MESSAGES.c.channel, MESSAGES.c.provider_id))
    id_of = {(r.channel, r.provider_id): r.id for r in returned}
    events: list[dict[str, Any]] = []
    stored: dict[int, StoredInbound] = {}
    for index, msg, (citizen_id, conversation_id) in batch:
        message_id = id_of[(msg.channel, msg.provider_id)]
        stored[index] = StoredInbound(message_id, citizen_id, conversation_id)
        events.append(event_row(message_id, STATUS_RECEIVED, at=msg.received_at))
        if status != STATUS_RECEIVED:
            events.append(event_row(message_id, status, at=now))
    add_events(s, events)
    return stored


@dataclass(frozen=True)
class EarlierMessage:
    id: int
    intent: Optional[str]


_UNRECOGNISED = UnrecognisedMessage.__table__


def _keep_earlier_missed(s: Session, message_id: int, reason: str) -> None:
    if s.execute(select(_UNRECOGNISED.c.id).where(_UNRECOGNISED.c.message_id == message_id).limit(1)).first():
        return  # already in the inbox, for the reason the dialogue gave then
    earlier = s.execute(
        select(MESSAGES.c.text, MESSAGES.c.language, MESSAGES.c.intent, MESSAGES.c.confidence)
        .where(MESSAGES.c.id == message_id)
    ).one()
    s.execute(insert(_UNRECOGNISED).values(
        message_id=message_id, text=earlier.text, language=earlier.language, intent=earlier.intent,
        confidence=earlier.confidence, reason=reason,
    ))


class InboundRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, msg: InboundMessage, *, status: str = STATUS_RECEIVED) -> StoredInbound:
        """Persist a citizen's message (status "received", or "throttled" for one kept unanswered);
        raise DuplicateMessage for a redelivery.

        The unique (channel, direction, provider_id) constraint is the durable dedupe. An
        IntegrityError can also mean a concurrent first message from the same new number created
        its identity first: then one retry finds that identity.
        """
        for attempt in (1, 2):
            try:
                with self._db.session() as s:
                    return _insert_inbound(s, msg, status)
            except IntegrityError:
                existing = self.find_id(msg.channel, msg.provider_id)
                if existing is not None:
                    raise DuplicateMessage(existing) from None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def add_many(self, messages: list[InboundMessage], *, status: str) -> list[StoredInbound]:
        """Several messages in one transaction (pipeline/group_commit.py: a flood's held messages).
        Any conflict fails the whole batch, and the group commit then stores each alone with `add`,
        which tells a redelivery (DuplicateMessage) from a race."""
        if len(messages) == 1:
            return [self.add(messages[0], status=status)]
        stored: dict[int, StoredInbound] = {}
        known: dict[tuple[str, str], tuple[int, int]] = {}
        later: list[tuple[int, InboundMessage, tuple[int, int]]] = []
        with self._db.session() as s:
            for index, msg in enumerate(messages):
                number = (msg.channel, msg.address)
                if number in known:
                    later.append((index, msg, known[number]))
                    continue
                first = _insert_inbound(s, msg, status)
                known[number] = (first.citizen_id, first.conversation_id)
                stored[index] = first
            if self._db.dialect == "postgresql":
                stored.update(_insert_known_together(s, later, status))
            else:  # SQLAlchemy 1.4 has no multi-row RETURNING on SQLite; its statements are in-process
                stored.update((index, _insert_inbound(s, msg, status, ids)) for index, msg, ids in later)
            return [stored[index] for index in range(len(messages))]

    def find_id(self, channel: str, provider_id: str) -> Optional[int]:
        """The id of the inbound message the provider calls `provider_id` on `channel`, if stored."""
        with self._db.session() as s:
            return s.execute(
                select(Message.id).where(
                    Message.channel == channel, Message.direction == DIRECTION_IN, Message.provider_id == provider_id
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
            return s.execute(
                select(Message).where(Message.id == message_id, Message.direction == DIRECTION_IN)
            ).scalar_one_or_none()

    def received_ids(self, *, created_before: Optional[datetime] = None, limit: int = 10_000) -> list[int]:
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
            s.execute(UPDATE_MESSAGE, {"target_id": row.id, "attempts": attempts})
            citizen = s.execute(select(Citizen.__table__).where(Citizen.__table__.c.id == citizen_id)).one()
            identities = ChannelIdentity.__table__
            found = s.execute(
                select(identities).where(identities.c.citizen_id == citizen_id).order_by(identities.c.id)
            ).all()
            held = s.execute(_HELD_TICKET, {"citizen_id": citizen_id}).first()
            return AnswerContext(
                row, attempts, citizen, [Identity.of(i) for i in found], len(waiting) > 1,
                HeldTicket(held.id, held.service_id) if held is not None else None,
            )

    def complete(
        self,
        inbound_id: int,
        *,
        outbound: Iterable[NewOutbound],
        understanding: Optional[Understanding] = None,
        unrecognised_reason: Optional[str] = None,
        interpreted_kind: Optional[str] = None,
        interpreted_payload: Optional[str] = None,
        held: Optional[HeldTicket] = None,
        earlier_missed: Optional[tuple[int, str]] = None,
    ) -> Completed:
        """Mark an inbound message answered and queue its replies, in ONE transaction.

        So a crash leaves either nothing (the message is answered again after recovery) or the
        answer queued (sent by recovery): never two answers. No outbound ids when the message was
        already answered (someone else got there first). `held`: the message is for the agent who
        holds the citizen's ticket, not the bot: marked "for_agent" (with the ticket's service, so
        the conversation shows under that agency) and answered by nobody here. `earlier_missed`:
        (message id, reason) of an earlier message this one says was missed
        (pipeline/missed_follow_ups.py), kept for staff unless it already is.
        """
        with self._db.session() as s:
            row = s.execute(
                select(MESSAGES.c.status, MESSAGES.c.citizen_id, MESSAGES.c.conversation_id, MESSAGES.c.text, MESSAGES.c.language)
                .where(MESSAGES.c.id == inbound_id)
                .with_for_update()
            ).one()
            if row.status != STATUS_RECEIVED:
                return Completed([], pending_outbound(s, row.citizen_id))
            status = STATUS_FOR_AGENT if held is not None else STATUS_ANSWERED
            changes: dict[str, Any] = {"status": status}
            if held is not None and held.service_id:
                changes["service_id"] = held.service_id
            if understanding is not None:
                changes.update(
                    intent=understanding.intent,
                    confidence=understanding.confidence,
                    service_id=understanding.service_id,
                    language=understanding.language,
                )
            if interpreted_kind is not None:
                changes.update(kind=interpreted_kind, payload=interpreted_payload)
            s.execute(UPDATE_MESSAGE, {"target_id": inbound_id, **changes})
            add_event(s, inbound_id, status, detail=f"ticket {held.id}" if held is not None else None)
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
            if earlier_missed is not None:
                _keep_earlier_missed(s, *earlier_missed)
            ids = insert_outbound(s, outbound, conversation_id=row.conversation_id)
            return Completed(ids, pending_outbound(s, row.citizen_id))

    def earlier_question(self, citizen_id: int, message_id: int, since: datetime) -> Optional[EarlierMessage]:
        """The citizen's inbound message just before `message_id`, if the bot answered it after
        `since`: what a "not what I asked" is about."""
        with self._db.session() as s:
            row = s.execute(
                select(MESSAGES.c.id, MESSAGES.c.intent, MESSAGES.c.status, MESSAGES.c.created_at)
                .where(MESSAGES.c.citizen_id == citizen_id, MESSAGES.c.direction == DIRECTION_IN,
                       MESSAGES.c.id < message_id)
                .order_by(MESSAGES.c.id.desc())
                .limit(1)
            ).first()
            if row is None or row.status != STATUS_ANSWERED or row.created_at < since:
                return None
            return EarlierMessage(row.id, row.intent)

    def fail(self, message_id: int, detail: str) -> None:
        """Give up on answering a message (it kept crashing the worker)."""
        with self._db.session() as s:
            s.execute(update(Message).where(Message.id == message_id).values(status=STATUS_FAILED))
            add_event(s, message_id, STATUS_FAILED, detail=detail)
