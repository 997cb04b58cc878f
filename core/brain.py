"""The brain: what answers a citizen's message. The pipeline depends only on this protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Protocol

from core.messages import BotReply, InboundMessage


@dataclass
class Answer:
    """The brain's replies plus what it understood (stored on the inbound message for staff)."""

    replies: list[BotReply] = field(default_factory=list)
    intent: Optional[str] = None
    confidence: Optional[float] = None
    service_id: Optional[str] = None
    language: Optional[str] = None  # "ar", "en" or "arabizi": how the citizen wrote
    # Why staff should review this message ("low_confidence", "no_service", "out_of_scope",
    # "not_in_catalog", "clarified"), as the dialogue decided it; None when the bot understood.
    review_reason: Optional[str] = None

    @property
    def unrecognised(self) -> bool:
        return self.review_reason is not None


class BrainUnavailable(RuntimeError):
    """The brain could not reach what it keeps its dialogue state in (Redis): the message should be
    answered once that is back, not apologised for."""


class Brain(Protocol):
    async def respond(
        self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None
    ) -> Answer:
        """Answer one inbound message.

        `conversation_key` is the citizen's stable id (one key across WhatsApp and SMS), so the
        dialogue state (the service being discussed, a form in progress) carries across channels.
        `language` is the citizen's chosen language ("ar"/"en") if they set one, else None.
        `message.payload` (a tapped choice) is passed to the dialogue as is.
        Raises BrainUnavailable while its dialogue state cannot be reached.
        """
