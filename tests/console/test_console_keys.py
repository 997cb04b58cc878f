"""Agencies' API keys in the console (ministry admins): listed by prefix, a new one shown once (only
its hash is stored), revoked; the agency API accepts the new key and refuses it once revoked. Other
roles, other agencies' keys and forged forms get 404; every change is audited."""

from __future__ import annotations

import hashlib
import re

import httpx

from store.audit import AuditFilter
from store.models import ApiKey
from tests.console.seed import ADMIN, AGENT, LIAISON
from tests.console.test_console_http import sign_in

KEY = re.compile(r'id="issued-key-value">(tws_[A-Za-z0-9]{8}_[A-Za-z0-9_-]+)<')


def _api_status(console, key: str) -> int:
    return httpx.get(f"{console.url}/api/v1/transactions/2026-000001", headers={"Authorization": f"Bearer {key}"}).status_code


def test_an_admin_makes_a_key_shown_once_that_the_api_accepts_then_revokes_it(console):
    admin, csrf = sign_in(console, ADMIN)
    assert 'href="/console/agencies/cspd/keys"' in admin.get("/console/agencies").text
    page = admin.get("/console/agencies/cspd/keys")
    assert page.status_code == 200 and 'id="no-keys"' in page.text

    made = admin.post("/console/agencies/cspd/keys", data={"csrf_token": csrf})
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    key = KEY.search(made.text).group(1)
    prefix = key[:12]
    with console.store.db.session() as s:
        row = s.query(ApiKey).filter(ApiKey.prefix == prefix).one()
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()  # only the hash is kept
    listing = admin.get("/console/agencies/cspd/keys").text
    assert f"{prefix}…" in listing and key not in listing  # shown once: the list names the prefix only
    assert _api_status(console, key) == 404  # the key works: an unknown transaction, not a refusal

    revoked = admin.post(f"/console/agencies/cspd/keys/{prefix}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303 and revoked.headers["location"] == f"/console/agencies/cspd/keys?revoked={prefix}"
    assert _api_status(console, key) == 401
    assert "revoked" in admin.get("/console/language/en?next=/console/agencies/cspd/keys", follow_redirects=True).text
    again = admin.post(f"/console/agencies/cspd/keys/{prefix}/revoke", data={"csrf_token": csrf})
    assert again.status_code == 409 and "already revoked" in again.text
    actions = [(e.action, e.actor, e.target_id) for e in console.store.audit.search(AuditFilter(target="api_key"))]
    assert actions == [("agency.key_revoke", ADMIN, prefix), ("agency.key_issue", ADMIN, prefix)]


def test_keys_are_the_admins_and_each_agency_s_own(console):
    issued = console.store.agencies.issue_key("dls")
    admin, csrf = sign_in(console, ADMIN)
    # A dls key revoked through cspd's page: 404, and the key still works.
    assert admin.post(f"/console/agencies/cspd/keys/{issued.prefix}/revoke", data={"csrf_token": csrf}).status_code == 404
    assert admin.post(f"/console/agencies/cspd/keys/{issued.key}/revoke", data={"csrf_token": csrf}).status_code == 404
    assert admin.get("/console/agencies/nowhere/keys").status_code == 404
    assert admin.post("/console/agencies/nowhere/keys", data={"csrf_token": csrf}).status_code == 404
    assert admin.post("/console/agencies/dls/keys", data={"csrf_token": "forged"}).status_code == 403
    for email in (LIAISON, AGENT):
        c, their_csrf = sign_in(console, email)
        assert c.get("/console/agencies/cspd/keys").status_code == 404
        assert c.post("/console/agencies/cspd/keys", data={"csrf_token": their_csrf}).status_code == 404
        assert c.post(f"/console/agencies/dls/keys/{issued.prefix}/revoke", data={"csrf_token": their_csrf}).status_code == 404
    assert _api_status(console, issued.key) == 404
    assert [k.revoked_at for k in console.store.agencies.keys("dls")] == [None]
    assert console.store.agencies.keys("cspd") == []
    assert console.store.audit.search(AuditFilter(target="api_key")) == []
