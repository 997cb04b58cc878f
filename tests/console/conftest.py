"""The console served for real (uvicorn in a thread) on a seeded database, and a headless chromium."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import pytest

from actions.catalog_access import seed_catalog
from bot.app import create_app
from bot.settings import Settings
from simulators.background_server import BackgroundServer
from simulators.whatsapp_graph import create_app as create_fake_graph
from store import Store
from tests.availability import unavailable
from tests.console.seed import Seeded, seed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SCREENSHOTS = Path("/tmp/tawasol-console-screenshots")


@dataclass
class ConsoleServer:
    url: str
    store: Store
    seeded: Seeded
    settings: Settings


def serve_console(tmp_path: Path, sqlite_template: Path, model_hooks=None, **env: str) -> Iterator[ConsoleServer]:
    path = tmp_path / "console.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    settings = Settings.from_env(
        {"DATABASE_URL": url, "CONSOLE_LOCKOUT_FAILURES": "3", **env}, cwd=tmp_path
    )
    store = Store(url)
    try:
        seeded = seed(store, settings.console)
        seed_catalog(store)  # before start-up, which would do it inside the server's start timeout
        with BackgroundServer(create_app(settings, workers=0, model_hooks=model_hooks)) as server:
            yield ConsoleServer(server.url, store, seeded, settings)
    finally:
        store.close()


GRAPH_SECRET = "handoff-app-secret"
GRAPH_TOKEN = "handoff-access-token"
GRAPH_PHONE_ID = "100000000000919"


def fake_graph() -> BackgroundServer:
    """The fake Graph API as a real HTTP server, approving the shipped templates, posting "sent",
    "delivered" and "read" for every message it accepts."""
    from channels.whatsapp.templates import TemplateCatalog

    return BackgroundServer(create_fake_graph(
        GRAPH_SECRET, None, GRAPH_PHONE_ID, access_token=GRAPH_TOKEN, templates=TemplateCatalog.load().approved(),
        auto_statuses=["sent", "delivered", "read"],
    ))


def serve_with_whatsapp(
    directory: Path, sqlite_template: Path, graph_url: str, *, brain=None, model: Optional[Path] = None,
    startup_timeout: float = 30.0,
) -> Iterator[ConsoleServer]:
    """The whole service (webhook, workers, console) on a seeded SQLite copy, its WhatsApp channel
    pointed at the fake Graph API at `graph_url`, which posts its webhooks back to it. `brain`: a
    stand-in brain; else the trained `model` answers."""
    import httpx

    path = directory / "handoff.db"
    shutil.copy(sqlite_template, path)
    env = {
        "DATABASE_URL": f"sqlite:///{path}", "WHATSAPP_API_BASE_URL": graph_url, "WHATSAPP_PHONE_NUMBER_ID": GRAPH_PHONE_ID,
        "WHATSAPP_ACCESS_TOKEN": GRAPH_TOKEN, "WHATSAPP_APP_SECRET": GRAPH_SECRET, "WHATSAPP_VERIFY_TOKEN": "handoff-verify",
    }
    if model is not None:
        env["TAWASOL_MODEL"] = str(model)
    settings = Settings.from_env(env, cwd=directory)
    store = Store(settings.database_url)
    try:
        seeded = seed(store, settings.console)
        server = BackgroundServer(create_app(settings, workers=1, brain=brain)).start(timeout=startup_timeout)
        try:
            httpx.post(f"{graph_url}/_fake/config", json={"webhook_url": server.url + "/webhooks/whatsapp"}).raise_for_status()
            yield ConsoleServer(server.url, store, seeded, settings)
        finally:
            server.stop()
    finally:
        store.close()


@pytest.fixture
def console(tmp_path, sqlite_template) -> Iterator[ConsoleServer]:
    yield from serve_console(tmp_path, sqlite_template)


@pytest.fixture(scope="module")
def browser():
    """Module-scoped on purpose: Playwright's sync API keeps an event loop marked running in this
    thread while it is started, and the asyncio tests of later modules could not run their own."""
    if not os.path.exists(CHROMIUM):
        unavailable(f"chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
