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
from nlu.not_yet import not_yet_of_catalog
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


def resolver_for_catalog(directory: Union[str, Path, None] = None) -> Optional[ServiceResolver]:
    """A resolver for the catalog in `directory`; bad files are skipped (and logged), never fatal."""
    try:
        catalog = Catalog.load(directory, skip_bad_files=True)
    except CatalogError as error:
        logger.error("service catalog unavailable, services will not be recognised: %s", error)
        return None
    return resolver_from_catalog(catalog)


class _LiveResolvers:
    """The resolvers (catalog services, not-yet services) of the live catalog, built once per catalog."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._catalog: Optional[Catalog] = None
        self._resolvers: Optional[tuple[ServiceResolver, ServiceResolver]] = None

    def get(self) -> Optional[tuple[ServiceResolver, ServiceResolver]]:
        live = live_catalog()
        if live is None:
            return None
        generation, catalog = live.snapshot()
        if catalog is not self._catalog:
            with self._lock:
                if catalog is not self._catalog:
                    started = time.perf_counter()
                    resolvers = (resolver_from_catalog(catalog), not_yet_of_catalog(catalog).resolver())
                    self._resolvers = resolvers  # before the catalog: a reader never pairs new with old
                    self._catalog = catalog
                    logger.info("service resolver rebuilt generation=%d services=%d seconds=%.2f",
                                generation, len(catalog.services), time.perf_counter() - started)
        return self._resolvers


live_resolvers = _LiveResolvers().get
