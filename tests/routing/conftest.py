"""Fixtures of the routing tests: the delivery world (tests/routing/delivery_world.py) on real servers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from channels.sms.handler import SmsChannel
from channels.whatsapp.channel import WhatsAppChannel
from channels.whatsapp.templates import TemplateCatalog
from coordination import InProcessCoordination
from core.messages import SMS, WHATSAPP
from pipeline.outbox import Outbox
from pipeline.pipeline import Pipeline
from routing.policy import RoutingPolicy
from simulators.background_server import BackgroundServer
from simulators.whatsapp_graph import create_app as create_fake_graph
from tests.routing.delivery_world import FAST, FAST_RETRY, SHORT_CODE, OkBrain, World, serve_in_this_loop
from tests.sms.conftest import fast_config
from tests.sms.smsc import LocalSmsc, eventually
from tests.whatsapp.support import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, make_config


@pytest.fixture(scope="module")
def fake_graph_server():
    app = create_fake_graph(
        APP_SECRET, None, PHONE_NUMBER_ID, access_token=ACCESS_TOKEN,
        templates=TemplateCatalog.load().approved(), auto_statuses=["sent", "delivered"],
    )
    with BackgroundServer(app) as server:
        yield server


@pytest.fixture
async def world(store, fake_graph_server):
    smsc = await LocalSmsc().start()
    whatsapp = WhatsAppChannel(make_config(fake_graph_server.url), templates=TemplateCatalog.load())
    sms = SmsChannel(fast_config(smsc.port))
    coordination = InProcessCoordination()
    outbox = Outbox(
        store, coordination, {WHATSAPP: whatsapp, SMS: sms}, {WHATSAPP: 1000.0, SMS: 1000.0},
        routing=RoutingPolicy(senders={SMS: SHORT_CODE}), retry=FAST_RETRY, delivery_timeout=timedelta(minutes=10),
    )
    pipeline = Pipeline(store, coordination, OkBrain(), outbox, tuning=FAST)
    app = FastAPI()
    app.include_router(whatsapp.router())
    server, sock = serve_in_this_loop(app)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: server.started, timeout=5)
    webhook_url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/whatsapp"
    await whatsapp.start(pipeline)
    await sms.start(pipeline)
    await eventually(lambda: sms.client.bound, timeout=5)
    workers = asyncio.create_task(pipeline.run_workers(1))
    async with httpx.AsyncClient(base_url=fake_graph_server.url, timeout=15) as fake:
        (await fake.post("/_fake/reset")).raise_for_status()
        (await fake.post("/_fake/config", json={"webhook_url": webhook_url, "auto_statuses": ["sent", "delivered"],
                                                "status_delay": 0})).raise_for_status()
        try:
            yield World(store, outbox, pipeline, smsc, fake, whatsapp, sms, webhook_url)
        finally:
            workers.cancel()
            await asyncio.gather(workers, return_exceptions=True)
            await pipeline.drain()
            await whatsapp.stop()
            await sms.stop()
            server.should_exit = True
            await asyncio.gather(serving, return_exceptions=True)
            sock.close()
            await smsc.stop()
