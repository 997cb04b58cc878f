"""What an SMS costs and who pays, under Jordan's government SMS service rules.

The rules (e-Government programme): one message costs 0.006842 JOD. Independent bodies pay 100%
whatever the kind. Other bodies pay 100% for internal-communication and promotional messages, and
50% for awareness/guidance and transaction-status messages, the ministry paying the other 50%.
A citizen pays 7 piasters for a one-time (POP) query, charged only when the information is
supplied, and 5 piasters per message of a subscription.

Reading of the rules used here (say so if the programme reads them otherwise):
- "one message" is one SMS segment: a concatenated message of 3 parts costs 3 × the rate;
- the citizen's 7 and 5 piasters are per answered query and per subscription message, not per
  segment; in those two citizen-paid kinds the body and the ministry pay nothing;
- a query answered with "no such information" is charged to nobody (the rules bill the citizen
  only when information is supplied and name no one else).
- an answer to a citizen's question on the ministry's unified account (seed 000, item 5: the
  ministry runs the account for every body) is a `reply`, paid by the ministry whatever the body:
  the account answers for free, so the POP kinds (citizen-paid) apply only to a body's own paid
  query service.
Everything is a pure function of (kind, body type, channel, segments); amounts are exact Decimals in
JOD. Only SMS is priced by these rules: WhatsApp is billed by Meta per conversation (no amount).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Optional

from core.messages import SMS

SMS_RATE_JOD = Decimal("0.006842")
PIASTER_JOD = Decimal("0.01")
POP_QUERY_JOD = 7 * PIASTER_JOD
SUBSCRIPTION_MESSAGE_JOD = 5 * PIASTER_JOD

_HALF = Decimal("0.5")


class MessageKind(str, Enum):
    REPLY = "reply"  # our answer to a citizen's own message: the ministry pays
    INTERNAL = "internal"  # internal communication
    PROMOTIONAL = "promotional"
    AWARENESS = "awareness"  # awareness and guidance
    TRANSACTION_STATUS = "transaction_status"
    POP_REPLY = "pop_reply"  # the answer to a citizen's query (citizen-paid)
    POP_NO_INFORMATION = "pop_no_information"  # a query we could not answer: the citizen pays nothing
    SUBSCRIPTION = "subscription"  # a message of a citizen's subscription (citizen-paid)


class BodyType(str, Enum):
    INDEPENDENT = "independent"  # independent bodies pay everything themselves
    GOVERNMENT = "government"  # other government bodies: the ministry shares some kinds


@dataclass(frozen=True)
class Charge:
    sms_cost: Decimal  # segments × the rate: what the message costs at the SMSC
    body_pays: Decimal
    ministry_pays: Decimal
    citizen_pays: Decimal


_SHARED_KINDS = {MessageKind.AWARENESS, MessageKind.TRANSACTION_STATUS}


def sms_cost(segments: int) -> Decimal:
    """The cost of `segments` SMS parts at the government rate."""
    if segments < 0:
        raise ValueError("segments cannot be negative")
    return SMS_RATE_JOD * segments


def unit_cost(channel: str) -> Optional[Decimal]:
    """What one segment costs on `channel` under these rules; None where they do not price it
    (WhatsApp: Meta bills per conversation)."""
    return SMS_RATE_JOD if channel == SMS else None


def channel_charge(kind: MessageKind | str, body_type: BodyType | str, channel: str, segments: int) -> Optional[Charge]:
    """Who pays what for one message on `channel`; None where these rules do not price the channel."""
    return charge(kind, body_type, segments) if unit_cost(channel) is not None else None


def charge(kind: MessageKind | str, body_type: BodyType | str, segments: int) -> Charge:
    """Who pays what for one SMS of `segments` parts."""
    kind = MessageKind(kind)
    body_type = BodyType(body_type)
    cost = sms_cost(segments)
    zero = Decimal("0")
    if kind is MessageKind.REPLY:
        return Charge(cost, zero, cost, zero)
    if kind is MessageKind.POP_REPLY:
        return Charge(cost, zero, zero, POP_QUERY_JOD)
    if kind is MessageKind.POP_NO_INFORMATION:
        return Charge(cost, zero, zero, zero)
    if kind is MessageKind.SUBSCRIPTION:
        return Charge(cost, zero, zero, SUBSCRIPTION_MESSAGE_JOD)
    if body_type is BodyType.GOVERNMENT and kind in _SHARED_KINDS:
        half = cost * _HALF
        return Charge(cost, half, cost - half, zero)
    return Charge(cost, cost, zero, zero)
