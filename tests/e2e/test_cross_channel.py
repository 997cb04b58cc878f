"""One citizen, two channels: a question on WhatsApp, the follow-up by SMS, one conversation.

Real servers all round: our app (uvicorn thread), the fake Graph API (uvicorn thread), and an
SMSC we did not write (smpp34's server) driven from this test's event loop.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.settings import Settings
from simulators.background_server import BackgroundServer
from simulators.whatsapp_graph import create_app as create_fake_graph
from tests.sms.smsc import LocalSmsc, eventually, reassemble

pytestmark = pytest.mark.slow

SECRET, TOKEN, PHONE_ID = "x-secret", "x-token", "100000000000888"
CITIZEN = "962797770001"


async def test_an_sms_follow_up_continues_the_whatsapp_conversation(trained_model, tmp_path):
    from bot.app import create_app

    smsc = await LocalSmsc().start()
    fake = BackgroundServer(create_fake_graph(app_secret=SECRET, phone_number_id=PHONE_ID, access_token=TOKEN)).start()
    values = {
        "WHATSAPP_API_BASE_URL": fake.url,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "WHATSAPP_ACCESS_TOKEN": TOKEN,
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_VERIFY_TOKEN": "x-verify",
        "SMPP_HOST": "127.0.0.1",
        "SMPP_PORT": str(smsc.port),
        "SMPP_SYSTEM_ID": "tawasol",
        "SMPP_PASSWORD": "secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tawasol.db'}",
        "TAWASOL_MODEL": str(trained_model),
    }
    app = create_app(Settings.from_env(values))
    server = BackgroundServer(app)
    try:
        await asyncio.to_thread(server.start, 180)
        async with httpx.AsyncClient(timeout=60) as client:
            await client.post(f"{fake.url}/_fake/config", json={"webhook_url": server.url + "/webhooks/whatsapp"})
            await client.post(
                f"{fake.url}/_fake/webhooks/messages",
                json={"messages": [{"from": CITIZEN, "text": "بدي اجدد جواز السفر، شو الاوراق المطلوبة؟"}]},
            )
            waited = await client.get(f"{fake.url}/_fake/messages/wait", params={"to": CITIZEN, "timeout": 30})
            assert waited.status_code == 200
            assert "جواز السفر القديم" in waited.json()["messages"][0]["body"]["interactive"]["body"]["text"]

        # The same number texts the short code: no service named, the WhatsApp context answers it.
        await eventually(lambda: bool(smsc.esmes), timeout=30)
        await smsc.deliver(source_addr=CITIZEN, short_message="وكم الرسوم؟".encode("utf-16-be"), data_coding=8)
        await eventually(lambda: bool(smsc.accepted), timeout=30)
        await asyncio.sleep(0.5)  # all parts of a multi-part answer
        [answer] = reassemble([s for s in smsc.accepted if s.destination_addr.endswith(CITIZEN[-9:])])
        assert "50" in answer and "جواز" in answer  # passport renewal fees, from the catalog
        health = (await asyncio.to_thread(httpx.get, server.url + "/health")).json()
        assert health["channels"]["sms"]["bound"] is True
    finally:
        await asyncio.to_thread(server.stop)
        fake.stop()
        await smsc.stop()
