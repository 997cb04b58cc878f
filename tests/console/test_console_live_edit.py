"""A liaison officer edits a fee in the console (headless chromium), and a citizen's next WhatsApp
question, through the real webhook and the fake Graph API, gets the new fee within seconds: no
restart, no retraining, and no answer cached from before the edit."""

from __future__ import annotations

import shutil
import time
from typing import Iterator

import httpx
import pytest

from actions.catalog_access import seed_catalog
from bot.settings import Settings
from catalog.live import CHECK_EVERY_S
from simulators.background_server import BackgroundServer
from simulators.whatsapp_graph import create_app as create_fake_graph
from store import Store
from tests.console.seed import LIAISON, PASSWORD, seed
from tests.e2e.test_whatsapp_service import inbound, replies_to, text_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECRET, TOKEN, PHONE_ID = "live-edit-secret", "live-edit-token", "100000000000919"
QUESTION = "قديش رسوم تجديد جواز السفر؟"
NEW_FEE = "رسوم تجديد جواز السفر صارت 77 دينارًا من اليوم."


@pytest.fixture(scope="module")
def fake() -> Iterator[BackgroundServer]:
    with BackgroundServer(create_fake_graph(app_secret=SECRET, phone_number_id=PHONE_ID, access_token=TOKEN)) as server:
        yield server


@pytest.fixture(scope="module")
def service(fake, brain, sqlite_template, tmp_path_factory) -> Iterator[str]:
    from bot.app import create_app

    path = tmp_path_factory.mktemp("live-edit") / "tawasol.db"
    shutil.copy(sqlite_template, path)
    settings = Settings.from_env({
        "WHATSAPP_API_BASE_URL": fake.url, "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID, "WHATSAPP_ACCESS_TOKEN": TOKEN,
        "WHATSAPP_APP_SECRET": SECRET, "WHATSAPP_VERIFY_TOKEN": "live-edit", "DATABASE_URL": f"sqlite:///{path}",
        "CONSOLE_COOKIE_SECURE": "false",
    })
    store = Store(settings.database_url)
    seed(store, settings.console)
    seed_catalog(store)
    server = BackgroundServer(create_app(settings, brain=brain)).start(timeout=120)
    try:
        httpx.post(f"{fake.url}/_fake/config", json={"webhook_url": server.url + "/webhooks/whatsapp"})
        yield server.url
    finally:
        server.stop()
        store.close()


def test_a_liaison_officer_s_new_fee_reaches_the_next_whatsapp_question_within_seconds(fake, service, browser, screenshots):
    inbound(fake, {"from": "962791230001", "text": QUESTION})
    before = text_of(replies_to(fake, "962791230001")[0])
    assert "50 دينارًا" in before and "77" not in before  # and now cached

    context = browser.new_context(base_url=service, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/console")
    page.fill("input[name=email]", LIAISON)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/console/login'] button[type=submit]")
    page.goto("/console/services/cspd.passport_renew")
    page.fill("textarea[name=fees_ar]", NEW_FEE)
    page.fill("#preview-question", QUESTION)
    page.click("#preview-button")
    assert NEW_FEE in page.inner_text("#preview-whatsapp")  # the draft, before saving
    page.screenshot(path=str(screenshots / "service-preview-ar.png"), full_page=True)
    page.click("#save-button")
    assert page.locator("#saved").is_visible()
    saved_at = time.monotonic()
    context.close()
    # Every process looks at the catalog's generation at most once a second (catalog/live.py): a
    # question in the same second may still get the old answer; the next one gets the new.
    time.sleep(CHECK_EVERY_S + 0.5)

    inbound(fake, {"from": "962791230002", "text": QUESTION})
    after = text_of(replies_to(fake, "962791230002", timeout=20)[0])
    assert NEW_FEE in after, after
    assert time.monotonic() - saved_at < 20
