"""Broken catalog files raise a CatalogError naming the file, the service and the problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from catalog.services import Catalog, CatalogError

GOOD_AGENCY = """\
agency:
  id: abc
  name: {ar: "دائرة أ ب ج", en: "ABC Department"}
  names: ["دائرة ابج", "abc department"]
services:
  - id: abc.permit
    name: {ar: "تصريح", en: "Permit"}
    names: ["تصريح ابج", "abc permit"]
    generic_names: ["رخصة"]
    answers:
      overview: {ar: "نبذة", en: "About"}
      fees: {ar: "دينار", en: "1 JOD"}
  - id: abc.card
    name: {ar: "بطاقة", en: "Card"}
    names: ["بطاقة ابج", "abc card"]
    generic_names: ["رخصة"]
    answers:
      overview: {ar: "نبذة البطاقة", en: "About the card"}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(directory: Path) -> CatalogError:
    with pytest.raises(CatalogError) as caught:
        Catalog.load(directory)
    return caught.value


def test_a_good_file_loads(tmp_path: Path) -> None:
    write(tmp_path, "abc.yml", GOOD_AGENCY)
    catalog = Catalog.load(tmp_path)
    assert list(catalog.services) == ["abc.permit", "abc.card"]
    assert catalog.service("abc.permit").generic_names == ("رخصة",)


CARD_NAMES = 'names: ["بطاقة ابج", "abc card"]'

# (case, text in GOOD_AGENCY, replaced by, expected problem): each breaks the second service, abc.card.
BROKEN_SERVICES = [
    ("duplicate id", "id: abc.card", "id: abc.permit", "duplicate service id"),
    ("other agency's prefix", "id: abc.card", "id: xyz.card", "must be 'abc.<name>'"),
    ("no prefix", "id: abc.card", "id: abccard", "must be 'abc.<name>'"),
    ("no name", '    name: {ar: "بطاقة", en: "Card"}\n', "", "missing name"),
    ("empty name", 'name: {ar: "بطاقة", en: "Card"}', 'name: {ar: "", en: ""}', "missing name"),
    ("no names", f"    {CARD_NAMES}\n", "", "missing names"),
    ("empty names", CARD_NAMES, "names: []", "missing names"),
    ("unknown aspect", "      fees:", "      fee:", "unknown aspect(s) fee"),
    ("unknown language", "      fees: {ar:", "      fees: {fr:", "unknown language(s) fr"),
    ("typo in a key", "    answers:\n      overview: {ar: \"نبذة البطاقة\"",
     "    anwsers:\n      overview: {ar: \"نبذة البطاقة\"", "unknown key(s) anwsers"),
    ("verified not a bool", "  - id: abc.card\n", "  - id: abc.card\n    verified: maybe\n",
     "'verified' must be true or false"),
    ("unquoted `no`", CARD_NAMES, 'names: ["abc card", no]', "found False (quote it)"),
    ("name of another service", CARD_NAMES, 'names: ["بطاقة ابج", "abc permit"]',
     "name 'abc permit' is also a name of service abc.permit"),
    # The same phrase after normalisation (أ / ا, ة / ه) is the same phrase.
    ("normalised name of another service", CARD_NAMES, 'names: ["تصريح أبج"]',
     "name 'تصريح أبج' is also a name of service abc.permit"),
    ("generic name of another service", f'{CARD_NAMES}\n    generic_names: ["رخصة"]', 'names: ["رخصه"]',
     "name 'رخصه' is a generic name of abc.permit"),
    ("both name and generic name", CARD_NAMES, 'names: ["بطاقة ابج", "رخصة"]',
     "phrase(s) in both names and generic_names"),
]


@pytest.mark.parametrize(("old", "new", "problem"), [case[1:] for case in BROKEN_SERVICES],
                         ids=[case[0] for case in BROKEN_SERVICES])
