"""The large catalog for benches and evaluation (catalog/sheet_catalog.py reads it).

`aliases=False` drops the hand-written aliases, as an agency's own spreadsheet would have none.
`synthetic_to` pads the catalog with generated rows (recombined real words) to reach a size for
the latency bench; they are never used for accuracy.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Optional, Union

from catalog.services import Catalog, LocalizedText, Service
from catalog.sheet_catalog import catalog_of_sheet

REPOSITORY = Path(__file__).resolve().parent.parent
LARGE_CATALOG_CSV = Path(
    os.environ.get("TAWASOL_LARGE_CATALOG_CSV") or REPOSITORY / "data" / "catalog_large" / "jordan_services.csv"
)


def catalog_from_csv(
    path: Union[str, Path], *, aliases: bool = True, base: Optional[Catalog] = None, synthetic_to: int = 0
) -> Catalog:
    """The spreadsheet's catalog (catalog/sheet_catalog.py), padded to `synthetic_to` services."""
    catalog = catalog_of_sheet(path, aliases=aliases, base=base)
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
