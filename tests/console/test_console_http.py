"""The console over HTTP, as a browser or a forger would speak to it: sign-in, CSRF, lockout, cookie
flags, idle timeout, and every agency boundary by URL and by forged form posts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest

from core.messages import utcnow
from store.audit import AuditFilter
from store.models import StaffSession, Ticket
from tests.availability import unavailable
from tests.console.conftest import ConsoleServer, serve_console
from tests.console.seed import ADMIN, AGENT, LIAISON, OTHER_LIAISON, PASSWORD

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(response: httpx.Response) -> str:
    return CSRF.search(response.text).group(1)


def client(console: ConsoleServer) -> httpx.Client:
    return httpx.Client(base_url=console.url, follow_redirects=False, timeout=30)


def sign_in(console: ConsoleServer, email: str, password: str = PASSWORD) -> tuple[httpx.Client, str]:
    """A client signed in as `email`, and its session's CSRF token."""
    c = client(console)
    token = csrf_of(c.get("/console/login"))
    answer = c.post("/console/login", data={"email": email, "password": password, "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/console", answer.text
    return c, csrf_of(c.get("/console"))


def test_the_console_without_a_session_sends_you_to_sign_in(console):
    with client(console) as c:
        for path in ("/console", "/console/tickets", "/console/audit", f"/console/services/cspd.passport_renew"):
            answer = c.get(path)
            assert (answer.status_code, answer.headers["location"]) == (303, "/console/login"), path
        page = c.get("/console/login")
        assert page.status_code == 200 and 'action="/console/login"' in page.text
        assert all(f'name="{field}"' in page.text for field in ("email", "password", "csrf_token"))
        assert '<html lang="ar" dir="rtl">' in page.text


def test_sign_in_without_the_form_s_csrf_token_is_refused(console):
    with client(console) as c, client(console) as other:
        c.get("/console/login")
        others_token = csrf_of(other.get("/console/login"))
        for token in ("", "forged", others_token):
            answer = c.post("/console/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": token})
            assert answer.status_code == 403 and "انتهت صلاحية هذا النموذج" in answer.text
        assert c.get("/console").status_code == 303  # still not signed in


def test_signing_in_starts_a_new_session_and_signing_out_ends_it(console):
    c = client(console)
    c.get("/console/login")
    before = c.cookies.get("tawasol_console")
    c.close()
    c, csrf = sign_in(console, ADMIN)
    token = c.cookies.get("tawasol_console")
    assert token != before
    assert c.post("/console/logout", data={"csrf_token": csrf}).status_code == 303
    replay = client(console)
    replay.cookies.set("tawasol_console", token, path="/console")
    assert replay.get("/console").status_code == 303  # the old cookie is dead on the server


def test_cookies_are_httponly_strict_and_secure_unless_turned_off(tmp_path, sqlite_template):
    for server in serve_console(tmp_path, sqlite_template, CONSOLE_COOKIE_SECURE="true"):
        cookie = client(server).get("/console/login").headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie and "Path=/console" in cookie


def test_wrong_passwords_lock_the_email_even_against_the_right_one(console):
    with client(console) as c:
        token = csrf_of(c.get("/console/login"))
        statuses = [
            c.post("/console/login", data={"email": LIAISON, "password": "wrong password!", "csrf_token": token}).status_code
            for _ in range(3)
        ]
        assert statuses == [401, 401, 429]
        right = c.post("/console/login", data={"email": LIAISON, "password": PASSWORD, "csrf_token": token})
        assert right.status_code == 429 and "locked until" in right.text.replace("موقوف حتى", "locked until")
        other = c.post("/console/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": token})
        assert other.status_code == 303  # the lock is on that email, not on everyone
    assert [e.action for e in console.store.audit.search()][0] == "staff.locked"


def test_unknown_emails_are_answered_like_wrong_passwords(console):
    with client(console) as c:
        token = csrf_of(c.get("/console/login"))
        unknown = c.post("/console/login", data={"email": "nobody@x.jo", "password": PASSWORD, "csrf_token": token})
        wrong = c.post("/console/login", data={"email": ADMIN, "password": "not the password", "csrf_token": token})
        assert unknown.status_code == wrong.status_code == 401
        assert unknown.text.replace("nobody@x.jo", "E") == wrong.text.replace(ADMIN, "E")


def test_a_session_unused_for_the_idle_timeout_is_over(console):
    c, _ = sign_in(console, ADMIN)
    assert c.get("/console").status_code == 200
    with console.store.db.session() as s:
        for row in s.query(StaffSession).filter(StaffSession.staff_id.isnot(None)):
            row.last_seen_at = utcnow() - console.settings.console.idle_timeout - timedelta(seconds=1)
    assert c.get("/console").headers["location"] == "/console/login"


