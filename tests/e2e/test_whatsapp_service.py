"""The service as Meta sees it: signed webhooks in, answers out to the (fake) Graph API.

Both are real HTTP servers: our app (`bot.app.create_app`, with the session's trained model and a
SQLite store of its own) and the fake Graph API, which signs and posts webhooks like Meta does.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from bot.settings import Settings
from store import Store
from simulators.background_server import BackgroundServer
from simulators.whatsapp_graph import create_app as create_fake_graph

pytestmark = pytest.mark.slow

SECRET = "e2e-app-secret"
TOKEN = "e2e-access-token"
PHONE_ID = "100000000000777"


@pytest.fixture(scope="module")
def fake() -> Iterator[BackgroundServer]:
    with BackgroundServer(create_fake_graph(app_secret=SECRET, phone_number_id=PHONE_ID, access_token=TOKEN)) as server:
        yield server


@pytest.fixture(scope="module")
def service(fake, trained_model, tmp_path_factory) -> Iterator[tuple[BackgroundServer, Settings]]:
    from bot.app import create_app

    database = tmp_path_factory.mktemp("e2e") / "tawasol.db"
    settings = Settings.from_env(
        {
            "WHATSAPP_API_BASE_URL": fake.url,
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
            "WHATSAPP_ACCESS_TOKEN": TOKEN,
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_VERIFY_TOKEN": "e2e-verify",
            "DATABASE_URL": f"sqlite:///{database}",
            "TAWASOL_MODEL": str(trained_model),
        }
    )
    app = create_app(settings)
    server = BackgroundServer(app).start(timeout=180)  # start-up loads the model
    try:
        httpx.post(f"{fake.url}/_fake/config", json={"webhook_url": server.url + "/webhooks/whatsapp"})
        yield server, settings
    finally:
        server.stop()


def inbound(fake: BackgroundServer, *messages: dict[str, Any], layout: str = "one_change") -> dict[str, Any]:
    response = httpx.post(f"{fake.url}/_fake/webhooks/messages", json={"messages": list(messages), "layout": layout}, timeout=30)
    response.raise_for_status()
    return response.json()


def replies_to(fake: BackgroundServer, address: str, count: int = 1, timeout: float = 20) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{fake.url}/_fake/messages/wait", params={"to": address, "count": count, "timeout": timeout}, timeout=timeout + 5
    )
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def text_of(message: dict[str, Any]) -> str:
    body = message["body"]
    if body["type"] == "text":
        return body["text"]["body"]
    return body["interactive"]["body"]["text"]


def test_a_signed_arabic_question_is_answered_and_the_conversation_stored(fake, service):
    server, settings = service
    result = inbound(fake, {"from": "962791110001", "text": "قديش رسوم تجديد جواز السفر؟"})
    assert result["deliveries"][0]["status_code"] == 200
    [reply] = replies_to(fake, "962791110001")
    assert "تجديد جواز السفر" in text_of(reply) and "50" in text_of(reply)
    # The question was marked read (blue ticks) as the bot started answering it.
    question_id = result["deliveries"][0]["message_ids"][0]
    receipts = httpx.get(f"{fake.url}/_fake/read_receipts").json()
    assert question_id in json.dumps(receipts)

    store = Store(settings.database_url)
    try:
        citizen_id = store.citizens.resolve("whatsapp", "962791110001")
        assert store.inbound.received_ids() == []  # the question is answered, nothing left waiting
        history = store.conversations.history(citizen_id)
        directions = [(m.direction, m.intent) for m in history]
        assert directions[0] == ("in", "ask_fees")
        assert any(d == "out" for d, _ in directions)
    finally:
        store.close()


def test_a_hundred_redeliveries_get_no_second_reply(fake, service):
    first = inbound(fake, {"from": "962791110002", "text": "شو الاوراق المطلوبة لشهادة الميلاد؟"})
    replies_to(fake, "962791110002")
    delivery_id = first["deliveries"][0]["id"]
    for _ in range(100):
        response = httpx.post(f"{fake.url}/_fake/webhooks/redeliver", json={"delivery_id": delivery_id}, timeout=30)
        assert response.json()["deliveries"][0]["status_code"] == 200
    time.sleep(1.5)  # give a wrongly accepted redelivery time to be answered
    assert len(httpx.get(f"{fake.url}/_fake/messages", params={"to": "962791110002"}).json()["messages"]) == 1


def test_a_batched_payload_from_five_citizens_gets_five_answers(fake, service):
    numbers = [f"96279222000{i}" for i in range(5)]
    result = inbound(fake, *({"from": n, "text": "مرحبا"} for n in numbers), layout="entries")
    assert result["deliveries"][0]["status_code"] == 200
    for number in numbers:
        assert len(replies_to(fake, number)) == 1


def test_bad_input_gets_a_clear_outcome_and_the_service_goes_on(fake, service):
    server, _ = service
    url = server.url + "/webhooks/whatsapp"
    body = json.dumps({"object": "whatsapp_business_account", "entry": []}).encode()
    assert httpx.post(url, content=body).status_code == 401  # no signature
    assert httpx.post(url, content=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}).status_code == 403
    raw = httpx.post(f"{fake.url}/_fake/webhooks/raw", json={"body": "{not json", "signature": "valid"}).json()
    assert raw["deliveries"][0]["status_code"] == 400
    big = "x" * (3 * 1024 * 1024)
    raw = httpx.post(f"{fake.url}/_fake/webhooks/raw", json={"body": big, "signature": "valid"}, timeout=30).json()
    assert raw["deliveries"][0]["status_code"] == 413
    # An unknown message type gets a polite text-only reply; a status for a message we never sent is logged.
    inbound(fake, {"from": "962791110003", "message": {"type": "hologram", "hologram": {}}})
    [reply] = replies_to(fake, "962791110003")
    assert "نص" in text_of(reply) or "text" in text_of(reply)
    status = httpx.post(
        f"{fake.url}/_fake/webhooks/statuses",
        json={"statuses": [{"id": "wamid.never-sent-by-us", "status": "delivered", "recipient_id": "962791110003"}]},
    ).json()
    assert status["deliveries"][0]["status_code"] == 200
    # ...and the service still answers.
    inbound(fake, {"from": "962791110004", "text": "hello"})
    assert len(replies_to(fake, "962791110004")) == 1


def test_the_health_endpoint_reports_ready(service):
    server, _ = service
    response = httpx.get(server.url + "/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"
