"""Per request: who is asking (from the session cookie), in which language, and rendering a page."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from console.config import ConsoleConfig
from console.i18n import LANGUAGES, translate
from console.roles import Viewer
from console.sessions import ConsoleSession, SessionStore
from store import Store

SESSION_COOKIE = "tawasol_console"
LANGUAGE_COOKIE = "tawasol_lang"
TEMPLATES = Path(__file__).parent / "templates"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class SignInRequired(Exception):
    pass


class NotFound(Exception):
    """Missing, or outside what the viewer may see: the two look the same from outside."""


class CsrfRefused(Exception):
    pass


def language_of(request: Request) -> str:
    lang = request.cookies.get(LANGUAGE_COOKIE, "ar")
    return lang if lang in LANGUAGES else "ar"


def _environment() -> Environment:
    # Autoescape everything: answers, citizens' messages and emails are shown, never interpreted.
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined)
    # Audit before/after as JSON, Arabic as written (escaped by autoescape like everything else).
    env.filters["as_json"] = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return env


ENVIRONMENT = _environment()


@dataclass
class Visit:
    """One request to the console."""

    request: Request
    lang: str
    session: Optional[ConsoleSession]
    viewer: Optional[Viewer]
    new_token: Optional[str] = None  # set when this request started a session: goes into the cookie
    end_session: bool = False

    def require_viewer(self) -> Viewer:
        if self.viewer is None:
            raise SignInRequired()
        return self.viewer

    def require_admin(self) -> Viewer:
        viewer = self.require_viewer()
        if not viewer.is_admin:
            raise NotFound()
        return viewer

    def check_csrf(self, given: str) -> None:
        """The form's hidden token must be this session's: a page on another site cannot know it."""
        # As bytes: compare_digest refuses str with non-ASCII characters (TypeError, a 500 that
        # Hypothesis found with a token of any text).
        if self.session is None or not given or not hmac.compare_digest(
            given.encode("utf-8", "surrogatepass"), self.session.csrf_token.encode("utf-8")
        ):
            raise CsrfRefused()


class Pages:
    """Opens visits and renders pages; one per console, shared by its routes."""

    def __init__(self, config: ConsoleConfig, store: Callable[[], Store], sessions: Callable[[], SessionStore]) -> None:
        self.config = config
        self.store = store
        self.sessions = sessions

    def visit(self, request: Request) -> Visit:
        lang = language_of(request)
        token = request.cookies.get(SESSION_COOKIE, "")
        session = self.sessions().load(token) if token else None
        viewer = None
        if session is not None and session.staff_id is not None:
            user = self.store().staff.get(session.staff_id)
            # A deactivated user, one whose password was reset, or a session from before the
            # password last changed: signed out everywhere, on either session backend.
            if (user is not None and user.active and user.password_hash
                    and (user.password_changed_at is None or session.created_at >= user.password_changed_at)):
                viewer = Viewer(user.id, user.email, user.role, user.agency_id)
        return Visit(request, lang, session, viewer)

    def ensure_session(self, visit: Visit) -> None:
        """Forms shown before sign-in need a session to carry their CSRF token."""
        if visit.session is None:
            visit.new_token, visit.session = self.sessions().create(None)

    def sign_in(self, visit: Visit, staff_id: int) -> None:
        """A new session for the signed-in user; the old one (and its token) is gone."""
        old = visit.request.cookies.get(SESSION_COOKIE, "")
        if old:
            self.sessions().end(old)
        visit.new_token, visit.session = self.sessions().create(staff_id)

    def sign_out(self, visit: Visit) -> None:
        token = visit.request.cookies.get(SESSION_COOKIE, "")
        if token:
            self.sessions().end(token)
        visit.end_session = True

    def render(self, visit: Visit, template: str, http_status: int = 200, **data: Any) -> HTMLResponse:
        lang = visit.lang
        body = ENVIRONMENT.get_template(template).render(
            lang=lang,
            dir="rtl" if lang == "ar" else "ltr",
            other_lang="en" if lang == "ar" else "ar",
            t=lambda key, **kw: translate(lang, key, **kw),
            viewer=visit.viewer,
            csrf=visit.session.csrf_token if visit.session else "",
            path=visit.request.url.path + (("?" + visit.request.url.query) if visit.request.url.query else ""),
            **data,
        )
        response = HTMLResponse(body, status_code=http_status)
        return self.finish(visit, response)

    def secure_cookies(self, request: Request) -> bool:
        if self.config.cookie_secure is not None:
            return self.config.cookie_secure
        return request.url.scheme == "https" or (request.url.hostname or "") not in LOOPBACK_HOSTS

    def finish(self, visit: Visit, response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
        secure = self.secure_cookies(visit.request)
        if visit.new_token:
            response.set_cookie(
                SESSION_COOKIE, visit.new_token, httponly=True, secure=secure, samesite="strict", path="/console",
                max_age=None,
            )
        elif visit.end_session:
            response.delete_cookie(SESSION_COOKIE, path="/console", secure=secure, httponly=True, samesite="strict")
        return response
