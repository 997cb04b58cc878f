"""The Tawasol web tier: one FastAPI application holding the webhooks of the configured channels
and health, with message workers in the same process unless they run apart (`tawasol worker`).

This is the production application: it serves only what the settings configure. The development
server (`python -m simulators.dev_server`) builds this same app and adds its stand-ins and pages;
nothing here knows about them.

Webhooks that arrive before start-up has finished get a 503 and the provider redelivers.
"""

from __future__ import annotations

import contextlib
from typing import Any, AsyncIterator, Mapping, Optional

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.routing import Mount

from bot.runtime import NotReady, Runtime
from bot.settings import Settings
from channels.base import HttpReceiver
from console import mount_console
from core.brain import Brain


def create_app(
    settings: Settings,
    *,
    workers: int = 1,
    brain: Optional[Brain] = None,
    stand_ins: Optional[Mapping[str, Any]] = None,
    mode: str = "production",
) -> FastAPI:
    """The app for `settings`; `app.state.runtime` is its Runtime.

    `stand_ins` (channels for names the settings leave unconfigured) and `mode` go to the
    Runtime. Apps mounted on the result before it starts get their own start-up and shutdown run
    with it (Starlette runs only the outer app's).
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
                await runtime.stop()

    app = FastAPI(title="Tawasol", lifespan=lifespan)
    app.state.runtime = runtime

    @app.exception_handler(NotReady)
    async def not_ready(_request: Any, exc: NotReady) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    @app.get("/health")
    async def health() -> JSONResponse:
        ready = runtime.pipeline is not None
        body: dict[str, Any] = {"status": "ok" if ready else "starting", "since": runtime.started_at, "mode": runtime.mode}
        body["channels"] = {name: channel.health() for name, channel in runtime.channels.items()}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/")
    async def index() -> dict[str, str]:
        return {"service": "tawasol", "health": "/health"}

    for channel in runtime.channels.values():
        if isinstance(channel, HttpReceiver):
            app.include_router(channel.router())
    mount_console(app, settings.console, store=runtime.require_store, redis_url=settings.redis_url)
    return app
