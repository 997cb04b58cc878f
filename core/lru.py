"""A bounded least-recently-used map with a time to live per entry, counting hits and misses.

One per cache that needs it (the answer cache's turns and parses, the sentence embeddings); not
thread-safe: a cache shared between threads holds its own lock around it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Generic, Hashable, Optional, TypeVar

Value = TypeVar("Value")


class Lru(Generic[Value]):
    def __init__(self, max_entries: int, ttl_s: float = float("inf")) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._entries: OrderedDict[Hashable, tuple[float, Value]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Optional[Value]:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > self.ttl_s:
            if entry is not None:
                del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: Hashable, value: Value) -> None:
        self._entries[key] = (time.monotonic(), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
