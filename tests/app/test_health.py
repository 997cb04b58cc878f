"""`/health` tells the truth: ok only while messages get through; degraded, with the reason, when
they wait or a channel is cut off; no personal data either way (issue 17)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import update

from bot.app import create_app
from core.messages import InboundMessage, utcnow
from simulators.background_server import BackgroundServer
from store.models import Message
from tests.app.test_modes import PHONE_ID, SECRET, TOKEN, VERIFY, fake_graph, production_settings  # noqa: F401
from tests.sms.smsc import free_port

CITIZEN = "962790007777"


async def test_health_is_ok_then_degraded_while_a_message_waits_unanswered(fake_graph, tmp_path):  # noqa: F811
    settings = production_settings(
        tmp_path,
        WHATSAPP_API_BASE_URL=fake_graph.url,
        WHATSAPP_PHONE_NUMBER_ID=PHONE_ID,
        WHATSAPP_ACCESS_TOKEN=TOKEN,
        WHATSAPP_APP_SECRET=SECRET,
        WHATSAPP_VERIFY_TOKEN=VERIFY,
    )
    app = create_app(settings, workers=0)  # a web tier whose workers are elsewhere (and dead)
    server = BackgroundServer(app)
    try:
        await asyncio.to_thread(server.start, 60)
        healthy = httpx.get(server.url + "/health")
        assert healthy.status_code == 200 and healthy.json()["status"] == "ok"
        assert healthy.json()["database"] == "ok" and healthy.json()["backlog"]["unanswered"] == 0

        runtime = app.state.runtime
        accepted = await runtime.accept(InboundMessage(channel="whatsapp", provider_id="wamid.h1", address=CITIZEN, text="hi"))
        with runtime.store.db.session() as s:  # received half a minute ago, and nobody answered it
            s.execute(update(Message).where(Message.id == accepted.message_id).values(created_at=utcnow() - timedelta(seconds=30)))
        waiting = httpx.get(server.url + "/health")
        body = waiting.json()
        assert waiting.status_code == 200 and body["status"] == "degraded"
        assert "messages wait unanswered" in body["problems"]
        assert body["backlog"]["unanswered"] == 1 and body["backlog"]["oldest_unanswered_s"] >= 29
        assert CITIZEN not in waiting.text and CITIZEN[-7:] not in waiting.text
    finally:
        server.stop()


async def test_health_is_degraded_while_the_smsc_cannot_be_bound(tmp_path):
    settings = production_settings(tmp_path, SMPP_HOST="127.0.0.1", SMPP_PORT=str(free_port()), SMPP_SYSTEM_ID="tawasol")
    server = BackgroundServer(create_app(settings, workers=0))
    try:
        await asyncio.to_thread(server.start, 60)
        response = httpx.get(server.url + "/health")
        assert response.status_code == 200
        assert response.json()["status"] == "degraded" and "sms not connected" in response.json()["problems"]
    finally:
        server.stop()
