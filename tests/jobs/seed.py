"""A citizen's history with every kind of personal data, dated where the test wants it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update

from core.messages import STATUS_DELIVERED, InboundMessage
from store.inbound import Understanding
from store.models import ChannelIdentity, LedgerEntry, Message, Ticket, UnrecognisedMessage
from store.outbound import Billing, NewOutbound

SMS_REPLY = Billing(
    category="reply", unit_cost=Decimal("0.006842"), amount=Decimal("0.006842"),
    agency_share=Decimal("0"), ministry_share=Decimal("0.006842"), citizen_share=Decimal("0"),
)


@dataclass(frozen=True)
class Exchange:
    citizen_id: int
    inbound_id: int
    outbound_id: int


def exchange(store, address: str, provider_id: str, text: str, *, at: datetime, channel: str = "sms") -> Exchange:
    """A question (kept for staff review, as not understood) and its delivered, billed answer, both at `at`."""
    stored = store.inbound.add(
        InboundMessage(channel=channel, provider_id=provider_id, address=address, text=text, display_name="Citizen Name",
                       raw={"profile": "Citizen Name"})
    )
    completed = store.inbound.complete(
        stored.message_id,
        outbound=[
            NewOutbound(
                citizen_id=stored.citizen_id, channel=channel, address=address, text=f"answer to {text}",
                body={"text": f"answer to {text}"}, reply={"text": f"answer to {text}"}, segments=2, language="ar",
                billing=SMS_REPLY, reply_to_id=stored.message_id,
            )
        ],
        understanding=Understanding(intent="ask_fee", confidence=0.3, service_id="passport_renewal", language="ar"),
        unrecognised_reason="low_confidence",
    )
    (outbound_id,) = completed.outbound_ids
    with store.db.session() as s:
        s.execute(update(Message).where(Message.id == outbound_id).values(status=STATUS_DELIVERED))
        s.execute(update(Message).where(Message.id.in_([stored.message_id, outbound_id])).values(created_at=at))
        s.execute(update(UnrecognisedMessage).where(UnrecognisedMessage.message_id == stored.message_id).values(created_at=at))
    return Exchange(stored.citizen_id, stored.message_id, outbound_id)


def ticket(store, citizen_id: int, text: str, *, at: datetime) -> int:
    ticket_id = store.tickets.open(citizen_id, "complaint", text)
    with store.db.session() as s:
        s.execute(update(Ticket).where(Ticket.id == ticket_id).values(created_at=at))
    return ticket_id


def message(store, message_id: int) -> Message:
    with store.db.session() as s:
        return s.get(Message, message_id)


def all_rows(store, model) -> list:
    with store.db.session() as s:
        return list(s.execute(select(model).order_by(model.id)).scalars())


def ledger_total(store) -> tuple[int, Decimal]:
    rows = all_rows(store, LedgerEntry)
    return len(rows), sum((r.amount or Decimal(0) for r in rows), Decimal(0))


def identities(store) -> list[ChannelIdentity]:
    return all_rows(store, ChannelIdentity)
