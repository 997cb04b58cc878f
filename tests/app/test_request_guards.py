"""Request-level guards of the production app, over real HTTP: the body size cap on every route, no
internals in any error answer (the cause goes to the log, masked), no personal data in /health."""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from typing import Iterator

import httpx
import pytest
from pydantic import BaseModel
from sqlalchemy import text

from bot.app import create_app
from bot.request_guards import MAX_BODY_BYTES
from bot.settings import Settings
from channels.whatsapp.signature import sign
from simulators.background_server import BackgroundServer

SECRET, TOKEN, PHONE_ID, VERIFY = "guards-secret", "guards-token-0123456789", "100000000000777", "guards-verify"
CITIZENS = ["962790001111", "962790002222"]
INTERNALS = re.compile(r"Traceback|File \"|[A-Z][a-z]+Error\b|Exception|sqlite|SELECT|sqlalchemy|pydantic|value_error|type_error")


class Question(BaseModel):
    text: str
    count: int


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[BackgroundServer]:
    tmp_path = tmp_path_factory.mktemp("guards")
    settings = Settings.from_env(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'tawasol.db'}",
            "WHATSAPP_API_BASE_URL": "http://127.0.0.1:9",  # never called: no workers answer
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
            "WHATSAPP_ACCESS_TOKEN": TOKEN,
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_VERIFY_TOKEN": VERIFY,
        },
        cwd=tmp_path,
    )
    app = create_app(settings, workers=0)
    runtime = app.state.runtime

    # Routes standing for what other entry points do wrong: a query that fails inside the store
    # (its SQL and parameters in the exception), and a JSON body with a schema.
    @app.get("/_test/store-failure")
    def store_failure() -> None:
        with runtime.require_store().db.session() as session:
            session.execute(text("SELECT * FROM no_such_table WHERE phone = :phone"), {"phone": CITIZENS[0]})

    @app.post("/_test/question")
    def question(body: Question) -> dict:
        return {"ok": body.count}

    running = BackgroundServer(app).start(60)
    try:
        yield running
    finally:
        running.stop()


def signed_post(url: str, payload: dict) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"X-Hub-Signature-256": sign(body, SECRET), "Content-Type": "application/json"}
    return httpx.post(url + "/webhooks/whatsapp", content=body, headers=headers, timeout=10)


def test_an_unhandled_error_answers_a_generic_500_and_logs_the_cause_masked(server, caplog):
    with caplog.at_level(logging.ERROR, logger="bot.request_guards"):
        response = httpx.get(server.url + "/_test/store-failure", timeout=10)
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal error" and re.fullmatch(r"[0-9a-f]{12}", body["reference"])
    assert not INTERNALS.search(response.text) and CITIZENS[0] not in response.text
    [record] = [r for r in caplog.records if body["reference"] in r.getMessage()]
    logged = record.getMessage()
    assert "no_such_table" in logged and "OperationalError" in logged  # the cause is findable
    assert CITIZENS[0] not in logged and "9627*****111" in logged  # but the citizen's number is masked


def test_a_declared_body_over_the_cap_is_refused_before_it_is_read(server):
    """Only the headers are sent: the answer comes without the server waiting for the body."""
    for path in ("/webhooks/whatsapp", "/_test/question", "/health", "/no-such-route"):
        with socket.create_connection((server.host, server.port), timeout=5) as connection:
            connection.sendall(
                f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()
            )
            answer = b""
            while b"}" not in answer:
                chunk = connection.recv(4096)
                assert chunk, answer
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), (path, head)
        assert json.loads(body) == {"error": f"body larger than {MAX_BODY_BYTES} bytes"}


def test_a_streamed_body_over_the_cap_is_413_not_a_parse_error(server):
    """No Content-Length: FastAPI's own body parsing would answer 400 for any error while reading."""

    def chunks():
        for _ in range(40):
            yield b"x" * 65536

    response = httpx.post(
        server.url + "/_test/question", content=chunks(), headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]


def test_a_body_failing_its_schema_gets_the_fields_in_words_not_framework_internals(server):
    response = httpx.post(server.url + "/_test/question", json={"count": "many"}, timeout=10)
    assert response.status_code == 422
    reason = response.json()["error"]
    assert "body.text: field required" in reason and "body.count: value is not a valid integer" in reason
    assert not INTERNALS.search(response.text)
    assert httpx.post(server.url + "/_test/question", json={"text": "a", "count": 2}).json() == {"ok": 2}


def test_webhook_refusals_say_why_and_nothing_more(server):
    assert signed_post(server.url, {"object": "whatsapp_business_account", "entry": 7}).json() == {
        "error": "not a WhatsApp webhook body: entry is a number, not a list"
    }
    for response in (
        httpx.post(server.url + "/webhooks/whatsapp", content=b"{}", timeout=10),
        httpx.post(server.url + "/webhooks/whatsapp", content=b"{", headers={"X-Hub-Signature-256": sign(b"{", SECRET)}),
        httpx.get(server.url + "/webhooks/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": "x"}),
        httpx.get(server.url + "/no-such-route"),
    ):
        assert 400 <= response.status_code < 500
        assert not INTERNALS.search(response.text) and SECRET not in response.text and VERIFY not in response.text


def test_health_shows_no_personal_data_after_citizens_wrote(server):
    messages = [
        {"from": number, "id": f"wamid.health-{n}", "timestamp": str(int(time.time())), "type": "text", "text": {"body": number}}
        for n, number in enumerate(CITIZENS)
    ]
    statuses = [{"id": "wamid.unknown", "status": "failed", "recipient_id": CITIZENS[1], "errors": [{"code": 131026, "title": f"no WhatsApp at {CITIZENS[1]}"}]}]
    value = {"metadata": {"phone_number_id": PHONE_ID}, "contacts": [{"wa_id": n, "profile": {"name": "Salma"}} for n in CITIZENS], "messages": messages, "statuses": statuses}
    accepted = signed_post(server.url, {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": value}]}]})
    assert accepted.status_code == 200 and accepted.json()["messages"] == 2

    health = httpx.get(server.url + "/health", timeout=10)
    assert health.status_code == 200
    assert not re.search(r"\d{7,}", json.dumps(health.json()["channels"]))
    for secret in (*CITIZENS, "Salma", TOKEN, SECRET, VERIFY, PHONE_ID):
        assert secret not in health.text
