"""The pilot catalog in data/catalog/: the ids our external checks rely on, and content rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from catalog.services import ASPECTS, LANGUAGES, Catalog, default_catalog_dir, phrase_key

PILOT_SERVICE_IDS = {
    "cspd.passport_new", "cspd.passport_renew", "cspd.id_card", "cspd.id_card_lost",
    "cspd.birth_certificate", "cspd.family_book",
    "dvld.driving_license_renew", "dvld.vehicle_license_renew",
    "psd.traffic_violations",
    "moj.non_conviction",
    "istd.income_tax_return", "istd.tax_clearance",
    "ssc.insurance_statement", "ssc.unemployment_benefit", "ssc.retirement",
    "moh.health_insurance", "moh.health_certificate",
    "mol.work_permit",
    "moe.tawjihi_results", "moe.certificate_equivalency",
    "dls.property_certificate",
    "gam.vocational_license", "gam.building_permit",
    "moi.residence_permit",
    "modee.sanad_digital_id", "modee.gov_sms_service", "modee.whatsapp_service",
}
PILOT_AGENCY_IDS = {
    "cspd", "dvld", "psd", "moj", "istd", "ssc", "moh", "mol", "moe", "dls", "gam", "moi", "modee",
}

ARABIC = re.compile("[\u0600-\u06ff]")
LATIN = re.compile("[a-z]", re.IGNORECASE)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def raw_services() -> list[dict]:
    """The services as written in the YAML, without the loader (so these checks don't trust it)."""
    services = []
    for path in sorted(default_catalog_dir().glob("*.yml")):
        services.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["services"])
    return services


def test_pilot_catalog_loads_exactly_the_contract_ids(catalog: Catalog) -> None:
    assert set(catalog.services) == PILOT_SERVICE_IDS
    assert set(catalog.agencies) == PILOT_AGENCY_IDS
    assert catalog.errors == []
    for service in catalog.services.values():
        assert service.agency.id == service.id.split(".")[0]
        assert service in service.agency.services


def test_every_service_answers_every_aspect_in_both_languages(catalog: Catalog) -> None:
    missing = [
        (service.id, aspect, language)
        for service in catalog.services.values()
        for aspect in ASPECTS
        for language in LANGUAGES
        if not (service.answers.get(aspect) and getattr(service.answers[aspect], language))
    ]
    assert missing == []


def test_answers_are_in_the_language_asked(catalog: Catalog) -> None:
    for service in catalog.services.values():
        for aspect in ASPECTS:
            arabic, english = service.answer(aspect, "ar"), service.answer(aspect, "en")
            assert len(ARABIC.findall(arabic)) > len(LATIN.findall(arabic)), (service.id, aspect)
            assert not ARABIC.search(english), (service.id, aspect)


def test_answers_are_short_and_whatsapp_friendly(catalog: Catalog) -> None:
    for service in catalog.services.values():
        for aspect in ASPECTS:
            for language in LANGUAGES:
                text = service.answer(aspect, language)
                where = (service.id, aspect, language)
                assert len(text) <= 700, where
                assert not re.search(r"^\s*#", text, re.MULTILINE), where  # no markdown headings
                assert "**" not in text, where
                assert text.count("\n") <= 5, where  # at most a short list


def test_unverified_answers_leave_the_disclaimer_to_the_bot(catalog: Catalog) -> None:
    for service in catalog.services.values():
        for aspect in ASPECTS:
            assert "final figure" not in service.answer(aspect, "en").lower(), service.id
            assert "الرقم النهائي" not in service.answer(aspect, "ar"), service.id


def test_only_the_government_sms_service_is_verified(catalog: Catalog) -> None:
    assert {s.id for s in catalog.services.values() if s.verified} == {"modee.gov_sms_service"}


def test_government_sms_service_carries_the_confirmed_facts(catalog: Catalog) -> None:
    service = catalog.service("modee.gov_sms_service")
    english = "\n".join(service.answer(aspect, "en") for aspect in ASPECTS)
    arabic = "\n".join(service.answer(aspect, "ar") for aspect in ASPECTS)
    for text in (english, arabic):
        assert "0.006842" in text
        assert "100%" in text and "50%" in text
        assert "POP" in text and "push" in text
    assert "7 piasters" in english and "5 piasters" in english
    assert "7 قروش" in arabic and "5 قروش" in arabic
    assert "quarterly" in english.lower()
    assert "ربع سنوي" in arabic or "كل ثلاثة أشهر" in arabic
    assert "liaison officer" in english and "official letter" in english
    assert "ضابط الارتباط" in arabic and "كتاب رسمي" in arabic
    assert "government bodies only" in service.answer("eligibility", "en")
    assert "not to citizens or companies" in service.answer("eligibility", "en")


