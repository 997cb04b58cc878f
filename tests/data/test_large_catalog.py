"""The large Jordanian catalog kept for tests and benches (data/catalog_large/) is what the import
command and the matcher are measured on: a broken row or a drifted pilot service would skew every
number taken from it, so its shape is checked here, row by row."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest

from catalog.services import Catalog

FOLDER = Path(__file__).resolve().parents[2] / "data" / "catalog_large"
CSV_FILE = FOLDER / "jordan_services.csv"
NAMES_FILE = FOLDER / "names_only.txt"
COLUMNS = (
    "service_id,agency_id,agency_name_ar,agency_name_en,name_ar,name_en,aliases,description_ar,description_en,"
    "fees_ar,fees_en,documents_ar,documents_en,where_ar,where_en,duration_ar,duration_en,steps_ar,steps_en,"
    "eligibility_ar,eligibility_en,url,importance,pilot"
).split(",")
ARABIC = re.compile("[\u0600-\u06ff]")


@pytest.fixture(scope="module")
def header_and_rows() -> tuple[list[str], list[dict[str, str]]]:
    with CSV_FILE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


@pytest.fixture(scope="module")
def rows(header_and_rows) -> list[dict[str, str]]:
    return header_and_rows[1]


def test_the_header_is_the_import_contract_and_every_row_has_every_column(header_and_rows) -> None:
    header, rows = header_and_rows
    assert header == COLUMNS
    short = [row["service_id"] for row in rows if None in row or any(value is None for value in row.values())]
    assert short == [], f"rows with missing or extra cells: {short[:5]}"


def test_it_is_large_and_spread_over_the_real_agencies(rows) -> None:
    assert len(rows) >= 1000
    agencies = {row["agency_id"] for row in rows}
    assert len(agencies) >= 40
    # The pilot agencies and the big public bodies a citizen meets most are all there.
    assert {"cspd", "dvld", "istd", "ssc", "moh", "moe", "mohe", "moi", "moj", "mol", "gam", "dls", "psd", "modee",
            "customs", "mit", "ccd", "miyahuna", "jepco", "naf", "awqaf", "cdd", "aseza", "jopost"} <= agencies


def test_service_ids_are_unique_and_prefixed_by_their_agency(rows) -> None:
    ids = [row["service_id"] for row in rows]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    bad = [row["service_id"] for row in rows
           if not re.fullmatch(r"[a-z0-9_]+", row["agency_id"])
           or not re.fullmatch(re.escape(row["agency_id"]) + r"\.[a-z0-9_]+", row["service_id"])]
    assert bad == []


def test_every_row_has_both_names_and_a_description_in_the_right_language(rows) -> None:
    bad = [row["service_id"] for row in rows
           if not ARABIC.search(row["name_ar"]) or not row["name_en"].strip() or ARABIC.search(row["name_en"])
           or not ARABIC.search(row["description_ar"]) or not row["description_en"].strip()]
    assert bad == []


def test_an_agency_has_one_name_and_one_site_everywhere(rows) -> None:
    seen: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for row in rows:
        seen[row["agency_id"]].add((row["agency_name_ar"], row["agency_name_en"], row["url"]))
    assert {agency: names for agency, names in seen.items() if len(names) > 1} == {}
    assert all(ARABIC.search(ar) and en for names in seen.values() for ar, en, _ in names)


def test_no_agency_lists_the_same_name_twice(rows) -> None:
    for language in ("name_ar", "name_en"):
        keys = [(row["agency_id"], row[language].strip().lower()) for row in rows]
        assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})


def test_aliases_are_a_few_clean_names_and_about_a_third_of_rows_have_none(rows) -> None:
    for row in rows:
        if not row["aliases"]:
            continue
        aliases = row["aliases"].split("|")
        assert 1 <= len(aliases) <= 6, row["service_id"]
        assert all(alias and alias == alias.strip() for alias in aliases), row["service_id"]
        assert len({a.lower() for a in aliases}) == len(aliases), row["service_id"]
    bare = sum(1 for row in rows if not row["aliases"])
    assert 0.25 <= bare / len(rows) <= 0.45


def test_importance_ranks_every_row_once_and_pilot_is_yes_or_no(rows) -> None:
    assert sorted(int(row["importance"]) for row in rows) == list(range(1, len(rows) + 1))
    assert {row["pilot"] for row in rows} == {"yes", "no"}


def test_it_is_a_superset_of_the_pilot_catalog_with_the_same_ids_names_and_agencies(rows) -> None:
    pilot = Catalog.load()
    by_id = {row["service_id"]: row for row in rows}
    assert {row["service_id"] for row in rows if row["pilot"] == "yes"} == set(pilot.services)
    for service in pilot.services.values():
        row = by_id[service.id]
        assert (row["name_ar"], row["name_en"]) == (service.name.ar, service.name.en), service.id
        assert (row["agency_name_ar"], row["agency_name_en"]) == (service.agency.name.ar, service.agency.name.en)
    # The pilot services are the most used ones the bot answers today: they rank first.
    assert sorted(int(by_id[i]["importance"]) for i in pilot.services) == list(range(1, len(pilot.services) + 1))


def test_cells_are_single_lines_an_agency_could_paste_into_a_spreadsheet(rows) -> None:
    assert [(row["service_id"], key) for row in rows for key, value in row.items() if "\n" in value or "\r" in value] == []


def test_the_names_file_for_question_authors_matches_the_catalog(rows) -> None:
    lines = NAMES_FILE.read_text(encoding="utf-8").splitlines()
    expected = ["\t".join((row["service_id"], row["name_ar"], row["name_en"], row["agency_name_ar"], row["agency_name_en"]))
                for row in rows]
    assert lines == expected
