"""Ministry admins only: staff accounts and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from console.accounts import PasswordRefused, add_staff
from console.context import NotFound, Pages
from console.filters import day_end, day_start
from store.audit import Actor, AuditFilter
from store.staff import AGENCY_ROLES, ROLES, StaffError


def admin_router(pages: Pages) -> APIRouter:
    router = APIRouter()

    def _staff_page(visit, http_status: int = 200, **extra) -> Response:  # type: ignore[no-untyped-def]
        store = pages.store()
        data = {"error": None, "setup_link": None, "form": {"email": "", "role": "", "agency": ""}}
        data.update(extra)
        return pages.render(visit, "staff.html", http_status=http_status, users=store.staff.all(), agencies=store.agencies.all(),
                            roles=ROLES, **data)

    @router.get("/staff")
    def staff(request: Request) -> Response:
        visit = pages.visit(request)
        visit.require_admin()
        return _staff_page(visit)

    @router.post("/staff")
    def add(request: Request, email: str = Form(""), role: str = Form(""), agency: str = Form(""),
            csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        form = {"email": email[:254], "role": role, "agency": agency}
        if role not in AGENCY_ROLES:
            agency = ""
        try:
            made = add_staff(pages.store(), pages.config, email, role, agency or None,
                             actor=Actor(viewer.email, viewer.staff_id))
        except (StaffError, PasswordRefused) as error:
            return _staff_page(visit, http_status=400, error=str(error), form=form)
        return _staff_page(visit, setup_link=made.setup_link, added=made.user.email)

    @router.post("/staff/{staff_id}/{action}")
    def activate(request: Request, staff_id: int, action: str, csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        if action not in ("activate", "deactivate") or pages.store().staff.get(staff_id) is None:
            raise NotFound()
        if staff_id == viewer.staff_id and action == "deactivate":
            return _staff_page(visit, http_status=400, error="cannot_deactivate_self")
        pages.store().staff.set_active(staff_id, action == "activate", actor=Actor(viewer.email, viewer.staff_id))
        return pages.finish(visit, RedirectResponse("/console/staff", status_code=303))

    @router.get("/audit")
    def audit(request: Request, actor: str = "", action: str = "", agency: str = "", target: str = "",
              since: str = "", until: str = "") -> Response:
        visit = pages.visit(request)
        visit.require_admin()
        store = pages.store()
        error = None
        try:
            where = AuditFilter(actor=actor or None, action=action or None, agency_id=agency or None,
                                target=target or None, since=day_start(since), until=day_end(until))
        except ValueError:
            error = "bad_date"
            where = AuditFilter(actor=actor or None, action=action or None, agency_id=agency or None, target=target or None)
        return pages.render(visit, "audit.html", entries=store.audit.search(where), actions=store.audit.actions(),
                            agencies=store.agencies.all(), error=error,
                            form={"actor": actor, "action": action, "agency": agency, "target": target,
                                  "since": since, "until": until})

    return router
