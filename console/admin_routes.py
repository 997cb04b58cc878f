"""Ministry admins only: staff accounts, agencies and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from console.accounts import SETUP_PATH, PasswordRefused, add_staff, new_token, token_hash
from console.context import NotFound, Pages
from console.filters import day_end, day_start
from console.row_ids import RowId
from core.messages import utcnow
from store.agencies import AgencyError
from store.audit import Actor, AuditFilter
from store.staff import AGENCY_ROLES, ROLES, StaffError


def admin_router(pages: Pages) -> APIRouter:
    router = APIRouter()

    def _staff_page(visit, http_status: int = 200, **extra) -> Response:  # type: ignore[no-untyped-def]
        store = pages.store()
        data = {"error": None, "setup_link": None, "reset": False, "form": {"email": "", "role": "", "agency": ""}}
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
            return _staff_page(visit, http_status=400, error=error.code or str(error), form=form)
        return _staff_page(visit, setup_link=made.setup_link, added=made.user.email)

    @router.post("/staff/{staff_id}/{action}")
    def change_staff(request: Request, staff_id: RowId, action: str, csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        store = pages.store()
        user = store.staff.get(staff_id)
        if action not in ("activate", "deactivate", "reset") or user is None:
            raise NotFound()
        actor = Actor(viewer.email, viewer.staff_id)
        if staff_id == viewer.staff_id and action != "activate":
            return _staff_page(visit, http_status=400, error="cannot_change_self")
        if action == "reset":
            token = new_token()
            store.staff.reset(staff_id, token_hash(token), utcnow() + pages.config.setup_link_lifetime, actor=actor)
            link = pages.config.public_url.rstrip("/") + SETUP_PATH + token
            return _staff_page(visit, setup_link=link, added=user.email, reset=True)
        store.staff.set_active(staff_id, action == "activate", actor=actor)
        return pages.finish(visit, RedirectResponse("/console/staff", status_code=303))

    @router.get("/agencies")
    def agencies(request: Request) -> Response:
        visit = pages.visit(request)
        visit.require_admin()
        return _agencies_page(visit)

    @router.post("/agencies")
    def add_agency(request: Request, agency_id: str = Form(""), name_ar: str = Form(""), name_en: str = Form(""),
                   independent: str = Form(""), csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        form = {"agency_id": agency_id[:32], "name_ar": name_ar[:256], "name_en": name_en[:256],
                "independent": bool(independent)}
        if len(name_ar) > 256 or len(name_en) > 256:
            return _agencies_page(visit, http_status=400, error="name_too_long", form=form)
        try:
            pages.store().agencies.add(agency_id.strip(), name_ar=name_ar, name_en=name_en, independent=bool(independent),
                                       actor=Actor(viewer.email, viewer.staff_id))
        except AgencyError as error:
            return _agencies_page(visit, http_status=400, error=error.code or str(error), form=form)
        return pages.finish(visit, RedirectResponse("/console/agencies", status_code=303))

    def _agencies_page(visit, http_status: int = 200, **extra) -> Response:  # type: ignore[no-untyped-def]
        store = pages.store()
        rows = [(agency, sum(1 for k in store.agencies.keys(agency.id) if k.revoked_at is None))
                for agency in store.agencies.all()]
        data = {"error": None, "form": {"agency_id": "", "name_ar": "", "name_en": "", "independent": False}}
        data.update(extra)
        return pages.render(visit, "agencies.html", http_status=http_status, rows=rows, **data)

    # --- an agency's API keys (the store functions behind `tawasol agency key` / `revoke`) ----------

    def _agency(agency_id: str):  # type: ignore[no-untyped-def]
        agency = pages.store().agencies.get(agency_id[:32])
        if agency is None:
            raise NotFound()
        return agency

    def _keys_page(visit, agency, http_status: int = 200, **extra) -> Response:  # type: ignore[no-untyped-def]
        data = {"issued": None, "revoked": "", "error": None}
        data.update(extra)
        keys = sorted(pages.store().agencies.keys(agency.id), key=lambda k: (k.revoked_at is not None, k.created_at))
        return pages.render(visit, "agency_keys.html", http_status=http_status, agency=agency, keys=keys, **data)

    @router.get("/agencies/{agency_id}/keys")
    def keys(request: Request, agency_id: str, revoked: str = "") -> Response:
        visit = pages.visit(request)
        visit.require_admin()
        return _keys_page(visit, _agency(agency_id), revoked=revoked[:16])

    @router.post("/agencies/{agency_id}/keys")
    def issue_key(request: Request, agency_id: str, csrf_token: str = Form("")) -> Response:
        """A new key, shown on this answer only (no redirect: only its hash is kept, and the page
        is not cached)."""
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        agency = _agency(agency_id)
        issued = pages.store().agencies.issue_key(agency.id, actor=Actor(viewer.email, viewer.staff_id))
        return _keys_page(visit, agency, issued=issued)

    @router.post("/agencies/{agency_id}/keys/{prefix}/revoke")
    def revoke_key(request: Request, agency_id: str, prefix: str, csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        agency = _agency(agency_id)
        # Only a key of this agency, named by its exact prefix: a form re-aimed at another agency's
        # key, or at a whole key pasted in, is a 404.
        if prefix not in {k.prefix for k in pages.store().agencies.keys(agency.id)}:
            raise NotFound()
        try:
            pages.store().agencies.revoke_key(prefix, actor=Actor(viewer.email, viewer.staff_id))
        except AgencyError as error:
            return _keys_page(visit, agency, http_status=409, error=str(error))
        return pages.finish(visit, RedirectResponse(f"/console/agencies/{agency.id}/keys?revoked={prefix}", status_code=303))

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
