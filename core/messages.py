"""The channel-neutral shapes every part of Tawasol speaks.

Channel handlers turn provider payloads into `InboundMessage` and `StatusUpdate`; the brain answers
with `BotReply`; each channel renders a `BotReply` in its own way (WhatsApp buttons and lists, SMS
numbered menus). Nothing here knows about a provider, a database or Rasa.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Optional

# Channel names, as stored in the database and used in routes.
WHATSAPP = "whatsapp"
SMS = "sms"
WEB = "web"

# Kinds of inbound content. The bot reads text; everything else gets a polite reply.
KIND_TEXT = "text"
KIND_CHOICE = "choice"  # a tapped button / list row / template quick reply: `payload` holds our id
KIND_LOCATION = "location"
KIND_MEDIA = "media"  # image, audio, voice, video, document, sticker
KIND_UNSUPPORTED = "unsupported"

# Message status timeline values (provider statuses are mapped onto these).
STATUS_RECEIVED = "received"
STATUS_ANSWERED = "answered"
STATUS_QUEUED = "queued"
STATUS_SENT = "sent"
STATUS_DELIVERED = "delivered"
STATUS_READ = "read"
STATUS_FAILED = "failed"
STATUS_RETRYING = "retrying"
STATUS_THROTTLED = "throttled"  # inbound over the citizen's flood limit: stored, not answered
STATUS_FOR_AGENT = "for_agent"  # inbound while an agent holds the citizen's ticket: the agent's, not the bot's


class Verdict(str, Enum):
    """What a send attempt or a provider's status means for a message, whatever the provider: each
    channel maps its own codes onto these, so nothing above the channels reads a provider's codes."""

    SENT = "sent"  # the provider took it
    RETRY_LATER = "retry_later"  # transient (rate limit, provider down): same channel, later
    TRY_ANOTHER_CHANNEL = "try_another_channel"  # this channel cannot reach the citizen now
    NOT_ON_THIS_CHANNEL = "not_on_this_channel"  # the address is not on this channel at all
    FAILED = "failed"  # permanent for this message; another channel would not help


# WhatsApp's own limit for a text message. Longer text (a hostile webhook, an SMS of 27+ parts) is
# cut to this before it is stored or understood: the language model's time grows with the text, and
# nothing a citizen asks needs more. The cut is noted on the message (see `bounded`).
MAX_TEXT_CHARS = 4096
TEXT_CUT = "text_cut"  # the key of that note in InboundMessage.raw


class InvalidMessage(ValueError):
    """An inbound message the pipeline refuses to store (no id, a malformed address): the input's
    fault, so the channel acknowledges and drops it with a log line rather than asking its provider
    to deliver it again."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class InboundMessage:
    """One message from a citizen, whatever the channel."""

    channel: str
    provider_id: str  # the provider's id (WhatsApp wamid, SMSC message id / MO dedupe key)
    address: str  # the citizen's phone number, digits only, international form (9627XXXXXXXX)
    kind: str = KIND_TEXT
    text: str = ""
    payload: Optional[str] = None  # for KIND_CHOICE: the id we put on the button/row
    display_name: Optional[str] = None
    received_at: datetime = field(default_factory=utcnow)
    raw: dict[str, Any] = field(default_factory=dict)  # provider fields worth keeping (kept small)
    # Set by the pipeline, never by a channel: the service the conversation is about because the
    # citizen is answering a push about it (an alert's renewal service), for the brain to take up.
    context_service: Optional[str] = None


def bounded(message: InboundMessage) -> InboundMessage:
    """The message with its text cut to MAX_TEXT_CHARS, the cut noted in `raw[TEXT_CUT]` with the
    original length. Only the kept part is stored: what lies beyond the limit is no question the bot
    could answer, and storing it would let one sender fill the store with a citizen's data we keep
    for nothing."""
    if len(message.text) <= MAX_TEXT_CHARS:
        return message
    note = {"original_chars": len(message.text), "kept_chars": MAX_TEXT_CHARS}
    return dataclasses.replace(message, text=message.text[:MAX_TEXT_CHARS], raw={**message.raw, TEXT_CUT: note})


def understandable(text: str) -> str:
    """At most MAX_TEXT_CHARS of `text`: what the language model is ever given to read."""
    return text[:MAX_TEXT_CHARS]


@dataclass
class StatusUpdate:
    """The provider's word on a message we sent (WhatsApp status webhook, SMPP delivery receipt)."""

    channel: str
    provider_id: str  # the id the provider gave our outbound message
    status: str  # one of the STATUS_* values
    at: datetime = field(default_factory=utcnow)
    error_code: Optional[str] = None
    error_title: Optional[str] = None
    address: Optional[str] = None
    verdict: Optional[Verdict] = None  # for a failure: what it means (set by the channel)
    aliases: tuple[str, ...] = ()  # other spellings of provider_id the provider may have used
    # Our own id of the message, when the provider repeats what we gave it at sending: a status
    # can then name a message whose send we never saw answered (the sender died waiting).
    reference: Optional[int] = None
    # The same, as a channel that carries only 16 bits of it says it (SMPP's user_message_reference):
    # our id modulo 65536, told apart by the address it went to.
    short_reference: Optional[int] = None


