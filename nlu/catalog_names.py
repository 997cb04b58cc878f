"""Builds the service resolver from the catalog as it is on disk now."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional, Union

from catalog.services import Catalog, CatalogError
from nlu.embeddings import USE
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
