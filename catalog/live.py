"""The catalog this process answers from, kept up to date with its source (the store).

Staff change the catalog while the service runs (the console, `tawasol catalog import`); each change
bumps a generation number in the same transaction. Every reader here asks for `current()`, which
reads that number at most once every `check_every` seconds and, when it moved, loads the catalog
again; so every worker of every process answers from the new text within about a second, without a
restart. What the source is (the store) is given from above (actions/catalog_access.py): this
package does not know the store.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import Callable, Optional

from catalog.services import Catalog

logger = logging.getLogger(__name__)

CHECK_EVERY_S = 1.0


class LiveCatalog:
    """A catalog and its generation, reloaded when the source's generation moves."""

    def __init__(
        self,
        load: Callable[[], tuple[int, Catalog]],
        generation: Callable[[], int],
        *,
        check_every: float = CHECK_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`load()`: (generation, catalog) read together; `generation()`: the source's number now."""
        self._load = load
        self._read_generation = generation
        self._check_every = check_every
        self._clock = clock
        self._lock = threading.Lock()
        self._generation, self._catalog = load()
        self._checked_at = clock()
        # Which catalog a generation number counts in: two stores (tests, a re-created database) both
        # reach generation 2, and an answer cached under one must never be served for the other.
        self.epoch = secrets.token_hex(6)

    def current(self) -> Catalog:
        self._refresh()
        return self._catalog

    def generation(self) -> int:
        """The generation of the catalog `current()` returns (checked first, like it)."""
        self._refresh()
        return self._generation

    def snapshot(self) -> tuple[int, Catalog]:
        self._refresh()
        return self._generation, self._catalog

    def _refresh(self) -> None:
        if self._clock() - self._checked_at < self._check_every:
            return
        with self._lock:
            if self._clock() - self._checked_at < self._check_every:
                return  # another thread checked while this one waited
            try:
                latest = self._read_generation()
                if latest != self._generation:
                    generation, catalog = self._load()
                    logger.info(
                        "catalog reloaded generation=%d services=%d not_yet=%d",
                        generation, len(catalog.services), len(catalog.not_yet),
                    )
                    self._generation, self._catalog = generation, catalog
            except Exception as error:  # the database away for a moment: keep answering from what we have
                logger.warning("catalog check failed, keeping generation %d: %s", self._generation, type(error).__name__)
            self._checked_at = self._clock()


_live: Optional[LiveCatalog] = None


def use_live_catalog(live: Optional[LiveCatalog]) -> None:
    """Make `live` this process's catalog (None: back to the YAML directory, as in training)."""
    global _live
    _live = live


def live_catalog() -> Optional[LiveCatalog]:
    return _live
