"""The console in headless chromium (Debian's, through Playwright): what a person sees and clicks.

Screenshots go to /tmp/tawasol-console-screenshots/ (looked at by eye when pages change)."""

from __future__ import annotations

import pytest

from tests.console.seed import ADMIN, AGENT, CSPD_PHONE, LIAISON, PASSWORD

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def open_page(browser, console):
    contexts = []

    def make(*, phone: bool = False):
        context = browser.new_context(
            base_url=console.url, viewport=PHONE if phone else LAPTOP, is_mobile=phone, has_touch=phone,
            device_scale_factor=2 if phone else 1,
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/console")
    assert page.url.endswith("/console/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form[action='/console/login'] button[type=submit]")


def direction(page) -> str:
    return page.evaluate("getComputedStyle(document.body).direction")


def test_an_admin_signs_in_in_arabic_right_to_left_and_switches_to_english(open_page, screenshots):
    page = open_page()
    page.goto("/console")
    assert page.url.endswith("/console/login")
    assert (page.get_attribute("html", "lang"), page.get_attribute("html", "dir"), direction(page)) == ("ar", "rtl", "rtl")
    assert page.inner_text("h1") == "تسجيل الدخول"
    page.screenshot(path=str(screenshots / "login-ar.png"), full_page=True)
    sign_in(page, ADMIN)
    assert page.url.endswith("/console") and page.inner_text("h1") == "أهلًا بك"
    assert page.inner_text("#role-line") == "مسؤول الوزارة"
    assert page.inner_text("#count-tickets") == "2" and page.inner_text("#count-review") == "1"
    assert page.inner_text("#count-conversations") == "2"
    nav = page.locator(".main-nav a").all_inner_texts()
    assert nav == ["الرئيسية", "التذاكر", "المحادثات", "الخدمات", "لوحات المؤشرات", "الرسائل الجماعية",
                   "طلبات الرصيد والمعرّفات", "الرسائل الفائتة", "النوايا والأمثلة", "النماذج", "الموظفون",
                   "ردود البوت", "الجهات", "سجل التدقيق"]
    # right to left: the brand sits at the right edge, the first menu item right of the last
    brand = page.locator(".brand").bounding_box()
    assert brand["x"] > LAPTOP["width"] / 2
    first, last = page.locator(".main-nav a").first.bounding_box(), page.locator(".main-nav a").last.bounding_box()
    assert first["x"] > last["x"]
    page.screenshot(path=str(screenshots / "dashboard-ar.png"), full_page=True)

    page.click("#language-switch")
    assert (page.get_attribute("html", "lang"), direction(page)) == ("en", "ltr")
    assert page.inner_text("h1") == "Welcome" and page.inner_text("#role-line") == "Ministry admin"
    assert page.locator(".brand").bounding_box()["x"] < LAPTOP["width"] / 2
    page.screenshot(path=str(screenshots / "dashboard-en.png"), full_page=True)
    page.goto("/console/tickets")  # the choice sticks
    assert page.inner_text("h1") == "Tickets"
    page.screenshot(path=str(screenshots / "tickets-en.png"), full_page=True)


def test_a_liaison_officer_sees_only_their_agency_and_gets_404_for_another(open_page, console, screenshots):
    page = open_page()
    sign_in(page, LIAISON)
    assert page.inner_text("#role-line") == "ضابط ارتباط · دائرة الأحوال المدنية والجوازات"
    assert page.locator(".main-nav a").all_inner_texts() == [
        "الرئيسية", "التذاكر", "المحادثات", "الخدمات", "لوحات المؤشرات", "الرسائل الجماعية", "طلبات الرصيد والمعرّفات",
        "الرسائل الفائتة"
    ]
    page.click("text=الخدمات")
    services = page.locator("#services tbody tr td:first-child").all_inner_texts()
    # Its not-yet services too (ids from the not-yet list carry no agency prefix): all of them its own.
    assert services and {console.store.catalog.service(s)["agency_id"] for s in services} == {"cspd"}
    page.screenshot(path=str(screenshots / "services-liaison-ar.png"), full_page=True)
    page.click("text=cspd.passport_renew")
    assert page.url.endswith("/console/services/cspd.passport_renew")
    assert "تجديد" in page.inner_text("h1")
    page.screenshot(path=str(screenshots / "service-ar.png"), full_page=True)

    for path in ("/console/services/dls.property_certificate", f"/console/tickets/{console.seeded.dls_ticket}",
                 f"/console/conversations/{console.seeded.dls_conversation}", "/console/audit", "/console/staff"):
        response = page.goto(path)
        assert response.status == 404, path
        assert page.inner_text("h1") == "غير موجود"
    page.screenshot(path=str(screenshots / "not-found-ar.png"), full_page=True)

    page.goto("/console/tickets")
    assert page.locator("#tickets tbody tr").count() == 1
    page.click(f"a[href='/console/tickets/{console.seeded.cspd_ticket}']")
    assert page.locator("#take-ticket").count() == 0  # liaison officers read tickets; agents take them
    page.goto("/console/conversations")
    assert page.locator("#conversations tbody tr").count() == 1
    assert page.inner_text("#conversations .phone") == "9627*****567"  # masked for liaison officers


def test_an_agent_takes_and_closes_a_ticket_and_the_audit_log_shows_both(open_page, console, screenshots):
    agent = open_page()
    sign_in(agent, AGENT)
    agent.click(".main-nav >> text=التذاكر")
    agent.click(f"a[href='/console/tickets/{console.seeded.cspd_ticket}']")
    assert agent.inner_text("#ticket-status") == "مفتوحة"
    agent.screenshot(path=str(screenshots / "ticket-agent-ar.png"), full_page=True)
    agent.click("#take-ticket")
    assert agent.inner_text("#ticket-status") == "قيد المعالجة"
    assert AGENT in agent.inner_text(".facts")
    agent.click("#close-ticket")
    assert agent.inner_text("#ticket-status") == "مغلقة"
    agent.click("a[href='/console/conversations/%d']" % console.seeded.cspd_conversation)
    thread = agent.inner_text("#thread")
    assert "قديش رسوم تجديد جواز السفر؟" in thread and "وصلت" in thread and "قُرئت" in thread
    # The agent no longer holds this citizen's conversation (the ticket is closed): masked again.
    assert agent.inner_text("#conversation-phone") == "9627*****567"
    agent.screenshot(path=str(screenshots / "conversation-ar.png"), full_page=True)

    admin = open_page()
    sign_in(admin, ADMIN)
    admin.goto("/console/language/en?next=/console/audit")
    rows = admin.locator("#audit tbody tr")
    actions = admin.locator("#audit .action").all_inner_texts()
    # no channel is configured here: the bot's "I am back" could go nowhere, and the log says so
    assert actions[:4] == ["ticket.hand_back", "ticket.close", "ticket.taken_told", "ticket.take"]
    assert '"skipped": "unreachable"' in rows.nth(0).inner_text()
    assert AGENT in rows.nth(1).inner_text() and '"status": "closed"' in rows.nth(1).inner_text()
    admin.select_option("select[name=action]", "ticket.take")
    admin.click("form.filters button")
    assert admin.locator("#audit .action").all_inner_texts() == ["ticket.take"]
    assert '"status": "open"' in admin.inner_text("#audit tbody tr") and '"status": "taken"' in admin.inner_text("#audit tbody tr")
    admin.goto("/console/audit")
    admin.screenshot(path=str(screenshots / "audit-en.png"), full_page=True)


def test_a_tampered_csrf_token_is_refused_and_changes_nothing(open_page, console, screenshots):
    page = open_page()
    sign_in(page, AGENT)
    page.goto(f"/console/tickets/{console.seeded.cspd_ticket}")
    page.eval_on_selector("form[action$='/take'] input[name=csrf_token]", "input => input.value = 'forged'")
    with page.expect_response(lambda r: r.url.endswith("/take")) as posted:
        page.click("#take-ticket")
    assert posted.value.status == 403
    assert page.inner_text("h1") == "تعذّر قبول النموذج"
    page.screenshot(path=str(screenshots / "csrf-refused-ar.png"), full_page=True)
    assert console.store.ticket_desk.get(console.seeded.cspd_ticket, None).status == "open"


def test_a_form_pointed_at_another_agency_s_ticket_gets_404(open_page, console):
    page = open_page()
    sign_in(page, AGENT)
    page.goto(f"/console/tickets/{console.seeded.cspd_ticket}")
    # the agent's own, valid form (right CSRF token), re-aimed at the other agency's ticket
    page.eval_on_selector("form[action$='/take']", f"f => f.action = '/console/tickets/{console.seeded.dls_ticket}/take'")
    with page.expect_response(lambda r: r.url.endswith(f"/{console.seeded.dls_ticket}/take")) as posted:
        page.click("#take-ticket")
    assert posted.value.status == 404 and page.inner_text("h1") == "غير موجود"
    assert console.store.ticket_desk.get(console.seeded.dls_ticket, None).status == "open"
    assert [e.action for e in console.store.audit.search()] == ["staff.add"] * 4  # nothing but the seeding


def test_repeated_wrong_passwords_lock_sign_in(open_page, screenshots):
    page = open_page()
    for _ in range(3):
        sign_in(page, LIAISON, "not my password")
    assert "موقوف حتى" in page.inner_text("#sign-in-error")
    sign_in(page, LIAISON, PASSWORD)
    assert page.url.endswith("/console/login") and "موقوف حتى" in page.inner_text("#sign-in-error")
    page.screenshot(path=str(screenshots / "locked-ar.png"), full_page=True)


def test_on_a_phone_the_pages_fit_the_screen(open_page, console, screenshots):
    page = open_page(phone=True)
    sign_in(page, ADMIN)
    page.screenshot(path=str(screenshots / "phone-dashboard-ar.png"), full_page=True)
    for name, path in (("conversations", "/console/conversations"), ("tickets", "/console/tickets"),
                       ("conversation", f"/console/conversations/{console.seeded.cspd_conversation}"),
                       ("audit", "/console/audit"), ("staff", "/console/staff")):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
        page.screenshot(path=str(screenshots / f"phone-{name}-ar.png"), full_page=True)
    page.goto("/console/conversations")
    assert page.evaluate("getComputedStyle(document.querySelector('#conversations thead')).display") == "none"
    assert page.inner_text("#conversations .phone") == CSPD_PHONE or page.locator("#conversations .phone").count() == 2


def test_an_admin_adds_an_agent_who_sets_a_password_and_signs_in(open_page, screenshots):
    admin = open_page()
    sign_in(admin, ADMIN)
    admin.goto("/console/staff")
    admin.fill("input[name=email]", "lina@cspd.gov.jo")
    admin.select_option("select[name=role]", "agent")
    admin.select_option("select[name=agency]", "cspd")
    admin.click("form[action='/console/staff'] button[type=submit]")
    link = admin.inner_text("#setup-link code")
    admin.screenshot(path=str(screenshots / "staff-ar.png"), full_page=True)
    newcomer = open_page(phone=True)
    newcomer.goto(link.split("127.0.0.1:8000", 1)[1])
    newcomer.fill("input[name=password]", "lina's long password")
    newcomer.fill("input[name=repeat]", "lina's long password")
    newcomer.click("button[type=submit]")
    assert newcomer.url.endswith("/console") and newcomer.inner_text("#role-line").startswith("موظف خدمة")


def test_an_admin_adds_an_agency_in_english_and_the_audit_log_names_them(open_page, console, screenshots):
    admin = open_page()
    sign_in(admin, ADMIN)
    admin.click("#language-switch")
    admin.click(".main-nav >> text=Agencies")
    admin.fill("input[name=agency_id]", "moi")
    admin.fill("input[name=name_ar]", "وزارة الداخلية")
    admin.fill("input[name=name_en]", "Ministry of Interior")
    admin.click("form[action='/console/agencies'] button[type=submit]")
    assert "Ministry of Interior" in admin.inner_text("#agencies")
    admin.fill("input[name=agency_id]", "moi")
    admin.fill("input[name=name_ar]", "مكرر")
    admin.fill("input[name=name_en]", "Again")
    admin.click("form[action='/console/agencies'] button[type=submit]")
    assert "already exists" in admin.inner_text("#agency-error")
    admin.screenshot(path=str(screenshots / "agencies-en.png"), full_page=True)
    admin.goto("/console/audit?action=agency.add")
    assert admin.locator("#audit .action").all_inner_texts() == ["agency.add"]
    assert ADMIN in admin.inner_text("#audit tbody tr") and "Ministry of Interior" in admin.inner_text("#audit tbody tr")