@dataclass
class Choice:
    """One option the citizen can pick: a WhatsApp button/list row, an SMS menu number."""

    id: str  # payload that comes back when picked; for the dialogue, a Rasa message like "/intent{...}"
    title: str
    description: Optional[str] = None


@dataclass
class TemplateRef:
    """An approved WhatsApp template, for messages outside the 24-hour window."""

    name: str
    language: str  # Meta language code, e.g. "ar" or "en"
    parameters: list[str] = field(default_factory=list)


@dataclass
class Notice:
    """What a push tells the citizen, as a notification kind and its named values
    ("transaction_registered", {"number": "123456", ...}), for channels that may carry only a
    pre-approved form of it (a WhatsApp template outside the 24-hour window). `agency` (an
    agencies.id) picks that agency's own approved form where it has one."""

    kind: str
    values: dict[str, str] = field(default_factory=dict)
    agency: Optional[str] = None


@dataclass
class BotReply:
    """What the bot says, before any channel has shaped it.

    An answer comes in parts so that each channel can lay it out for its own cost: `text` is the
    answer itself, `heading` says what it is about and `caveat` qualifies it. WhatsApp shows all
    three (`whole_text`); SMS, paid per segment, puts `text` first and lets the others yield.
    """

    text: str  # the answer itself (the whole reply when it has no heading or caveat)
    language: str = "ar"  # "ar" or "en": the language the text is written in
    choices: list[Choice] = field(default_factory=list)
    choices_title: Optional[str] = None  # the list's button label when there are more than 3 choices
    more: Optional[str] = None  # the full text when `text` is a summary (SMS "send MORE")
    template: Optional[TemplateRef] = None  # a push that may go outside the 24-hour window
    heading: Optional[str] = None  # what the answer is about, e.g. "Passport renewal — CSPD"
    caveat: Optional[str] = None  # a qualification of this answer, e.g. "the agency confirms the fee"
    notice: Optional[Notice] = None  # a push's kind and values: a channel's template is chosen from these

    def whole_text(self) -> str:
        """Heading, answer and caveat as one text, for channels where room costs nothing."""
        parts = (self.heading, self.text, self.caveat)
        return "\n\n".join(part.strip() for part in parts if part and part.strip())

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "BotReply":
        """Rows written before a field existed lack it: the field's default stands in."""
        data = dict(data)
        data["choices"] = [Choice(**c) for c in data.get("choices") or []]
        if data.get("template"):
            data["template"] = TemplateRef(**data["template"])
        if data.get("notice"):
            data["notice"] = Notice(**data["notice"])
        return cls(**data)
