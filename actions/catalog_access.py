"""The services catalog as the actions see it: the store's, live (catalog/live.py), in a serving process;
the YAML directory's, loaded once, where no store is given (training, unit tests).

Also where the store and the catalog meet (they do not know each other): seeding an empty store
from the YAML directory, and reading the store into an in-memory `Catalog`.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from collections.abc import Mapping
from typing import Optional, Union

from sqlalchemy.exc import IntegrityError

from catalog.live import LiveCatalog, live_catalog, use_live_catalog
from catalog.records import catalog_of_rows, rows_of_catalog
from catalog.replies import seed_wording
from catalog.services import Catalog, CatalogError, default_catalog_dir
from nlu.not_yet import NotYetError, load_not_yet, not_yet_path, rows_of_not_yet
from store import Store
from store.audit import SYSTEM_ACTOR
from store.catalog import ImportOutcome

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_catalog: Optional[Catalog] = None
_generation = 0  # bumped by every reload: answers cached from an older catalog are stale

ASPECT_OF_INTENT = {
    "ask_overview": "overview",
    "ask_fees": "fees",
    "ask_documents": "documents",
    "ask_steps": "steps",
    "ask_location": "location",
    "ask_duration": "duration",
    "ask_eligibility": "eligibility",
}
INTENT_OF_ASPECT = {aspect: intent for intent, aspect in ASPECT_OF_INTENT.items()}


def catalog() -> Catalog:
    live = live_catalog()
    if live is not None:
        return live.current()
    global _catalog
    with _lock:
        if _catalog is None:
            _catalog = Catalog.load(skip_bad_files=True)
        return _catalog


def reload_catalog() -> Catalog:
    """Read the YAML directory again (a process without a store); a live catalog reloads itself."""
    global _catalog, _generation
    live = live_catalog()
    if live is not None:
        return live.current()
    with _lock:
        _catalog = Catalog.load(skip_bad_files=True)
        _generation += 1
        return _catalog


def catalog_generation() -> str:
    """The generation of the catalog answers are read from, with the catalog it counts in: part of
    every answer cache key, so an answer cached before an edit (or from another store) is never
    served after it."""
    live = live_catalog()
    return f"{live.epoch}:{live.generation()}" if live is not None else f"directory:{_generation}"


# --- the store as the catalog's home ---------------------------------------------------------------


def catalog_from_store(store: Store) -> tuple[int, Catalog]:
    """The store's catalog and the bot's wording, with the generation read first: a change committed
    between the reads is then loaded under the older generation (and loaded again when the next
    check sees the newer one), never the other way, so no answer cached under a generation was
    composed from text older than it."""
    generation, agencies, services = store.catalog.snapshot()
    catalog = catalog_of_rows(agencies, services)
    catalog.wording = store.replies.texts()
    return generation, catalog


def seed_wording_into(store: Store) -> list[str]:
    """Copy the wording file's keys the store lacks into it (every start: a release may bring new
    ones); the keys added."""
    added = store.replies.seed(seed_wording())
    if added:
        logger.info("wording seeded from the replies file keys=%d", len(added))
    return added


def use_store_catalog(store: Store, *, seed_dir: Union[str, Path, None] = None) -> LiveCatalog:
    """Serve this process's catalog and wording from the store, seeding the catalog from `seed_dir`
    (default: the catalog directory, TAWASOL_CATALOG_DIR) when the store has no service yet, and the
    wording's missing keys from the replies file."""
    seed_catalog(store, seed_dir)
    seed_wording_into(store)
    live = LiveCatalog(lambda: catalog_from_store(store), store.catalog.generation)
    use_live_catalog(live)
    return live


def seed_catalog(store: Store, directory: Union[str, Path, None] = None) -> Optional[ImportOutcome]:
    """Import the YAML catalog (and its not-yet list, as services with pilot no) into an empty store;
    None when the store has services already. Two processes starting together: one seeds, the
    other's insert fails on the ids and it uses what the first wrote."""
    if not store.catalog.is_empty():
        return None
    try:
        known = store.catalog.agency_names()
        agencies, services = rows_of_directory(directory, known)
        # An agency registered already (`tawasol agency add`) keeps its names; the seed adds its nicknames.
        agencies = [{k: v for k, v in row.items() if row["id"] not in known or k not in ("name_ar", "name_en")}
                    for row in agencies]
        outcome = store.catalog.apply(agencies, services, SYSTEM_ACTOR, audit=False)
    except IntegrityError:
        logger.info("catalog seeded by another process meanwhile")
        return None
    except (CatalogError, NotYetError) as error:
        logger.error("catalog seed failed, the catalog is empty: %s", error)
        return None
    logger.info("catalog seeded from YAML services=%d agencies=%d", len(outcome.added), len(outcome.agencies_added))
    return outcome


def rows_of_directory(
    directory: Union[str, Path, None], known_agencies: Mapping[str, str], *, strict: bool = False
) -> tuple[list[dict], list[dict]]:
    """(agency rows, service rows) of a YAML catalog directory and its not-yet list. `known_agencies`:
    the store's, id -> Arabic name (a not-yet service's agency is found by name). `strict`: a bad
    file raises CatalogError (an import says so); else it is skipped and logged (start-up goes on)."""
    directory = Path(directory) if directory is not None else default_catalog_dir()
    loaded = Catalog.load(directory, skip_bad_files=not strict)
    agencies, services = rows_of_catalog(loaded)
    known = {row["id"]: row for row in agencies}
    known.update({agency_id: {"id": agency_id, "name_ar": name} for agency_id, name in known_agencies.items()
                  if agency_id not in known})
    more_agencies, not_yet = rows_of_not_yet(load_not_yet(not_yet_path(directory)), known)
    return agencies + more_agencies, services + not_yet
