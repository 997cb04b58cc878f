"""A stand-in loader for benches and tests: a `Catalog` from an agency spreadsheet (CSV).

NOT the importer: `tawasol catalog import` (catalog/spreadsheet.py) validates rows and writes the
store. This only reads the columns of issue #20 into memory so the matcher can be measured on a
large catalog before the importer lands; swap it for the importer's reader when it does.

`aliases=False` drops the hand-written aliases, as an agency's own spreadsheet would have none.
`synthetic_to` pads the catalog with generated rows (recombined real words) to reach a size for
the latency bench; they are never used for accuracy.
"""

from __future__ import annotations

import csv
import os
import random
from pathlib import Path
from typing import Optional, Union

from catalog.services import Agency, Catalog, LocalizedText, Service

REPOSITORY = Path(__file__).resolve().parent.parent
# Where the large catalog lives once merged; TAWASOL_LARGE_CATALOG_CSV points elsewhere meanwhile.
LARGE_CATALOG_CSV = Path(
    os.environ.get("TAWASOL_LARGE_CATALOG_CSV") or REPOSITORY / "data" / "catalog_large" / "jordan_services.csv"
)
_ASPECT_COLUMNS = {
    "overview": "description",
    "fees": "fees",
    "documents": "documents",
    "location": "where",
    "duration": "duration",
    "steps": "steps",
    "eligibility": "eligibility",
}


def catalog_from_csv(
    path: Union[str, Path], *, aliases: bool = True, base: Optional[Catalog] = None, synthetic_to: int = 0
) -> Catalog:
    """Services of the CSV (added to a copy of `base`'s services when given); rows with no name or
    whose id `base` already has are skipped."""
    catalog = Catalog()
    if base is not None:
        catalog.agencies.update(base.agencies)
        catalog.services.update(base.services)
    with open(path, encoding="utf-8-sig", newline="") as stream:
        for row in csv.DictReader(stream):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            service_id = row.get("service_id") or ""
            if not service_id or service_id in catalog.services or not (row.get("name_ar") or row.get("name_en")):
                continue
            agency_id = row.get("agency_id") or service_id.split(".")[0]
            agency = catalog.agencies.get(agency_id)
            if agency is None:
                agency = Agency(agency_id, LocalizedText(row.get("agency_name_ar", ""), row.get("agency_name_en", "")))
                catalog.agencies[agency_id] = agency
            names = tuple(a.strip() for a in row.get("aliases", "").split("|") if a.strip()) if aliases else ()
            answers = {
                aspect: LocalizedText(row.get(f"{column}_ar", ""), row.get(f"{column}_en", ""))
                for aspect, column in _ASPECT_COLUMNS.items()
                if row.get(f"{column}_ar") or row.get(f"{column}_en")
            }
            service = Service(
                service_id, LocalizedText(row.get("name_ar", ""), row.get("name_en", "")), agency, names, (), False, answers
            )
            # A copy of a base agency would lose its services list: append to whichever we hold.
            agency.services.append(service)
            catalog.services[service_id] = service
    if synthetic_to:
        _pad(catalog, synthetic_to)
    return catalog


def _pad(catalog: Catalog, size: int) -> None:
    """Generated services (two real titles' halves recombined) until the catalog has `size`."""
    rng = random.Random(20)
    real = list(catalog.services.values())
    agencies = list(catalog.agencies.values())
    number = 0
    while len(catalog.services) < size and real:
        a, b = rng.sample(real, 2)
        ar = " ".join(a.name.ar.split()[:2] + b.name.ar.split()[1:])
        en = " ".join(a.name.en.split()[:2] + b.name.en.split()[1:])
        agency = rng.choice(agencies)
        number += 1
        description = a.answers.get("overview") or LocalizedText()
        service = Service(
            f"{agency.id}.synthetic_{number}", LocalizedText(ar, en), agency, (), (), False,
            {"overview": LocalizedText(f"{ar}. {description.ar}", f"{en}. {description.en}")},
        )
        agency.services.append(service)
        catalog.services[service.id] = service
