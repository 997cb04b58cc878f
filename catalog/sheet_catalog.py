"""A catalog read from an agency spreadsheet straight into memory, with the importer's own reader
and checks (catalog/spreadsheet.py): for measuring the matcher on a large catalog (`tawasol nlu
evaluate --large-catalog FILE.csv`, the benches) without writing it to a store.

Every row counts as answered here (pilot or not), so the matcher is measured among all of them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional, Union

from catalog.records import catalog_of_rows
from catalog.services import Catalog
from catalog.spreadsheet import check_rows, read_rows

logger = logging.getLogger(__name__)


def catalog_of_sheet(path: Union[str, Path], *, aliases: bool = True, base: Optional[Catalog] = None) -> Catalog:
    """The spreadsheet's services, added to a copy of `base`'s when given. Rows the importer would
    refuse, and ids `base` already has, are left out. `aliases=False` drops the hand-written
    aliases: an agency's own sheet comes without them."""
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
    return catalog
