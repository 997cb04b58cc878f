"""Service recognition on citizens' messages, through the catalog's names as they are on disk.

probe_messages.jsonl holds messages in many voices (MSA, Jordanian and other dialects, Arabizi,
English, typos), each with the service it names, or null when it names none. A change to the catalog
or to the Arabizi lexicon must keep recognising them, without claiming a service where there is none.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog.services import Catalog
from nlu.catalog_names import resolver_for_catalog
from nlu.services import ServiceResolver, _phrase_tokens

PROBE = Path(__file__).with_name("probe_messages.jsonl")
REQUIRED_ACCURACY = 0.97


@pytest.fixture(scope="module")
def resolver() -> ServiceResolver:
    # The strict load first: resolver_for_catalog skips a bad file silently, which would hide it here.
    Catalog.load()
    found = resolver_for_catalog()
    assert found is not None
    return found


def probe_rows() -> list[dict]:
    rows = [json.loads(line) for line in PROBE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert all(set(row) == {"text", "service_id"} for row in rows)
    return rows


def test_probe_messages_find_their_service(resolver: ServiceResolver) -> None:
    rows = probe_rows()
    misses = [
        (row["text"], row["service_id"], found)
        for row in rows
        if (found := resolver.resolve(row["text"]).service_id) != row["service_id"]
    ]
    accuracy = 1 - len(misses) / len(rows)
    assert accuracy >= REQUIRED_ACCURACY, f"{accuracy:.3f}; misses (text, expected, found): {misses}"


def test_messages_naming_no_service_get_none(resolver: ServiceResolver) -> None:
    rows = [row for row in probe_rows() if row["service_id"] is None]
    assert len(rows) >= 40
    claimed = [(row["text"], found) for row in rows if (found := resolver.resolve(row["text"]).service_id)]
    assert claimed == []


@pytest.mark.parametrize(
    "text",
    [
        "كم اسبوع بتاخد؟",  # one typo from "اسبور", the stem of "باسبور"
        "من اسبوع وانا بستنى",
        "what are the requirements?",  # two typos from "retirement"
        "requirement",
        "employment letter",  # one typo from "unemployment"
        "رقم التواصل",  # "تواصل" is the service's name, and also "contact"
        "بدي اتواصل مع موظف",
        "كيف بقدر اتواصل معكم",
        "عندي معاملة",  # one letter from "معادلة"
        "بدي ارخص سعر للجوال",  # "ارخص" is also "cheapest"
        "بطاقة الصراف ضاعت",
        "my bank card was stolen",
        "انسرقت سيارتي",
        "I lost my wallet",
    ],
)
def test_everyday_words_near_service_names_find_nothing(resolver: ServiceResolver, text: str) -> None:
    found = resolver.resolve(text)
    assert found.service_id is None and found.candidates == (), found


@pytest.mark.parametrize(
    "text, service_ids",
    [
        ("وين فرع الضمان؟", {"ssc.insurance_statement", "ssc.unemployment_benefit", "ssc.retirement"}),
        ("الضمان الاجتماعي", {"ssc.insurance_statement", "ssc.unemployment_benefit", "ssc.retirement"}),
        ("التأمينات الاجتماعية", {"ssc.insurance_statement", "ssc.unemployment_benefit", "ssc.retirement"}),
        ("مكتب الاحوال وين", {
            "cspd.passport_new", "cspd.passport_renew", "cspd.id_card", "cspd.id_card_lost",
            "cspd.birth_certificate", "cspd.family_book",
        }),
        ("مديرية الضريبة", {"istd.income_tax_return", "istd.tax_clearance"}),
        ("وزارة التربية", {"moe.tawjihi_results", "moe.certificate_equivalency"}),
        ("ترخيص السواقين", {"dvld.driving_license_renew", "dvld.vehicle_license_renew"}),
    ],
)
def test_an_agency_office_with_several_services_asks_which(
    resolver: ServiceResolver, text: str, service_ids: set[str]
) -> None:
    found = resolver.resolve(text)
    assert found.service_id is None and set(found.candidates) == service_ids


@pytest.mark.parametrize(
    "text, service_id",
    [
        ("مكتب العمل", "mol.work_permit"),
        ("مديرية العمل", "mol.work_permit"),
        ("دائرة الاراضي", "dls.property_certificate"),
        ("da2ret el arady", "dls.property_certificate"),
        ("دائرة السير", "psd.traffic_violations"),
    ],
)
def test_an_agency_office_with_one_service_names_it(resolver: ServiceResolver, text: str, service_id: str) -> None:
    assert resolver.resolve(text).service_id == service_id


@pytest.mark.parametrize(
    "text, service_id",
    [
        ("كشف الضمان", "ssc.insurance_statement"),
        ("كشف الضمان الاجتماعي", "ssc.insurance_statement"),
        ("تأمين صحي", "moh.health_insurance"),
        ("ta2meen 9e7i", "moh.health_insurance"),
        ("سند", "modee.sanad_digital_id"),
        ("sanad", "modee.sanad_digital_id"),
        ("what is sanad?", "modee.sanad_digital_id"),
        ("سند تسجيل", "dls.property_certificate"),
        ("sanad tasjeel", "dls.property_certificate"),
        ("بدي اطلع سندات الشقة", "dls.property_certificate"),
        ("الباسبور", "cspd.passport_new"),  # listed as "الباسبورت", found as a one-letter typo
        ("تجديد الباسبور", "cspd.passport_renew"),
    ],
)
def test_siblings_are_told_apart(resolver: ServiceResolver, text: str, service_id: str) -> None:
    assert resolver.resolve(text).service_id == service_id


def test_no_two_services_share_a_phrase_once_analysed() -> None:
    """The loader compares phrases as written; the matcher compares them analysed (Arabizi
    transliterated, stopwords dropped), where "kashf daman" and "كشف ضمان" are one phrase. A phrase
    shared by two services would silently turn into a question."""
    owners: dict[tuple[str, ...], set[str]] = {}
    for service in Catalog.load().services.values():
        for phrase in (*service.names, service.name.ar, service.name.en):
            owners.setdefault(_phrase_tokens(phrase), set()).add(service.id)
    assert {tokens: ids for tokens, ids in owners.items() if len(ids) > 1} == {}
