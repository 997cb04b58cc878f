"""Outbound messages: queued before they are sent, then sent, retried, failed or replaced by a
fallback; each written with its route (why this channel) and its ledger entry (who pays)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, Optional, Sequence

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from core.messages import (
    STATUS_DELIVERED,
    STATUS_FAILED,
    STATUS_QUEUED,
    STATUS_READ,
    STATUS_RETRYING,
    STATUS_SENT,
    utcnow,
)
from store.conversations import touch_conversation
from store.database import Database
from store.delivery_history import StepDelivery, delivery_history
from store.messages import INSERT_MESSAGE, MESSAGES, PENDING_OUTBOUND, UPDATE_MESSAGE, MessageRow
from store.models import DIRECTION_OUT, LedgerEntry, Message
from store.statuses import add_event, status_advances

_INSERT_LEDGER_ENTRY = insert(LedgerEntry.__table__)
_PENDING_OUTBOUND = (
    select(MESSAGES)
    .where(
        MESSAGES.c.citizen_id == bindparam("citizen_id"),
        MESSAGES.c.direction == DIRECTION_OUT,
        MESSAGES.c.status.in_(PENDING_OUTBOUND),
    )
    .order_by(MESSAGES.c.id)
)


@dataclass(frozen=True)
class Billing:
    """Who pays for one outbound message (computed by routing; stored as its ledger entry).
    Amounts are None where the channel is not priced by these rules."""

    category: str
    agency_id: Optional[str] = None  # agencies.id
    body_type: Optional[str] = None
    unit_cost: Optional[Decimal] = None
    amount: Optional[Decimal] = None
    agency_share: Optional[Decimal] = None
    ministry_share: Optional[Decimal] = None
    citizen_share: Optional[Decimal] = None


@dataclass(frozen=True)
class SendFailure:
    """A send its provider refused, recorded on the message (`mark_failed`'s fields)."""

    message_id: int
    error_code: Optional[str] = None
    error_title: Optional[str] = None
    detail: Optional[str] = None


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
    language: Optional[str] = None
    reply_to_id: Optional[int] = None
    sender: Optional[str] = None
    route_reason: Optional[str] = None
    route_cause: Optional[str] = None
    billing: Optional[Billing] = None  # None: no ledger entry (nothing to bill, e.g. a test message)


def insert_outbound(s: Session, rows: Iterable[NewOutbound], conversation_id: Optional[int] = None) -> list[int]:
    """Queue `rows` in the caller's transaction, each with its ledger entry."""
    ids = []
    for new in rows:
        now = utcnow()
        billing = new.billing
        message_id = s.execute(
            INSERT_MESSAGE,
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
                "cost": billing.amount if billing is not None else None,
                "language": new.language,
                "reply_to_id": new.reply_to_id,
                "sender": new.sender,
                "route_reason": new.route_reason,
                "route_cause": new.route_cause,
                "status": STATUS_QUEUED,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        ).inserted_primary_key[0]
        add_event(s, message_id, STATUS_QUEUED)
        if billing is not None:
            s.execute(
                _INSERT_LEDGER_ENTRY,
                {
                    "message_id": message_id,
                    "agency_id": billing.agency_id,
                    "body_type": billing.body_type,
                    "category": billing.category,
                    "channel": new.channel,
                    "segments": new.segments,
                    "unit_cost": billing.unit_cost,
                    "amount": billing.amount,
                    "agency_share": billing.agency_share,
                    "ministry_share": billing.ministry_share,
                    "citizen_share": billing.citizen_share,
                    "created_at": now,
                },
            )
        ids.append(message_id)
    return ids


def pending_outbound(session: Session, citizen_id: int) -> list[MessageRow]:
    """Queued or retrying messages to the citizen, in the order they must go out."""
    return list(session.execute(_PENDING_OUTBOUND, {"citizen_id": citizen_id}))


class OutboundRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, rows: Iterable[NewOutbound]) -> list[int]:
        with self._db.session() as s:
            return insert_outbound(s, rows)

    def get(self, message_id: int) -> Optional[Message]:
        with self._db.session() as s:
            return s.execute(
                select(Message).where(Message.id == message_id, Message.direction == DIRECTION_OUT)
            ).scalar_one_or_none()

    def pending(self, citizen_id: int) -> list[MessageRow]:
        """Queued or retrying messages to the citizen, in the order they must go out."""
        with self._db.session() as s:
            return pending_outbound(s, citizen_id)

    def citizens_with_due(self, *, now: datetime, queued_before: datetime, limit: int = 500) -> list[int]:
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

    def retry_now(self, channel: str, now: datetime) -> int:
        """Bring every retry waiting on `channel` forward to `now` (its provider is back); how many."""
        with self._db.session() as s:
            result = s.execute(
                update(MESSAGES)
                .where(
                    MESSAGES.c.status == STATUS_RETRYING,
                    MESSAGES.c.next_attempt_at > now,
                    MESSAGES.c.direction == DIRECTION_OUT,
                    MESSAGES.c.channel == channel,
                )
                .values(next_attempt_at=now)
            )
            return result.rowcount

    def adopt(self, message_id: int, channel: str, provider_id: str) -> bool:
        """Mark `message_id` sent as `provider_id` if it is still waiting to go on `channel` with
        no provider id (its sender died after the provider took it); False otherwise."""
        with self._db.session() as s:
            current = s.execute(
                select(MESSAGES.c.status, MESSAGES.c.attempts, MESSAGES.c.channel, MESSAGES.c.provider_id, MESSAGES.c.direction)
                .where(MESSAGES.c.id == message_id)
                .with_for_update()
            ).one_or_none()
            if (
                current is None
                or current.direction != DIRECTION_OUT
                or current.channel != channel
                or current.provider_id is not None
                or current.status not in PENDING_OUTBOUND
            ):
                return False
            s.execute(
                UPDATE_MESSAGE,
                {"target_id": message_id, "provider_id": provider_id, "attempts": (current.attempts or 0) + 1, "status": STATUS_SENT},
            )
            add_event(s, message_id, STATUS_SENT, detail="recorded from the provider's status")
            return True

    def adopt_short(self, short_reference: int, channel: str, address: str, provider_id: str) -> Optional[int]:
        """`adopt` for a provider that repeats only our id modulo 65536 (SMPP's
        user_message_reference): the newest message to `address` on `channel` still waiting with
        no provider id whose id has those low bits; its id if adopted."""
        with self._db.session() as s:
            found = s.execute(
                select(MESSAGES.c.id)
                .where(
                    MESSAGES.c.channel == channel,
                    MESSAGES.c.address == address,
                    MESSAGES.c.direction == DIRECTION_OUT,
                    MESSAGES.c.provider_id.is_(None),
                    MESSAGES.c.status.in_(PENDING_OUTBOUND),
                    MESSAGES.c.id % 65536 == short_reference,
                )
                .order_by(MESSAGES.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        if found is None or not self.adopt(found, channel, provider_id):
            return None
        return found

    def claim_for_send(self, message_id: int, now: datetime, until: datetime) -> bool:
        """Take the message for sending until `until`: True for exactly one caller while it is
        still waiting to go and its time has come, False if it went, failed, or another sender
        holds it. The citizen's lock normally keeps senders apart; this holds when that lock is
        lost (Redis flushed or restarted) or a sender works from a list read before another sent.
        Until `until` no sweep sends it again either, so if this sender dies with the provider's
        answer unrecorded, the provider's status (naming our reference) can say it went first
        (`adopt`) instead of it going twice."""
        with self._db.session() as s:
            result = s.execute(
                update(MESSAGES)
                .where(
                    MESSAGES.c.id == message_id,
                    MESSAGES.c.status.in_(PENDING_OUTBOUND),
                    or_(MESSAGES.c.next_attempt_at.is_(None), MESSAGES.c.next_attempt_at <= now),
                )
                .values(next_attempt_at=until)
            )
            return result.rowcount == 1

    def mark_sent(self, message_id: int, provider_id: Optional[str], *, deliver_by: Optional[datetime] = None) -> None:
        """The provider took the message. `deliver_by`: if it is still not delivered then, it
        goes by the fallback channel (`overdue`, `fall_back`)."""
        with self._db.session() as s:
            current = s.execute(
                select(MESSAGES.c.status, MESSAGES.c.attempts, MESSAGES.c.provider_id)
                .where(MESSAGES.c.id == message_id)
                .with_for_update()
            ).one()
            if provider_id is not None and current.provider_id == provider_id:
                return  # already written down from the provider's status (`adopt`)
            changes: dict[str, Any] = {"provider_id": provider_id, "attempts": (current.attempts or 0) + 1}
            if deliver_by is not None:
                changes["deliver_by"] = deliver_by
            if status_advances(current.status, STATUS_SENT):
                changes["status"] = STATUS_SENT
            s.execute(UPDATE_MESSAGE, {"target_id": message_id, **changes})
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
            _fail(s, SendFailure(message_id, error_code, error_title, detail), count_attempt=count_attempt)

    def fall_back(
        self,
        reply_key: str,
        from_channel: str,
        rows: list[NewOutbound],
        *,
        overdue_at: Optional[datetime] = None,
        failed: Optional[SendFailure] = None,
    ) -> list[int]:
        """Replace a reply's messages on `from_channel` by `rows` on another channel, once.

        Once is a conditional update: the reply's messages on `from_channel` are marked superseded
        only where nobody marked them before, and only the caller that marked some inserts `rows`,
        so two workers (or a failure webhook and the delivery timer) never both send the fallback.
        With `overdue_at` (the delivery timer) only messages still merely "sent" whose deadline is
        at or before it are taken: one delivered meanwhile is left alone and nothing is queued.
        The reply's other parts still pending on `from_channel` are failed ("superseded"), so a
        split reply is not sent twice. Returns [] when it was moved already (or need not be).
        `failed`: the send that failed on `from_channel`, recorded in the same transaction, so no
        crash can leave the failure written and the fallback not queued (the reply then reaches
        the citizen on neither channel); with [] returned, nothing of it was written.
        """
        if not rows:
            return []
        to_channel = rows[0].channel
        now = utcnow()
        claim = (
            update(MESSAGES)
            .where(
                MESSAGES.c.reply_key == reply_key,
                MESSAGES.c.channel == from_channel,
                MESSAGES.c.direction == DIRECTION_OUT,
                MESSAGES.c.superseded_at.is_(None),
                # A late "failed" after "delivered" (webhooks come out of order) moves nothing.
                MESSAGES.c.status.notin_((STATUS_DELIVERED, STATUS_READ)),
            )
            .values(superseded_at=now, deliver_by=None)
        )
        if overdue_at is not None:
            claim = claim.where(MESSAGES.c.status == STATUS_SENT, MESSAGES.c.deliver_by <= overdue_at)
        with self._db.session() as s:
            if s.execute(claim).rowcount == 0:
                return []
            if failed is not None:
                _fail(s, failed)
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
            if overdue_at is not None:
                for message_id in s.execute(
                    select(Message.id).where(
                        Message.reply_key == reply_key, Message.channel == from_channel, Message.status == STATUS_SENT
                    )
                ).scalars():
                    add_event(s, message_id, STATUS_SENT, detail=f"not delivered in time: reply sent by {to_channel} instead")
            return insert_outbound(s, rows)

    def overdue(self, now: datetime, limit: int = 500) -> list[MessageRow]:
        """Messages the provider took but has not confirmed delivered by their deadline, not
        moved to another channel yet: oldest deadline first."""
        with self._db.session() as s:
            return list(
                s.execute(
                    select(MESSAGES)
                    .where(
                        MESSAGES.c.direction == DIRECTION_OUT,
                        MESSAGES.c.deliver_by <= now,
                        MESSAGES.c.superseded_at.is_(None),
                        MESSAGES.c.status == STATUS_SENT,
                    )
                    .order_by(MESSAGES.c.deliver_by, MESSAGES.c.id)
                    .limit(limit)
                )
            )

    def clear_deadline(self, message_id: int) -> None:
        """The delivery timer is done with this message (moved, delivered, or nowhere to go)."""
        with self._db.session() as s:
            s.execute(update(MESSAGES).where(MESSAGES.c.id == message_id).values(deliver_by=None))

    def delivery_history(self, message_ids: Sequence[int]) -> list[StepDelivery]:
        """How each message in `message_ids` reached the citizen: one `StepDelivery` per reply
        (a push and every fallback of it, found by their shared reply key), in the order of
        `message_ids`; each attempt with its channel, sender, route reason and cause, status and
        timeline. Unknown ids are left out."""
        with self._db.session() as s:
            return delivery_history(s, message_ids)

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

    def for_address(self, channel: str, address: str, after_id: int = 0, limit: int = 100) -> list[Message]:
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

    def ledger(self, message_id: int) -> Optional[LedgerEntry]:
        """The message's ledger entry: what it costs and who pays."""
        with self._db.session() as s:
            return s.execute(select(LedgerEntry).where(LedgerEntry.message_id == message_id)).scalar_one_or_none()


def _fail(s: Session, failure: SendFailure, *, count_attempt: bool = True) -> None:
    row = s.get(Message, failure.message_id)
    if count_attempt:
        row.attempts = (row.attempts or 0) + 1
    row.status = STATUS_FAILED
    row.next_attempt_at = None
    row.deliver_by = None
    add_event(
        s, failure.message_id, STATUS_FAILED,
        error_code=failure.error_code, error_title=failure.error_title, detail=failure.detail,
    )
