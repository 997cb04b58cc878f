"""The one contract every channel keeps (after RapidPro's courier: receive, send, status).

A channel package (`channels/<name>/`) builds one `Channel` from its settings. The channel turns
provider traffic into `InboundMessage` / `StatusUpdate` and hands them to the `InboundSink` (the
pipeline); it renders a channel-neutral `BotReply` into provider messages and sends them; it says
what a provider's answer means as a channel-neutral `Verdict` (core.messages), so nothing above this
layer knows a provider's error codes, id spellings or session rules. It owns no business logic and
no persistence: the pipeline decides, routing chooses, the store remembers.

Adding a channel (USSD, a web chat widget) is one new package that builds a `Channel`, and one line
in `channels/registry.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional, Protocol, runtime_checkable

from core.messages import BotReply, InboundMessage, StatusUpdate, Verdict


@dataclass
class Rendered:
    """One provider message, ready to send: what the outbox persists before it sends."""

    channel: str
    address: str
    text: str  # what the citizen will read (stored, shown to staff)
    body: dict[str, Any] = field(default_factory=dict)  # the provider payload (WhatsApp JSON, SMS params)
    segments: int = 1  # SMS parts; 1 elsewhere
    sender: Optional[str] = None  # who it goes out as (an agency's SMS sender ID, the short code); None: the channel's own
    reference: Optional[int] = None  # our id of the message, for providers that repeat it in statuses


@dataclass
class SendOutcome:
    """What happened when a rendered message was handed to the provider."""

    verdict: Verdict
    provider_id: Optional[str] = None
    error_code: Optional[str] = None  # the provider's own code, kept for the timeline and for staff
    error_title: Optional[str] = None
    retry_after: Optional[float] = None  # with RETRY_LATER: seconds before the next try
    # With RETRY_LATER: the provider itself is failing (down, overloaded, throttling the account,
    # unreachable), not this message or recipient, so every other send would fail now too.
    provider_down: bool = False

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.SENT


class InboundSink(Protocol):
    """Where every channel hands what it received: the pipeline keeps this contract. Either call
    may raise while the service is starting or the store is down; the channel then tells its
    provider to deliver again later (HTTP 503, SMPP temporary error)."""

    async def accept(self, message: InboundMessage) -> Any: ...

    async def record_status(self, update: StatusUpdate) -> Any: ...


class Channel(Protocol):
    """One channel: receive (start, or the routes of an `HttpReceiver`), send (render + send),
    status (verdicts on its `StatusUpdate`s), health."""

    name: str
    rate: Optional[float]  # messages (SMS: segments) a second the provider allows us; None: no cap
    # Choices shown as a numbered menu: a bare number from the citizen picks from the last one
    # (where choices are buttons, a number is just text for the brain).
    numbered_menus: bool

    async def start(self, sink: InboundSink) -> None:
        """Begin receiving (bind, connect); inbound traffic goes to `sink` from now on."""

    async def stop(self) -> None:
        """Stop receiving and release connections; queued sends are the outbox's, not lost."""

    def health(self) -> dict[str, Any]:
        """What /health shows of this channel: no personal data, no secrets."""

    def render(self, reply: BotReply, address: str, *, free_form: bool = True) -> list[Rendered]:
        """Shape a reply for this channel. With `free_form=False` (the citizen's session with this
        channel is closed) only what the provider allows then is rendered (WhatsApp: a template),
        else nothing."""

    async def send(self, message: Rendered) -> SendOutcome:
        """Hand one rendered message to the provider; never raises for provider errors."""

    def free_form_open(self, last_inbound_at: Optional[datetime], now: datetime) -> bool:
        """May free-form text reach a citizen whose last message came at `last_inbound_at`?"""


@runtime_checkable
class ReadReceipts(Protocol):
    """A channel that can tell the citizen their message was seen (WhatsApp's blue ticks)."""

    async def mark_read(self, provider_message_id: str) -> bool:
        """True when the provider took the receipt; never raises for provider errors."""


@runtime_checkable
class SessionTemplates(Protocol):
    """A channel with approved forms for messages outside its session (WhatsApp templates): it
    says whether one fits a reply, so the router sends elsewhere when none does."""

    def has_template(self, reply: BotReply) -> bool:
        """True when `render(reply, address, free_form=False)` would give something to send."""


@runtime_checkable
class HttpReceiver(Protocol):
    """A channel whose provider calls us over HTTP (webhooks): the app mounts its routes."""

    def router(self) -> Any:
        """A FastAPI APIRouter with the channel's webhook paths."""
