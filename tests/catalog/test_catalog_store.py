"""The catalog in the store: seeding from the YAML, importing what agencies hand in (CSV and XLSX with
bad rows), idempotent re-imports, dry runs, exports that import back unchanged, and the live catalog
that follows every change by its generation. On SQLite and PostgreSQL (the `store` fixture)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from actions.catalog_access import catalog_from_store, seed_catalog
from actions.catalog_import import export_csv, export_yaml, import_catalog
from catalog.live import LiveCatalog
from catalog.services import Catalog
from catalog.spreadsheet import COLUMNS
from catalog.validation import MAX_ANSWER_CHARS
from store.audit import CLI_ACTOR, AuditFilter

REPOSITORY = Path(__file__).resolve().parents[2]


def _row(**values: str) -> dict[str, str]:
    return {column: values.get(column, "") for column in COLUMNS}


GOOD = [
    _row(service_id="", agency_id="mopw", agency_name_ar="وزارة الأشغال العامة والإسكان",
         agency_name_en="Ministry of Public Works and Housing", name_ar="تصنيف المقاولين",
         name_en="Contractor classification", aliases="تصنيف مقاول|contractor grade", fees_ar="١٠٠ دينار",
         fees_en="100 JOD", importance="12", pilot="yes"),
    _row(service_id="cspd.birth_copy", agency_id="cspd", name_ar="نسخة شهادة ميلاد", name_en="",
         description_ar="نسخة عن شهادة الميلاد من أي مكتب أحوال.", pilot="yes"),
    _row(service_id="mopw.road_permit", agency_id="mopw", name_en="Road works permit", pilot="no"),
]
BAD = [
    _row(service_id="mopw.nameless", agency_id="mopw", fees_ar="١ دينار"),  # no name
    _row(agency_id="nowhere", name_en="Ghost service", fees_en="free"),  # unknown agency, no names
    _row(service_id="cspd.birth_copy", agency_id="cspd", name_ar="مكرر", fees_ar="x"),  # duplicate id
    _row(agency_id="mopw", name_en="Too long", fees_en="x" * (MAX_ANSWER_CHARS + 1)),  # cannot be sent
    _row(agency_id="mopw", name_en="Scripted", fees_en="<script>alert(1)</script>"),
    _row(agency_id="mopw", name_en="Bad pilot", fees_en="1", pilot="maybe"),
]


def _write_csv(path: Path, rows: list[dict[str, str]], *, extra_column: bool = True) -> Path:
    columns = [c for c in COLUMNS if c != "url"] + (["notes_for_the_ministry"] if extra_column else [])
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "notes_for_the_ministry": "ignored"})
    return path


def _write_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([int(row[c]) if c == "importance" and row[c] else row[c] for c in COLUMNS])
    book.save(path)
    return path


@pytest.fixture
def seeded(store):
    outcome = seed_catalog(store, REPOSITORY / "data" / "catalog")
    assert outcome is not None and len(outcome.added) == len(Catalog.load().services) + 47
    return store


def test_the_seed_serves_the_catalog_of_today(seeded):
    _, from_store = catalog_from_store(seeded)
    from_yaml = Catalog.load()
    assert set(from_store.services) == set(from_yaml.services)
    renew = from_store.service("cspd.passport_renew")
    assert renew.answer("fees", "ar") == from_yaml.service("cspd.passport_renew").answer("fees", "ar")
    assert renew.names == from_yaml.service("cspd.passport_renew").names
    assert "company_registration" in from_store.not_yet and "company_registration" not in from_store.services
    assert from_store.agency("cspd").names == from_yaml.agency("cspd").names
    assert seed_catalog(seeded) is None  # only an empty store is seeded


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_import_takes_the_good_rows_and_says_why_each_bad_one_is_refused(seeded, tmp_path, kind):
    rows = GOOD + BAD
    path = _write_csv(tmp_path / "agency.csv", rows) if kind == "csv" else _write_xlsx(tmp_path / "agency.xlsx", rows)
    before = seeded.catalog.generation()
    report = import_catalog(seeded, path, CLI_ACTOR)
    assert sorted(report.outcome.added) == ["cspd.birth_copy", "mopw.contractor_classification", "mopw.road_permit"]
    assert report.outcome.agencies_added == ["mopw"]
    reasons = {r.row: " ".join(r.reasons) for r in report.refusals}
    assert sorted(reasons) == [5, 6, 7, 8, 9, 10]
    assert "no name in any language" in reasons[5]
    assert "unknown agency 'nowhere'" in reasons[6]
    assert "duplicate id" in reasons[7]
    assert f"over the {MAX_ANSWER_CHARS:,}" in reasons[8]
    assert "markup" in reasons[9]
    assert "pilot 'maybe'" in reasons[10]
    assert seeded.catalog.generation() == before + 1  # one transaction, one new generation
    _, catalog = catalog_from_store(seeded)
    new = catalog.service("mopw.contractor_classification")
    assert new.names == ("تصنيف مقاول", "contractor grade") and new.importance == 12
    assert new.answer("fees", "en") == "100 JOD" and new.agency.name.en == "Ministry of Public Works and Housing"
    assert "mopw.road_permit" in catalog.not_yet
    assert catalog.service("cspd.birth_copy").agency is catalog.agency("cspd")
    assert seeded.catalog.service("mopw.nameless") is None
    added = seeded.audit.search(AuditFilter(action="catalog.service.add"))
    assert {e.target_id for e in added} == set(report.outcome.added) and {e.actor for e in added} == {"cli"}

    again = import_catalog(seeded, path, CLI_ACTOR)
    assert again.outcome.added == again.outcome.changed == [] and len(again.outcome.unchanged) == 3
    assert seeded.catalog.generation() == before + 1  # nothing changed: no new generation
    assert any("unchanged" in line for line in again.lines())


def test_a_dry_run_reports_and_writes_nothing(seeded, tmp_path):
    path = _write_csv(tmp_path / "agency.csv", GOOD + BAD)
    generation, services = seeded.catalog.generation(), seeded.catalog.snapshot()[2]
    report = import_catalog(seeded, path, CLI_ACTOR, dry_run=True)
    assert len(report.outcome.added) == 3 and len(report.refusals) == 6
    assert seeded.catalog.generation() == generation and seeded.catalog.snapshot()[2] == services
    assert seeded.catalog.service("mopw.road_permit") is None and "mopw" not in seeded.catalog.agency_ids()


def test_a_changed_row_changes_only_that_service_and_is_audited(seeded, tmp_path):
    import_catalog(seeded, _write_csv(tmp_path / "a.csv", GOOD), CLI_ACTOR)
    changed = [dict(GOOD[0], fees_en="120 JOD"), *GOOD[1:]]
    report = import_catalog(seeded, _write_csv(tmp_path / "b.csv", changed), CLI_ACTOR)
    assert report.outcome.changed == ["mopw.contractor_classification"] and len(report.outcome.unchanged) == 2
    entry = seeded.audit.search(AuditFilter(action="catalog.service.change"))[0]
    assert entry.before == {"fees_en": "100 JOD"} and entry.after == {"fees_en": "120 JOD"}


def test_an_export_imports_back_unchanged(seeded, tmp_path):
    import_catalog(seeded, _write_csv(tmp_path / "a.csv", GOOD), CLI_ACTOR)
    exported = tmp_path / "export.csv"
    exported.write_text("".join(export_csv(seeded)), encoding="utf-8")
    with exported.open(encoding="utf-8") as stream:
        assert tuple(next(csv.reader(stream))) == COLUMNS
    report = import_catalog(seeded, exported, CLI_ACTOR)
    assert report.refusals == [] and report.outcome.changes == 0
    assert len(report.outcome.unchanged) == len(seeded.catalog.snapshot()[2])
    written = export_yaml(seeded, tmp_path / "yaml")
    assert (tmp_path / "yaml" / "cspd.yml") in written
    assert import_catalog(seeded, tmp_path / "yaml", CLI_ACTOR).outcome.changes == 0


def test_the_live_catalog_follows_every_change_by_its_generation(seeded):
    live = LiveCatalog(lambda: catalog_from_store(seeded), seeded.catalog.generation, check_every=0)
    old = live.current().service("cspd.passport_renew").answer("fees", "en")
    seeded.catalog.update_service("cspd.passport_renew", {"fees_en": "Now 99 JOD."}, CLI_ACTOR)
    assert live.current().service("cspd.passport_renew").answer("fees", "en") == "Now 99 JOD." != old
    generation = live.generation()
    seeded.catalog.update_service("cspd.passport_renew", {"fees_en": "Now 99 JOD."}, CLI_ACTOR)  # no change
    assert live.generation() == generation


def test_the_command_imports_and_exports(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    path = _write_csv(tmp_path / "agency.csv", GOOD + BAD)

    def tawasol(*args: str) -> subprocess.CompletedProcess:
        env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True,
                              env=env, cwd=REPOSITORY, timeout=300)

    dry = tawasol("catalog", "import", str(path), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "3 would be added" in dry.stdout and "6 refused" in dry.stdout and "row 6 " in dry.stdout
    done = tawasol("catalog", "import", str(path))
    assert "3 added" in done.stdout and "dry run" not in done.stdout
    again = tawasol("catalog", "import", str(path))
    assert "0 added, 0 changed, 3 unchanged" in again.stdout
    exported = tawasol("catalog", "export", "--format", "csv")
    assert exported.stdout.startswith(",".join(COLUMNS)) and "mopw.contractor_classification" in exported.stdout
