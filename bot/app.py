"""The Tawasol web tier: one FastAPI application holding the webhooks of the configured channels,
the agency API (`/api/v1`) and health, with message workers in the same process unless they run apart (`tawasol worker`).

This is the production application: it serves only what the settings configure. The development
server (`python -m simulators.dev_server`) builds this same app and adds its stand-ins and pages;
nothing here knows about them.

Webhooks that arrive before start-up has finished get a 503 and the provider redelivers. Every
request passes `request_guards` (a body size cap; an unhandled error answers a generic 500 with a
reference, its cause only in the log); /health shows no personal data (digit runs in the channels'
reports are masked).
"""

from __future__ import annotations

import contextlib
from typing import Any, AsyncIterator, Mapping, Optional

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.routing import Mount

from actions.catalog_access import catalog
from api.app import create_api
from bot.broadcast_hooks import broadcast_hooks
from bot.health import report as health_report
from bot.model_hooks import model_hooks as default_model_hooks
from bot.request_guards import RequestGuards
from bot.runtime import NotReady, Runtime
from bot.settings import Settings
from channels.base import HttpReceiver
from console import mount_console
from console.model_hooks import ModelHooks
from console.preview import PreviewTools
from core.brain import Brain
from core.privacy import mask_text
from jobs.deferred import Enqueuer
from jobs.dispatch import dispatch_to_jobs, send_queued_by_jobs

API_PREFIX = "/api/v1"  # the agency API (api/app.py); OpenAPI at /api/v1/docs


def create_app(
    settings: Settings,
    *,
    workers: int = 1,
    brain: Optional[Brain] = None,
    stand_ins: Optional[Mapping[str, Any]] = None,
    mode: str = "production",
    model_hooks: Optional[ModelHooks] = None,
) -> FastAPI:
    """The app for `settings`; `app.state.runtime` is its Runtime.

    `stand_ins` (channels for names the settings leave unconfigured) and `mode` go to the
    Runtime. Apps mounted on the result before it starts get their own start-up and shutdown run
    with it (Starlette runs only the outer app's). `model_hooks`: how the console starts a training
    run (default: the job engine with REDIS_URL, else this process).
    """
    runtime = Runtime(settings, brain=brain, stand_ins=stand_ins, mode=mode)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as mounted:
            for route in app.routes:
                if isinstance(route, Mount) and hasattr(route.app, "router"):
                    await mounted.enter_async_context(route.app.router.lifespan_context(route.app))
            await runtime.start(workers)
            try:
                yield
            finally:
                if runtime.enqueuer is not None:
                    await runtime.enqueuer.close()
                await runtime.stop()

    app = FastAPI(title="Tawasol", lifespan=lifespan)
    app.state.runtime = runtime
    app.add_middleware(RequestGuards)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Any, exc: RequestValidationError) -> JSONResponse:
        # Which fields and why, in words; not FastAPI's error objects (their types and the input).
        fields = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:10])
        return JSONResponse({"error": f"invalid request: {fields}"}, status_code=422)

    @app.exception_handler(NotReady)
    async def not_ready(_request: Any, exc: NotReady) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    @app.get("/health")
    async def health() -> JSONResponse:
        status, body = await health_report(runtime)
        if "channels" in body:
            body["channels"] = _without_numbers(body["channels"])
        return JSONResponse(body, status_code=status)

    @app.get("/")
    async def index() -> dict[str, str]:
        return {"service": "tawasol", "health": "/health"}

    for channel in runtime.channels.values():
        if isinstance(channel, HttpReceiver):
            app.include_router(channel.router())
    app.mount(API_PREFIX, agency_api(runtime))
    mount_console(app, settings.console, store=runtime.require_store, outbox=lambda: runtime.require_pipeline().outbox,
                  redis_url=settings.redis_url, preview=lambda: preview_tools(runtime),
                  broadcasts=broadcast_hooks(settings),
                  models=model_hooks or default_model_hooks(settings, runtime.require_store))
    return app


def preview_tools(runtime: Runtime) -> Optional[PreviewTools]:
    """The service's own NLU and channels, for the console's previews; None before start-up. With
    a brain that cannot parse alone, no NLU (`parse` None): the wording preview still works."""
    pipeline = runtime.pipeline
    if pipeline is None:
        return None
    parse = getattr(pipeline.brain, "parse", None)
    return PreviewTools(parse=parse, channels=lambda: runtime.channels, tariff=runtime.settings.tariff)


def agency_api(runtime: Runtime) -> FastAPI:
    """The agency API (api/) over this process's store and outbox; 503 until they exist. A step's
    notifications, and a one-off notification's queued messages, go to the job engine
    (AGENCY_NOTIFICATIONS=jobs, the default with Redis), else this process sends them."""
    dispatch = send_queued = None
    if runtime.settings.agency_notifications == "jobs" and runtime.settings.redis_url:
        runtime.enqueuer = Enqueuer(runtime.settings.redis_url)
        dispatch = dispatch_to_jobs(runtime.enqueuer)
        send_queued = send_queued_by_jobs(runtime.enqueuer)
    api = create_api(
        store=runtime.require_store,
        outbox=lambda: runtime.require_pipeline().outbox,
        catalog=catalog,
        credit=lambda: runtime.credit,
        dispatch=lambda: dispatch,
        send_queued=lambda: send_queued,
    )

    @api.exception_handler(NotReady)
    async def not_ready(_request: Any, exc: NotReady) -> JSONResponse:
        return JSONResponse({"error": "starting", "reason": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    return api


def _without_numbers(report: Any) -> Any:
    """A channel's health report with digit runs masked in its texts (a provider's last error may
    quote a citizen's number); numbers themselves (counts, depths) are kept."""
    if isinstance(report, dict):
        return {key: _without_numbers(value) for key, value in report.items()}
    if isinstance(report, (list, tuple)):
        return [_without_numbers(value) for value in report]
    return mask_text(report) if isinstance(report, str) else report
