"""The contract every channel handler keeps (after RapidPro's courier: receive, send, status).

A handler turns provider traffic into `InboundMessage` / `StatusUpdate` and hands them to the
pipeline (`pipeline.pipeline`); it renders a channel-neutral `BotReply` into provider messages and sends
them. It owns no business logic and no persistence: the pipeline decides, the store remembers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Protocol, runtime_checkable

from core.messages import BotReply


@dataclass
class Rendered:
    """One provider message, ready to send: what the outbox persists before it sends."""

    channel: str
    address: str
    text: str  # what the citizen will read (stored, shown to staff)
    body: dict[str, Any] = field(default_factory=dict)  # the provider payload (WhatsApp JSON, SMS params)
    segments: int = 1  # SMS parts; 1 elsewhere


@dataclass
class SendOutcome:
    """What happened when a rendered message was handed to the provider."""

    ok: bool
    provider_id: Optional[str] = None
    error_code: Optional[str] = None
    error_title: Optional[str] = None
    retry_after: Optional[float] = None  # transient failure: try again after this many seconds
    fallback: bool = False  # this channel cannot reach the citizen now: try another (e.g. SMS)
    not_on_channel: bool = False  # the address is not on this channel at all (remember it)


class ChannelSender(Protocol):
    """The outbound half of a channel, as the outbox sees it."""

    name: str

    def render(self, reply: BotReply, address: str, *, in_window: bool = True) -> list[Rendered]:
        """Shape a reply for this channel; outside WhatsApp's 24-hour window only templates go."""

    async def send(self, message: Rendered) -> SendOutcome:
        """Hand one rendered message to the provider; never raises for provider errors."""


@runtime_checkable
class ReadReceipts(Protocol):
    """A channel that can tell the citizen their message was seen (WhatsApp's blue ticks)."""

    async def mark_read(self, provider_message_id: str) -> bool:
        """True when the provider took the receipt; never raises for provider errors."""
