"""The routing table: which channels to prefer, where to fall back, who sends, what a push kind
costs. Data, not code: a deployment (or, later, an agency) passes its own `RoutingPolicy`; the
router (routing/router.py) reads it and knows no channel by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, Optional

from core.messages import SMS, WHATSAPP
from routing.billing import DEFAULT_TARIFF, BodyType, MessageKind, Tariff
from store.models import Agency as AgencyRecord


def _frozen(mapping: Mapping[str, object]) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Agency:
    """The body a push is sent for: it pays its share (routing/billing.py) and may send under its
    own sender IDs. The ministry's own messages (answers, its pushes) go as `MINISTRY`."""

    id: Optional[str]  # agencies.id (the catalog prefix); None for the ministry
    body_type: BodyType
    sender_ids: Mapping[str, str] = field(default_factory=lambda: _frozen({}))  # channel -> sender ID


MINISTRY = Agency(id=None, body_type=BodyType.GOVERNMENT)


def agency_of(record: AgencyRecord) -> Agency:
    """The routing view of a stored agency (store.agencies): its body type, and its first SMS
    sender ID as the sender of its SMS (several may be registered; the first is its own name)."""
    sender_ids = [s for s in (record.sms_sender_ids or []) if s]
    return Agency(
        id=record.id,
        body_type=BodyType.INDEPENDENT if record.independent else BodyType.GOVERNMENT,
        sender_ids=_frozen({SMS: sender_ids[0]} if sender_ids else {}),
    )


@dataclass(frozen=True)
class RoutingPolicy:
    # Pushes: the first of these channels that can carry the message to the citizen now.
    push_order: tuple[str, ...] = (WHATSAPP, SMS)
    # Where a message goes when its channel cannot carry it (or failed it). Replies start on the
    # channel the citizen wrote on.
    fallback: Mapping[str, str] = field(default_factory=lambda: _frozen({WHATSAPP: SMS}))
    # Channels that reach any phone number: a number known on another channel will do (a WhatsApp
    # number is a phone number, so SMS reaches it even if the citizen never texted us).
    reaches_any_phone: frozenset[str] = frozenset({SMS})
    # The sender a channel's messages go out as when the agency has none of its own (the SMS short
    # code); a channel not listed sends as its own configuration says.
    senders: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    # Channels whose pushes must be confirmed delivered: one still undelivered when its deadline
    # passes (TAWASOL_DELIVERY_TIMEOUT_MINUTES after it was sent) goes by its fallback instead,
    # once (pipeline/delivery_fallbacks.py). Channels without a fallback are never timed.
    delivery_deadline: frozenset[str] = frozenset({WHATSAPP})
    # Push kinds that are not billing categories themselves, and the category each is billed as.
    # Alerts (document expiry, traffic violations: api/alerts.py) tell a subscribed citizen of a
    # change to their records so they act in time: awareness and guidance (seed 000), shared by a
    # government body and the ministry like transaction status.
    push_categories: Mapping[str, MessageKind] = field(
        default_factory=lambda: _frozen(
            {"status_update": MessageKind.TRANSACTION_STATUS, "alert": MessageKind.AWARENESS}
        )
    )

    # Push kinds that are messages of a citizen's subscription and charged to the citizen (seed 000:
    # 5 piasters a message by SMS). None by default: alerts are free to the citizen (seed 000, item 3,
    # the Saudi Ministry of Interior's "free alert messages"; issue 21: "subscriptions are free to
    # the citizen"). A deployment that charges a subscription's messages lists its push kinds here.
    subscription_kinds: frozenset[str] = frozenset()
    # The prices (routing/billing.py; bot/settings.py reads them from BILLING_* variables).
    tariff: Tariff = DEFAULT_TARIFF

    def category_of_push(self, kind: str) -> MessageKind:
        """The billing category of a push of `kind`; ValueError when the kind has none."""
        if kind in self.push_categories:
            return MessageKind(self.push_categories[kind])
        try:
            category = MessageKind(kind)
        except ValueError:
            raise ValueError(
                f"push kind {kind!r} has no billing category: pass one of {[k.value for k in PUSH_CATEGORIES]}"
            ) from None
        if category not in PUSH_CATEGORIES:
            raise ValueError(f"{kind!r} is not a push category: pass one of {[k.value for k in PUSH_CATEGORIES]}")
        return category


# What a body may push (seed 000: awareness, promotion, transaction status, internal communication).
PUSH_CATEGORIES = (
    MessageKind.TRANSACTION_STATUS,
    MessageKind.AWARENESS,
    MessageKind.PROMOTIONAL,
    MessageKind.INTERNAL,
)

DEFAULT_ROUTING = RoutingPolicy()
