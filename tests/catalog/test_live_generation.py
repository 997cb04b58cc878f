"""The answer cache's catalog key tells two catalogs apart even at the same generation number."""

from __future__ import annotations

from actions.catalog_access import catalog_generation
from catalog.live import LiveCatalog, live_catalog, use_live_catalog
from catalog.services import Catalog


def test_two_stores_at_the_same_generation_give_different_cache_keys():
    # Two databases seeded alike both reach generation 2: an answer cached under one must not be
    # served from the other (seen: a fee edited in one test answered with another store's old fee).
    first = LiveCatalog(lambda: (2, Catalog()), lambda: 2)
    second = LiveCatalog(lambda: (2, Catalog()), lambda: 2)
    before = live_catalog()
    try:
        use_live_catalog(first)
        key_first = catalog_generation()
        use_live_catalog(second)
        key_second = catalog_generation()
        use_live_catalog(first)
        assert catalog_generation() == key_first  # stable for one catalog
    finally:
        use_live_catalog(before)
    assert key_first != key_second and key_first.endswith(":2") and key_second.endswith(":2")
