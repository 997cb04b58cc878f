"""Agencies and their API keys, in the store and through `tawasol agency`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.phones import InvalidPhone, international_digits
from store.agencies import AgencyError
from store.audit import Actor


def test_an_agency_is_stored_with_what_billing_and_routing_need(store):
    store.agencies.add(
        "cspd", name_ar="دائرة الأحوال المدنية والجوازات", name_en="Civil Status and Passports Department",
        sms_sender_ids=["CSPD"], liaison_name="Rana", liaison_phone="962791234567", message_credit=5000,
    )
    agency = store.agencies.get("cspd")
    assert (agency.name_en, agency.independent, agency.sms_sender_ids, agency.message_credit) == (
        "Civil Status and Passports Department", False, ["CSPD"], 5000,
    )
    assert [a.id for a in store.agencies.all()] == ["cspd"]


@pytest.mark.parametrize("agency_id", ["CSPD", "c", "cs pd", "cspd.passport", "1cspd", ""])
def test_an_agency_id_must_be_a_catalog_prefix(store, agency_id):
    with pytest.raises(AgencyError, match="catalog prefix"):
        store.agencies.add(agency_id, name_ar="أ", name_en="A")


def test_an_agency_is_added_once(store):
    store.agencies.add("moi", name_ar="وزارة الداخلية", name_en="Ministry of Interior")
    with pytest.raises(AgencyError, match="already exists"):
        store.agencies.add("moi", name_ar="وزارة الداخلية", name_en="Ministry of Interior")


def test_an_agency_the_catalog_already_names_is_registered_in_place(store):
    # The catalog's seed writes its agencies (names, nicknames) before any is registered for the API.
    store.catalog.apply([{"id": "moi", "name_ar": "الداخلية", "name_en": "Interior", "nicknames": ["الداخليه"]}],
                        [], Actor("seed"), audit=False)
    added = store.agencies.add("moi", name_ar="وزارة الداخلية", name_en="Ministry of Interior", independent=True)
    assert (added.name_en, added.independent, added.nicknames) == ("Ministry of Interior", True, ["الداخليه"])
    with pytest.raises(AgencyError, match="already exists"):
        store.agencies.add("moi", name_ar="وزارة الداخلية", name_en="Ministry of Interior")


def test_keys_authenticate_their_own_agency_until_revoked(store):
    store.agencies.add("moi", name_ar="وزارة الداخلية", name_en="Ministry of Interior")
    store.agencies.add("jtrc", name_ar="هيئة تنظيم", name_en="Regulator", independent=True)
    first, second = store.agencies.issue_key("moi"), store.agencies.issue_key("moi")
    other = store.agencies.issue_key("jtrc")
    assert first.key != second.key and first.key.startswith(first.prefix + "_")
    assert store.agencies.agency_of_key(first.key) == "moi"
    assert store.agencies.agency_of_key(other.key) == "jtrc"

    assert store.agencies.revoke_key(first.prefix) == "moi"
    assert store.agencies.agency_of_key(first.key) is None
    assert store.agencies.agency_of_key(second.key) == "moi"  # the agency's other keys still work
    with pytest.raises(AgencyError, match="already revoked"):
        store.agencies.revoke_key(first.prefix)


def test_only_a_hash_of_a_key_is_stored(store):
    store.agencies.add("moi", name_ar="وزارة الداخلية", name_en="Ministry of Interior")
    issued = store.agencies.issue_key("moi")
    with store.db.engine.connect() as connection:
        stored = [tuple(row) for row in connection.exec_driver_sql("SELECT prefix, key_hash FROM api_keys")]
    assert len(stored) == 1 and issued.key not in stored[0] and stored[0][0] == issued.prefix


@pytest.mark.parametrize(
    "presented",
    ["", "Bearer", "tws_abcdefgh", "tws_abcdefgh_" + "x" * 43, "nonsense", "tws_abcdefgh_short"],
)
def test_unknown_or_malformed_keys_authenticate_nobody(store, presented):
    store.agencies.add("moi", name_ar="وزارة الداخلية", name_en="Ministry of Interior")
    store.agencies.issue_key("moi")
    assert store.agencies.agency_of_key(presented) is None


def test_a_key_needs_an_existing_agency(store):
    with pytest.raises(AgencyError, match="no agency"):
        store.agencies.issue_key("nobody")


@pytest.mark.parametrize(
    "given, stored",
    [("962791234567", "962791234567"), ("+962 79 123 4567", "962791234567"), ("00962791234567", "962791234567"),
     ("+44 20 7946 0958", "442079460958")],
)
def test_phone_numbers_are_kept_as_international_digits(given, stored):
    assert international_digits(given) == stored


@pytest.mark.parametrize("given", ["0791234567", "96279123", "+962-79-123-45678", "abc", "", "+", "96207912345678"])
def test_numbers_that_are_not_international_are_refused(given):
    with pytest.raises(InvalidPhone):
        international_digits(given)


def _tawasol(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SMPP_", "SMS_"))}
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_agency_commands_add_issue_and_revoke(tmp_path):
    from store import Store

    url = f"sqlite:///{tmp_path / 'agencies.db'}"
    added = _tawasol("agency", "add", "cspd", "--name-ar", "الأحوال المدنية", "--name-en", "Civil Status",
                     "--independent", database_url=url)
    assert added.returncode == 0, added.stderr
    issued = _tawasol("agency", "key", "cspd", database_url=url)
    assert issued.returncode == 0, issued.stderr
    key = issued.stdout.strip().splitlines()[-1]
    store = Store(url)
    try:
        assert store.agencies.agency_of_key(key) == "cspd"
        assert store.agencies.get("cspd").independent is True
    finally:
        store.close()

    revoked = _tawasol("agency", "revoke", key.split("_")[0] + "_" + key.split("_")[1], database_url=url)
    assert revoked.returncode == 0, revoked.stderr
    store = Store(url)
    try:
        assert store.agencies.agency_of_key(key) is None
    finally:
        store.close()

    again = _tawasol("agency", "add", "cspd", "--name-ar", "x", "--name-en", "y", database_url=url)
    assert again.returncode == 1 and "already exists" in again.stderr
    missing = _tawasol("agency", "key", "nobody", database_url=url)
    assert missing.returncode == 1 and "no agency" in missing.stderr


def test_the_lookup_url_and_escalation_commands(tmp_path):
    from store import Store

    url = f"sqlite:///{tmp_path / 'agencies.db'}"
    assert _tawasol("agency", "add", "moi", "--name-ar", "الداخلية", "--name-en", "Interior", database_url=url).returncode == 0
    set_url = _tawasol("agency", "lookup-url", "moi", "https://moi.example/lookup", database_url=url)
    assert set_url.returncode == 0, set_url.stderr
    period = _tawasol("agency", "escalation", "moi", "7", database_url=url)
    assert period.returncode == 0, period.stderr
    store = Store(url)
    try:
        agency = store.agencies.get("moi")
        assert agency.lookup_url == "https://moi.example/lookup" and agency.escalate_after_days == 7
    finally:
        store.close()
    bad = _tawasol("agency", "lookup-url", "moi", "ftp://moi.example", database_url=url)
    assert bad.returncode == 1 and "http(s)" in bad.stderr
    cleared = _tawasol("agency", "lookup-url", "moi", "--clear", database_url=url)
    assert cleared.returncode == 0
    store = Store(url)
    try:
        assert store.agencies.get("moi").lookup_url is None
    finally:
        store.close()
