"""The provider id of an MO message: the key the pipeline deduplicates on.

SMPP gives an MO no id of its own. When the SMSC misses our deliver_sm_resp (the connection
dropped, or we answered "temporary error" because accepting failed) it delivers the same message
again, and the pipeline must recognise it. The key starts from a hash of what identifies the
message: source and destination addresses, the text, the concatenation reference and the SMSC's
timestamps when it sends any.

The pipeline's dedupe is durable (a unique constraint), so a content hash alone would swallow a
citizen's second, deliberate "1" forever. Hence:
- when the SMSC stamps the message (schedule_delivery_time / validity_period set), the hash alone
  is the id — a redelivery carries the same stamp, a new message a new one;
- otherwise the id is the hash plus the time we first saw the message, and a redelivery finds
  that id again in `RedeliveryMemory`. An MO enters the memory when we answer its deliver_sm
  (whatever the answer) and leaves it only when an enquire_link round trip after a successful
  answer shows the SMSC has read it; so a failed accept, an answer that could not be written, or
  a session that dropped before the SMSC read it all keep the id for the redelivery. A citizen
  resending the very same text within that round trip (well under a second) would be taken for
  a redelivery. The memory lives in this process: a redelivery after a restart gets a new id
  (the citizen may get a second answer; never none).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from datetime import datetime
from typing import Callable, Optional


def content_digest(
    source: str, destination: str, text: str, reference: str = "", smsc_stamp: str = ""
) -> str:
    joined = "\x1f".join((source, destination, reference, smsc_stamp, text))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


class RedeliveryMemory:
    """digest → provider id for MOs the SMSC may deliver again. Thread-safe, bounded, expiring."""

    def __init__(
        self, ttl_s: float = 24 * 3600, max_entries: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: "OrderedDict[str, tuple[float, str]]" = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, digest: str, provider_id: str) -> None:
        with self._lock:
            self._entries[digest] = (self._clock(), provider_id)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def recall(self, digest: str) -> Optional[str]:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if self._clock() - entry[0] > self.ttl_s:
                del self._entries[digest]
                return None
            return entry[1]

    def forget(self, digest: str) -> None:
        with self._lock:
            self._entries.pop(digest, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def provider_id(
    digest: str, smsc_stamped: bool, received_at: datetime, memory: RedeliveryMemory
) -> str:
    if smsc_stamped:
        return f"mo-{digest}"
    known = memory.recall(digest)
    if known:
        return known
    return f"mo-{digest[:24]}-{int(received_at.timestamp() * 1000):x}"