def test_a_liaison_officer_gets_404_for_another_agency_by_url(console):
    seeded = console.seeded
    c, _ = sign_in(console, LIAISON)
    own = ["/console/services/cspd.passport_renew", f"/console/tickets/{seeded.cspd_ticket}",
           f"/console/conversations/{seeded.cspd_conversation}"]
    others = ["/console/services/dls.property_certificate", f"/console/tickets/{seeded.dls_ticket}",
              f"/console/conversations/{seeded.dls_conversation}", "/console/staff", "/console/audit", "/console/review"]
    assert [c.get(p).status_code for p in own] == [200, 200, 200]
    assert [c.get(p).status_code for p in others] == [404] * len(others)
    listing = c.get("/console/tickets").text + c.get("/console/conversations").text + c.get("/console/services").text
    assert "dls." not in listing and f"/console/tickets/{seeded.dls_ticket}\"" not in listing
    # the other agency's officer sees the reverse
    d, _ = sign_in(console, OTHER_LIAISON)
    assert d.get("/console/services/cspd.passport_renew").status_code == 404
    assert d.get("/console/services/dls.property_certificate").status_code == 200


def test_forged_form_posts_across_agencies_change_nothing(console):
    seeded = console.seeded
    agent, csrf = sign_in(console, AGENT)
    assert agent.post(f"/console/tickets/{seeded.dls_ticket}/close", data={"csrf_token": csrf}).status_code == 404
    assert agent.post(f"/console/tickets/{seeded.dls_ticket}/take", data={"csrf_token": csrf}).status_code == 404
    assert agent.post("/console/staff", data={"email": "x@y.jo", "role": "ministry_admin", "csrf_token": csrf}).status_code == 404
    assert agent.post(f"/console/review/{seeded.review_item}/reviewed", data={"csrf_token": csrf}).status_code == 404
    liaison, liaison_csrf = sign_in(console, LIAISON)
    # liaison officers read tickets; taking them is the agents' work
    assert liaison.post(f"/console/tickets/{seeded.cspd_ticket}/take", data={"csrf_token": liaison_csrf}).status_code == 404
    with console.store.db.session() as s:
        assert {t.id: t.status for t in s.query(Ticket)} == {seeded.cspd_ticket: "open", seeded.dls_ticket: "open"}
    assert console.store.staff.by_email("x@y.jo") is None
    assert {e.action for e in console.store.audit.search()} == {"staff.add"}  # only the seeding


def test_a_post_without_the_session_s_csrf_token_is_refused(console):
    seeded = console.seeded
    agent, csrf = sign_in(console, AGENT)
    _, admins_csrf = sign_in(console, ADMIN)
    for token in ("", "x" * 43, admins_csrf):
        answer = agent.post(f"/console/tickets/{seeded.cspd_ticket}/take", data={"csrf_token": token})
        assert answer.status_code == 403
    assert console.store.ticket_desk.get(seeded.cspd_ticket, None).status == "open"
    assert agent.post(f"/console/tickets/{seeded.cspd_ticket}/take", data={"csrf_token": csrf}).status_code == 303
    assert console.store.ticket_desk.get(seeded.cspd_ticket, None).status == "taken"


def test_a_ten_megabyte_form_is_refused_before_it_is_read(console):
    admin, csrf = sign_in(console, ADMIN)
    answer = admin.post("/console/staff", data={"email": "a" * 10_000_000 + "@x.jo", "role": "agent", "csrf_token": csrf})
    assert answer.status_code == 413 and "too large" in answer.text
    assert len(console.store.staff.all()) == 4


def test_what_citizens_wrote_is_shown_escaped(console):
    admin, _ = sign_in(console, ADMIN)
    ticket = admin.get(f"/console/tickets/{console.seeded.dls_ticket}").text
    assert "<script>alert" not in ticket and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in ticket
    review = admin.get("/console/review").text
    assert "<b>عريض</b>" not in review and "&lt;b&gt;عريض&lt;/b&gt;" in review


def test_an_admin_adds_staff_whose_setup_link_works_once(console):
    admin, csrf = sign_in(console, ADMIN)
    page = admin.post("/console/staff", data={"email": "new@dls.gov.jo", "role": "agent", "agency": "dls", "csrf_token": csrf})
    link = re.search(r"(http://[^<\s]+/console/setup/[A-Za-z0-9_-]+)", page.text).group(1)
    path = link.split("127.0.0.1:8000", 1)[1]
    newcomer = client(console)
    form = newcomer.get(path)
    assert form.status_code == 200 and "new@dls.gov.jo" in form.text
    short = newcomer.post(path, data={"password": "short", "repeat": "short", "csrf_token": csrf_of(form)})
    assert short.status_code == 400
    done = newcomer.post(path, data={"password": "a long new password", "repeat": "a long new password",
                                     "csrf_token": csrf_of(form)})
    assert done.status_code == 303 and newcomer.get("/console").status_code == 200
    assert client(console).get(path).status_code == 404  # used
    sign_in(console, "new@dls.gov.jo", "a long new password")
    assert [e.action for e in console.store.audit.search()][:2] == ["staff.password_set", "staff.add"]