def test_a_broken_service_names_file_service_and_problem(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    assert old in GOOD_AGENCY
    write(tmp_path, "abc.yml", GOOD_AGENCY.replace(old, new, 1))
    error = load_error(tmp_path)
    assert problem in str(error)
    assert str(error).startswith("abc.yml: service ")
    assert error.file == tmp_path / "abc.yml"


BROKEN_FILES = [
    ("agency id is not the file name", "  id: abc\n", "  id: other\n", "does not match the file name"),
    ("agency without name", '  name: {ar: "دائرة أ ب ج", en: "ABC Department"}\n', "",
     "missing name in agency"),
    ("unquoted phone", '  names: ["دائرة ابج"', '  phone: 0650\n  names: ["دائرة ابج"',
     "agency phone must be text in quotes, found 424"),
    ("unknown top-level key", "services:", "services: []\nextra:", "unknown key(s) extra"),
    ("service not a mapping", "services:\n", "services:\n  - just text\n", "service #1 must be a mapping"),
    ("service without id", "  - id: abc.card\n", "  - id:\n", "service #2 has no id"),
    ("repeated key", "      fees:", '      overview: {ar: "مكرر", en: "again"}\n      fees:',
     "key 'overview' appears twice"),
    ("agency name used by a service", CARD_NAMES, 'names: ["abc card", "ABC Department"]',
     "agency name 'abc department' is also a name of service abc.card"),
]


@pytest.mark.parametrize(("old", "new", "problem"), [case[1:] for case in BROKEN_FILES],
                         ids=[case[0] for case in BROKEN_FILES])
def test_a_broken_file_names_the_file_and_problem(tmp_path: Path, old: str, new: str, problem: str) -> None:
    assert old in GOOD_AGENCY
    write(tmp_path, "abc.yml", GOOD_AGENCY.replace(old, new, 1))
    error = load_error(tmp_path)
    assert problem in str(error)
    assert str(error).startswith("abc.yml: ")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("agency: [\n", "invalid YAML"),
        ("agency: {id: abc}\nagency: {id: abc}\n", 'abc.yml", line 2'),  # points at the line
        ("- just\n- a list\n", "must be a mapping with 'agency' and 'services'"),
        ("", "must be a mapping with 'agency' and 'services'"),
    ],
    ids=["unclosed bracket", "repeated top-level key", "a list", "empty file"],
)
def test_a_file_that_is_not_a_catalog_file(tmp_path: Path, text: str, problem: str) -> None:
    write(tmp_path, "abc.yml", text)
    error = load_error(tmp_path)
    assert problem in str(error) and str(error).startswith("abc.yml: ")


def test_a_phrase_in_two_files_is_refused_in_the_later_file(tmp_path: Path) -> None:
    write(tmp_path, "abc.yml", GOOD_AGENCY)
    write(tmp_path, "xyz.yml", """\
        agency:
          id: xyz
          name: {en: "XYZ"}
        services:
          - id: xyz.thing
            name: {en: "Thing"}
            names: ["xyz thing", "ABC  Permit"]
            answers:
              overview: {en: "About"}
        """)
    error = load_error(tmp_path)
    assert str(error) == "xyz.yml: service xyz.thing: name 'ABC  Permit' is also a name of service abc.permit"


def test_two_agencies_may_not_share_a_name(tmp_path: Path) -> None:
    write(tmp_path, "abc.yml", GOOD_AGENCY)
    write(tmp_path, "xyz.yml", """\
        agency:
          id: xyz
          name: {en: "XYZ"}
          names: ["دائرة ابج"]
        services:
          - id: xyz.thing
            name: {en: "Thing"}
            names: ["xyz thing"]
            answers:
              overview: {en: "About"}
        """)
    assert "agency name 'دائرة ابج' is also a name of agency abc" in str(load_error(tmp_path))


def test_skip_bad_files_loads_the_rest_and_keeps_the_errors(tmp_path: Path) -> None:
    write(tmp_path, "abc.yml", GOOD_AGENCY)
    write(tmp_path, "bad.yml", "agency: {id: bad, name: {en: Bad}}\nservices:\n  - id: bad.x\n")
    write(tmp_path, "xyz.yml", GOOD_AGENCY.replace("abc", "xyz").replace("ابج", "سصع"))
    catalog = Catalog.load(tmp_path, skip_bad_files=True)
    assert set(catalog.agencies) == {"abc", "xyz"}
    assert set(catalog.services) == {"abc.permit", "abc.card", "xyz.permit", "xyz.card"}
    assert [error.file.name for error in catalog.errors] == ["bad.yml"]
    assert str(catalog.errors[0]) == "bad.yml: service bad.x: missing answers, name, names in service"


def test_a_clashing_file_is_skipped_whole(tmp_path: Path) -> None:
    write(tmp_path, "abc.yml", GOOD_AGENCY)
    # Its second service clashes with abc.yml: none of its services may load.
    write(
        tmp_path,
        "xyz.yml",
        GOOD_AGENCY.replace("abc", "xyz").replace("ابج", "سصع").replace('"بطاقة سصع"', '"بطاقة ابج"'),
    )
    catalog = Catalog.load(tmp_path, skip_bad_files=True)
    assert set(catalog.services) == {"abc.permit", "abc.card"}
    assert set(catalog.agencies) == {"abc"}
    assert len(catalog.errors) == 1 and catalog.errors[0].service_id == "xyz.card"


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="catalog directory not found"):
        Catalog.load(tmp_path / "nowhere", skip_bad_files=True)


def test_files_other_than_yml_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "abc.yml", GOOD_AGENCY)
    write(tmp_path, "README.md", "# not a catalog file\n")
    write(tmp_path, "old.yml.bak", "agency: [broken\n")
    assert set(Catalog.load(tmp_path).agencies) == {"abc"}


def test_a_service_may_not_take_another_agencys_name(tmp_path: Path) -> None:
    write(tmp_path, "abc.yml", GOOD_AGENCY)
    write(tmp_path, "xyz.yml", """\
        agency:
          id: xyz
          name: {en: "XYZ"}
        services:
          - id: xyz.thing
            name: {en: "Thing"}
            names: ["xyz thing", "دائره ابج"]
            answers:
              overview: {en: "About"}
        """)
    assert str(load_error(tmp_path)) == "xyz.yml: service xyz.thing: name 'دائره ابج' is a name of agency abc"
