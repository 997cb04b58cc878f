"""Real servers for the WhatsApp tests: the fake Graph API and our webhook router, each a uvicorn
server on a free 127.0.0.1 port in a background thread, shared by the module and reset per test."""

from __future__ import annotations

import httpx
import pytest

from channels.whatsapp.config import WhatsAppConfig
from channels.whatsapp.templates import TemplateCatalog
from simulators.background_server import BackgroundServer
from simulators.whatsapp_graph import create_app
from tests.whatsapp.support import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    RecordingSink,
    make_config,
    webhook_app,
)


@pytest.fixture(scope="module")
def catalog() -> TemplateCatalog:
    return TemplateCatalog.load()


@pytest.fixture(scope="module")
def module_sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture(scope="module")
def webhook_server(module_sink):
    with BackgroundServer(webhook_app(module_sink)) as server:
        yield server


@pytest.fixture(scope="module")
def fake_server(webhook_server, catalog):
    app = create_app(
        APP_SECRET,
        webhook_server.url + "/webhooks/whatsapp",
        PHONE_NUMBER_ID,
        access_token=ACCESS_TOKEN,
        templates=catalog.approved(),
        auto_statuses=[],
    )
    with BackgroundServer(app) as server:
        yield server


@pytest.fixture
def sink(module_sink) -> RecordingSink:
    module_sink.reset()
    return module_sink


@pytest.fixture
def fake(fake_server, sink):
    """A controls client on a freshly reset fake (no messages, errors or auto statuses)."""
    with httpx.Client(base_url=fake_server.url, timeout=10.0) as client:
        client.post("/_fake/reset").raise_for_status()
        client.post("/_fake/config", json={"auto_statuses": [], "status_delay": 0, "include_user_id": True})
        yield client


@pytest.fixture
def fake_config(fake_server) -> WhatsAppConfig:
    return make_config(fake_server.url)
