"""The simulator in development mode (`python -m simulators.dev_server`): SQLite, no Redis, the
fake Graph API in the app, simulated SMS."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.settings import Settings
from simulators.background_server import BackgroundServer
from tests.e2e.test_crash_recovery import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def simulator(trained_model, tmp_path_factory):
    from simulators.dev_server import create_dev_app

    port = free_port()
    settings = Settings.from_env(
        {"DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('sim') / 'sim.db'}", "TAWASOL_MODEL": str(trained_model)}
    )
    app = create_dev_app(settings, public_url=f"http://127.0.0.1:{port}")
    server = BackgroundServer(app, port=port).start(timeout=180)
    yield server
    server.stop()


def test_the_page_is_arabic_right_to_left_with_both_channels(simulator):
    page = httpx.get(simulator.url + "/simulator")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text and "واتساب" in page.text and "SMS" in page.text
    assert "/fake-graph/_fake/messages" in page.text and "/simulator/sms" in page.text


def test_the_whatsapp_tab_goes_through_the_signed_webhook(simulator):
    sent = httpx.post(
        simulator.url + "/fake-graph/_fake/webhooks/messages",
        json={"messages": [{"from": "962794440001", "text": "how much is a birth certificate?"}]},
        timeout=30,
    )
    assert sent.json()["deliveries"][0]["status_code"] == 200
    got = httpx.get(
        simulator.url + "/fake-graph/_fake/messages/wait", params={"to": "962794440001", "timeout": 20}, timeout=30
    )
    assert got.status_code == 200
    assert "Birth certificate" in str(got.json()["messages"][0]["body"])


def test_the_sms_tab_renders_for_sms_with_segments_and_cost(simulator):
    sent = httpx.post(simulator.url + "/simulator/sms", json={"address": "962794440002", "text": "قديش رسوم الرخصة؟"})
    assert sent.status_code == 200
    deadline, messages = time.monotonic() + 20, []
    while not messages and time.monotonic() < deadline:
        messages = httpx.get(simulator.url + "/simulator/sms", params={"address": "962794440002"}).json()["messages"]
        time.sleep(0.2)
    [sms] = messages
    assert "أرسل 1" in sms["text"]  # an ambiguous licence: a numbered menu, as SMS has no buttons
    assert sms["segments"] >= 1 and float(sms["cost"]) > 0
    # "2" picks the second choice of that menu.
    httpx.post(simulator.url + "/simulator/sms", json={"address": "962794440002", "text": "٢"})
    while len(messages) < 2 and time.monotonic() < deadline + 20:
        messages = httpx.get(simulator.url + "/simulator/sms", params={"address": "962794440002"}).json()["messages"]
        time.sleep(0.2)
    assert "ترخيص" in messages[1]["text"] or "رخصة" in messages[1]["text"]


def test_bad_simulator_input_gets_a_reason(simulator):
    response = httpx.post(simulator.url + "/simulator/sms", json={"address": "not-a-number", "text": "hi"})
    assert response.status_code == 422
