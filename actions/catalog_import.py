"""`tawasol catalog import` and `export`: what agencies hand in (a CSV/XLSX spreadsheet, or a YAML
directory) checked row by row and written in one transaction; the catalog written back out."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import yaml

from actions.catalog_access import rows_of_directory, seed_catalog
from catalog.records import catalog_of_rows
from catalog.services import CatalogError
from catalog.spreadsheet import CheckedSheet, Refusal, SheetError, check_rows, csv_lines, read_rows
from nlu.not_yet import NotYetError
from store import Store
from store.audit import Actor
from store.catalog import ImportOutcome


class ImportRefused(ValueError):
    """The file as a whole cannot be imported; the message says why."""


@dataclass
class ImportReport:
    source: str
    rows: int = 0
    refusals: list[Refusal] = field(default_factory=list)
    outcome: ImportOutcome = field(default_factory=ImportOutcome)
    dry_run: bool = False

    def lines(self) -> Iterator[str]:
        """The report as people read it: each refused row and why, then the totals."""
        for refusal in self.refusals:
            who = f" ({refusal.service_id})" if refusal.service_id else ""
            yield f"row {refusal.row}{who}: refused: {'; '.join(refusal.reasons)}"
        o = self.outcome
        would = "would be " if self.dry_run else ""
        yield (f"{self.source}: {self.rows} rows: {len(o.added)} {would}added, {len(o.changed)} {would}changed, "
               f"{len(o.unchanged)} unchanged, {len(self.refusals)} refused; agencies {len(o.agencies_added)} "
               f"{would}added, {len(o.agencies_changed)} {would}changed"
               + (" (dry run: nothing written)" if self.dry_run else f"; catalog generation {o.generation}"))


def read_source(path: Path, known_agencies: Mapping[str, str]) -> tuple[CheckedSheet, str]:
    """The rows of a spreadsheet or a YAML directory, checked. A YAML directory is checked whole
    (the YAML reader's rules): a bad file refuses the import."""
    if path.is_dir():
        try:
            agencies, services = rows_of_directory(path, known_agencies, strict=True)
        except (CatalogError, NotYetError) as error:
            raise ImportRefused(str(error)) from None
        sheet = CheckedSheet(services=list(enumerate(services, start=1)),
                             agencies={row["id"]: row for row in agencies}, rows=len(services))
        return sheet, f"{path}/"
    if not path.exists():
        raise ImportRefused(f"{path}: no such file or directory")
    try:
        rows = read_rows(path)
    except SheetError as error:
        raise ImportRefused(str(error)) from None
    return check_rows(rows, known_agencies), path.name


def import_catalog(
    store: Store, path: Path, actor: Actor, *, dry_run: bool = False,
    progress: Optional[Callable[[int], Callable[[int], None]]] = None,
) -> ImportReport:
    """Import `path` (DIR, FILE.csv, FILE.xlsx). `progress(rows)` returns what to call as each row is written."""
    # The store a fresh install serves holds the seed catalog (data/catalog): an import adds to it.
    # A dry run writes nothing, so it only counts the seed's agencies as known.
    known = store.catalog.agency_names()
    seed_agencies: list[dict] = []
    if store.catalog.is_empty():
        if dry_run:  # the seed's agencies go into the rolled-back transaction, and out of the report
            seed_agencies = [row for row in rows_of_directory(None, known)[0] if row["id"] not in known]
            known.update((row["id"], row["name_ar"]) for row in seed_agencies)
        else:
            seed_catalog(store)
            known = store.catalog.agency_names()
    sheet, source = read_source(path, known)
    report = ImportReport(source=source, rows=sheet.rows, refusals=sheet.refusals, dry_run=dry_run)
    services = [row for _, row in sheet.services]
    advance = progress(len(services)) if progress is not None else None
    agencies = [*(row for row in seed_agencies if row["id"] not in sheet.agencies), *sheet.agencies.values()]
    report.outcome = store.catalog.apply(agencies, services, actor, dry_run=dry_run, progress=advance)
    seeded = {row["id"] for row in seed_agencies} - set(sheet.agencies)
    report.outcome.agencies_added = [a for a in report.outcome.agencies_added if a not in seeded]
    return report


def export_csv(store: Store) -> Iterator[str]:
    seed_catalog(store)  # what the service would serve: the seed, on a store that has none yet
    _, agencies, services = store.catalog.snapshot()
    ordered = sorted(services, key=lambda r: (r["agency_id"], r["id"]))
    return csv_lines({row["id"]: row for row in agencies}, ordered)


def export_yaml(store: Store, directory: Path) -> list[Path]:
    """The catalog as the YAML directory (one `<agency>.yml` of answered services per agency, and
    `not_yet/services.yml` for services named only), readable by `import` and as a seed."""
    seed_catalog(store)
    _, agencies, services = store.catalog.snapshot()
    catalog = catalog_of_rows(agencies, services)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for agency in catalog.agencies.values():
        if not agency.services:
            continue
        data: dict[str, Any] = {"agency": {"id": agency.id, "name": {"ar": agency.name.ar, "en": agency.name.en}}}
        if agency.names:
            data["agency"]["names"] = list(agency.names)
        for key in ("website", "phone"):
            if getattr(agency, key):
                data["agency"][key] = getattr(agency, key)
        data["services"] = [_service_yaml(s) for s in agency.services]
        path = directory / f"{agency.id}.yml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
        written.append(path)
    if catalog.not_yet:
        entries = [
            {"id": s.id, "name": {"ar": s.name.ar, "en": s.name.en},
             "agency": {"ar": s.agency.name.ar, "en": s.agency.name.en},
             "names": list(s.names) or [n for n in (s.name.ar, s.name.en) if n], "related": list(s.related)}
            for s in catalog.not_yet.values()
        ]
        path = directory / "not_yet" / "services.yml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump({"services": entries}, allow_unicode=True, sort_keys=False, width=120),
                        encoding="utf-8")
        written.append(path)
    return written


def _service_yaml(service: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": service.id, "name": {"ar": service.name.ar, "en": service.name.en},
                            "verified": service.verified,
                            # The aliases as they are (the YAML needs one name: then the service's own)
                            "names": list(service.names) or [n for n in (service.name.ar, service.name.en) if n]}
    if service.generic_names:
        data["generic_names"] = list(service.generic_names)
    data["answers"] = {a: {"ar": t.ar, "en": t.en} for a, t in service.answers.items()}
    if service.url:
        data["url"] = service.url
    if service.importance is not None:
        data["importance"] = service.importance
    return data

