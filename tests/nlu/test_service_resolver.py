"""The catalog-driven service matcher: typos, dialect, Arabizi, ambiguity, and new services."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nlu.catalog_names import resolver_for_catalog
from nlu.services import ServiceResolver, stems

CATALOG = Path(__file__).resolve().parents[2] / "data" / "catalog"


@pytest.fixture(scope="module")
def resolver() -> ServiceResolver:
    found = resolver_for_catalog(CATALOG)
    assert found is not None
    return found


@pytest.mark.parametrize(
    "text, service_id",
    [
        ("قديش رسوم تجديد جواز السفر؟", "cspd.passport_renew"),
        ("bde ajaded jawaz", "cspd.passport_renew"),
        ("كم رسوم الباسبور", "cspd.passport_new"),
        ("وين بطلع رخصة السواقة", "dvld.driving_license_renew"),
        ("بدي كشف الضمان تبعي", "ssc.insurance_statement"),
        ("شهادة عدم محكومية", "moj.non_conviction"),
        ("How long does a good conduct certificate take?", "moj.non_conviction"),
        ("دفتر العيلة ضاع", "cspd.family_book"),
        ("شهاده ميلاااد لابني", "cspd.birth_certificate"),  # elongation, taa marbuta as ha
        ("تجدبد جواز السفر", "cspd.passport_renew"),  # a typo in a long word
    ],
)
def test_names_services_as_citizens_write_them(resolver, text, service_id):
    assert resolver.resolve(text).service_id == service_id


@pytest.mark.parametrize(
    "text",
    ["مرحبا كيفك", "شو افضل جوال بسعر ٢٠٠ دينار؟", "وكم رسومها؟", "the documents?", "في شرط عمر؟", "بدي اقدم شكوى"],
)
def test_messages_without_a_service_find_none(resolver, text):
    found = resolver.resolve(text)
    assert found.service_id is None and not found.candidates


def test_a_bare_generic_word_asks_instead_of_guessing(resolver):
    found = resolver.resolve("قديش رسوم الرخصة؟")
    assert found.service_id is None
    assert {"dvld.driving_license_renew", "dvld.vehicle_license_renew", "gam.vocational_license"} <= set(found.candidates)
    assert found.ambiguous


def test_the_longest_phrase_wins_over_a_shorter_one(resolver):
    assert resolver.resolve("الجواز").service_id == "cspd.passport_new"
    assert resolver.resolve("تجديد الجواز").service_id == "cspd.passport_renew"


def test_offsets_point_at_the_words_that_named_the_service(resolver):
    text = "مرحبا، بدي اعرف عن شهادة عدم محكومية لو سمحت"
    found = resolver.resolve(text)
    assert "عدم محكومية" in text[found.start : found.end]


def test_stemming_strips_clitics_from_message_words_only():
    assert "هويه" in stems("وهويتي")
    assert "جواز" in stems("بجوازي")
    assert "شرط" not in stems("الشرطه", strip_suffixes=False)


def test_a_service_added_to_the_catalog_is_recognised_without_retraining(tmp_path):
    shutil.copytree(CATALOG, tmp_path / "catalog")
    (tmp_path / "catalog" / "mota.yml").write_text(
        """
agency:
  id: mota
  name: {ar: "وزارة السياحة والآثار", en: "Ministry of Tourism and Antiquities"}
  names: ["وزارة السياحة"]
services:
  - id: mota.tour_guide_license
    name: {ar: "ترخيص الأدلاء السياحيين", en: "Tour guide licence"}
    verified: false
    names: ["دليل سياحي", "رخصة دليل سياحي", "tour guide license", "da2eel seya7i"]
    answers:
      overview: {ar: "ترخيص لمن يعمل دليلاً سياحياً.", en: "A licence to work as a tour guide."}
""",
        encoding="utf-8",
    )
    resolver = resolver_for_catalog(tmp_path / "catalog")
    assert resolver.resolve("كيف بطلع رخصة دليل سياحي؟").service_id == "mota.tour_guide_license"
    assert resolver.resolve("how much is a tour guide license").service_id == "mota.tour_guide_license"


def test_a_broken_catalog_file_is_skipped_not_fatal(tmp_path):
    shutil.copytree(CATALOG, tmp_path / "catalog")
    (tmp_path / "catalog" / "zzz.yml").write_text("agency: [this is not an agency", encoding="utf-8")
    resolver = resolver_for_catalog(tmp_path / "catalog")
    assert resolver.resolve("تجديد الجواز").service_id == "cspd.passport_renew"
