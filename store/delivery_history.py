"""How each notification step reached the citizen, read back for staff and the agency API
(`GET /api/v1/transactions/{number}`): every outbound message of a step — the push and each
fallback of it share a reply key — with its route, sender, status and timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.messages import STATUS_DELIVERED, STATUS_FAILED, STATUS_READ, STATUS_SENT
from store.models import DIRECTION_OUT, Message, MessageStatusEvent


@dataclass(frozen=True)
class DeliveryEvent:
    """One entry of a message's timeline."""

    status: str
    at: datetime
    error_code: Optional[str] = None
    error_title: Optional[str] = None
    detail: Optional[str] = None


@dataclass(frozen=True)
class DeliveryAttempt:
    """One outbound message of a step: where it went, as whom, why there, and what became of it."""

    message_id: int
    channel: str
    sender: Optional[str]  # None: the channel's own (the short code, the WhatsApp number)
    status: str  # queued, retrying, sent, delivered, read, failed
    route_reason: Optional[str]  # why this channel (routing/router.py)
    route_cause: Optional[str]  # for a fallback: what happened on the channel before
    superseded: bool  # its reply was moved to another channel (it failed, or was not delivered in time)
    kind: str
    text: str
    created_at: datetime
    sent_at: Optional[datetime]
    delivered_at: Optional[datetime]  # delivered or read, as the provider said (first time)
    failed_at: Optional[datetime]
    error_code: Optional[str]  # the provider's last error code, if any
    error_title: Optional[str]
    events: tuple[DeliveryEvent, ...]


@dataclass(frozen=True)
class StepDelivery:
    """How one notification step reached the citizen: every attempt in order, and the outcome.

    `channel`/`status`/`sender` are the step's outcome: its live attempt (the one no fallback
    replaced), else the last. `doubled`: the citizen may have it twice — an attempt moved on
    because it was not delivered in time was delivered after all, late, beside the fallback.
    Providers cannot recall a message, so this is reported, not prevented; the step counts once."""

    reply_key: str
    channel: str
    status: str
    sender: Optional[str]
    attempts: tuple[DeliveryAttempt, ...]
    doubled: bool


def _first(events: list[DeliveryEvent], *statuses: str) -> Optional[datetime]:
    return next((e.at for e in events if e.status in statuses), None)


def _attempt(m: Message, events: list[DeliveryEvent]) -> DeliveryAttempt:
    error = next((e for e in reversed(events) if e.error_code), None)
    return DeliveryAttempt(
        message_id=m.id,
        channel=m.channel,
        sender=m.sender,
        status=m.status,
        route_reason=m.route_reason,
        route_cause=m.route_cause,
        superseded=m.superseded_at is not None,
        kind=m.kind,
        text=m.text,
        created_at=m.created_at,
        sent_at=_first(events, STATUS_SENT),
        delivered_at=_first(events, STATUS_DELIVERED, STATUS_READ),
        failed_at=_first(events, STATUS_FAILED),
        error_code=error.error_code if error else None,
        error_title=error.error_title if error else None,
        events=tuple(events),
    )


def _step(reply_key: str, attempts: list[DeliveryAttempt]) -> StepDelivery:
    live = [a for a in attempts if not a.superseded]
    outcome = live[-1] if live else attempts[-1]
    reached = (STATUS_SENT, STATUS_DELIVERED, STATUS_READ)
    late = any(a.superseded and a.status in (STATUS_DELIVERED, STATUS_READ) for a in attempts)
    return StepDelivery(
        reply_key=reply_key,
        channel=outcome.channel,
        status=outcome.status,
        sender=outcome.sender,
        attempts=tuple(attempts),
        doubled=late and any(a.status in reached for a in live),
    )


def delivery_history(s: Session, message_ids: Sequence[int]) -> list[StepDelivery]:
    """One `StepDelivery` per reply of `message_ids`, in their order (OutboundRepository.delivery_history)."""
    if not message_ids:
        return []
    asked = s.execute(
        select(Message.id, Message.reply_key).where(Message.id.in_(list(message_ids)), Message.direction == DIRECTION_OUT)
    ).all()
    key_of = {row.id: row.reply_key or f"message:{row.id}" for row in asked}
    keys = [k for k in dict.fromkeys(key_of[i] for i in message_ids if i in key_of)]
    reply_keys = [k for k in keys if not k.startswith("message:")]
    lone_ids = [int(k.split(":", 1)[1]) for k in keys if k.startswith("message:")]
    found = select(Message).where(Message.direction == DIRECTION_OUT)
    found = found.where(or_(Message.reply_key.in_(reply_keys), Message.id.in_(lone_ids)))
    messages = list(s.execute(found.order_by(Message.id)).scalars())
    events: dict[int, list[DeliveryEvent]] = {}
    if messages:
        for event in s.execute(
            select(MessageStatusEvent)
            .where(MessageStatusEvent.message_id.in_([m.id for m in messages]))
            .order_by(MessageStatusEvent.id)
        ).scalars():
            events.setdefault(event.message_id, []).append(
                DeliveryEvent(event.status, event.at, event.error_code, event.error_title, event.detail)
            )
    by_key: dict[str, list[DeliveryAttempt]] = {}
    for m in messages:
        by_key.setdefault(m.reply_key or f"message:{m.id}", []).append(_attempt(m, events.get(m.id, [])))
    return [_step(key, by_key[key]) for key in keys if key in by_key]

