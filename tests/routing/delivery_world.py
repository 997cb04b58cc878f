"""The delivery world of the routing tests (fixtures in conftest.py), real servers all round: the production WhatsApp channel
against the fake Graph API (its own uvicorn thread, approving the templates of
data/whatsapp_templates.yml and posting status webhooks), our webhook served from this test's event
loop into the real pipeline, and the production SMS channel bound to an SMSC we did not write
(smpp34's server). The store is SQLite or PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import Any, Optional

import httpx
import uvicorn
from fastapi import FastAPI

from channels.sms.handler import SmsChannel
from channels.whatsapp.channel import WhatsAppChannel
from core.brain import Answer
from core.messages import SMS, WHATSAPP, BotReply, InboundMessage, Notice
from pipeline.outbox import Outbox, PushResult, RetryPolicy
from tests.sms.smsc import LocalSmsc
from pipeline.pipeline import Pipeline, PipelineTuning
from routing.billing import MessageKind
from routing.policy import MINISTRY, Agency
from store import Store

SHORT_CODE = "94444"
FAST_RETRY = RetryPolicy(max_attempts=3, base_s=0.01, max_s=0.05)
FAST = PipelineTuning(brain_timeout_s=2.0, sweep_interval_s=0.05, orphan_after_s=60.0, unknown_status_grace_s=0.1,
                      pop_timeout_s=0.05)


class OkBrain:
    """Answers every message with "ok" (the routing tests need citizens to write, not a model)."""

    async def respond(self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None) -> Answer:
        return Answer(replies=[BotReply(text="ok", language=language or "ar")], intent="greet", confidence=0.99)



@dataclass
class World:
    store: Store
    outbox: Outbox
    pipeline: Pipeline
    smsc: LocalSmsc
    fake: httpx.AsyncClient
    whatsapp: WhatsAppChannel
    sms: SmsChannel
    webhook_url: str
    pushes: list[PushResult] = field(default_factory=list)

    # --- citizens ----------------------------------------------------------------------------

    def on_whatsapp(self, phone: str) -> int:
        """A citizen known on WhatsApp who has not written for a day (the window is closed)."""
        return self.store.citizens.resolve(WHATSAPP, phone)

    def on_sms_only(self, phone: str) -> int:
        return self.store.citizens.resolve(SMS, phone)

    async def writes_on_whatsapp(self, phone: str, text: str = "مرحبا") -> int:
        """The citizen writes to us on WhatsApp (through the fake, our webhook and the pipeline):
        the 24-hour window opens and they get our answer."""
        before = len(await self.graph_messages(phone))
        response = await self.fake.post("/_fake/webhooks/messages", json={"messages": [{"from": phone, "text": text}]})
        response.raise_for_status()
        await self.wait_graph(phone, before + 1)
        return self.store.citizens.resolve(WHATSAPP, phone)

    # --- what the providers saw -------------------------------------------------------------

    async def deliveries_to(self, phone: str, behaviour: str, code: int = 131026) -> None:
        response = await self.fake.post("/_fake/delivery", json={"to": phone, "behaviour": behaviour, "code": code})
        response.raise_for_status()

    async def graph_messages(self, phone: str) -> list[dict[str, Any]]:
        return (await self.fake.get("/_fake/messages", params={"to": phone})).json()["messages"]

    async def wait_graph(self, phone: str, count: int) -> list[dict[str, Any]]:
        response = await self.fake.get("/_fake/messages/wait", params={"to": phone, "count": count, "timeout": 10})
        assert response.status_code == 200, response.text
        return response.json()["messages"]

    def sms_to(self, phone: str) -> list:
        return [s for s in self.smsc.accepted if s.destination_addr == phone]

    # --- pushes -------------------------------------------------------------------------------

    async def push(
        self,
        citizen_id: int,
        kind: str,
        values: dict[str, str],
        *,
        text: str,
        language: str = "ar",
        agency: Agency = MINISTRY,
    ) -> PushResult:
        reply = BotReply(text=text, language=language, notice=Notice(kind, values, agency.id))
        result = await self.outbox.push(
            citizen_id, reply, kind, category=MessageKind.TRANSACTION_STATUS, agency=agency
        )
        self.pushes.append(result)
        return result

    async def settle(self) -> None:
        """Let status webhooks in flight land, and the fallbacks they start finish."""
        await asyncio.sleep(0.3)
        await self.pipeline.drain()


def serve_in_this_loop(app: FastAPI) -> tuple[uvicorn.Server, socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, ws="none")
    return uvicorn.Server(config), sock
