"""An agent takes over a conversation in headless chromium: the citizen writes through the real
WhatsApp webhook (the fake Graph API, a real HTTP server, signs and posts it), the trained model
answers and opens the ticket, the agent takes it and replies from the console (the fake Graph API
receives the reply), the citizen's next message is not answered by the bot, and when the agent
hands back, the bot says it is back and answers again.

Screenshots of the ticket page with its reply box and of the conversation's delivery timeline, in
Arabic and English, go to /tmp/tawasol-console-screenshots/ (docs/console/ has copies)."""

from __future__ import annotations

from typing import Iterator

import pytest

from actions.citizen_records import use_store
from tests.console.conftest import ConsoleServer, fake_graph, serve_with_whatsapp
from tests.console.seed import AGENT, PASSWORD
from tests.console.test_handoff_http import quiet_for, text_of, wait_for, writes

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CITIZEN = "962795550001"
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def graph() -> Iterator[str]:
    with fake_graph() as server:
        yield server.url


@pytest.fixture(scope="module")
def service(tmp_path_factory, sqlite_template, graph, trained_model) -> Iterator[ConsoleServer]:
    directory = tmp_path_factory.mktemp("handoff-browser")
    yield from serve_with_whatsapp(directory, sqlite_template, graph, model=trained_model, startup_timeout=300)


def sign_in(page, email: str) -> None:
    page.goto("/console/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/console/login'] button[type=submit]")
    assert page.url.endswith("/console")


def test_an_agent_takes_over_replies_and_hands_back_to_the_bot(browser, service, graph, screenshots):
    # The actions write tickets to the store they were handed: tests/conftest.py hands every test
    # a database of its own, after this module's service handed over its own at start-up.
    use_store(service.store)
    # The citizen asks the bot, then asks for a person: the model answers, and opens a ticket in the
    # passport department's queue (it has an agent), saying a person will answer here.
    writes(graph, CITIZEN, "قديش رسوم تجديد جواز السفر؟")
    assert "50" in text_of(wait_for(graph, CITIZEN, 1, timeout=60)[0])
    writes(graph, CITIZEN, "بدي احكي مع موظف لو سمحت")
    queued = text_of(wait_for(graph, CITIZEN, 2, timeout=60)[1])
    assert "سيرد عليك موظف هنا" in queued and "دائرة الأحوال المدنية والجوازات" in queued, queued

    context = browser.new_context(base_url=service.url, viewport=LAPTOP)
    page = context.new_page()
    try:
        sign_in(page, AGENT)
        page.click(".main-nav >> text=التذاكر")
        row = page.locator("#tickets tbody tr", has_text="بدي احكي مع موظف لو سمحت")
        assert row.count() == 1
        row.locator("a").first.click()
        assert page.inner_text("#ticket-status") == "مفتوحة" and page.locator("#reply-form").count() == 0
        assert page.inner_text("#ticket-phone") == "9627*****001"  # not held yet: masked
        ticket_url = page.url.split("#")[0].split("?")[0]
        page.click("#take-ticket")
        assert page.inner_text("#ticket-status") == "قيد المعالجة"
        assert page.inner_text("#ticket-phone") == CITIZEN  # the holder sees the whole number
        assert "أبلغ البوت المواطن أن موظفًا يرد عليه هنا" in page.inner_text("#ticket-sent")
        told = text_of(wait_for(graph, CITIZEN, 3)[2])  # the citizen hears a person has the request
        assert "استلم موظف في دائرة الأحوال المدنية والجوازات طلبك" in told, told

        page.fill("#reply-text", "مرحبًا، أنا عمر من دائرة الأحوال المدنية. جوازك يحتاج صورة شخصية جديدة.")
        page.click("#send-reply")
        assert "أُرسل الرد إلى المواطن" in page.inner_text("#ticket-sent")
        reply = wait_for(graph, CITIZEN, 4)[3]
        assert "جوازك يحتاج صورة شخصية جديدة" in text_of(reply) and reply["body"]["type"] == "text"

        # Held: the citizen's next message is for the agent, and the bot does not answer it.
        writes(graph, CITIZEN, "شكرا، متى يجهز الجواز؟")
        assert quiet_for(graph, CITIZEN, 4, seconds=4.0)
        page.reload()
        held = page.locator("#thread li.for-agent", has_text="متى يجهز الجواز")
        assert held.count() == 1 and "لم يرد عليها البوت" in held.inner_text()
        staff_reply = page.locator("#thread li.staff", has_text="صورة شخصية جديدة")
        assert AGENT in staff_reply.inner_text() and "قُرئت" in staff_reply.inner_text()  # sent, delivered, read
        page.fill("#reply-text", "يجهز خلال ثلاثة أيام عمل.")
        page.screenshot(path=str(screenshots / "ticket-reply-ar.png"), full_page=True)
        page.click("#language-switch")
        assert page.inner_text("#send-reply") == "Send reply"
        page.fill("#reply-text", "It will be ready within three working days.")
        page.screenshot(path=str(screenshots / "ticket-reply-en.png"), full_page=True)

        # The conversation, found by the citizen's number: both sides, each reply's delivery timeline.
        page.goto(f"/console/conversations?phone={CITIZEN[-7:]}")
        assert page.inner_text("#conversations .phone") == CITIZEN
        page.locator("#conversations tbody tr a").first.click()
        timeline = page.inner_text("#thread")
        assert "Staff" in timeline and "read" in timeline and "WhatsApp: 24-hour window open" in timeline
        page.screenshot(path=str(screenshots / "conversation-timeline-en.png"), full_page=True)
        page.click("#language-switch")
        page.screenshot(path=str(screenshots / "conversation-timeline-ar.png"), full_page=True)

        # Handing back: the bot tells the citizen it is back, and answers the next question.
        page.goto(ticket_url)
        page.click("#close-ticket")
        assert page.inner_text("#ticket-status") == "مغلقة"
        assert "أبلغ البوت المواطن بعودته" in page.inner_text("#ticket-sent")
        back = text_of(wait_for(graph, CITIZEN, 5)[4])
        assert "عدتَ إلى مساعد تواصل الآلي" in back
        writes(graph, CITIZEN, "قديش رسوم شهادة عدم المحكومية؟")
        answer = text_of(wait_for(graph, CITIZEN, 6, timeout=60)[5])
        assert "عدم المحكومية" in answer, answer
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

        phone = browser.new_context(base_url=service.url, viewport=PHONE, is_mobile=True, has_touch=True,
                                    device_scale_factor=2)
        try:
            small = phone.new_page()
            sign_in(small, AGENT)
            small.goto(ticket_url)
            assert small.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
            small.screenshot(path=str(screenshots / "phone-ticket-ar.png"), full_page=True)
        finally:
            phone.close()
    finally:
        context.close()
    actions = [e.action for e in service.store.audit.search() if e.action.startswith("ticket.")]
    assert actions == ["ticket.hand_back", "ticket.close", "ticket.reply", "ticket.taken_told", "ticket.take"]
