"""The models pages in headless Chromium on the fast path: two models registered with scorecards
(made by the real `brain.scorecard.scorecard` from the held-out file's own messages, the new
model's fee questions read as duration questions, as damaged data would make them), so the pages
are driven without minutes of training: see the comparison in red, switch on with two admins, roll
back to the earlier model. The real training job runs in test_console_models_browser.py (slow)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Iterator

import pytest
from playwright.sync_api import expect

from bot.training import REPOSITORY
from brain.scorecard import Parsed, scorecard
from console.accounts import add_staff
from console.model_hooks import ModelHooks
from core.messages import utcnow
from store.audit import CLI_ACTOR, AuditFilter
from tests.console.conftest import ConsoleServer, serve_console
from tests.console.seed import ADMIN, PASSWORD
from tests.console.test_console_browser import open_page, sign_in  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

SECOND_ADMIN = "second@mopd.gov.jo"


def held_out_card(damaged: bool) -> dict:
    parsed = []
    lines = (REPOSITORY / "eval" / "tawasol_heldout.jsonl").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        item = json.loads(line)
        intent = item["intent"]
        if damaged and intent == "ask_fees" and number % 3:
            intent = "ask_duration"
        parsed.append(Parsed(f"tawasol_heldout:{number}", item["text"], item["intent"], intent, item["service_id"],
                             item["service_id"], 21.0 if damaged else 20.0))
    return scorecard(parsed, "fast-path", ["tawasol_heldout.jsonl"])


@pytest.fixture
def console(tmp_path, sqlite_template) -> Iterator[ConsoleServer]:
    async def no_training(_run_id: int) -> bool:
        return False

    for server in serve_console(tmp_path, sqlite_template, model_hooks=ModelHooks(start_training=no_training)):
        add_staff(server.store, server.settings.console, SECOND_ADMIN, "ministry_admin", None, actor=CLI_ACTOR,
                  password=PASSWORD)
        now = utcnow()
        server.store.models.register("model-active", str(tmp_path / "a.tar.gz"), now - timedelta(days=1), "lead",
                                     "a1" * 32, held_out_card(False))
        server.store.models.register("model-damaged", str(tmp_path / "b.tar.gz"), now, ADMIN, "b2" * 32,
                                     held_out_card(True))
        server.store.models.activate("model-active", "lead")
        yield server


def test_compare_switch_on_with_two_admins_and_roll_back(open_page, console, screenshots):  # noqa: F811
    store = console.store
    page = open_page()
    sign_in(page, ADMIN)
    page.goto("/console/models")
    expect(page.locator("[data-model='model-active'] #active-badge")).to_be_visible()
    page.click("[data-model='model-damaged'] a.button")
    page.wait_for_url(re.compile(r"/console/models/model-damaged/compare$"))
    expect(page.locator("#regressions")).to_be_visible()
    assert page.get_attribute("#intent-ask_fees", "data-regressed") == "yes"
    assert page.get_attribute("#intent-ask_steps", "data-regressed") == "no"
    assert page.evaluate("getComputedStyle(document.querySelector('#intent-ask_fees td')).color") == "rgb(164, 38, 44)"
    page.screenshot(path=str(screenshots / "model-compare-fast-ar.png"), full_page=False)
    page.click("#language-switch")
    expect(page.locator("#regressions")).to_contain_text("Regression")
    page.screenshot(path=str(screenshots / "model-compare-fast-en.png"), full_page=False)

    page.click("#activate")
    expect(page.locator("#pending-switch")).to_be_visible()
    page.click("#activate")
    expect(page.locator("#compare-error")).to_contain_text("different admin")
    assert store.models.active().model.id == "model-active"

    other = open_page()
    sign_in(other, SECOND_ADMIN)
    other.goto("/console/models/model-damaged/compare")
    other.click("#activate")
    other.wait_for_url(re.compile(r"/console/models\?notice=activated$"))
    expect(other.locator("[data-model='model-damaged'] #active-badge")).to_be_visible()
    other.click("[data-model='model-active'] .rollback-to")
    other.wait_for_url(re.compile(r"/console/models\?notice=rolled_back$"))
    expect(other.locator("[data-model='model-active'] #active-badge")).to_be_visible()
    assert store.models.active().model.id == "model-active"
    assert [e.action for e in store.audit.search(AuditFilter(action="model."))][:3] == [
        "model.rollback", "model.activate_confirmed", "model.activate_requested"]
