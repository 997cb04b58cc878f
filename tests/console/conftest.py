"""The console served for real (uvicorn in a thread) on a seeded database, and a headless chromium."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from actions.catalog_access import seed_catalog
from bot.app import create_app
from bot.settings import Settings
from simulators.background_server import BackgroundServer
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


def serve_console(tmp_path: Path, sqlite_template: Path, **env: str) -> Iterator[ConsoleServer]:
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
        with BackgroundServer(create_app(settings, workers=0)) as server:
            yield ConsoleServer(server.url, store, seeded, settings)
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
