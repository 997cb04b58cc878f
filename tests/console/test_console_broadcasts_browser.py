"""Broadcasts in headless Chromium: compose (the live segment count), preview, send above the
approval threshold, a ministry admin approves, the progress page follows the sending; a credit
request approved by an admin. Screenshots of compose and progress, Arabic and English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from store.audit import CLI_ACTOR
from store.broadcasts import SENDING, SENT
from tests.console.seed import ADMIN, LIAISON
from tests.console.test_console_browser import open_page, sign_in  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

AR_TEXT = "تذكير من دائرة الأحوال المدنية: يمكنكم الآن تجديد جواز السفر إلكترونيًا عبر الموقع دون مراجعة المكاتب."
EN_TEXT = "Civil Status reminder: you can now renew your passport online, without visiting an office."


def test_compose_preview_approve_send_and_watch_progress(open_page, console, screenshots, tmp_path):  # noqa: F811
    store = console.store
    store.credit.top_up("cspd", 1000)
    store.broadcasts.set_policy(approval_threshold=3, quiet_start="21:00", quiet_end="08:00", actor=CLI_ACTOR)
    csv = tmp_path / "numbers.csv"
    csv.write_text("phone,language\n" + "".join(f"9627900001{i:02d},{'en' if i % 2 else 'ar'}\n" for i in range(12)))

    page = open_page()
    sign_in(page, LIAISON)
    page.goto("/console/broadcasts/new")
    page.fill("#text_ar", AR_TEXT)
    page.fill("#text_en", EN_TEXT)
    # The count under each box follows the typing (the server counts; compose.js asks it).
    expect(page.locator("#count-ar .segments")).to_have_text("2", timeout=10_000)
    assert page.inner_text("#count-en .segments") == "1"
    assert page.inner_text("#count-ar .cost") == "0.013684"
    page.fill("input[name=title]", "Passport online")
    page.set_input_files("#numbers", str(csv))
    page.screenshot(path=str(screenshots / "broadcast-compose-ar.png"), full_page=True)
    page.click("#save")
    page.wait_for_url(re.compile(r"/console/broadcasts/\d+$"))
    broadcast_id = int(page.url.rsplit("/", 1)[1])
    assert page.inner_text("#recipients-count") == "12"
    assert page.inner_text("#remaining-credit") == "1000"
    assert page.inner_text("#estimated-cost") == "0.164"  # 12 recipients x 2 segments x 0.006842
    assert page.is_visible("#needs-approval")
    page.click("#send")
    page.wait_for_selector("#status[data-status=awaiting_approval]")

    admin = open_page()
    sign_in(admin, ADMIN)
    admin.goto(f"/console/broadcasts/{broadcast_id}")
    admin.click("#approve")
    admin.wait_for_selector("#status[data-status=scheduled]")

    # The worker's part, by the store calls send_broadcast makes (no channels in this server): it
    # starts, claims five recipients and marks them sent; the open page follows by itself.
    store.broadcasts.move(broadcast_id, ("scheduled",), SENDING, actor=CLI_ACTOR)
    page.goto(f"/console/broadcasts/{broadcast_id}")
    for claimed in store.broadcasts.claim(broadcast_id, 5):
        store.broadcasts.mark(claimed.recipient_id, SENT, channel="whatsapp")
    expect(page.locator("[data-count=sent]")).to_have_text("5", timeout=10_000)
    assert page.inner_text("[data-count=queued]") == "7"
    page.screenshot(path=str(screenshots / "broadcast-progress-ar.png"), full_page=True)
    page.click("#pause")
    page.wait_for_selector("#status[data-status=paused]")
    assert page.is_visible("#resume")

    page.goto("/console/language/en?next=/console/broadcasts/new")
    page.fill("#text_en", EN_TEXT)
    expect(page.locator("#count-en .segments")).to_have_text("1", timeout=10_000)
    page.screenshot(path=str(screenshots / "broadcast-compose-en.png"), full_page=True)
    page.goto(f"/console/broadcasts/{broadcast_id}")
    page.screenshot(path=str(screenshots / "broadcast-progress-en.png"), full_page=True)


def test_a_credit_request_approved_by_an_admin(open_page, console, screenshots):  # noqa: F811
    console.store.credit.top_up("cspd", 10)
    page = open_page()
    sign_in(page, LIAISON)
    page.goto("/console/requests")
    page.fill("#credit-form input[name=amount]", "500")
    page.fill("#credit-form input[name=reason]", "حملة التوعية")
    page.click("#credit-form button[type=submit]")
    page.wait_for_selector("#credit-requests .request-status")
    page.fill("#sender-form input[name=sender_id]", "CSPD-JO")
    page.click("#sender-form button[type=submit]")
    page.wait_for_selector("#sender-id-requests .request-status")
    admin = open_page()
    sign_in(admin, ADMIN)
    admin.goto("/console/requests")
    admin.click("#credit-requests button[id$=-approve]")
    admin.wait_for_selector("#credit-requests .request-status:has-text('تمت الموافقة')")
    admin.click("#sender-id-requests button[id$=-approve]")
    admin.wait_for_selector("#sender-id-requests .request-status:has-text('تمت الموافقة')")
    admin.screenshot(path=str(screenshots / "requests-ar.png"), full_page=True)
    page.goto("/console/requests")
    assert page.inner_text("#remaining-credit") == "510"
    assert "CSPD-JO" in console.store.agencies.get("cspd").sms_sender_ids
