"""Tickets: a citizen asked for a human (handoff) or filed a complaint."""

from __future__ import annotations

from typing import Optional, Sequence

from sqlalchemy import select

from core.messages import utcnow
from store.audit import Actor, record
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


def agency_of_service(service_id: Optional[str]) -> Optional[str]:
    """`cspd.passport_renew` belongs to agency `cspd`; a ticket with no service belongs to the ministry."""
    if not service_id or "." not in service_id:
        return None
    return service_id.split(".", 1)[0]


def ticket_snapshot(ticket: Ticket) -> dict:
    return {"status": ticket.status, "assigned_staff_id": ticket.assigned_staff_id}


class TicketNotFound(LookupError):
    pass


class TicketDesk:
    """Tickets as staff work them: listed and changed within an agency (None: every agency), each
    change audited in its own transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def list(self, agency_id: Optional[str], statuses: Sequence[str] = ("open", "taken"), limit: int = 200) -> list[Ticket]:
        query = select(Ticket).where(Ticket.status.in_(list(statuses)))
        if agency_id is not None:
            query = query.where(Ticket.service_id.startswith(agency_id + ".", autoescape=True))
        with self._db.session() as s:
            return list(s.execute(query.order_by(Ticket.created_at, Ticket.id).limit(limit)).scalars())

    def get(self, ticket_id: int, agency_id: Optional[str]) -> Optional[Ticket]:
        """The ticket, or None when it does not exist or belongs to another agency than `agency_id`."""
        with self._db.session() as s:
            ticket = s.get(Ticket, ticket_id)
        if ticket is None or (agency_id is not None and agency_of_service(ticket.service_id) != agency_id):
            return None
        return ticket

    def take(self, ticket_id: int, agency_id: Optional[str], actor: Actor) -> Ticket:
        return self._change(ticket_id, agency_id, actor, "ticket.take", status="taken", assigned_staff_id=actor.staff_id)

    def close(self, ticket_id: int, agency_id: Optional[str], actor: Actor) -> Ticket:
        return self._change(ticket_id, agency_id, actor, "ticket.close", status="closed", closed_at=utcnow())

    def _change(self, ticket_id: int, agency_id: Optional[str], actor: Actor, action: str, **values: object) -> Ticket:
        with self._db.session() as s:
            ticket = s.execute(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).scalar_one_or_none()
            if ticket is None or (agency_id is not None and agency_of_service(ticket.service_id) != agency_id):
                raise TicketNotFound(ticket_id)
            before = ticket_snapshot(ticket)
            for name, value in values.items():
                setattr(ticket, name, value)
            record(s, actor, action, "ticket", ticket.id, agency_id=agency_of_service(ticket.service_id),
                   before=before, after=ticket_snapshot(ticket))
            return ticket
