"""Signing in and out, first passwords through setup links, changing one's password, the language."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from console.accounts import token_hash
from console.context import LANGUAGE_COOKIE, Pages
from console.i18n import LANGUAGES
from console.passwords import hash_password, needs_rehash, policy_problem, verify
from console.throttle import SignInGuard
from store.audit import Actor
from store.staff import normalise_email

logger = logging.getLogger(__name__)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str) -> str:
    """Only back into the console: never an open redirect to another site."""
    if target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def auth_router(pages: Pages, guard: SignInGuard) -> APIRouter:
    router = APIRouter()

    @router.get("/login")
    def login_page(request: Request) -> Response:
        visit = pages.visit(request)
        if visit.viewer is not None:
            return pages.finish(visit, _see_other("/console"))
        pages.ensure_session(visit)
        return pages.render(visit, "login.html", error=None, email="")

    @router.post("/login")
    def login(request: Request, email: str = Form(""), password: str = Form(""), csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        visit.check_csrf(csrf_token)
        address = normalise_email(email)[:254]
        refusal = guard.before_attempt(address, _client(request))
        if refusal is not None:
            logger.warning("console sign-in refused reason=%s", refusal.reason)
            until = refusal.until.strftime("%H:%M UTC") if refusal.until else ""
            return pages.render(visit, "login.html", http_status=429, error=refusal.reason, until=until, email=address)
        user = pages.store().staff.by_email(address) if address else None
        if not verify(user.password_hash if user else None, password) or user is None or not user.active:
            locked_until = guard.failed(address)
            if locked_until is not None:
                logger.warning("console sign-in locked staff_id=%s", user.id if user else "-")
                if user is not None:
                    pages.store().audit.append(Actor("system"), "staff.locked", "staff", user.id, agency_id=user.agency_id,
                                               after={"locked_until": locked_until.isoformat()})
                until = locked_until.strftime("%H:%M UTC")
                return pages.render(visit, "login.html", http_status=429, error="locked", until=until, email=address)
            return pages.render(visit, "login.html", http_status=401, error="wrong_password", email=address)
        guard.succeeded(address)
        if user.password_hash and needs_rehash(user.password_hash):
            pages.store().staff.rehash(user.id, hash_password(password))
        pages.sign_in(visit, user.id)
        logger.info("console sign-in staff_id=%s role=%s", user.id, user.role)
        return pages.finish(visit, _see_other("/console"))

    @router.post("/logout")
    def logout(request: Request, csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        visit.check_csrf(csrf_token)
        pages.sign_out(visit)
        return pages.finish(visit, _see_other("/console/login"))

    @router.get("/setup/{token}")
    def setup_page(request: Request, token: str) -> Response:
        visit = pages.visit(request)
        user = pages.store().staff.setup_pending(token_hash(token))
        pages.ensure_session(visit)
        if user is None:
            return pages.render(visit, "setup.html", http_status=404, user=None, error="setup_link_invalid")
        return pages.render(visit, "setup.html", user=user, error=None)

    @router.post("/setup/{token}")
    def setup(request: Request, token: str, password: str = Form(""), repeat: str = Form(""),
              csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        visit.check_csrf(csrf_token)
        store = pages.store()
        pending = store.staff.setup_pending(token_hash(token))
        if pending is None:
            return pages.render(visit, "setup.html", http_status=404, user=None, error="setup_link_invalid")
        problem = policy_problem(password) or (None if password == repeat else "passwords_differ")
        if problem:
            return pages.render(visit, "setup.html", http_status=400, user=pending, error=problem)
        user = store.staff.complete_setup(token_hash(token), hash_password(password))
        if user is None:
            return pages.render(visit, "setup.html", http_status=404, user=None, error="setup_link_invalid")
        pages.sign_in(visit, user.id)
        return pages.finish(visit, _see_other("/console"))

    @router.get("/password")
    def password_page(request: Request) -> Response:
        visit = pages.visit(request)
        visit.require_viewer()
        return pages.render(visit, "password.html", error=None, done=False)

    @router.post("/password")
    def change_password(request: Request, current: str = Form(""), password: str = Form(""), repeat: str = Form(""),
                        csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        visit.check_csrf(csrf_token)
        store = pages.store()
        user = store.staff.get(viewer.staff_id)
        if user is None or not verify(user.password_hash, current):
            return pages.render(visit, "password.html", http_status=400, error="current_password_wrong", done=False)
        problem = policy_problem(password) or (None if password == repeat else "passwords_differ")
        if problem:
            return pages.render(visit, "password.html", http_status=400, error=problem, done=False)
        store.staff.set_password(user.id, hash_password(password), actor=Actor(viewer.email, viewer.staff_id))
        pages.sign_in(visit, user.id)  # a fresh session: a stolen old cookie stops working
        return pages.render(visit, "password.html", error=None, done=True)

    @router.get("/language/{lang}")
    def language(request: Request, lang: str, next: str = "/console") -> Response:
        response = _see_other(_safe_next(next))
        if lang in LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, path="/console", samesite="lax",
                                secure=pages.secure_cookies(request))
        return response

    return router

