"""The spreadsheet an agency hands in (CSV or XLSX, one row a service), read and checked row by row.

The columns are a contract (data/catalog/README.md, issue #20): `COLUMNS` below, UTF-8 with a
header row; unknown columns are ignored and missing optional ones read as empty. Every row is
checked on its own; a refused row says why and the others still go in (store/catalog.py writes
them in one transaction). Nothing here touches the store: `check_rows` is told which agencies exist.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, TextIO

from catalog.records import ANSWER_COLUMNS, slug
from catalog.validation import MAX_ALIAS_CHARS, MAX_ALIASES, answer_problem, name_problem, text_problem

COLUMNS = (
    "service_id", "agency_id", "agency_name_ar", "agency_name_en", "name_ar", "name_en", "aliases",
    "description_ar", "description_en", "fees_ar", "fees_en", "documents_ar", "documents_en",
    "where_ar", "where_en", "duration_ar", "duration_en", "steps_ar", "steps_en",
    "eligibility_ar", "eligibility_en", "url", "importance", "pilot",
)
ALIAS_SEPARATOR = "|"
YES, NO = ("yes", "y", "true", "1", "نعم"), ("no", "n", "false", "0", "لا")
_AGENCY_ID_LIMIT = 32
_SERVICE_ID_LIMIT = 128


class SheetError(ValueError):
    """The file as a whole cannot be read (not CSV/XLSX, not UTF-8, no header)."""


@dataclass(frozen=True)
class Refusal:
    row: int  # the line in the file (the header is line 1)
    service_id: str  # as given or generated; "" when there was none to make
    reasons: tuple[str, ...]


@dataclass
class CheckedSheet:
    """The rows that may go in (by line), the agencies they name or define, and the refused rows."""

    services: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    agencies: dict[str, dict[str, Any]] = field(default_factory=dict)  # only those a row gives names for
    refusals: list[Refusal] = field(default_factory=list)
    rows: int = 0


# --- reading -------------------------------------------------------------------------------------


def read_rows(path: Path) -> list[dict[str, str]]:
    """Every data row of a .csv or .xlsx file as {column: text}, header names lower-cased and trimmed."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                return _csv_rows(stream)
        except UnicodeDecodeError as error:
            raise SheetError(f"{path.name}: not UTF-8 text ({error.reason} at byte {error.start}); save it as CSV UTF-8") from None
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    raise SheetError(f"{path.name}: give a .csv or .xlsx file (or a directory of YAML files)")


def _csv_rows(stream: TextIO) -> list[dict[str, str]]:
    reader = csv.reader(stream)
    header = next(reader, None)
    if not header:
        raise SheetError("the file is empty: it needs a header row")
    names = [(h or "").strip().lower() for h in header]
    return [_row(names, values) for values in reader]


def _xlsx_rows(path: Path) -> list[dict[str, str]]:
    from openpyxl import load_workbook  # only imports that read XLSX pay for it

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zipfile, KeyError, ValueError... for a bad file
        raise SheetError(f"{path.name}: not a readable XLSX workbook ({type(error).__name__})") from None
    try:
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = next(lines, None)
        if not header:
            raise SheetError(f"{path.name}: the first sheet is empty: it needs a header row")
        names = [str(h if h is not None else "").strip().lower() for h in header]
        return [_row(names, [_cell(v) for v in values]) for values in lines]
    finally:
        book.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an importance typed as 3 reads back as 3.0
    return str(value)


def _row(names: list[str], values: Iterable[Any]) -> dict[str, str]:
    row = {name: "" for name in COLUMNS}
    for name, value in zip(names, values):
        if name in row:
            row[name] = (value or "").strip() if isinstance(value, str) else _cell(value).strip()
    return row


# --- checking ------------------------------------------------------------------------------------


def check_rows(
    rows: Iterable[Mapping[str, str]], known_agencies: Iterable[str], *, first_line: int = 2
) -> CheckedSheet:
    """Check each row; `known_agencies`: the agency ids the store has already."""
    sheet = CheckedSheet()
    known = set(known_agencies)
    seen_ids: dict[str, int] = {}
    for line, raw in enumerate(rows, start=first_line):
        sheet.rows += 1
        if not any((raw.get(c) or "").strip() for c in COLUMNS):
            continue  # a blank line in a spreadsheet is not a service
        service_id, reasons, row, agency = _check(raw, known | set(sheet.agencies))
        if service_id and service_id in seen_ids:
            reasons.append(f"duplicate id: line {seen_ids[service_id]} has service_id {service_id} already")
        if reasons:
            sheet.refusals.append(Refusal(line, service_id, tuple(reasons)))
            continue
        seen_ids[service_id] = line
        if agency is not None:
            sheet.agencies[agency["id"]] = agency
        sheet.services.append((line, row))
    return sheet


