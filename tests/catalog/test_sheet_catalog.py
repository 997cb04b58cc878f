"""A spreadsheet read into memory for measuring (catalog/sheet_catalog.py): the importer's checks
apply, the base catalog's services stay as written, and aliases can be dropped."""

from __future__ import annotations

from pathlib import Path

from catalog.services import Catalog
from catalog.sheet_catalog import catalog_of_sheet
from catalog.spreadsheet import COLUMNS

ROWS = [
    {"service_id": "ccd.company_register", "agency_id": "ccd", "agency_name_ar": "دائرة مراقبة الشركات",
     "agency_name_en": "Companies Control Department", "name_ar": "تسجيل شركة", "name_en": "Company registration",
     "aliases": "تسجيل شركه|register a company", "description_ar": "تسجيل شركة جديدة", "pilot": "no"},
    {"service_id": "cspd.passport_renew", "agency_id": "cspd", "name_ar": "شي آخر", "name_en": "Something else"},
    {"service_id": "ccd.nameless", "agency_id": "ccd"},  # no name in any language: refused
]


def _sheet(tmp_path: Path) -> Path:
    path = tmp_path / "agency.csv"
    lines = [",".join(COLUMNS)] + [",".join(row.get(column, "") for column in COLUMNS) for row in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_sheet_joins_the_base_catalog_and_its_refused_rows_stay_out(tmp_path):
    base = Catalog.load()
    catalog = catalog_of_sheet(_sheet(tmp_path), base=base)

    assert set(catalog.services) == set(base.services) | {"ccd.company_register"}
    assert catalog.services["cspd.passport_renew"] is base.services["cspd.passport_renew"]
    company = catalog.services["ccd.company_register"]
    assert company.names == ("تسجيل شركه", "register a company")
    assert company.agency.name.en == "Companies Control Department" and company in company.agency.services
    assert "ccd.nameless" not in catalog.services


def test_without_aliases_a_service_is_known_by_its_titles_alone(tmp_path):
    catalog = catalog_of_sheet(_sheet(tmp_path), aliases=False)
    assert catalog.services["ccd.company_register"].names == ()
    assert catalog.services["ccd.company_register"].name.ar == "تسجيل شركة"
