"""Builds the service resolver from the catalog: the YAML directory (training, tests), or the live
catalog of the store (serving, `tawasol nlu parse`), rebuilt whenever that catalog changes."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Optional, Union

from catalog.live import live_catalog
from catalog.services import Catalog, CatalogError
from nlu.embeddings import USE
from nlu.not_yet import not_yet_of_catalog
from nlu.service_index import ServiceIndex
from nlu.services import ServiceResolver

logger = logging.getLogger(__name__)


def resolver_from_catalog(catalog: Catalog) -> ServiceResolver:
    names = {
        service.id: [*service.names, service.name.ar, service.name.en]
        for service in catalog.services.values()
    }
    generic = {service.id: list(service.generic_names) for service in catalog.services.values()}
    # An agency named alone ("الأحوال المدنية") is a choice among its services, never a guess.
    agencies = {
        tuple(s.id for s in agency.services): [*agency.names, agency.name.ar, agency.name.en]
        for agency in catalog.agencies.values()
        if agency.services
    }
    return ServiceResolver.from_names(names, generic, agencies)


def _load(directory: Union[str, Path, None]) -> Optional[Catalog]:
    try:
        return Catalog.load(directory, skip_bad_files=True)
    except CatalogError as error:
        logger.error("service catalog unavailable, services will not be recognised: %s", error)
        return None


def resolver_for_catalog(directory: Union[str, Path, None] = None) -> Optional[ServiceResolver]:
    """A resolver for the catalog in `directory`; bad files are skipped (and logged), never fatal."""
    catalog = _load(directory)
    return resolver_from_catalog(catalog) if catalog is not None else None


def matchers_for_catalog(
    directory: Union[str, Path, None] = None, retrieval: bool = True
) -> tuple[Optional[ServiceResolver], Optional[ServiceIndex]]:
    """The phrase resolver and the retrieval index (nlu/service_index.py) of one catalog load."""
    catalog = _load(directory)
    if catalog is None:
        return None, None
    return resolver_from_catalog(catalog), ServiceIndex(catalog, USE) if retrieval else None


class _LiveResolvers:
    """The matchers of the live catalog, built once per catalog: the phrase resolver, the not-yet
    services' resolver and the retrieval index (None when retrieval is off)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._catalog: Optional[Catalog] = None
        self._resolvers: Optional[tuple[ServiceResolver, ServiceResolver, Optional[ServiceIndex]]] = None

    def get(self, retrieval: bool = True) -> Optional[tuple[ServiceResolver, ServiceResolver, Optional[ServiceIndex]]]:
        live = live_catalog()
        if live is None:
            return None
        generation, catalog = live.snapshot()
        if catalog is not self._catalog:
            with self._lock:
                if catalog is not self._catalog:
                    started = time.perf_counter()
                    resolvers = (
                        resolver_from_catalog(catalog),
                        not_yet_of_catalog(catalog).resolver(),
                        ServiceIndex(catalog, USE) if retrieval else None,
                    )
                    self._resolvers = resolvers  # before the catalog: a reader never pairs new with old
                    self._catalog = catalog
                    logger.info("service resolver rebuilt generation=%d services=%d seconds=%.2f",
                                generation, len(catalog.services), time.perf_counter() - started)
        return self._resolvers


live_resolvers = _LiveResolvers().get
