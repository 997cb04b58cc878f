"""The handoff inbox: tickets listed with their waiting time (late ones flagged), a ticket's page with
the citizen's conversation and, for the agent who took it, a reply box; take, reply, close.

Every action checks the role and the ticket's agency on the server (a ticket of another agency is a
404, by URL or by a forged form), and is audited. Replies and the bot's "I am back" go through the
outbox (pipeline/handoff.py), so the citizen's channel, window and fallbacks apply.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional, Sequence
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from catalog.services import Catalog
from console.context import NotFound, Pages, Visit
from console.exports import to_csv
from console.filters import day_end, day_start, waiting
from console.roles import Viewer
from console.row_ids import RowId
from core.messages import utcnow
from pipeline.handoff import MAX_REPLY_CHARS, Handoff, ReplyRefused
from pipeline.outbox import Outbox
from store.audit import Actor
from store import Store
from store.models import Message, Ticket
from store.tickets import (
    CLOSED, TAKEN, TICKET_ORDERS, TicketConflict, TicketNotFound, is_late, ticket_reference, waited_until,
)

STATUS_TABS = {"active": ("open", "taken"), "open": ("open",), "taken": ("taken",), "closed": ("closed",)}


def ticket_router(pages: Pages, catalog: Callable[[], Catalog], outbox: Callable[[], Outbox]) -> APIRouter:
    router = APIRouter()

    def actor(viewer: Viewer) -> Actor:
        return Actor(viewer.email, viewer.staff_id)

    @router.get("/tickets")
    def tickets(request: Request, status: str = "active", sort: str = "waiting", late: str = "") -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        status = status if status in STATUS_TABS else "active"
        sort = sort if sort in TICKET_ORDERS else "waiting"
        now = utcnow()
        limit = pages.config.ticket_limit
        rows = pages.store().ticket_desk.list(viewer.scope, STATUS_TABS[status], order=sort,
                                              late_before=(now - limit) if late else None)
        return pages.render(
            visit, "tickets.html", tickets=rows, status=status, sort=sort, only_late=bool(late),
            late={t.id for t in rows if is_late(t, now, limit)},
            waited={t.id: waiting(t.created_at, waited_until(t, now), visit.lang) for t in rows},
            reference=ticket_reference,
        )

    def ticket_page(visit: Visit, ticket_id: int, *, error: Optional[str] = None, draft: str = "",
                    http_status: int = 200, sent: str = "") -> Response:
        viewer = visit.require_viewer()
        store = pages.store()
        ticket = store.ticket_desk.get(ticket_id, viewer.scope)
        if ticket is None:
            raise NotFound()
        now = utcnow()
        holds = ticket.status == TAKEN and ticket.assigned_staff_id == viewer.staff_id
        thread = store.browser.around(ticket.citizen_id, ticket.created_at)
        address = next((m.address for m, _ in reversed(thread) if m.direction == "in"), None)
        if address is None:
            identities = store.citizens.identities(ticket.citizen_id)
            address = identities[0].address if identities else ""
        return pages.render(
            visit, "ticket.html", http_status=http_status, ticket=ticket, reference=ticket_reference(ticket.id),
            service=catalog().service(ticket.service_id) if ticket.service_id else None,
            holder=store.staff.get(ticket.assigned_staff_id) if ticket.assigned_staff_id else None,
            holds=holds, phone=viewer.phone(address, holds), thread=thread,
            writers=writers(store, thread), late=is_late(ticket, now, pages.config.ticket_limit),
            waited=waiting(ticket.created_at, waited_until(ticket, now), visit.lang),
            error=error, draft=draft, sent=sent, max_reply=MAX_REPLY_CHARS,
        )

    @router.get("/tickets/{ticket_id}")
    def ticket(request: Request, ticket_id: RowId, sent: str = "") -> Response:
        return ticket_page(pages.visit(request), ticket_id, sent=sent[:32])

    def _worker(visit: Visit, csrf_token: str) -> Viewer:
        viewer = visit.require_viewer()
        visit.check_csrf(csrf_token)
        if not viewer.works_tickets:
            raise NotFound()  # liaison officers read tickets; taking and answering is the agents'
        return viewer

    def _back(visit: Visit, ticket_id: int, sent: str = "") -> Response:
        query = f"?sent={quote(sent)}" if sent else ""
        return pages.finish(visit, RedirectResponse(f"/console/tickets/{ticket_id}{query}#thread", status_code=303))

    @router.post("/tickets/{ticket_id}/take")
    async def take(request: Request, ticket_id: RowId, csrf_token: str = Form("")) -> Response:
        visit = await asyncio.to_thread(pages.visit, request)
        viewer = _worker(visit, csrf_token)
        try:
            ticket = await asyncio.to_thread(pages.store().ticket_desk.take, ticket_id, viewer.scope, actor(viewer))
        except TicketNotFound:
            raise NotFound() from None
        except TicketConflict as conflict:
            return await asyncio.to_thread(ticket_page, visit, ticket_id, error=conflict.code, http_status=409)
        # The citizen hears that a person has their request (and that the bot is quiet meanwhile).
        sent = await Handoff(pages.store(), outbox()).taken(ticket, actor(viewer))
        return _back(visit, ticket_id, sent.skipped if sent.skipped and not sent.message_ids else "taken")

    @router.post("/tickets/{ticket_id}/reply")
    async def reply(request: Request, ticket_id: RowId, csrf_token: str = Form(""), text: str = Form("")) -> Response:
        visit = await asyncio.to_thread(pages.visit, request)
        viewer = _worker(visit, csrf_token)
        ticket: Optional[Ticket] = await asyncio.to_thread(pages.store().ticket_desk.get, ticket_id, viewer.scope)
        if ticket is None:
            raise NotFound()
        if ticket.status != TAKEN or ticket.assigned_staff_id != viewer.staff_id:
            # Only the person holding the conversation writes in it: take the ticket first.
            return await asyncio.to_thread(ticket_page, visit, ticket_id, error="reply_not_holder", draft=text,
                                           http_status=409)
        try:
            sent = await Handoff(pages.store(), outbox()).reply(ticket, text, actor(viewer))
        except ReplyRefused as refused:
            return await asyncio.to_thread(ticket_page, visit, ticket_id, error=refused.code,
                                           draft=text[:MAX_REPLY_CHARS * 2], http_status=400)
        return _back(visit, ticket_id, sent.skipped or "ok")

    @router.post("/tickets/{ticket_id}/close")
    async def close(request: Request, ticket_id: RowId, csrf_token: str = Form("")) -> Response:
        visit = await asyncio.to_thread(pages.visit, request)
        viewer = _worker(visit, csrf_token)
        try:
            ticket, was_held = await asyncio.to_thread(pages.store().ticket_desk.close, ticket_id, viewer.scope,
                                                       actor(viewer))
        except TicketNotFound:
            raise NotFound() from None
        except TicketConflict as conflict:
            return await asyncio.to_thread(ticket_page, visit, ticket_id, error=conflict.code, http_status=409)
        if was_held:
            # The bot answers this citizen again from now on, and says so.
            sent = await Handoff(pages.store(), outbox()).hand_back(ticket, actor(viewer))
            return _back(visit, ticket_id, "handed_back" if sent.message_ids else (sent.skipped or "ok"))
        return _back(visit, ticket_id)

    @router.get("/tickets.csv")
    def tickets_csv(request: Request, since: str = "", until: str = "") -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        try:
            start, end = day_start(since), day_end(until)
        except ValueError:
            return pages.finish(visit, PlainTextResponse("dates are written 2026-12-07", status_code=400))
        store = pages.store()
        tickets = [t for t in store.ticket_desk.list(viewer.scope, ("open", "taken", CLOSED), limit=10_000)
                   if (start is None or t.created_at >= start) and (end is None or t.created_at < end)]
        store.audit.append(Actor(viewer.email, viewer.staff_id), "export.tickets", "export", "tickets",
                           agency_id=viewer.scope, after={"since": since, "until": until, "tickets": len(tickets)})
        now = utcnow()
        body = to_csv(("ticket", "opened", "kind", "service", "status", "answered", "closed", "late", "text"),
                      ((t.id, t.created_at.isoformat(), t.kind, t.service_id, t.status,
                        t.answered_at.isoformat() if t.answered_at else "",
                        t.closed_at.isoformat() if t.closed_at else "",
                        "yes" if is_late(t, now, pages.config.ticket_limit) else "", t.text) for t in tickets))
        return pages.finish(visit, Response(body, media_type="text/csv; charset=utf-8",
                                            headers={"Content-Disposition": 'attachment; filename="tawasol-tickets.csv"'}))

    return router


def writers(store: Store, thread: Sequence[tuple[Message, Any]]) -> dict[str, str]:
    """reply_key -> the email of the staff member who wrote it, for every staff-written reply in
    the thread (its SMS fallback, written later by the outbox, shares the reply's key)."""
    emails: dict[int, str] = {}
    for staff_id in {m.staff_id for m, _ in thread if m.staff_id}:
        user = store.staff.get(staff_id)
        emails[staff_id] = user.email if user is not None else ""
    return {m.reply_key: emails[m.staff_id] for m, _ in thread if m.staff_id and m.reply_key}
