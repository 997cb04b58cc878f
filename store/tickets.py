"""Tickets: a citizen asked for a human (handoff) or filed a complaint.

A ticket is "open" in its agency's queue, "taken" by an agent (who then holds the citizen's
conversation: the bot stays quiet for that citizen, pipeline/pipeline.py), and "closed" (the citizen
is handed back to the bot). Staff work them through `TicketDesk`, every change audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Optional, Sequence

from sqlalchemy import and_, func, or_, select, update

from core.messages import utcnow
from store.audit import Actor, record
from store.database import Database
from store.models import Message, StaffUser, Ticket

TICKET_KINDS = ("handoff", "complaint")
OPEN, TAKEN, CLOSED = "open", "taken", "closed"
# How a ticket list may be ordered: longest waiting first (the default), newest first, by number.
TICKET_ORDERS = ("waiting", "newest", "number")


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

    def agents_on_duty(self, agency_id: Optional[str]) -> int:
        """Active agents of the agency's queue (see `agents_on_duty`)."""
        return agents_on_duty(self._db, agency_id)

    def open_tickets(self, limit: int = 100) -> list[Ticket]:
        with self._db.session() as s:
            return list(
                s.execute(select(Ticket).where(Ticket.status == "open").order_by(Ticket.id).limit(limit)).scalars()
            )


def ticket_reference(ticket_id: int) -> str:
    """How citizens and staff quote a ticket: T-000042."""
    return f"T-{ticket_id:06d}"


def agency_of_service(service_id: Optional[str]) -> Optional[str]:
    """`cspd.passport_renew` belongs to agency `cspd`; a ticket with no service belongs to the ministry."""
    if not service_id or "." not in service_id:
        return None
    return service_id.split(".", 1)[0]


def ticket_snapshot(ticket: Ticket) -> dict:
    return {"status": ticket.status, "assigned_staff_id": ticket.assigned_staff_id}


def is_late(ticket: Ticket, now: datetime, limit: timedelta) -> bool:
    """Not closed, no reply from staff yet, and waiting longer than `limit`."""
    return ticket.status != CLOSED and ticket.answered_at is None and now - ticket.created_at > limit


def waited_until(ticket: Ticket, now: datetime) -> datetime:
    """When the citizen's wait ended: the first staff reply, else the closing, else not yet (now)."""
    return ticket.answered_at or ticket.closed_at or now


class TicketNotFound(LookupError):
    pass


