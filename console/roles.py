"""What each role may see and do. Every page and action asks these on the server; hiding a link is
only a courtesy. Anything outside a viewer's agency is answered 404, as if it did not exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from core.privacy import mask_phone
from store.staff import AGENT, MINISTRY_ADMIN
from store.tickets import agency_of_service


@dataclass(frozen=True)
class Viewer:
    staff_id: int
    email: str
    role: str
    agency_id: Optional[str]

    @property
    def is_admin(self) -> bool:
        return self.role == MINISTRY_ADMIN

    @property
    def scope(self) -> Optional[str]:
        """The agency whose records this viewer sees; None: every agency (ministry admins)."""
        return None if self.is_admin else self.agency_id

    def sees_service(self, service_id: str) -> bool:
        return self.is_admin or agency_of_service(service_id) == self.agency_id

    @property
    def works_tickets(self) -> bool:
        """Takes and closes tickets: the agency's agents, and ministry admins."""
        return self.role in (AGENT, MINISTRY_ADMIN)

    def phone(self, number: str, holds: bool = False) -> str:
        """A citizen's number, whole only to those who need it: ministry admins, and the agent who
        holds the citizen's conversation now (`holds`: a ticket of theirs is taken by this viewer).
        Liaison officers read conversations to improve answers, and other agents to follow their
        queue: they see numbers masked."""
        whole = self.is_admin or (holds and self.role == AGENT)
        return number if whole else mask_phone(number)
