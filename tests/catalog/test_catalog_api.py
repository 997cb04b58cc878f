"""What callers get from the catalog: answers with language fallback, links, default directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.services import ASPECTS, DEFAULT_CATALOG_DIR, Catalog, default_catalog_dir, phrase_key, use_catalog_dir

ONE_LANGUAGE = """\
agency:
  id: abc
  name: {ar: "دائرة ابج"}
services:
  - id: abc.permit
    name: {en: "Permit"}
    names: ["abc permit"]
    answers:
      overview: {ar: "نبذة عربية فقط"}
      fees: {en: "English only", ar: "  "}
"""


@pytest.fixture
def one_language_catalog(tmp_path: Path) -> Catalog:
    (tmp_path / "abc.yml").write_text(ONE_LANGUAGE, encoding="utf-8")
    return Catalog.load(tmp_path)


def test_answer_falls_back_to_the_other_language(one_language_catalog: Catalog) -> None:
    service = one_language_catalog.service("abc.permit")
    assert service.answer("overview", "en") == "نبذة عربية فقط"
    assert service.answer("overview", "ar") == "نبذة عربية فقط"
    assert service.answer("fees", "ar") == "English only"  # blank text counts as missing
    assert service.name.get("ar") == "Permit"


def test_an_aspect_the_catalog_lacks_is_empty(one_language_catalog: Catalog) -> None:
    assert one_language_catalog.service("abc.permit").answer("documents", "ar") == ""


def test_unknown_aspect_or_language_is_a_programming_error(one_language_catalog: Catalog) -> None:
    service = one_language_catalog.service("abc.permit")
    with pytest.raises(ValueError, match="aspect"):
        service.answer("price", "en")
    with pytest.raises(ValueError, match="language"):
        service.answer("fees", "arabizi")


def test_services_and_agencies_are_linked(one_language_catalog: Catalog) -> None:
    service = one_language_catalog.service("abc.permit")
    agency = one_language_catalog.agency("abc")
    assert service.agency is agency
    assert agency.services == [service]
    assert service.verified is False
    assert one_language_catalog.service("abc.nothing") is None
    assert one_language_catalog.agency("nothing") is None


def test_pilot_answers_through_the_api() -> None:
    catalog = Catalog.load()
    renew = catalog.service("cspd.passport_renew")
    assert renew.agency.name.en == "Civil Status and Passports Department"
    assert "Sanad" in renew.answer("steps", "en")
    assert "سند" in renew.answer("steps", "ar")
    assert ASPECTS == ("overview", "fees", "documents", "steps", "location", "duration", "eligibility")


def test_the_directory_set_at_start_up_is_the_default(tmp_path: Path) -> None:
    (tmp_path / "abc.yml").write_text(ONE_LANGUAGE, encoding="utf-8")
    use_catalog_dir(tmp_path)
    try:
        assert default_catalog_dir() == tmp_path
        assert set(Catalog.load().services) == {"abc.permit"}
    finally:
        use_catalog_dir(DEFAULT_CATALOG_DIR)


def test_default_directory_does_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert "cspd.passport_new" in Catalog.load().services


@pytest.mark.parametrize(
    ("written", "same_as"),
    [
        ("رخصة السواقة", "رخصه السواقه"),
        ("إقامة", "اقامه"),
        ("آخر موعد", "اخر موعد"),
        ("مستشفى", "مستشفي"),
        ("شَهادَة", "شهاده"),
        ("مـخـالـفـات", "مخالفات"),
        ("Passport  Renewal ", "passport renewal"),
        ("مسؤول", "مسوول"),
        ("كتيييير", "كتير"),
    ],
)
def test_phrase_key_folds_what_the_matcher_folds(written: str, same_as: str) -> None:
    assert phrase_key(written) == phrase_key(same_as)


def test_phrase_key_keeps_different_words_apart() -> None:
    assert phrase_key("رخصة السواقة") != phrase_key("رخصة السيارة")
    assert phrase_key("الله") == "الله"  # a genuine double letter stays
