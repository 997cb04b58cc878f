"""The services catalog as the actions see it: loaded once per process, reloadable by staff tools."""

from __future__ import annotations

import threading
from typing import Optional

from catalog.services import Catalog

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
    global _catalog
    with _lock:
        if _catalog is None:
            _catalog = Catalog.load(skip_bad_files=True)
        return _catalog


def reload_catalog() -> Catalog:
    global _catalog, _generation
    with _lock:
        _catalog = Catalog.load(skip_bad_files=True)
        _generation += 1
        return _catalog


def catalog_generation() -> int:
    return _generation
