"""Editing the catalog in the console: who may, what a bad form gets, what is audited, and that the
store (and so every process's live catalog) has the new text after a save."""

from __future__ import annotations

import re

from store.audit import AuditFilter
from tests.console.seed import ADMIN, AGENT, LIAISON, OTHER_LIAISON
from tests.console.test_console_http import sign_in

FORM_FIELDS = re.compile(r'<(?:input|textarea)[^>]*name="([a-z_]+)"(?:[^>]*?\svalue="([^"]*)")?[^>]*>(?:([^<]*)</textarea>)?')


def _form(page: str) -> dict[str, str]:
    """The service form's fields as the page shows them (what a browser would post back)."""
    fields = {}
    for name, value, text in FORM_FIELDS.findall(page):
        if name in ("pilot", "verified"):
            continue
        fields[name] = (text if text else value).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    fields["pilot"] = "yes"
    return fields


def test_a_liaison_officer_edits_a_fee_and_the_change_is_stored_and_audited(console):
    c, csrf = sign_in(console, LIAISON)
    page = c.get("/console/services/cspd.passport_renew")
    assert page.status_code == 200 and 'name="fees_en"' in page.text
    generation = console.store.catalog.generation()
    form = {**_form(page.text), "csrf_token": csrf, "fees_en": "Renewal now costs 55 JOD.", "action": "save",
            "verified": "yes"}
    saved = c.post("/console/services/cspd.passport_renew", data=form)
    assert saved.status_code == 303, re.findall(r"field-error[^>]*>([^<]*)", saved.text)
    row = console.store.catalog.service("cspd.passport_renew")
    assert row["fees_en"] == "Renewal now costs 55 JOD." and row["verified"] and row["verified_by"] == LIAISON
    assert console.store.catalog.generation() == generation + 1
    entry = console.store.audit.search(AuditFilter(action="catalog.service.change"))[0]
    assert entry.actor == LIAISON and entry.agency_id == "cspd" and entry.after["fees_en"] == "Renewal now costs 55 JOD."
    assert "55 JOD" in c.get("/console/services/cspd.passport_renew?saved=1").text


def test_a_bad_form_says_what_is_wrong_and_stores_nothing(console):
    c, csrf = sign_in(console, LIAISON)
    before = console.store.catalog.service("cspd.passport_renew")
    base = {**_form(c.get("/console/services/cspd.passport_renew").text), "csrf_token": csrf, "action": "save"}
    for bad, field in (({"fees_ar": ""}, "fees_ar"), ({"fees_en": "<script>alert('x')</script>"}, "fees_en"),
                       ({"steps_en": "x" * 5000}, "steps_en"), ({"name_ar": "", "name_en": ""}, "name_ar")):
        answer = c.post("/console/services/cspd.passport_renew", data={**base, **bad})
        assert answer.status_code == 400 and f'id="error-{field}"' in answer.text
        assert "<script>alert" not in answer.text  # shown back escaped
    big = c.post("/console/services/cspd.passport_renew", data={**base, "fees_en": "x" * 10_000_000})
    assert big.status_code == 413 and "too large" in big.text
    assert console.store.catalog.service("cspd.passport_renew") == before
    assert console.store.audit.search(AuditFilter(action="catalog.")) == []


def test_other_agencies_and_agents_cannot_edit_by_url_or_forged_form(console):
    other, other_csrf = sign_in(console, OTHER_LIAISON)
    assert other.get("/console/services/cspd.passport_renew").status_code == 404
    forged = {"csrf_token": other_csrf, "action": "save", "name_ar": "x", "fees_ar": "0", "pilot": "yes"}
    assert other.post("/console/services/cspd.passport_renew", data=forged).status_code == 404
    agent, agent_csrf = sign_in(console, AGENT)
    assert agent.get("/console/services/cspd.passport_renew").status_code == 200  # reads, does not edit
    assert agent.post("/console/services/cspd.passport_renew", data={**forged, "csrf_token": agent_csrf}).status_code == 404
    admin, admin_csrf = sign_in(console, ADMIN)
    assert admin.post("/console/services/cspd.passport_renew", data={**forged, "csrf_token": ""}).status_code == 403
    assert console.store.catalog.service("cspd.passport_renew")["name_ar"] != "x"
