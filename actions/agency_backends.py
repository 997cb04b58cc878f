"""Where transaction statuses come from: one interface, one backend per agency system.

The pilot has no agency system connected yet, so `DemoBackend` answers from the number itself
(deterministic, documented below) to exercise the whole conversation. A real agency plugs in by
implementing `AgencyBackend` and being listed in `backend_for`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional, Protocol

STATUSES = ("received", "under_review", "awaiting_documents", "completed", "sent_to_other_body")


class BackendUnavailable(RuntimeError):
    """The agency system could not be asked (down, timed out): try again later."""


@dataclass(frozen=True)
class TransactionStatus:
    number: str
    service_id: str
    status: str  # one of STATUSES
    updated_on: date


class AgencyBackend(Protocol):
    # True while the statuses are invented (the demo): every answer from it must say so.
    demo: bool

    def lookup(self, number: str) -> Optional[TransactionStatus]:
        """The transaction's status, None if the agency has no such number; raises BackendUnavailable."""


class DemoBackend:
    """Demo data: numbers ending in 0000 do not exist; those ending in 999 find the system down;
    any other number gets a status and service derived from its hash, stable across calls.
    Nothing it says is a real transaction's status, so the citizen is told it is demo data."""

    demo = True

    def __init__(self, service_ids: list[str], today: Optional[date] = None) -> None:
        self.service_ids = sorted(service_ids)
        self.today = today

    def lookup(self, number: str) -> Optional[TransactionStatus]:
        digits = "".join(ch for ch in number if ch.isdigit())
        if digits.endswith("999"):
            raise BackendUnavailable("demo backend: numbers ending in 999 simulate an outage")
        if digits.endswith("0000") or not self.service_ids:
            return None
        seed = int(hashlib.sha256(digits.encode()).hexdigest(), 16)
        today = self.today or date.today()
        return TransactionStatus(
            number=number,
            service_id=self.service_ids[seed % len(self.service_ids)],
            status=STATUSES[(seed // 7) % len(STATUSES)],
            updated_on=today - timedelta(days=seed % 5),
        )


def backend_for(number: str, service_ids: list[str]) -> AgencyBackend:
    """The backend that knows this number. Only the demo exists until an agency connects."""
    return DemoBackend(service_ids)
