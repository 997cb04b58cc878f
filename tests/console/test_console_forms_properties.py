"""Hypothesis over the console's forms, posted to the served console as a browser (or a prober)
would: whatever the fields hold (any text, huge strings, script tags, control characters, text for
numbers), the answer is a page or a 4xx, never a 5xx, and what a form stores is shown escaped."""

from __future__ import annotations

import html

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.models import StaffUser
from tests.console.seed import ADMIN, AGENT
from tests.console.test_console_http import sign_in

SCRIPT = "<script>alert(1)</script>"
FIELD = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
    st.sampled_from(["", SCRIPT, f'"><img src=x onerror=alert(1)>', "a" * 100_000, "\x00\x01\x1b[31m", "٠١٢", "%00",
                     f"x{SCRIPT}@example.jo", "admin@tawasol.jo'--", "9" * 400]),
)
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
FINE = {200, 303, 400, 401, 403, 404, 405, 409, 413, 422, 429}


def _no_raw_script(page: str, value: str) -> None:
    if "<script" in value.lower() or "onerror" in value.lower():
        assert value not in page or html.escape(value) == value, "a form's value came back unescaped"


@pytest.mark.timeout(600)
def test_any_sign_in_form_is_answered_without_a_server_error(console):
    from tests.console.test_console_http import client, csrf_of

    with client(console) as c:
        token = csrf_of(c.get("/console/login"))

        @PROPERTY
        @given(email=FIELD, password=FIELD, csrf=st.one_of(st.just(token), FIELD))
        def sign_in_form(email, password, csrf):
            answer = c.post("/console/login", data={"email": email, "password": password, "csrf_token": csrf})
            assert answer.status_code in FINE, (answer.status_code, answer.text[:300])
            _no_raw_script(answer.text, email)

        sign_in_form()


@pytest.mark.timeout(600)
def test_any_staff_form_is_answered_without_a_server_error_and_stores_nothing_harmful(console):
    c, csrf = sign_in(console, ADMIN)

    @PROPERTY
    @given(email=FIELD, role=st.one_of(st.sampled_from(["agent", "liaison_officer", "ministry_admin"]), FIELD), agency=FIELD)
    def staff_form(email, role, agency):
        answer = c.post("/console/staff", data={"email": email, "role": role, "agency": agency, "csrf_token": csrf})
        assert answer.status_code in FINE, (answer.status_code, answer.text[:300])
        _no_raw_script(answer.text, email)

    staff_form()
    with console.store.db.session() as s:
        for user in s.query(StaffUser).all():
            assert "<" not in user.email and len(user.email) <= 254 and "\x00" not in user.email, user.email
    page = c.get("/console/staff")
    assert page.status_code == 200 and SCRIPT not in page.text


@pytest.mark.timeout(600)
def test_any_password_change_form_is_answered_without_a_server_error(console):
    c, csrf = sign_in(console, AGENT)

    @PROPERTY
    @given(current=FIELD, password=FIELD, repeat=FIELD)
    def password_form(current, password, repeat):
        answer = c.post("/console/password", data={"current": current, "password": password, "repeat": repeat, "csrf_token": csrf})
        assert answer.status_code in FINE, (answer.status_code, answer.text[:300])

    password_form()


@pytest.mark.timeout(600)
def test_any_ticket_action_is_answered_without_a_server_error(console):
    c, csrf = sign_in(console, AGENT)

    @PROPERTY
    @given(ticket=st.one_of(st.integers(min_value=-(2**70), max_value=2**70).map(str), FIELD.map(lambda v: v[:200] or "x")),
           action=st.one_of(st.sampled_from(["take", "close"]), FIELD.map(lambda v: v[:200] or "x")), extra=FIELD)
    def ticket_form(ticket, action, extra):
        from urllib.parse import quote

        path = f"/console/tickets/{quote(ticket, safe='')}/{quote(action, safe='')}"
        answer = c.post(path, data={"csrf_token": csrf, "note": extra})
        assert answer.status_code in FINE, (path[:120], answer.status_code, answer.text[:300])

    ticket_form()
