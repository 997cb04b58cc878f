"""The pages that show today's data, each scoped to the viewer's agency: the dashboard, tickets,
conversations, and (admins) the messages the bot did not understand."""

from __future__ import annotations

from datetime import timedelta
from typing import Callable

from fastapi import APIRouter, Form, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from catalog.services import Catalog
from console.context import NotFound, Pages
from console.exports import to_csv
from console.filters import day_end, day_start, waiting
from core.messages import utcnow
from store.audit import Actor
from store.conversations import ConversationQuery
from store.tickets import TicketNotFound, agency_of_service


def pages_router(pages: Pages, catalog: Callable[[], Catalog]) -> APIRouter:
    router = APIRouter()

    @router.get("")
    @router.get("/")
    def dashboard(request: Request) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        store = pages.store()
        tickets = store.ticket_desk.list(viewer.scope, ("open",))
        late = sum(1 for t in tickets if utcnow() - t.created_at > pages.config.ticket_limit)
        services = [s for s in catalog().services.values() if viewer.sees_service(s.id)]
        agency = store.agencies.get(viewer.agency_id) if viewer.agency_id else None
        review = len(store.review.pending(limit=1000)) if viewer.is_admin else None
        recent = store.browser.search(viewer.scope, ConversationQuery(since=utcnow() - timedelta(days=1)), limit=1000)
        return pages.render(visit, "dashboard.html", tickets=len(tickets), services=len(services), review=review,
                            agency=agency, conversations=len(recent), late=late)

    @router.get("/tickets")
    def tickets(request: Request, status: str = "active") -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        statuses = {"active": ("open", "taken"), "open": ("open",), "taken": ("taken",), "closed": ("closed",)}.get(
            status, ("open", "taken"))
        rows = pages.store().ticket_desk.list(viewer.scope, statuses)
        now = utcnow()
        late = {t.id for t in rows if t.status == "open" and now - t.created_at > pages.config.ticket_limit}
        return pages.render(visit, "tickets.html", tickets=rows, status=status, late=late,
                            waited={t.id: waiting(t.created_at, now, visit.lang) for t in rows})

    def _ticket(request: Request, ticket_id: int) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        store = pages.store()
        ticket = store.ticket_desk.get(ticket_id, viewer.scope)
        if ticket is None:
            raise NotFound()
        conversations = [c for c in store.browser.search(viewer.scope, limit=500) if c.citizen_id == ticket.citizen_id]
        service = catalog().service(ticket.service_id) if ticket.service_id else None
        holder = store.staff.get(ticket.assigned_staff_id) if ticket.assigned_staff_id else None
        return pages.render(visit, "ticket.html", ticket=ticket, conversations=conversations, service=service,
                            holder=holder, waited=waiting(ticket.created_at, utcnow(), visit.lang))

    @router.get("/tickets/{ticket_id}")
    def ticket(request: Request, ticket_id: int) -> Response:
        return _ticket(request, ticket_id)

    @router.post("/tickets/{ticket_id}/{action}")
    def ticket_action(request: Request, ticket_id: int, action: str, csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        visit.check_csrf(csrf_token)
        if action not in ("take", "close") or not viewer.works_tickets:
            raise NotFound()
        desk = pages.store().ticket_desk
        actor = Actor(viewer.email, viewer.staff_id)
        try:
            (desk.take if action == "take" else desk.close)(ticket_id, viewer.scope, actor)
        except TicketNotFound:
            raise NotFound() from None
        return pages.finish(visit, RedirectResponse(f"/console/tickets/{ticket_id}", status_code=303))

    @router.get("/conversations")
    def conversations(request: Request, phone: str = "", service: str = "", since: str = "", until: str = "") -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        error = None
        try:
            query = ConversationQuery(phone=phone or None, service_id=service or None, since=day_start(since),
                                      until=day_end(until))
        except ValueError:
            error, query = "bad_date", ConversationQuery(phone=phone or None, service_id=service or None)
        if service and not viewer.sees_service(service):
            rows = []
        else:
            rows = pages.store().browser.search(viewer.scope, query)
        return pages.render(visit, "conversations.html", rows=rows, error=error,
                            form={"phone": phone, "service": service, "since": since, "until": until})

    @router.get("/conversations.csv")
    def conversations_csv(request: Request, phone: str = "", service: str = "", since: str = "",
                          until: str = "") -> Response:
        """Every message of the conversations the search finds, one row each."""
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        try:
            query = ConversationQuery(phone=phone or None, service_id=service or None, since=day_start(since),
                                      until=day_end(until))
        except ValueError:
            return pages.finish(visit, PlainTextResponse("dates are written 2026-12-07", status_code=400))
        store = pages.store()
        found = [] if service and not viewer.sees_service(service) else store.browser.search(viewer.scope, query, limit=5000)
        rows = []
        for summary in found:
            for message, events in store.browser.messages(summary.id):
                rows.append((summary.id, message.created_at.isoformat(), message.direction, message.channel,
                             viewer.phone(message.address), message.service_id, message.intent, message.status,
                             message.route_reason, message.text))
        store.audit.append(Actor(viewer.email, viewer.staff_id), "export.conversations", "export", "conversations",
                           agency_id=viewer.scope,
                           after={"phone": phone, "service": service, "since": since, "until": until,
                                  "conversations": len(found), "messages": len(rows)})
        body = to_csv(("conversation", "at", "direction", "channel", "phone", "service", "intent", "status",
                       "route_reason", "text"), rows)
        return pages.finish(visit, _csv(body, "conversations"))

    @router.get("/tickets.csv")
    def tickets_csv(request: Request, since: str = "", until: str = "") -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        try:
            start, end = day_start(since), day_end(until)
        except ValueError:
            return pages.finish(visit, PlainTextResponse("dates are written 2026-12-07", status_code=400))
        store = pages.store()
        tickets = [t for t in store.ticket_desk.list(viewer.scope, ("open", "taken", "closed"), limit=10_000)
                   if (start is None or t.created_at >= start) and (end is None or t.created_at < end)]
        store.audit.append(Actor(viewer.email, viewer.staff_id), "export.tickets", "export", "tickets",
                           agency_id=viewer.scope, after={"since": since, "until": until, "tickets": len(tickets)})
        body = to_csv(("ticket", "opened", "kind", "service", "status", "closed", "text"),
                      ((t.id, t.created_at.isoformat(), t.kind, t.service_id, t.status,
                        t.closed_at.isoformat() if t.closed_at else "", t.text) for t in tickets))
        return pages.finish(visit, _csv(body, "tickets"))

    @router.get("/conversations/{conversation_id}")
    def conversation(request: Request, conversation_id: int) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        store = pages.store()
        summary = store.browser.get(conversation_id, viewer.scope)
        if summary is None:
            raise NotFound()
        return pages.render(visit, "conversation.html", summary=summary, messages=store.browser.messages(conversation_id))

    @router.get("/review")
    def review(request: Request) -> Response:
        visit = pages.visit(request)
        visit.require_admin()
        return pages.render(visit, "review.html", rows=pages.store().review.pending(limit=200))

    @router.post("/review/{unrecognised_id}/reviewed")
    def reviewed(request: Request, unrecognised_id: int, csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        if not pages.store().review.mark_reviewed_by(unrecognised_id, Actor(viewer.email, viewer.staff_id)):
            raise NotFound()
        return pages.finish(visit, RedirectResponse("/console/review", status_code=303))

    return router


def _csv(body: str, name: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="tawasol-{name}.csv"'})
