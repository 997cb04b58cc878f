"""The WhatsApp channel assembled (a `channels.base.Channel`): Meta's webhook routes, rendering,
the Graph API sender and the customer service window."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from fastapi import APIRouter

from core.messages import WHATSAPP, BotReply, InboundMessage, StatusUpdate
from channels.base import InboundSink, Rendered, SendOutcome
from channels.whatsapp.config import WhatsAppConfig
from channels.whatsapp.render import render_reply, session_template
from channels.whatsapp.sender import WhatsAppSender
from channels.whatsapp.templates import TemplateCatalog
from channels.whatsapp.webhook import build_router
from channels.whatsapp.window import window_open


class ChannelNotStarted(RuntimeError):
    """A webhook arrived before the service finished starting: Meta gets a 5xx and delivers again."""


class WhatsAppChannel:
    name = WHATSAPP
    numbered_menus = False  # buttons and lists

    def __init__(self, config: WhatsAppConfig, *, templates: Optional[TemplateCatalog] = None) -> None:
        self.config = config
        self.templates = templates
        self.sender = WhatsAppSender(config, templates=templates)
        self._sink: Optional[InboundSink] = None

    # --- receive ------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        return build_router(self.config, self)

    async def start(self, sink: InboundSink) -> None:
        self._sink = sink

    async def stop(self) -> None:
        self._sink = None
        await self.sender.aclose()

    async def accept(self, message: InboundMessage) -> Any:
        return await self._started().accept(message)

    async def record_status(self, update: StatusUpdate) -> Any:
        return await self._started().record_status(update)

    def _started(self) -> InboundSink:
        if self._sink is None:
            raise ChannelNotStarted("the service is starting")
        return self._sink

    # --- send -----------------------------------------------------------------------------------

    def render(self, reply: BotReply, address: str, *, free_form: bool = True) -> list[Rendered]:
        return render_reply(reply, address, in_window=free_form, templates=self.templates)

    def has_template(self, reply: BotReply) -> bool:
        return session_template(reply, self.templates) is not None

    async def send(self, message: Rendered) -> SendOutcome:
        return await self.sender.send(message)

    async def mark_read(self, provider_message_id: str) -> bool:
        return await self.sender.mark_read(provider_message_id)

    def free_form_open(self, last_inbound_at: Optional[datetime], now: datetime) -> bool:
        return window_open(last_inbound_at, now)

    # --- status -----------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return {"receiving": self._sink is not None, "graph_api": self.config.api_base_url}

    @property
    def rate(self) -> float:
        return self.config.rate
