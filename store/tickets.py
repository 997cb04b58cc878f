"""Tickets: a citizen asked for a human (handoff) or filed a complaint."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select

from store.database import Database
from store.models import Ticket

TICKET_KINDS = ("handoff", "complaint")


class TicketRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def open(self, citizen_id: int, kind: str, text: str, service_id: Optional[str] = None) -> int:
        if kind not in TICKET_KINDS:
            raise ValueError(f"ticket kind must be one of {TICKET_KINDS}, got {kind!r}")
        with self._db.session() as s:
            ticket = Ticket(citizen_id=citizen_id, kind=kind, text=text, service_id=service_id, status="open")
            s.add(ticket)
            s.flush()
            return ticket.id

    def open_tickets(self, limit: int = 100) -> list[Ticket]:
        with self._db.session() as s:
            return list(
                s.execute(select(Ticket).where(Ticket.status == "open").order_by(Ticket.id).limit(limit)).scalars()
            )
