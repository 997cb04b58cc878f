"""Broadcasts in headless Chromium: compose (the live segment count), preview, send above the
approval threshold, a ministry admin approves, the progress page follows the sending; a credit
request approved by an admin. Screenshots of compose and progress, Arabic and English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from store.audit import CLI_ACTOR
from core.messages import utcnow
from store.broadcasts import SENDING, SENT, kind_of
from store.outbound import NewOutbound
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

    # The worker's part, by the store calls send_broadcast and the outbox make (no channels in this
    # server): it starts, claims five recipients, stores and hands over their messages and marks
    # them; the open page follows by itself.
    store.broadcasts.move(broadcast_id, ("scheduled",), SENDING, actor=CLI_ACTOR)
    page.goto(f"/console/broadcasts/{broadcast_id}")
    provider_ids = []
    for n, claimed in enumerate(store.broadcasts.claim(broadcast_id, 5)):
        citizen_id = store.citizens.for_phone(claimed.phone)
        [message_id] = store.outbound.add([NewOutbound(citizen_id, "whatsapp", claimed.phone, AR_TEXT,
                                                       kind=kind_of(broadcast_id), reply_key=f"b{broadcast_id}-{n}")])
        store.outbound.mark_sent(message_id, f"wamid.browser.{n}")
        provider_ids.append(f"wamid.browser.{n}")
        store.broadcasts.mark(claimed.recipient_id, SENT, citizen_id=citizen_id, message_id=message_id, channel="whatsapp")
    expect(page.locator("[data-count=sent]")).to_have_text("5", timeout=10_000)
    assert page.inner_text("[data-count=waiting]") == "7"
    assert page.inner_text("[data-count=delivered]") == "0"  # no provider has reported a delivery yet
    # WhatsApp's status webhooks: two delivered, one read, one failed; the counts move by themselves.
    for provider_id, status in zip(provider_ids, ("delivered", "delivered", "read", "failed")):
        store.statuses.record("whatsapp", [provider_id], status, at=utcnow())
    expect(page.locator("[data-count=delivered]")).to_have_text("2", timeout=10_000)
    assert [page.inner_text(f"[data-count={k}]") for k in ("sent", "read", "failed")] == ["1", "1", "1"]
    # Each count says what it means: "sent" is not "arrived".
    assert "لم يصل تقرير بتسليمها" in page.inner_text("#row-sent")
    assert "أبلغ المزوّد بتسليمها" in page.inner_text("#row-delivered")
    page.screenshot(path=str(screenshots / "broadcast-progress-ar.png"), full_page=True)
    page.click("#pause")
    page.wait_for_selector("#status[data-status=paused]")
    assert page.is_visible("#resume")

    page.goto("/console/language/en?next=/console/broadcasts/new")
    page.fill("#text_en", EN_TEXT)
    expect(page.locator("#count-en .segments")).to_have_text("1", timeout=10_000)
    page.screenshot(path=str(screenshots / "broadcast-compose-en.png"), full_page=True)
    page.goto(f"/console/broadcasts/{broadcast_id}")
    assert "no delivery report has come back yet" in page.inner_text("#row-sent")
    assert "WhatsApp reported it read" in page.inner_text("#row-read")
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
    page.fill("#sender-form input[name=sender_id]", "CSPD-ALT")  # a second one, which the admin declines
    page.click("#sender-form button[type=submit]")
    expect(page.locator("#sender-id-requests .request-status")).to_have_count(2)
    page.goto("/console/language/en?next=/console/requests")
    assert page.inner_text("#remaining-credit") == "10"
    assert not page.locator("#credit-requests button[id$=-approve]").count()  # a liaison officer cannot approve
    page.screenshot(path=str(screenshots / "requests-liaison-en.png"), full_page=True)
    admin = open_page()
    sign_in(admin, ADMIN)
    admin.goto("/console/requests")
    admin.click("#credit-requests button[id$=-approve]")
    admin.wait_for_selector("#credit-requests .request-status:has-text('تمت الموافقة')")
    sender_rows = admin.locator("#sender-id-requests tbody tr")
    sender_rows.filter(has_text="CSPD-JO").locator("button[id$=-approve]").click()
    admin.wait_for_selector("#sender-id-requests tr:has-text('CSPD-JO') .request-status:has-text('تمت الموافقة')")
    admin.locator("#sender-id-requests tr:has-text('CSPD-ALT') button[id$=-decline]").click()
    admin.wait_for_selector("#sender-id-requests tr:has-text('CSPD-ALT') .request-status:has-text('مرفوض')")
    admin.screenshot(path=str(screenshots / "requests-ar.png"), full_page=True)
    page.goto("/console/requests")
    assert page.inner_text("#remaining-credit") == "510"
    assert "CSPD-JO" in console.store.agencies.get("cspd").sms_sender_ids
    assert "CSPD-ALT" not in console.store.agencies.get("cspd").sms_sender_ids