def test_changing_the_password_needs_the_current_one(console):
    c, csrf = sign_in(console, AGENT)
    wrong = c.post("/console/password", data={"current": "nope", "password": "brand new password", "repeat": "brand new password",
                                             "csrf_token": csrf})
    assert wrong.status_code == 400
    right = c.post("/console/password", data={"current": PASSWORD, "password": "brand new password",
                                             "repeat": "brand new password", "csrf_token": csrf})
    assert right.status_code == 200
    sign_in(console, AGENT, "brand new password")
    with client(console) as old:
        token = csrf_of(old.get("/console/login"))
        assert old.post("/console/login", data={"email": AGENT, "password": PASSWORD, "csrf_token": token}).status_code == 401


def test_changing_the_password_signs_out_the_other_sessions(console):
    laptop, csrf = sign_in(console, AGENT)
    phone, _ = sign_in(console, AGENT)
    assert laptop.post("/console/password", data={"current": PASSWORD, "password": "brand new password",
                                                 "repeat": "brand new password", "csrf_token": csrf}).status_code == 200
    assert laptop.get("/console").status_code == 200  # the session that changed it goes on
    assert phone.get("/console").headers["location"] == "/console/login"


def test_an_admin_resets_a_password_with_a_new_setup_link(console):
    victim, _ = sign_in(console, LIAISON)
    admin, csrf = sign_in(console, ADMIN)
    liaison = console.store.staff.by_email(LIAISON)
    page = admin.post(f"/console/staff/{liaison.id}/reset", data={"csrf_token": csrf})
    link = re.search(r"/console/setup/[A-Za-z0-9_-]+", page.text).group(0)
    assert victim.get("/console").status_code == 303  # signed out at once
    with client(console) as c:
        token = csrf_of(c.get("/console/login"))
        assert c.post("/console/login", data={"email": LIAISON, "password": PASSWORD, "csrf_token": token}).status_code == 401
        form = c.get(link)
        assert c.post(link, data={"password": "rana's new password", "repeat": "rana's new password",
                                  "csrf_token": csrf_of(form)}).status_code == 303
    sign_in(console, LIAISON, "rana's new password")
    assert admin.post(f"/console/staff/{console.store.staff.by_email(ADMIN).id}/reset",
                      data={"csrf_token": csrf}).status_code == 400  # not one's own
    actions = [e.action for e in console.store.audit.search()]
    assert actions[:2] == ["staff.password_set", "staff.password_reset"]


def test_only_admins_add_agencies_and_each_is_audited(console):
    # An agency the seeded catalog does not already hold (the catalog's own agencies are in the store).
    liaison, liaison_csrf = sign_in(console, LIAISON)
    forged = liaison.post("/console/agencies", data={"agency_id": "jpmc", "name_ar": "الداخلية", "name_en": "Interior",
                                                     "csrf_token": liaison_csrf})
    assert forged.status_code == 404 and console.store.agencies.get("jpmc") is None
    admin, csrf = sign_in(console, ADMIN)
    bad = admin.post("/console/agencies", data={"agency_id": "JPMC!", "name_ar": "x", "name_en": "y", "csrf_token": csrf})
    assert bad.status_code == 400 and "بادئة خدماتها في الكتالوج" in bad.text  # said in the page's language
    added = admin.post("/console/agencies", data={"agency_id": "jpmc", "name_ar": "الداخلية", "name_en": "Interior",
                                                  "independent": "1", "csrf_token": csrf})
    assert added.status_code == 303 and console.store.agencies.get("jpmc").independent is True
    [entry] = console.store.audit.search(AuditFilter(action="agency.add"))
    assert (entry.actor, entry.target_id, entry.after["name_en"], entry.after["independent"]) == (ADMIN, "jpmc", "Interior", True)


def test_open_tickets_past_the_time_limit_are_flagged_late(console):
    admin, _ = sign_in(console, ADMIN)
    assert 'class="late"' not in admin.get("/console/tickets").text
    with console.store.db.session() as s:
        ticket = s.get(Ticket, console.seeded.dls_ticket)
        ticket.created_at = utcnow() - console.settings.console.ticket_limit - timedelta(minutes=1)
    page = admin.get("/console/tickets").text
    assert page.count('class="late"') == 1 and "متأخرة" in page
    assert 'id="count-late">1 متأخرة' in admin.get("/console").text


