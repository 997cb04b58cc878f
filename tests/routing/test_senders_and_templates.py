"""Which sender an SMS goes out as, and which template carries a push outside WhatsApp's window:
both decided from data (the agency record, the templates file)."""

from __future__ import annotations

import pytest

from channels.sms.addresses import InvalidSender, source_address
from channels.whatsapp.templates import TemplateCatalog, TemplateError
from core.messages import Notice
from routing.billing import BodyType
from routing.policy import agency_of
from store.models import Agency as AgencyRecord


@pytest.mark.parametrize(
    "sender, expected",
    [
        ("CSPD", ("CSPD", 5, 0)),  # alphanumeric: TON 5, NPI unknown
        ("MOI-Jordan", ("MOI-Jordan", 5, 0)),
        ("94444", ("94444", 3, 0)),  # a short code goes as the configured short code does
        ("962791234567", ("962791234567", 1, 1)),  # a full number: international, ISDN
    ],
)
def test_source_addresses(sender, expected):
    assert source_address(sender, 3, 0) == expected


@pytest.mark.parametrize("sender", ["GovernmentOfJordan", "", "وزارة", "A\tB"])
def test_senders_an_smsc_would_refuse(sender):
    with pytest.raises(InvalidSender):
        source_address(sender, 3, 0)


def test_an_agency_record_routes_as_its_body_type_and_first_sender_id():
    record = AgencyRecord(id="cspd", name_ar="x", name_en="y", independent=True, sms_sender_ids=["CSPD", "CSPD2"])
    agency = agency_of(record)
    assert (agency.id, agency.body_type, dict(agency.sender_ids)) == ("cspd", BodyType.INDEPENDENT, {"sms": "CSPD"})
    bare = agency_of(AgencyRecord(id="moi", name_ar="x", name_en="y", independent=False, sms_sender_ids=[]))
    assert (bare.body_type, dict(bare.sender_ids)) == (BodyType.GOVERNMENT, {})


CATALOG = {
    "templates": {
        "transaction_issued": {
            "name": "tawasol_transaction_issued",
            "parameters": ["number", "date"],
            "body": {"ar": "صدرت {{1}} في {{2}}", "en": "{{1}} issued on {{2}}"},
        }
    },
    "agencies": {
        "cspd": {
            "transaction_issued": {
                "name": "cspd_passport_issued",
                "parameters": ["number"],
                "body": {"ar": "جوازك {{1}} جاهز"},
            }
        }
    },
}


def test_a_notice_picks_its_agencys_template_then_the_shared_one():
    catalog = TemplateCatalog.from_dict(CATALOG)
    values = {"number": "77", "date": "2026-12-07"}
    own = catalog.for_notice(Notice("transaction_issued", values, agency="cspd"), "ar")
    shared = catalog.for_notice(Notice("transaction_issued", values, agency="moi"), "en")
    assert (own.name, own.language, own.parameters) == ("cspd_passport_issued", "ar", ["77"])
    assert (shared.name, shared.language, shared.parameters) == ("tawasol_transaction_issued", "en", ["77", "2026-12-07"])
    # English is not approved for the agency's own template: Arabic goes.
    assert catalog.for_notice(Notice("transaction_issued", values, agency="cspd"), "en").language == "ar"
    assert set(catalog.approved()) == {"tawasol_transaction_issued", "cspd_passport_issued"}


def test_no_template_fits_an_unknown_kind_or_a_missing_value():
    catalog = TemplateCatalog.from_dict(CATALOG)
    assert catalog.for_notice(Notice("transaction_rejected", {"number": "1"}), "ar") is None
    assert catalog.for_notice(Notice("transaction_issued", {"number": "1"}), "ar") is None


def test_a_malformed_agency_section_is_refused_by_name():
    with pytest.raises(TemplateError, match="agencies.cspd"):
        TemplateCatalog.from_dict({"templates": {}, "agencies": {"cspd": {"x": {"parameters": []}}}})


def test_the_shipped_file_has_a_template_for_every_transaction_step():
    kinds = set(TemplateCatalog.load().kinds())
    steps = ["registered", "payment_received", "documents_received", "forwarded", "reply_received", "assigned",
             "issued", "completed", "rejected"]
    assert {f"transaction_{step}" for step in steps} <= kinds
