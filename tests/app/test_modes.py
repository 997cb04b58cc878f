"""Production mode and development mode, each as a real HTTP server.

Production (`bot.app.create_app`, `tawasol serve`) serves only the configured channels: every
`/simulator/*` and `/fake-graph/*` path is a 404, whatever is configured. Development
(`python -m simulators.dev_server`, `make run`) adds the simulator and the fake Graph API, and
refuses to start beside any real-channel variable. No model is needed: with no workers the brain
is never asked.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from bot.app import create_app
from bot.settings import Settings
from simulators.background_server import BackgroundServer
from simulators.dev_server import RealChannelConfigured, create_dev_app
from simulators.whatsapp_graph import create_app as create_fake_graph
from store import Store
from tests.e2e.test_crash_recovery import free_port
from tests.sms.smsc import LocalSmsc

REPOSITORY = Path(__file__).resolve().parents[2]
SECRET, TOKEN, PHONE_ID, VERIFY = "modes-secret", "modes-token", "100000000000999", "modes-verify"
CITIZEN = "962790001234"

# Every door the development server opens; production must answer each with 404.
DEVELOPMENT_DOORS = [
    ("GET", "/simulator", None),
    ("GET", f"/simulator/sms?address={CITIZEN}", None),
    ("POST", "/simulator/sms", {"address": CITIZEN, "text": "STOP"}),
    ("GET", "/fake-graph/_fake/messages", None),
    ("POST", "/fake-graph/_fake/webhooks/messages", {"messages": [{"from": CITIZEN, "text": "STOP"}]}),
    ("POST", f"/fake-graph/v21.0/{PHONE_ID}/messages", {"messaging_product": "whatsapp", "to": CITIZEN}),
]


def clean_environment(**values: str) -> dict[str, str]:
    """This process's environment without any Tawasol channel variable, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SMPP_", "SMS_"))}
    env.update(values)
    return env


@pytest.fixture(scope="module")
def fake_graph() -> Iterator[BackgroundServer]:
    with BackgroundServer(create_fake_graph(app_secret=SECRET, phone_number_id=PHONE_ID, access_token=TOKEN)) as server:
        yield server


def production_settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'tawasol.db'}", **env}, cwd=tmp_path)


async def assert_development_doors_closed(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        health = await client.get("/health")
        assert health.status_code == 200 and health.json()["mode"] == "production"
        for method, path, body in DEVELOPMENT_DOORS:
            response = await client.request(method, path, json=body)
            assert response.status_code == 404, (method, path, response.status_code, response.text)
        # The real channel behind them is up, so the 404s are not a dead app's.
        assert (await client.get("/")).json() == {"service": "tawasol", "health": "/health"}


async def test_production_with_a_whatsapp_account_closes_every_development_door(fake_graph, tmp_path):
    settings = production_settings(
        tmp_path,
        WHATSAPP_API_BASE_URL=fake_graph.url,
        WHATSAPP_PHONE_NUMBER_ID=PHONE_ID,
        WHATSAPP_ACCESS_TOKEN=TOKEN,
        WHATSAPP_APP_SECRET=SECRET,
        WHATSAPP_VERIFY_TOKEN=VERIFY,
    )
    server = BackgroundServer(create_app(settings, workers=0))
    try:
        await _start(server)
        await assert_development_doors_closed(server.url)
        verified = httpx.get(
            server.url + "/webhooks/whatsapp",
            params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "42"},
        )
        assert verified.status_code == 200 and verified.text == "42"
    finally:
        server.stop()


async def test_production_with_an_smsc_only_closes_every_development_door(tmp_path):
    smsc = await LocalSmsc().start()
    settings = production_settings(tmp_path, SMPP_HOST="127.0.0.1", SMPP_PORT=str(smsc.port), SMPP_SYSTEM_ID="tawasol")
    server = BackgroundServer(create_app(settings, workers=0))
    try:
        await _start(server)
        await assert_development_doors_closed(server.url)
        # No WhatsApp account: its webhook is not served either.
        assert httpx.post(server.url + "/webhooks/whatsapp", json={}).status_code == 404
    finally:
        server.stop()
        await smsc.stop()