class TicketConflict(ValueError):
    """The change does not fit the ticket's state; `code` names why (for the page's words)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class TicketDesk:
    """Tickets as staff work them: listed and changed within an agency (None: every agency), each
    change audited in its own transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def list(
        self, agency_id: Optional[str], statuses: Sequence[str] = ("open", "taken"), limit: int = 200, *,
        order: str = "waiting", late_before: Optional[datetime] = None,
    ) -> list[Ticket]:
        """`order`: one of TICKET_ORDERS. `late_before`: only tickets still unanswered (no staff
        reply, not closed) that were opened before this moment (now minus the time limit)."""
        query = select(Ticket).where(Ticket.status.in_(list(statuses)))
        if agency_id is not None:
            query = query.where(Ticket.service_id.startswith(agency_id + ".", autoescape=True))
        if late_before is not None:
            query = query.where(Ticket.status != CLOSED, Ticket.answered_at.is_(None), Ticket.created_at < late_before)
        ordering = {
            "newest": (Ticket.created_at.desc(), Ticket.id.desc()),
            "number": (Ticket.id,),
        }.get(order, (Ticket.created_at, Ticket.id))
        with self._db.session() as s:
            return list(s.execute(query.order_by(*ordering).limit(limit)).scalars())

    def held(self, citizen_id: int) -> Optional[Ticket]:
        """The ticket an agent holds for this citizen (taken, not closed), if any."""
        with self._db.session() as s:
            return s.execute(
                select(Ticket).where(Ticket.citizen_id == citizen_id, Ticket.status == TAKEN).order_by(Ticket.id).limit(1)
            ).scalar_one_or_none()

    def held_citizens(self, staff_id: int) -> set[int]:
        """The citizens whose conversation this staff member holds now (their taken tickets)."""
        with self._db.session() as s:
            return set(s.execute(
                select(Ticket.citizen_id).where(Ticket.assigned_staff_id == staff_id, Ticket.status == TAKEN)
            ).scalars())

    def get(self, ticket_id: int, agency_id: Optional[str]) -> Optional[Ticket]:
        """The ticket, or None when it does not exist or belongs to another agency than `agency_id`."""
        with self._db.session() as s:
            ticket = s.get(Ticket, ticket_id)
        if ticket is None or (agency_id is not None and agency_of_service(ticket.service_id) != agency_id):
            return None
        return ticket

    def take(self, ticket_id: int, agency_id: Optional[str], actor: Actor) -> Ticket:
        """The actor holds the ticket, and with it the citizen's conversation. TicketConflict when
        it is closed or taken already, or when another staff member holds this citizen through
        another ticket (one person talks to a citizen at a time)."""
        with self._db.session() as s:
            ticket = self._locked(s, ticket_id, agency_id)
            if ticket.status != OPEN:
                raise TicketConflict("ticket_not_open")
            other = s.execute(
                select(Ticket.id).where(
                    Ticket.citizen_id == ticket.citizen_id, Ticket.status == TAKEN, Ticket.id != ticket.id,
                    or_(Ticket.assigned_staff_id.is_(None), Ticket.assigned_staff_id != actor.staff_id),
                )
            ).first()
            if other is not None:
                raise TicketConflict("citizen_held_elsewhere")
            return self._apply(s, ticket, actor, "ticket.take", status=TAKEN, assigned_staff_id=actor.staff_id)

    def close(self, ticket_id: int, agency_id: Optional[str], actor: Actor) -> tuple[Ticket, bool]:
        """Closes the ticket; returns it and whether it was held (taken): the citizen then goes back
        to the bot, which must say so."""
        with self._db.session() as s:
            ticket = self._locked(s, ticket_id, agency_id)
            if ticket.status == CLOSED:
                raise TicketConflict("ticket_closed")
            was_held = ticket.status == TAKEN
            return self._apply(s, ticket, actor, "ticket.close", status=CLOSED, closed_at=utcnow()), was_held

    def record_reply(
        self, ticket_id: int, actor: Actor, message_ids: Sequence[int], *, outcome: dict[str, Any]
    ) -> None:
        """An agent's reply went to the outbox (`message_ids`, `outcome`: channel, route reason or
        why nothing went): the messages are marked as the actor's and about the ticket's service,
        the ticket's first answer is stamped, and the audit log says so (not the text: the
        message row holds it, where retention and erasure reach it)."""
        with self._db.session() as s:
            ticket = s.execute(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).scalar_one()
            before = {"answered_at": ticket.answered_at}
            if message_ids:
                s.execute(
                    update(Message).where(Message.id.in_(list(message_ids)))
                    .values(staff_id=actor.staff_id, service_id=ticket.service_id)
                )
                if ticket.answered_at is None:
                    ticket.answered_at = utcnow()
            record(s, actor, "ticket.reply", "ticket", ticket.id, agency_id=agency_of_service(ticket.service_id),
                   before=before, after={"answered_at": ticket.answered_at, "message_ids": list(message_ids), **outcome})

    def record_hand_back(self, ticket_id: int, actor: Actor, message_ids: Sequence[int], *, outcome: dict[str, Any]) -> None:
        """The bot's "I am back" to the citizen after the ticket closed, for the audit log."""
        self.record_told(ticket_id, actor, "ticket.hand_back", message_ids, outcome=outcome)

    def record_told(
        self, ticket_id: int, actor: Actor, action: str, message_ids: Sequence[int], *, outcome: dict[str, Any]
    ) -> None:
        """What the bot told the citizen about their ticket (taken, handed back): the messages are
        marked as about the ticket's service, and the audit log says what went (`action`)."""
        with self._db.session() as s:
            ticket = s.get(Ticket, ticket_id)
            if message_ids:
                s.execute(update(Message).where(Message.id.in_(list(message_ids))).values(service_id=ticket.service_id))
            record(s, actor, action, "ticket", ticket_id, agency_id=agency_of_service(ticket.service_id),
                   after={"message_ids": list(message_ids), **outcome})

    def _locked(self, s: Any, ticket_id: int, agency_id: Optional[str]) -> Ticket:
        ticket = s.execute(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).scalar_one_or_none()
        if ticket is None or (agency_id is not None and agency_of_service(ticket.service_id) != agency_id):
            raise TicketNotFound(ticket_id)
        return ticket

    def _apply(self, s: Any, ticket: Ticket, actor: Actor, action: str, **values: object) -> Ticket:
        before = ticket_snapshot(ticket)
        for name, value in values.items():
            setattr(ticket, name, value)
        record(s, actor, action, "ticket", ticket.id, agency_id=agency_of_service(ticket.service_id),
               before=before, after=ticket_snapshot(ticket))
        return ticket


def agents_on_duty(db: Database, agency_id: Optional[str]) -> int:
    """How many active agents (with a password) work `agency_id`'s queue: 0 means no one can
    answer a ticket there, and the bot must not say anyone will."""
    if not agency_id:
        return 0
    with db.session() as s:
        return s.execute(
            select(func.count()).select_from(StaffUser).where(
                and_(StaffUser.agency_id == agency_id, StaffUser.role == "agent", StaffUser.active.is_(True),
                     StaffUser.password_hash.isnot(None))
            )
        ).scalar_one()
