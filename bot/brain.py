"""The brain: what answers a citizen's message. The pipeline depends only on this protocol."""

from __future__ import annotations

from typing import Optional, Protocol

from bot.messages import BotReply, InboundMessage


class Brain(Protocol):
    async def respond(
        self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None
    ) -> list[BotReply]:
        """Answer one inbound message.

        `conversation_key` is the citizen's stable id (one key across WhatsApp and SMS), so the
        dialogue state (the service being discussed, a form in progress) carries across channels.
        `language` is the citizen's chosen language ("ar"/"en") if they set one, else None.
        """