def test_whatsapp_service_describes_this_unified_account(catalog: Catalog) -> None:
    overview = catalog.service("modee.whatsapp_service").answer("overview", "en")
    assert "WhatsApp" in overview and "2,000" in overview and "Digital Economy" in overview


def test_no_phrase_is_in_the_names_of_two_services() -> None:
    owner: dict[str, str] = {}
    clashes = []
    for service in raw_services():
        for phrase in service["names"]:
            key = phrase_key(phrase)
            if owner.setdefault(key, service["id"]) != service["id"]:
                clashes.append((phrase, owner[key], service["id"]))
    assert clashes == []


def test_no_phrase_clashes_even_without_the_article() -> None:
    """The matcher may strip ال: "الباسبور" in one service and "باسبور" in another would then collide."""

    def without_article(phrase: str) -> str:
        words = phrase_key(phrase).split()
        return " ".join(word[2:] if word.startswith("ال") and len(word) > 3 else word for word in words)

    owner: dict[str, str] = {}
    clashes = []
    for service in raw_services():
        for phrase in service["names"]:
            key = without_article(phrase)
            if owner.setdefault(key, service["id"]) != service["id"]:
                clashes.append((phrase, owner[key], service["id"]))
    assert clashes == []


def test_generic_names_are_shared_and_never_a_specific_name() -> None:
    specific = {phrase_key(p) for s in raw_services() for p in s["names"]}
    generic_owners: dict[str, set[str]] = {}
    for service in raw_services():
        for phrase in service.get("generic_names") or []:
            generic_owners.setdefault(phrase_key(phrase), set()).add(service["id"])
    assert not specific & set(generic_owners)
    # "رخصة" must offer the driving, vehicle and vocational licences (and the building permit).
    assert generic_owners[phrase_key("رخصة")] == {
        "dvld.driving_license_renew", "dvld.vehicle_license_renew",
        "gam.vocational_license", "gam.building_permit",
    }
    assert len(generic_owners[phrase_key("شهادة")]) >= 4
    assert generic_owners[phrase_key("الضمان")] == {
        "ssc.insurance_statement", "ssc.unemployment_benefit", "ssc.retirement"
    }


def test_each_service_has_15_to_100_distinct_names_in_arabic_and_latin_script() -> None:
    # Usually 15-40; a service named by what happened (a lost, stolen or broken ID card) lists each
    # verb with each noun in both orders, because the matcher reads words in order (README "Names").
    for service in raw_services():
        names = service["names"]
        keys = [phrase_key(p) for p in names]
        assert len(set(keys)) == len(keys), f"{service['id']}: a name repeats after normalisation"
        assert 15 <= len(keys) <= 100, (service["id"], len(keys))
        assert sum(bool(ARABIC.search(p)) for p in names) >= 8, service["id"]
        assert sum(not ARABIC.search(p) for p in names) >= 5, service["id"]  # Arabizi and English


def test_bare_passport_means_issuing_and_renewal_phrases_mean_renewal(catalog: Catalog) -> None:
    def owner_of(phrase: str) -> str:
        (found,) = [s.id for s in catalog.services.values() if phrase_key(phrase) in map(phrase_key, s.names)]
        return found

    assert owner_of("جواز السفر") == "cspd.passport_new"
    assert owner_of("الباسبورت") == "cspd.passport_new"  # not "الباسبور": see the comment in cspd.yml
    assert owner_of("passport") == "cspd.passport_new"
    assert owner_of("تجديد الجواز") == "cspd.passport_renew"
    assert owner_of("رخصه سواقه") == "dvld.driving_license_renew"  # spelled with ه, listed with ة
    assert owner_of("كشف الضمان") == "ssc.insurance_statement"
    assert owner_of("دفتر العيلة") == "cspd.family_book"
    assert owner_of("ورقة عدم المحكومية") == "moj.non_conviction"


def test_steps_name_the_online_route_where_one_exists(catalog: Catalog) -> None:
    # No online route: the examination and the residence permit need a visit; the other two are not
    # citizen transactions.
    in_person_only = {
        "moh.health_certificate", "moi.residence_permit", "modee.whatsapp_service", "modee.gov_sms_service"
    }
    online = re.compile(r"online|sanad|website|e-services|platform|app\b", re.IGNORECASE)
    lacking = [
        service.id
        for service in catalog.services.values()
        if service.id not in in_person_only and not online.search(service.answer("steps", "en"))
    ]
    assert lacking == []


def test_agency_files_are_named_after_the_agency(catalog: Catalog) -> None:
    for agency in catalog.agencies.values():
        assert agency.source == default_catalog_dir() / f"{agency.id}.yml"
        assert agency.name.ar and agency.name.en and agency.names
        assert agency.website and agency.website.startswith("https://")


def test_default_directory_is_the_repository_catalog() -> None:
    assert default_catalog_dir() == Path(__file__).resolve().parents[2] / "data" / "catalog"
