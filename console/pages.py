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
from console.filters import day_end, day_start
from console.roles import Viewer
from console.ticket_routes import writers
from console.row_ids import RowId
from core.messages import utcnow
from store.audit import Actor
from store.conversations import ConversationQuery
from store import Store
from store.tickets import agency_of_service


def pages_router(pages: Pages, catalog: Callable[[], Catalog]) -> APIRouter:
    router = APIRouter()

    @router.get("")
    @router.get("/")
    def dashboard(request: Request) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        store = pages.store()
        tickets = store.ticket_desk.list(viewer.scope, ("open",))
        late = len(store.ticket_desk.list(viewer.scope, ("open", "taken"), late_before=utcnow() - pages.config.ticket_limit))
        services = [s for s in catalog().services.values() if viewer.sees_service(s.id)]
        agency = store.agencies.get(viewer.agency_id) if viewer.agency_id else None
        review = len(store.review.pending(limit=1000)) if viewer.is_admin else None
        recent = store.browser.search(viewer.scope, ConversationQuery(since=utcnow() - timedelta(days=1)), limit=1000)
        return pages.render(visit, "dashboard.html", tickets=len(tickets), services=len(services), review=review,
                            agency=agency, conversations=len(recent), late=late)

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
        store = pages.store()
        if service and not viewer.sees_service(service):
            rows = []
        else:
            rows = store.browser.search(viewer.scope, query)
        return pages.render(visit, "conversations.html", rows=rows, error=error, held=held_by(store, viewer),
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
        held = held_by(store, viewer)
        for summary in found:
            for message, events in store.browser.messages(summary.id):
                rows.append((summary.id, message.created_at.isoformat(), message.direction, message.channel,
                             viewer.phone(message.address, summary.citizen_id in held), message.service_id, message.intent, message.status,
                             message.route_reason, message.text))
        store.audit.append(Actor(viewer.email, viewer.staff_id), "export.conversations", "export", "conversations",
                           agency_id=viewer.scope,
                           after={"phone": phone, "service": service, "since": since, "until": until,
                                  "conversations": len(found), "messages": len(rows)})
        body = to_csv(("conversation", "at", "direction", "channel", "phone", "service", "intent", "status",
                       "route_reason", "text"), rows)
        return pages.finish(visit, _csv(body, "conversations"))

    @router.get("/conversations/{conversation_id}")
    def conversation(request: Request, conversation_id: RowId) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        store = pages.store()
        summary = store.browser.get(conversation_id, viewer.scope)
        if summary is None:
            raise NotFound()
        thread = store.browser.messages(conversation_id)
        return pages.render(visit, "conversation.html", summary=summary, thread=thread, writers=writers(store, thread),
                            phone=viewer.phone(summary.address, summary.citizen_id in held_by(store, viewer)))

    @router.get("/review")
    def review(request: Request) -> Response:
        visit = pages.visit(request)
        visit.require_admin()
        return pages.render(visit, "review.html", rows=pages.store().review.pending(limit=200))

    @router.post("/review/{unrecognised_id}/reviewed")
    def reviewed(request: Request, unrecognised_id: RowId, csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        if not pages.store().review.mark_reviewed_by(unrecognised_id, Actor(viewer.email, viewer.staff_id)):
            raise NotFound()
        return pages.finish(visit, RedirectResponse("/console/review", status_code=303))

    return router


def held_by(store: Store, viewer: Viewer) -> set[int]:
    """The citizens whose conversations this viewer holds now (whose numbers an agent sees whole)."""
    return store.ticket_desk.held_citizens(viewer.staff_id) if viewer.works_tickets else set()


def _csv(body: str, name: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="tawasol-{name}.csv"'})
