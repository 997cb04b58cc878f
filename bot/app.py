"""The Tawasol web tier: one FastAPI application holding the webhooks, the simulator and health,
with message workers in the same process unless they run apart (`tawasol worker`).

Webhooks that arrive before start-up has finished get a 503 and the provider redelivers.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, AsyncIterator, Optional

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from core.brain import Brain
from bot.runtime import NotReady, Runtime
from bot.settings import Settings
from simulators.web.routes import build_router as build_simulator_router
from channels.whatsapp.config import WhatsAppConfig
from channels.base import HttpReceiver

FAKE_GRAPH_PREFIX = "/fake-graph"


def whatsapp_config(public_url: str) -> WhatsAppConfig:
    """The account from WHATSAPP_* variables; with none set, the fake Graph API inside this app."""
    config = WhatsAppConfig.from_env()
    if config.dev_defaults:
        config = dataclasses.replace(config, api_base_url=public_url.rstrip("/") + FAKE_GRAPH_PREFIX)
    return config


def create_app(
    settings: Settings,
    *,
    workers: int = 1,
    public_url: str = "http://127.0.0.1:8000",
    brain: Optional[Brain] = None,
) -> FastAPI:
    """`public_url` is where this app is reachable (the fake Graph API posts webhooks there)."""
    wa_config = whatsapp_config(public_url)
    runtime = Runtime(settings, wa_config, brain=brain)
    fake_graph = None
    if wa_config.dev_defaults:
        from simulators.whatsapp_graph import create_app as create_fake_graph

        fake_graph = create_fake_graph(
            app_secret=wa_config.app_secret,
            webhook_url=public_url.rstrip("/") + "/webhooks/whatsapp",
            phone_number_id=wa_config.phone_number_id,
            access_token=wa_config.access_token,
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start(workers)
        try:
            yield
        finally:
            await runtime.stop()
            # A mounted app's own shutdown handlers never run: close the in-app fake here.
            if fake_graph is not None:
                await fake_graph.state.fake.close()

    app = FastAPI(title="Tawasol", lifespan=lifespan)
    app.state.runtime = runtime

    @app.exception_handler(NotReady)
    async def not_ready(_request: Any, exc: NotReady) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    @app.get("/health")
    async def health() -> JSONResponse:
        ready = runtime.pipeline is not None
        body: dict[str, Any] = {"status": "ok" if ready else "starting", "since": runtime.started_at}
        body["channels"] = {name: channel.health() for name, channel in runtime.channels.items()}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/")
    async def index() -> dict[str, str]:
        return {"service": "tawasol", "simulator": "/simulator", "health": "/health"}

    for channel in runtime.channels.values():
        if isinstance(channel, HttpReceiver):
            app.include_router(channel.router())
    app.include_router(
        build_simulator_router(
            runtime.require_pipeline,
            runtime.require_store,
            whatsapp_simulated=wa_config.dev_defaults,
            sms_simulated=not settings.smpp_host,
        )
    )
    if fake_graph is not None:
        app.mount(FAKE_GRAPH_PREFIX, fake_graph)
    return app
