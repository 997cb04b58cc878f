"""Builds the service resolver from the catalog as it is on disk now."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional, Union

from catalog.services import Catalog, CatalogError
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