def test_csv_exports_keep_to_the_agency_mask_phones_by_role_and_are_audited(console):
    import csv
    import io

    citizen = console.store.citizens.resolve("whatsapp", "962790000001")
    console.store.tickets.open(citizen, "complaint", '=HYPERLINK("http://evil")', "cspd.id_card")
    liaison, _ = sign_in(console, LIAISON)
    answer = liaison.get("/console/conversations.csv")
    assert answer.headers["content-type"].startswith("text/csv") and answer.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert {r["conversation"] for r in rows} == {str(console.seeded.cspd_conversation)}
    assert {r["phone"] for r in rows} == {"9627*****567"} and {r["service"] for r in rows} == {"cspd.passport_renew"}
    assert "قديش رسوم تجديد جواز السفر؟" in {r["text"] for r in rows}
    tickets = list(csv.DictReader(io.StringIO(liaison.get("/console/tickets.csv").text.lstrip("\ufeff"))))
    assert sorted(t["service"] for t in tickets) == ["cspd.id_card", "cspd.passport_renew"]
    assert '\'=HYPERLINK("http://evil")' in {t["text"] for t in tickets}  # never a live formula
    admin, _ = sign_in(console, ADMIN)
    everything = list(csv.DictReader(io.StringIO(admin.get("/console/conversations.csv").text.lstrip("\ufeff"))))
    assert {r["phone"] for r in everything} == {"962791234567", "962781112223"}
    assert liaison.get("/console/conversations.csv?service=dls.property_certificate").text.count("\n") == 1  # header only
    assert admin.get("/console/tickets.csv?since=yesterday").status_code == 400
    exports = console.store.audit.search(AuditFilter(action="export."))
    assert [(e.actor, e.action, e.agency_id) for e in exports][-2:] == [
        (LIAISON, "export.tickets", "cspd"), (LIAISON, "export.conversations", "cspd")]


@pytest.mark.redis
def test_sessions_and_lockout_work_on_redis(tmp_path, sqlite_template):
    import redis

    url = "redis://127.0.0.1:6379/13"  # a database of these tests' own: its console keys are removed after
    probe = redis.Redis.from_url(url)
    try:
        probe.ping()
    except redis.exceptions.ConnectionError:
        unavailable("Redis at 127.0.0.1:6379")
    try:
        for server in serve_console(tmp_path, sqlite_template, REDIS_URL=url):
            c, csrf = sign_in(server, ADMIN)
            assert c.get("/console/audit").status_code == 200
            assert server.store.sessions.get("x") is None
            with server.store.db.session() as s:
                assert s.query(StaffSession).count() == 0  # the sessions are on Redis
            assert any(probe.scan_iter(match="tawasol:console:session:*"))
            with client(server) as other:
                token = csrf_of(other.get("/console/login"))
                codes = [other.post("/console/login", data={"email": LIAISON, "password": "wrong password!",
                                                            "csrf_token": token}).status_code for _ in range(3)]
                assert codes == [401, 401, 429]
    finally:
        keys = list(probe.scan_iter(match="tawasol:console:*"))
        if keys:
            probe.delete(*keys)
        probe.close()


def _tawasol(*args: str, database_url: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SMPP_", "SMS_"))}
    env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=120)


def test_the_staff_command_adds_accounts_from_a_password_on_stdin(tmp_path):
    from store import Store

    url = f"sqlite:///{tmp_path / 'staff.db'}"
    assert _tawasol("agency", "add", "cspd", "--name-ar", "الأحوال", "--name-en", "Civil Status", database_url=url).returncode == 0
    added = _tawasol("staff", "add", "Rana@CSPD.gov.jo", "--role", "liaison_officer", "--agency", "cspd",
                     "--password-stdin", database_url=url, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "rana@cspd.gov.jo added: liaison_officer of cspd" in added.stdout and "setup" not in added.stdout
    no_agency = _tawasol("staff", "add", "omar@cspd.gov.jo", "--role", "agent", "--password-stdin",
                         database_url=url, stdin=PASSWORD + "\n")
    assert no_agency.returncode == 1 and "--agency" in no_agency.stderr
    unknown = _tawasol("staff", "add", "omar@cspd.gov.jo", "--role", "agent", "--agency", "dls", "--password-stdin",
                       database_url=url, stdin=PASSWORD + "\n")
    assert unknown.returncode == 1 and "no agency 'dls'" in unknown.stderr
    store = Store(url)
    try:
        [user] = store.staff.all()
        assert user.email == "rana@cspd.gov.jo" and user.password_hash.startswith("$argon2id$")
        assert [(e.actor, e.action) for e in store.audit.search()] == [("cli", "staff.add"), ("cli", "agency.add")]
    finally:
        store.close()
