"""The catalog in the console: the services list, and a service's page where a ministry admin or the
service's agency's liaison officer edits names, answers, pilot, importance and verification, and
previews what the bot would answer before saving. A save is one store transaction with its audit
entry and a new catalog generation: every process answers from it within about a second
(catalog/live.py). A service outside the viewer's agency is 404, by URL and by form."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Mapping, Optional

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from actions.catalog_access import seed_catalog
from catalog.records import COLUMN_OF_ASPECT, catalog_of_rows
from catalog.services import ASPECTS
from console.context import NotFound, Pages, Visit
from console.preview import Preview, PreviewTools, preview_answer
from console.roles import Viewer
from console.service_form import ServiceForm, read_form
from store.audit import Actor
from store.catalog import CatalogStoreError
from store.staff import LIAISON_OFFICER


def catalog_router(pages: Pages, preview_tools: Optional[Callable[[], Optional[PreviewTools]]] = None) -> APIRouter:
    router = APIRouter()
    seeded: list[bool] = []

    def _store() -> Any:
        """The store, its catalog seeded from the catalog directory if this process is the first to
        use it (the service seeds at start-up; a console mounted alone does it here)."""
        store = pages.store()
        if not seeded:
            seed_catalog(store)
            seeded.append(True)
        return store

    def _row(viewer: Viewer, service_id: str) -> dict[str, Any]:
        """The service as stored, or 404 when it is not there or not the viewer's agency's."""
        row = _store().catalog.service(service_id)
        if row is None or not (viewer.is_admin or row["agency_id"] == viewer.agency_id):
            raise NotFound()
        return row

    def _may_edit(viewer: Viewer, row: Mapping[str, Any]) -> bool:
        return viewer.is_admin or (viewer.role == LIAISON_OFFICER and row["agency_id"] == viewer.agency_id)

    @router.get("/services")
    def services(request: Request) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        _, agencies, rows = _store().catalog.snapshot()
        current = catalog_of_rows(agencies, rows)
        everything = [*current.services.values(), *current.not_yet.values()]
        shown = sorted((s for s in everything if viewer.is_admin or s.agency.id == viewer.agency_id), key=lambda s: s.id)
        return pages.render(visit, "services.html", services=shown)

    def _page(visit: Visit, row: Mapping[str, Any], form: Optional[ServiceForm] = None, *, http_status: int = 200,
              saved: bool = False, preview: Optional[Preview] = None, question: str = "") -> Response:
        viewer = visit.require_viewer()
        agency = pages.store().agencies.get(row["agency_id"])
        return pages.render(
            visit, "service.html", http_status=http_status, row=row, values=form.values if form else row,
            errors=form.errors if form else {}, agency=agency, aspects=ASPECTS, column_of=COLUMN_OF_ASPECT,
            editable=_may_edit(viewer, row), saved=saved, preview=preview, question=question,
        )

    @router.get("/services/{service_id}")
    def service(request: Request, service_id: str, saved: str = "") -> Response:
        visit = pages.visit(request)
        row = _row(visit.require_viewer(), service_id)
        return _page(visit, row, saved=bool(saved))

    @router.post("/services/{service_id}")
    async def edit(request: Request, service_id: str) -> Response:
        visit = await asyncio.to_thread(pages.visit, request)
        viewer = visit.require_viewer()
        posted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        visit.check_csrf(posted.get("csrf_token", ""))
        row = await asyncio.to_thread(_row, viewer, service_id)
        if not _may_edit(viewer, row):
            raise NotFound()
        form = read_form(posted, row)
        if posted.get("action") == "preview":
            question = (posted.get("question") or "").strip()[:1000]
            result = await _preview(row, form, question)
            return await asyncio.to_thread(_page, visit, row, form, preview=result, question=question)
        if not form.ok:
            return await asyncio.to_thread(_page, visit, row, form, http_status=400)
        actor = Actor(viewer.email, viewer.staff_id)
        try:
            await asyncio.to_thread(
                pages.store().catalog.update_service, service_id, form.values, actor, agency_id=viewer.scope
            )
        except CatalogStoreError:
            raise NotFound() from None
        return pages.finish(visit, RedirectResponse(f"/console/services/{service_id}?saved=1", status_code=303))

    async def _preview(row: Mapping[str, Any], form: ServiceForm, question: str) -> Preview:
        tools = preview_tools() if preview_tools is not None else None
        if tools is None or tools.parse is None or not question:
            return Preview(available=tools is not None and tools.parse is not None)
        draft_row = {**row, **form.values}
        agency = await asyncio.to_thread(pages.store().catalog.agency_row, row["agency_id"])
        draft = catalog_of_rows([agency] if agency else [], [{**draft_row, "pilot": True}])
        return await preview_answer(tools, draft.services[row["id"]], question)

    return router

