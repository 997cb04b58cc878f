"""Receipts of multi-part messages, folded into one status for the message.

Every part of a concatenated SMS gets its own SMSC message id and its own receipt, but the outbox
knows the message by one provider id (the first part's). This keeps, in memory, which part ids
belong to which message, and reports: "sent" on the first receipt saying so, "failed" as soon as
any part fails, "delivered" once every part is delivered. Ids not registered (single-part
messages, or after a restart) pass through unchanged.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Optional

from core.messages import STATUS_DELIVERED, STATUS_FAILED, STATUS_SENT
from channels.sms.receipts import id_variants


@dataclass
class _Message:
    provider_id: str
    parts: set[str]
    delivered: set[str] = field(default_factory=set)
    reported: set[str] = field(default_factory=set)  # statuses already passed on
    registered_at: float = 0.0


class DeliveryTracker:
    def __init__(
        self, ttl_s: float = 3 * 24 * 3600, max_messages: int = 200_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.max_messages = max_messages
        self._clock = clock
        self._by_part: "OrderedDict[str, _Message]" = OrderedDict()
        self._lock = threading.Lock()

    def register(self, message_ids: list[str]) -> None:
        """Remember the part ids of one message; the first is the message's provider id."""
        if len(message_ids) < 2:
            return
        message = _Message(message_ids[0], set(message_ids), registered_at=self._clock())
        with self._lock:
            for part_id in message_ids:
                self._by_part[part_id] = message
            self._evict()

    def observe(self, part_id: str, status: str) -> tuple[str, Optional[str]]:
        """(provider id to report, status to report) for a part's receipt; status None = nothing yet."""
        with self._lock:
            message = None
            for variant in id_variants(part_id):
                message = self._by_part.get(variant)
                if message is not None:
                    part_id = variant
                    break
            if message is None:
                return part_id, status
            if status == STATUS_DELIVERED:
                message.delivered.add(part_id)
                if message.delivered != message.parts:
                    status = STATUS_SENT  # delivered in part: the message is on its way
            if status in message.reported or message.reported & {STATUS_DELIVERED, STATUS_FAILED}:
                return message.provider_id, None
            message.reported.add(status)
            return message.provider_id, status

    def _evict(self) -> None:
        now = self._clock()
        while self._by_part:
            oldest_id, oldest = next(iter(self._by_part.items()))
            if len(self._by_part) <= self.max_messages and now - oldest.registered_at <= self.ttl_s:
                return
            del self._by_part[oldest_id]