def _check(
    raw: Mapping[str, str], known: set[str]
) -> tuple[str, list[str], dict[str, Any], Optional[dict[str, Any]]]:
    value = lambda column: (raw.get(column) or "").strip()  # noqa: E731
    reasons: list[str] = []
    name_ar, name_en = value("name_ar"), value("name_en")
    if not name_ar and not name_en:
        reasons.append("no name in any language (name_ar and name_en are both empty)")
    for column in ("name_ar", "name_en", "agency_name_ar", "agency_name_en"):
        problem = name_problem(value(column))
        if problem:
            reasons.append(f"{column} {problem}")

    agency_id = value("agency_id").lower()
    agency: Optional[dict[str, Any]] = None
    if not agency_id:
        reasons.append("no agency_id")
    elif len(agency_id) > _AGENCY_ID_LIMIT or slug(agency_id, _AGENCY_ID_LIMIT) != agency_id:
        reasons.append(f"agency_id {agency_id!r} must be lower-case letters, digits and _ (at most 32)")
    elif value("agency_name_ar") or value("agency_name_en"):
        agency = {"id": agency_id, "name_ar": value("agency_name_ar") or value("agency_name_en"),
                  "name_en": value("agency_name_en") or value("agency_name_ar")}
    elif agency_id not in known:
        reasons.append(f"unknown agency {agency_id!r} and no agency_name_ar/agency_name_en to add it with")

    service_id = value("service_id").lower()
    if not service_id and agency_id and (name_en or name_ar):
        service_id = _generated_id(agency_id, name_en, name_ar)
    if service_id and not _valid_service_id(service_id, agency_id):
        reasons.append(
            f"service_id {service_id!r} must be '{agency_id or '<agency_id>'}.<name>' in lower-case letters, digits and _"
        )

    aliases = _aliases(value("aliases"), reasons)
    row: dict[str, Any] = {
        "id": service_id, "agency_id": agency_id, "name_ar": name_ar, "name_en": name_en, "aliases": aliases,
        "url": value("url"),
    }
    for column in ANSWER_COLUMNS:
        row[column] = value(column)
        problem = answer_problem(row[column])
        if problem:
            reasons.append(f"{column} {problem}")
    url_problem = text_problem(row["url"], 1024)
    if url_problem:
        reasons.append(f"url {url_problem}")
    importance = value("importance")
    if importance:
        try:
            row["importance"] = int(importance)
        except ValueError:
            reasons.append(f"importance {importance!r} is not a whole number")
    else:
        row["importance"] = None
    pilot = value("pilot").lower()
    if pilot in YES or not pilot:
        row["pilot"] = True
    elif pilot in NO:
        row["pilot"] = False
    else:
        reasons.append(f"pilot {value('pilot')!r} must be yes or no")
    if row.get("pilot") and not any(row[c] for c in ANSWER_COLUMNS):
        reasons.append("pilot is yes (answered now) but the row has no answer: give one, or pilot no")
    return service_id, reasons, row, agency


def _aliases(text: str, reasons: list[str]) -> list[str]:
    aliases: list[str] = []
    for alias in (a.strip() for a in text.split(ALIAS_SEPARATOR)):
        if alias and alias not in aliases:
            aliases.append(alias)
    if len(aliases) > MAX_ALIASES:
        reasons.append(f"aliases: {len(aliases)} names, at most {MAX_ALIASES}")
    for alias in aliases:
        problem = text_problem(alias, MAX_ALIAS_CHARS)
        if problem:
            reasons.append(f"alias {alias[:40]!r} {problem}")
            break
    return aliases


def _generated_id(agency_id: str, name_en: str, name_ar: str) -> str:
    """`<agency>.<english name>`; an Arabic-only name gets a short digest of the name instead (the
    id must stay the same at the next import of the same row)."""
    tail = slug(name_en)
    if not tail:
        tail = "service_" + hashlib.sha256(name_ar.encode("utf-8")).hexdigest()[:8]
    return f"{agency_id}.{tail}"


def _valid_service_id(service_id: str, agency_id: str) -> bool:
    agency, dot, tail = service_id.partition(".")
    if len(service_id) > _SERVICE_ID_LIMIT:
        return False
    if not dot:  # not-yet services of the seed list carry no agency prefix
        return slug(service_id, _SERVICE_ID_LIMIT) == service_id
    return agency == agency_id and bool(tail) and slug(tail, _SERVICE_ID_LIMIT) == tail


# --- writing -------------------------------------------------------------------------------------


def csv_lines(agencies: Mapping[str, Mapping[str, Any]], services: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The catalog as the import spreadsheet (CSV text, header first): what `import` reads back unchanged."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield flush()
    for row in services:
        agency = agencies.get(row["agency_id"]) or {}
        values = {
            "service_id": row["id"], "agency_id": row["agency_id"],
            "agency_name_ar": agency.get("name_ar") or "", "agency_name_en": agency.get("name_en") or "",
            "aliases": ALIAS_SEPARATOR.join(row.get("aliases") or ()),
            "importance": "" if row.get("importance") is None else str(row["importance"]),
            "pilot": "yes" if row.get("pilot", True) else "no",
        }
        writer.writerow([values.get(c, row.get(c) or "") for c in COLUMNS])
        yield flush()
