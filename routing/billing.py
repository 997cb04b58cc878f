"""What a message costs and who pays, under Jordan's government SMS service rules (seed 000).

The rules (e-Government programme): one message costs 0.006842 JOD. Independent bodies pay 100%
whatever the kind. Other bodies pay 100% for internal-communication and promotional messages, and
50% for awareness/guidance and transaction-status messages, the ministry paying the other 50%.
Bodies are billed quarterly. A citizen pays 7 piasters for a one-time (POP) query, charged only
when the information is supplied, and 5 piasters per message of a subscription.

Reading of the rules used here (README, "Who pays", says the same; say so if the programme reads
them otherwise):
- "one message" is one SMS segment: a concatenated message of 3 parts costs 3 × the rate;
- an answer to a citizen's question on the ministry's unified service (seed 000, item 5: the
  ministry answers for every body) is a `reply`, paid by the ministry whatever the body;
- the citizen's 7 and 5 piasters are a price the citizen is charged (collected by the operator),
  not a share of the message's cost: the cost is still split by category as above, and the
  citizen's charge is recorded beside it (`citizen_pays`). It applies only where the POP service's
  own terms say — SMS asked, SMS answered:
    * POP query: a citizen's question sent by SMS and answered by SMS with information (a catalog
      answer), once per question, on the answer's first message; a question we could not answer
      (a clarifying question, "I did not understand", "not in Tawasol yet") costs the citizen
      nothing, and neither does MORE (the rest of the same answer);
    * subscription message: each message pushed by SMS because the citizen subscribed to it
      (the routing table's `subscription_kinds`, document-expiry alerts), on its first message;
- amounts are exact Decimals in JOD (six decimals, as the rate has); rounding to the fils happens
  once, on a statement's lines (billing/statements.py), never per message.
Everything here is a pure function of (category, body type, channel, segments, citizen charge,
tariff). Only SMS is priced by these rules: WhatsApp is billed by Meta per conversation (no amount).
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
_ZERO = Decimal("0")


class MessageKind(str, Enum):
    """The ledger's categories: what a message is, which decides who pays."""

    REPLY = "reply"  # our answer to a citizen's own message: the ministry pays
    INTERNAL = "internal"  # internal communication
    PROMOTIONAL = "promotional"
    AWARENESS = "awareness"  # awareness and guidance
    TRANSACTION_STATUS = "transaction_status"


class BodyType(str, Enum):
    INDEPENDENT = "independent"  # independent bodies pay everything themselves
    GOVERNMENT = "government"  # other government bodies: the ministry shares some kinds


class CitizenCharge(str, Enum):
    """What the citizen is charged for a message, beside its cost (see the module's reading)."""

    NONE = "none"
    POP_QUERY = "pop_query"  # 7 piasters: a one-time query answered by SMS with information
    SUBSCRIPTION_MESSAGE = "subscription_message"  # 5 piasters: a message of the citizen's subscription


@dataclass(frozen=True)
class Tariff:
    """The prices (bot/settings.py reads them: BILLING_SMS_SEGMENT_JOD, BILLING_POP_QUERY_JOD,
    BILLING_SUBSCRIPTION_MESSAGE_JOD)."""

    sms_segment: Decimal = SMS_RATE_JOD
    pop_query: Decimal = POP_QUERY_JOD
    subscription_message: Decimal = SUBSCRIPTION_MESSAGE_JOD

    def __post_init__(self) -> None:
        for name in ("sms_segment", "pop_query", "subscription_message"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")

    def citizen_price(self, charge: CitizenCharge | str) -> Decimal:
        charge = CitizenCharge(charge)
        if charge is CitizenCharge.POP_QUERY:
            return self.pop_query
        if charge is CitizenCharge.SUBSCRIPTION_MESSAGE:
            return self.subscription_message
        return _ZERO


DEFAULT_TARIFF = Tariff()


@dataclass(frozen=True)
class Charge:
    sms_cost: Decimal  # segments × the rate: what the message costs at the SMSC
    body_pays: Decimal
    ministry_pays: Decimal
    citizen_pays: Decimal  # charged to the citizen beside the cost (not part of body + ministry)


_SHARED_KINDS = {MessageKind.AWARENESS, MessageKind.TRANSACTION_STATUS}


def sms_cost(segments: int, tariff: Tariff = DEFAULT_TARIFF) -> Decimal:
    """The cost of `segments` SMS parts at the government rate."""
    if segments < 0:
        raise ValueError("segments cannot be negative")
    return tariff.sms_segment * segments


def unit_cost(channel: str, tariff: Tariff = DEFAULT_TARIFF) -> Optional[Decimal]:
    """What one segment costs on `channel` under these rules; None where they do not price it
    (WhatsApp: Meta bills per conversation)."""
    return tariff.sms_segment if channel == SMS else None


def citizen_charge_applies(charge: CitizenCharge | str, *, asked_on: Optional[str], answered_on: str) -> bool:
    """Whether a POP price applies to a message on `answered_on` (`asked_on`: the channel of the
    citizen's question, for a reply). Both POP prices belong to the SMS service."""
    charge = CitizenCharge(charge)
    if charge is CitizenCharge.POP_QUERY:
        return asked_on == SMS and answered_on == SMS
    if charge is CitizenCharge.SUBSCRIPTION_MESSAGE:
        return answered_on == SMS
    return False


def channel_charge(
    kind: MessageKind | str,
    body_type: BodyType | str,
    channel: str,
    segments: int,
    *,
    citizen: CitizenCharge | str = CitizenCharge.NONE,
    tariff: Tariff = DEFAULT_TARIFF,
) -> Optional[Charge]:
    """Who pays what for one message on `channel`; None where these rules do not price the channel."""
    if unit_cost(channel, tariff) is None:
        return None
    return charge(kind, body_type, segments, citizen=citizen, tariff=tariff)


def charge(
    kind: MessageKind | str,
    body_type: BodyType | str,
    segments: int,
    *,
    citizen: CitizenCharge | str = CitizenCharge.NONE,
    tariff: Tariff = DEFAULT_TARIFF,
) -> Charge:
    """Who pays what for one SMS of `segments` parts."""
    kind = MessageKind(kind)
    body_type = BodyType(body_type)
    cost = sms_cost(segments, tariff)
    citizen_pays = tariff.citizen_price(citizen)
    if kind is MessageKind.REPLY:
        return Charge(cost, _ZERO, cost, citizen_pays)
    if body_type is BodyType.GOVERNMENT and kind in _SHARED_KINDS:
        half = cost * _HALF
        return Charge(cost, half, cost - half, citizen_pays)
    return Charge(cost, cost, _ZERO, citizen_pays)
