"""Killing the service between receiving and answering loses nothing and doubles nothing.

`tawasol serve --workers 0` is the web tier alone: it acknowledges and persists webhooks but
answers nothing, so a SIGKILL then is exactly "killed after receiving, before answering". A new
process with workers must answer each persisted message once. Both are production processes with a
WhatsApp account on the fake Graph API, which runs in this test and so outlives them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from simulators.background_server import BackgroundServer
from simulators.whatsapp_graph import create_app as create_fake_graph

pytestmark = pytest.mark.slow
REPOSITORY = Path(__file__).resolve().parents[2]
SECRET, TOKEN, PHONE_ID = "crash-secret", "crash-token", "100000000000555"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port: int, workers: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=REPOSITORY,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        assert process.poll() is None, log.read_text()[-3000:]
        time.sleep(0.5)
    process.kill()
    raise AssertionError("service did not become healthy:\n" + log.read_text()[-3000:])


def test_persisted_but_unanswered_messages_are_answered_once_after_a_kill(trained_model, tmp_path):
    port = free_port()
    fake = BackgroundServer(
        create_fake_graph(SECRET, f"http://127.0.0.1:{port}/webhooks/whatsapp", PHONE_ID, access_token=TOKEN)
    ).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SMPP_", "SMS_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'tawasol.db'}",
        TAWASOL_MODEL=str(trained_model),
        WHATSAPP_API_BASE_URL=fake.url,
        WHATSAPP_PHONE_NUMBER_ID=PHONE_ID,
        WHATSAPP_ACCESS_TOKEN=TOKEN,
        WHATSAPP_APP_SECRET=SECRET,
        WHATSAPP_VERIFY_TOKEN="crash-verify",
    )
    env.pop("REDIS_URL", None)
    log = tmp_path / "service.log"
    citizens = ["962793330001", "962793330002", "962793330003"]
    try:
        web_tier = start(port, 0, env, log)
        try:
            for number in citizens:
                sent = httpx.post(f"{fake.url}/_fake/webhooks/messages", json={"messages": [{"from": number, "text": "كم رسوم شهادة الميلاد؟"}]}, timeout=30)
                assert sent.json()["deliveries"][0]["status_code"] == 200
            assert httpx.get(f"{fake.url}/_fake/messages").json()["messages"] == []  # the web tier answers nothing
        finally:
            web_tier.send_signal(signal.SIGKILL)
            web_tier.wait(30)

        service = start(port, 1, env, log)
        try:
            for number in citizens:
                answered = httpx.get(f"{fake.url}/_fake/messages/wait", params={"to": number, "count": 1, "timeout": 30}, timeout=40)
                assert answered.status_code == 200, log.read_text()[-3000:]
            time.sleep(1.5)  # a duplicate answer would arrive meanwhile
            for number in citizens:
                messages = httpx.get(f"{fake.url}/_fake/messages", params={"to": number}).json()["messages"]
                assert len(messages) == 1
                assert "شهادة" in messages[0]["body"]["interactive"]["body"]["text"]
        finally:
            service.terminate()
            service.wait(30)
        assert "mode=production" in log.read_text()
    finally:
        fake.stop()
