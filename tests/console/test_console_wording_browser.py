"""In headless chromium: a ministry admin edits the bot's wording (preview on WhatsApp and SMS with
segments and cost, a bad form refused with a clear message, a save), makes and revokes an agency's
API key, and the audit log shows each change; a liaison officer's forged form for the wording or
another agency's service is a 404. The slow test: an edited greeting reaches a citizen's next
"hello" through the real webhook, the fake Graph API and the trained model, without a restart and
past the answer cache.

Screenshots go to /tmp/tawasol-console-screenshots/ (docs/screenshots/ has copies)."""

from __future__ import annotations

import re
import time
from typing import Iterator

import pytest

from catalog.live import CHECK_EVERY_S
from store.audit import AuditFilter
from tests.console.conftest import ConsoleServer, fake_graph, serve_with_whatsapp
from tests.console.seed import ADMIN, LIAISON, PASSWORD
from tests.console.test_console_wording import graph, service  # noqa: F401 (fixtures)
from tests.console.test_handoff_http import text_of, wait_for, writes

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 900}
NEW_GREETING_AR = "مرحبًا بك في تواصل! اسألني عن رسوم أي خدمة حكومية أو أوراقها أو مدتها، أو اكتب «قائمة»."
NEW_GREETING_EN = "Hello from Tawasol! Ask me about any government service's fees, documents or duration, or write \"menu\"."


def sign_in(page, email: str) -> None:
    page.goto("/console/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/console/login'] button[type=submit]")
    assert page.url.endswith("/console")


def test_an_admin_previews_refuses_saves_wording_and_manages_keys_and_the_audit_log_shows_it(browser, service, screenshots):  # noqa: F811
    context = browser.new_context(base_url=service.url, viewport=LAPTOP)
    page = context.new_page()
    try:
        sign_in(page, ADMIN)
        page.click(".main-nav >> text=ردود البوت")
        assert page.inner_text("h1") == "ردود البوت"
        assert page.locator("#wording_greetings tr[data-key=greet]").count() == 1
        assert page.locator("#wording_fallbacks tr[data-key=default_fallback]").count() == 1
        page.screenshot(path=str(screenshots / "wording-ar.png"))  # the first screen: the list is long
        page.click("a[href='/console/wording/greet']")

        # A bad form: script tags, and an emptied English text. Clear messages, nothing stored.
        page.fill("#text-ar", "<script>alert('x')</script> أهلًا")
        page.fill("#text-en", "")
        page.click("#save-button")
        assert page.locator("#form-refused").is_visible()
        assert "markup" in page.inner_text("#error-ar") and "missing text" in page.inner_text("#error-en")
        assert page.input_value("#text-ar") == "<script>alert('x')</script> أهلًا"  # shown back as text, not run
        assert page.evaluate("document.querySelectorAll('main script').length") == 0
        assert service.store.replies.get("greet").updated_by is None

        # The preview: both languages, WhatsApp and SMS, with segments and cost; nothing saved.
        page.fill("#text-ar", NEW_GREETING_AR)
        page.fill("#text-en", NEW_GREETING_EN)
        page.click("#preview-button")
        assert NEW_GREETING_AR in page.inner_text("#preview-whatsapp-ar")
        sms_en = page.inner_text("#preview-sms-en")
        assert NEW_GREETING_EN in sms_en and re.search(r"SMS segments: 1 · Cost: 0\.\d+|أجزاء", sms_en)
        assert int(page.inner_text("#preview-sms-ar .segments")) >= 2  # Arabic: 70 characters a segment
        assert float(page.inner_text("#preview-sms-ar .cost")) > 0
        page.screenshot(path=str(screenshots / "wording-preview-ar.png"), full_page=True)
        assert service.store.replies.get("greet").updated_by is None
        page.click("#save-button")
        assert page.locator("#saved").is_visible()
        assert service.store.replies.get("greet").texts() == {"ar": NEW_GREETING_AR, "en": NEW_GREETING_EN}
        page.click("#language-switch")
        page.screenshot(path=str(screenshots / "wording-entry-en.png"), full_page=True)

        # An agency's API keys: make one (shown once), revoke it.
        page.goto("/console/agencies")
        page.click("a[href='/console/agencies/cspd/keys']")
        page.click("#issue-key")
        key = page.inner_text("#issued-key-value")
        assert re.fullmatch(r"tws_[a-z0-9]{8}_[A-Za-z0-9_-]{20,}", key)
        page.screenshot(path=str(screenshots / "agency-keys-en.png"), full_page=True)
        page.reload()  # a form resubmission would make another key; the list shows prefixes only
        page.goto("/console/agencies/cspd/keys")
        assert key not in page.content() and key[:12] in page.inner_text("#keys")
        page.click(f"#revoke-{key[:12]}")
        assert key[:12] in page.inner_text("#key-revoked")

        # The audit log shows each change, who made it, before and after.
        page.goto("/console/audit")
        actions = page.locator("#audit .action").all_inner_texts()
        assert {"reply.change", "agency.key_issue", "agency.key_revoke"} <= set(actions), actions
        row = page.locator("#audit tbody tr", has_text="reply.change")
        assert ADMIN in row.inner_text() and "Hello from Tawasol! Ask me about" in row.inner_text()  # the after (JSON)
        page.select_option("select[name=action]", "reply.change")
        page.click("form.filters button")
        assert page.locator("#audit .action").all_inner_texts() == ["reply.change"]
        page.screenshot(path=str(screenshots / "audit-wording-en.png"), full_page=True)
    finally:
        context.close()


