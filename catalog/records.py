"""The catalog as rows: the plain dicts the store keeps and the import spreadsheet carries, and the
in-memory `Catalog` built from them.

A service row's keys are the spreadsheet's columns (data/catalog/README.md) with lists for the
name lists, plus what only the store and the YAML know (`generic_names`, `related`, `verified`,
`verified_by`, `verified_at`). The store (store/catalog.py) reads and writes these rows without
knowing this package, and this package builds a `Catalog` from them without knowing the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Optional

from catalog.services import ASPECTS, LANGUAGES, Agency, Catalog, LocalizedText, Service

# The aspect the bot answers -> the spreadsheet's (and the store's) column stem.
COLUMN_OF_ASPECT = {
    "overview": "description",
    "fees": "fees",
    "documents": "documents",
    "steps": "steps",
    "location": "where",
    "duration": "duration",
    "eligibility": "eligibility",
}
ANSWER_COLUMNS = tuple(f"{COLUMN_OF_ASPECT[a]}_{language}" for a in ASPECTS for language in LANGUAGES)
NAME_LISTS = ("aliases", "generic_names", "related")
# What a service row may carry; a row from a source that lacks some (the spreadsheet has no
# generic names) simply leaves them out, and the store keeps what it had.
SERVICE_FIELDS = (
    "agency_id", "name_ar", "name_en", "aliases", "generic_names", "related", *ANSWER_COLUMNS,
    "url", "importance", "pilot", "verified",
)
AGENCY_FIELDS = ("name_ar", "name_en", "nicknames", "website", "phone")

_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def slug(text: str, limit: int = 48) -> str:
    """Lower-case letters, digits and _ from English text ("Passport renewal" -> "passport_renewal")."""
    words = _SLUG_DROP.sub("_", text.lower()).strip("_")
    words = words[:limit].rstrip("_")
    return words if words[:1].isalpha() else (f"s_{words}" if words else "")


def service_row(service: Service, *, pilot: Optional[bool] = None) -> dict[str, Any]:
    """A `Service` as a store row (the YAML's `names` are its aliases)."""
    row: dict[str, Any] = {
        "id": service.id,
        "agency_id": service.agency.id,
        "name_ar": service.name.ar,
        "name_en": service.name.en,
        "aliases": _aliases(service.names, service.name.ar, service.name.en),
        "generic_names": list(service.generic_names),
        "related": list(service.related),
        "url": service.url,
        "importance": service.importance,
        "pilot": service.pilot if pilot is None else pilot,
        "verified": service.verified,
    }
    for aspect in ASPECTS:
        text = service.answers.get(aspect) or LocalizedText()
        row[f"{COLUMN_OF_ASPECT[aspect]}_ar"] = text.ar
        row[f"{COLUMN_OF_ASPECT[aspect]}_en"] = text.en
    return row


def _aliases(names: Iterable[str], *official: str) -> list[str]:
    """A YAML service's names as aliases; names that are only its official names (what a YAML
    export writes for a service without aliases, since YAML needs one) are no aliases."""
    names = list(names)
    return [] if set(names) <= set(official) else names


def agency_row(agency: Agency) -> dict[str, Any]:
    return {
        "id": agency.id,
        "name_ar": agency.name.ar,
        "name_en": agency.name.en,
        "nicknames": list(agency.names) or None,  # None: none known (the store keeps what it has)
        "website": agency.website,
        "phone": agency.phone,
    }


def rows_of_catalog(catalog: Catalog) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(agency rows, service rows) of a catalog read from YAML: its services answered, its
    not-yet services named only."""
    agencies = [agency_row(agency) for agency in catalog.agencies.values()]
    services = [service_row(s, pilot=True) for s in catalog.services.values()]
    services += [service_row(s, pilot=False) for s in catalog.not_yet.values()]
    return agencies, services


def catalog_of_rows(agencies: Iterable[Mapping[str, Any]], services: Iterable[Mapping[str, Any]]) -> Catalog:
    """The in-memory catalog of the store's rows: agencies that have a service, the answered services
    in `services` and the others in `not_yet`, both in (importance, id) order."""
    agency_rows = {row["id"]: row for row in agencies}
    catalog = Catalog()
    ordered = sorted(services, key=lambda r: (r.get("importance") is None, r.get("importance") or 0, r["id"]))
    for row in ordered:
        agency = catalog.agencies.get(row["agency_id"])
        if agency is None:
            agency = _agency(agency_rows.get(row["agency_id"]) or {"id": row["agency_id"]})
            catalog.agencies[agency.id] = agency
        service = _service(row, agency)
        if service.pilot:
            agency.services.append(service)
            catalog.services[service.id] = service
        else:
            catalog.not_yet[service.id] = service
    return catalog


def _agency(row: Mapping[str, Any]) -> Agency:
    return Agency(
        id=row["id"],
        name=LocalizedText(row.get("name_ar") or "", row.get("name_en") or ""),
        names=tuple(row.get("nicknames") or ()),
        website=row.get("website") or None,
        phone=row.get("phone") or None,
    )


def _service(row: Mapping[str, Any], agency: Agency) -> Service:
    answers = {}
    for aspect in ASPECTS:
        stem = COLUMN_OF_ASPECT[aspect]
        text = LocalizedText((row.get(f"{stem}_ar") or "").strip(), (row.get(f"{stem}_en") or "").strip())
        if text.ar or text.en:
            answers[aspect] = text
    return Service(
        id=row["id"],
        name=LocalizedText(row.get("name_ar") or "", row.get("name_en") or ""),
        agency=agency,
        names=tuple(row.get("aliases") or ()),
        generic_names=tuple(row.get("generic_names") or ()),
        verified=bool(row.get("verified")),
        answers=answers,
        url=row.get("url") or "",
        importance=row.get("importance"),
        pilot=bool(row.get("pilot", True)),
        verified_by=row.get("verified_by"),
        verified_at=row.get("verified_at"),
        related=tuple(row.get("related") or ()),
    )