async def _start(server: BackgroundServer) -> None:
    await asyncio.to_thread(server.start, 60)


def test_the_development_server_opens_the_simulator_and_the_fake_graph_api(tmp_path):
    port = free_port()  # known before the app is built: the fake Graph API posts to it
    settings = production_settings(tmp_path)
    app = create_dev_app(settings, public_url=f"http://127.0.0.1:{port}", workers=0)
    with BackgroundServer(app, port=port) as dev:
        health = httpx.get(dev.url + "/health").json()
        assert health["mode"] == "development"
        page = httpx.get(dev.url + "/simulator")
        assert page.status_code == 200 and 'dir="rtl"' in page.text
        sent = httpx.post(dev.url + "/simulator/sms", json={"address": CITIZEN, "text": "مرحبا"})
        assert sent.status_code == 200 and sent.json()["message_id"]
        replies = httpx.get(dev.url + "/simulator/sms", params={"address": CITIZEN})
        assert replies.status_code == 200 and replies.json() == {"messages": []}  # no workers: none yet
        assert httpx.post(dev.url + "/simulator/sms", json={"address": "nope", "text": "hi"}).status_code == 422
        # The fake Graph API posts a signed webhook to our WhatsApp channel, which accepts it.
        delivered = httpx.post(
            dev.url + "/fake-graph/_fake/webhooks/messages",
            json={"messages": [{"from": CITIZEN, "text": "hello"}]},
            timeout=30,
        )
        assert delivered.json()["deliveries"][0]["status_code"] == 200
        assert httpx.get(dev.url + "/fake-graph/_fake/messages").status_code == 200
    store = Store(settings.database_url)  # both went into the pipeline, waiting for a worker
    try:
        waiting = [store.inbound.get(i) for i in store.inbound.received_ids()]
        assert sorted((m.channel, m.text) for m in waiting) == [("sms", "مرحبا"), ("whatsapp", "hello")]
    finally:
        store.close()


def test_the_development_app_refuses_settings_with_a_real_channel(fake_graph, tmp_path):
    settings = production_settings(tmp_path, SMPP_HOST="smsc.example", SMPP_SYSTEM_ID="tawasol")
    with pytest.raises(RealChannelConfigured, match="sms"):
        create_dev_app(settings, public_url="http://127.0.0.1:8000", workers=0)


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *argv], cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("variable", ["WHATSAPP_ACCESS_TOKEN", "SMPP_HOST", "SMS_SHORT_CODE"])
def test_the_development_server_refuses_to_start_with_a_real_channel_variable(variable, tmp_path):
    env = clean_environment(DATABASE_URL=f"sqlite:///{tmp_path / 'dev.db'}", **{variable: "x"})
    result = run(["-m", "simulators.dev_server", "--port", "1"], env)
    assert result.returncode == 2, result.stderr[-2000:]
    assert variable in result.stderr and "tawasol serve" in result.stderr
    assert "Traceback" not in result.stderr


def test_tawasol_serve_refuses_to_start_with_no_channel(tmp_path):
    result = run(["-m", "bot.cli", "serve", "--port", "1"], clean_environment(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}"))
    assert result.returncode == 2, result.stderr[-2000:]
    assert "WHATSAPP_ACCESS_TOKEN" in result.stderr and "SMPP_HOST" in result.stderr and "make run" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["db", "upgrade"], ["chat"]])
def test_a_bad_variable_is_printed_by_name_and_the_command_exits_2(command, tmp_path):
    env = clean_environment(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", LOG_LEVEL="loud")
    result = run(["-m", "bot.cli", *command], env)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "LOG_LEVEL: must be one of" in result.stderr and "Traceback" not in result.stderr


def test_the_production_modules_load_no_development_tool():
    probe = "import sys, bot.app, bot.cli, bot.worker, bot.runtime; print(sorted(m for m in sys.modules if m.split('.')[0] in ('simulators', 'bench')))"
    result = run(["-c", probe], clean_environment())
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