def test_a_liaison_officer_s_forged_forms_for_the_wording_and_another_agency_s_service_are_404(browser, service):  # noqa: F811
    context = browser.new_context(base_url=service.url, viewport=LAPTOP)
    page = context.new_page()
    try:
        sign_in(page, LIAISON)
        assert page.locator(".main-nav >> text=ردود البوت").count() == 0
        assert page.goto("/console/wording/greet").status == 404
        page.goto("/console/services/cspd.passport_renew")
        # The officer's own valid form (right CSRF token), re-aimed at the wording, then at dls's service.
        for target in ("/console/wording/greet", "/console/services/dls.property_certificate"):
            page.goto("/console/services/cspd.passport_renew")
            page.eval_on_selector("#service-form", f"f => f.action = '{target}'")
            with page.expect_response(lambda r: r.url.endswith(target)) as posted:
                page.click("#save-button")
            assert posted.value.status == 404 and page.inner_text("h1") == "غير موجود", target
    finally:
        context.close()
    assert service.store.replies.get("greet").updated_by is None
    assert service.store.audit.search(AuditFilter(action="reply.")) == []
    assert service.store.audit.search(AuditFilter(action="catalog.")) == []


# --- the greeting, through the trained model ---------------------------------------------------------


@pytest.fixture(scope="module")
def model_graph() -> Iterator[str]:
    with fake_graph() as server:
        yield server.url


@pytest.fixture(scope="module")
def model_service(tmp_path_factory, sqlite_template, model_graph, trained_model) -> Iterator[ConsoleServer]:
    directory = tmp_path_factory.mktemp("wording-greeting")
    yield from serve_with_whatsapp(directory, sqlite_template, model_graph, model=trained_model, startup_timeout=300)


@pytest.mark.slow
def test_an_edited_greeting_reaches_the_next_citizen_through_the_webhook_without_a_restart(browser, model_service, model_graph):
    writes(model_graph, "962795550101", "مرحبا")
    before = text_of(wait_for(model_graph, "962795550101", 1, timeout=60)[0])
    assert "أهلاً وسهلاً بك في تواصل" in before  # the seed's greeting, and now the turn is cached

    context = browser.new_context(base_url=model_service.url, viewport=LAPTOP)
    page = context.new_page()
    try:
        sign_in(page, ADMIN)
        page.goto("/console/wording/greet")
        page.fill("#text-ar", NEW_GREETING_AR)
        page.click("#save-button")
        assert page.locator("#saved").is_visible()
    finally:
        context.close()
    saved_at = time.monotonic()
    time.sleep(CHECK_EVERY_S + 0.5)  # every process checks the generation at most once a second

    writes(model_graph, "962795550102", "مرحبا")  # the same turn as the first: same cache key but the generation
    after = text_of(wait_for(model_graph, "962795550102", 1, timeout=60)[0])
    assert after == NEW_GREETING_AR, after
    assert time.monotonic() - saved_at < 20
