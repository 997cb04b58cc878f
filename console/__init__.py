"""The staff console at /console: server-rendered pages (Jinja2), Arabic right-to-left by default.

    mount_console(app, config, store=runtime.require_store, outbox=lambda: runtime.require_pipeline().outbox,
                  redis_url=settings.redis_url)

Sessions and sign-in limits live in Redis when `redis_url` is given, else in the store; both are
shared by every process. No JavaScript is needed: every action is a plain form with a CSRF token.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Optional

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from actions.catalog_access import catalog
from console.admin_routes import admin_router
from console.auth_routes import auth_router
from console.broadcast_hooks import DEFAULT_HOOKS, BroadcastHooks
from console.broadcast_routes import broadcast_router
from console.catalog_routes import catalog_router
from console.config import ConsoleConfig
from console.dashboard_routes import dashboard_router
from console.context import CsrfRefused, NotFound, Pages, SignInRequired
from console.inbox_routes import inbox_router
from console.intent_routes import intent_router
from console.model_hooks import DEFAULT_MODEL_HOOKS, ModelHooks
from console.model_routes import model_router
from console.pages import pages_router
from console.preview import PreviewTools
from console.sessions import DatabaseSessions, RedisSessions, SessionStore
from console.throttle import Counters, DatabaseCounters, RedisCounters, SignInGuard
from console.ticket_routes import ticket_router
from console.wording_routes import wording_router
from pipeline.outbox import Outbox
from store import Store

PREFIX = "/console"
STATIC = Path(__file__).parent / "static"
MAX_FORM_BYTES = 1_000_000  # a form bigger than this is a mistake or an attack: 413 before parsing


class FormSizeLimit:
    """Refuses console requests whose declared body is over MAX_FORM_BYTES (browsers always declare
    a form's length); other paths pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX) and scope["method"] == "POST":
            length = dict(scope["headers"]).get(b"content-length")
            if length is None or not length.isdigit() or int(length) > MAX_FORM_BYTES:
                status = 411 if length is None else 413
                text = "the form is too large (at most 1 MB)" if status == 413 else "a form needs a Content-Length"
                response = Response(text, status_code=status, media_type="text/plain; charset=utf-8")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def mount_console(
    app: FastAPI, config: ConsoleConfig, *, store: Callable[[], Store], outbox: Callable[[], Outbox],
    redis_url: Optional[str] = None, redis_prefix: str = "tawasol",
    preview: Optional[Callable[[], Optional[PreviewTools]]] = None,
    broadcasts: BroadcastHooks = DEFAULT_HOOKS,
    models: ModelHooks = DEFAULT_MODEL_HOOKS,
) -> None:
    """`outbox`: the process's outbox, through which agents' replies reach citizens. `preview`: the NLU
    and channels a service page previews answers with (None: no preview)."""
    sessions: Callable[[], SessionStore]
    counters: Callable[[], Counters]
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        redis_sessions = RedisSessions(client, redis_prefix, config.idle_timeout)
        redis_counters = RedisCounters(client, redis_prefix)
        sessions, counters = (lambda: redis_sessions), (lambda: redis_counters)
    else:
        sessions = lru_cache(maxsize=1)(lambda: DatabaseSessions(store().sessions, config.idle_timeout))
        counters = lru_cache(maxsize=1)(lambda: DatabaseCounters(store().throttle))

    pages = Pages(config, store, sessions)
    guard = SignInGuard(counters, config)

    app.include_router(auth_router(pages, guard), prefix=PREFIX, include_in_schema=False)
    app.include_router(admin_router(pages), prefix=PREFIX, include_in_schema=False)
    app.include_router(ticket_router(pages, catalog, outbox), prefix=PREFIX, include_in_schema=False)
    app.include_router(pages_router(pages, catalog), prefix=PREFIX, include_in_schema=False)
    app.include_router(catalog_router(pages, preview), prefix=PREFIX, include_in_schema=False)
    app.include_router(wording_router(pages, preview), prefix=PREFIX, include_in_schema=False)
    app.include_router(broadcast_router(pages, catalog, broadcasts), prefix=PREFIX, include_in_schema=False)
    app.include_router(inbox_router(pages, catalog), prefix=PREFIX, include_in_schema=False)
    app.include_router(intent_router(pages), prefix=PREFIX, include_in_schema=False)
    app.include_router(model_router(pages, models), prefix=PREFIX, include_in_schema=False)
    app.include_router(dashboard_router(pages, catalog), prefix=PREFIX, include_in_schema=False)
    app.mount(PREFIX + "/static", StaticFiles(directory=str(STATIC)), name="console-static")
    app.add_middleware(FormSizeLimit)

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _exc: Any) -> Response:
        return RedirectResponse(PREFIX + "/login", status_code=303)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _exc: Any) -> Response:
        return _error_page(pages, request, 404, "not_found")

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _exc: Any) -> Response:
        return _error_page(pages, request, 403, "csrf_refused")


def _error_page(pages: Pages, request: Request, status: int, key: str) -> Response:
    from console.context import Visit, language_of

    # No session lookup: an error page must not fail for the reason the request did.
    visit = Visit(request, language_of(request), None, None)
    return pages.render(visit, "error.html", http_status=status, message=key)


__all__ = ["ConsoleConfig", "mount_console"]
