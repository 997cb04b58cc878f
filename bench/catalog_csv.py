"""The large catalog for benches and evaluation: an agency spreadsheet read by the importer's own
reader and checks (catalog/spreadsheet.py), held in memory instead of written to a store.

Every row counts as answered here (pilot or not), so the matcher is measured among all of them.
`aliases=False` drops the hand-written aliases, as an agency's own spreadsheet would have none.
`synthetic_to` pads the catalog with generated rows (recombined real words) to reach a size for
the latency bench; they are never used for accuracy.
"""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path
from typing import Optional, Union

from catalog.records import catalog_of_rows
from catalog.services import Catalog, LocalizedText, Service
from catalog.spreadsheet import check_rows, read_rows

logger = logging.getLogger(__name__)

REPOSITORY = Path(__file__).resolve().parent.parent
LARGE_CATALOG_CSV = Path(
    os.environ.get("TAWASOL_LARGE_CATALOG_CSV") or REPOSITORY / "data" / "catalog_large" / "jordan_services.csv"
)


def catalog_from_csv(
    path: Union[str, Path], *, aliases: bool = True, base: Optional[Catalog] = None, synthetic_to: int = 0
) -> Catalog:
    """Services of the spreadsheet (added to a copy of `base`'s services when given); rows the
    importer would refuse, and ids `base` already has, are left out."""
    sheet = check_rows(read_rows(Path(path)), base.agencies if base is not None else ())
    for refusal in sheet.refusals:
        logger.warning("large catalog row %d refused: %s", refusal.row, "; ".join(refusal.reasons))
    taken = set(base.services) if base is not None else set()
    rows = [
        {**row, "pilot": True, **({} if aliases else {"aliases": []})}
        for _, row in sheet.services
        if row["id"] not in taken
    ]
    read = catalog_of_rows(sheet.agencies.values(), rows)
    catalog = Catalog()
    if base is not None:
        catalog.agencies.update(base.agencies)
        catalog.services.update(base.services)
    for service in read.services.values():
        # A base agency keeps its own record: its services list gains the spreadsheet's.
        agency = catalog.agencies.setdefault(service.agency.id, service.agency)
        if agency is not service.agency:
            service.agency = agency
            agency.services.append(service)
        catalog.services[service.id] = service
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
