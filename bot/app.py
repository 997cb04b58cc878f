"""The Tawasol service: one FastAPI application holding the webhooks, the simulator, health and
the message workers.

Start-up order matters: migrations, store, shared coordination, the brain (the slow part: the Rasa
model), channels, then recovery of work a previous process left unfinished, then the workers.
Webhooks that arrive before the pipeline is ready get a 503, and the provider redelivers.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from typing import Any, AsyncIterator, Optional

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from actions.citizen_records import use_store
from bot.brain import Brain
from bot.coordination import build_coordination
from bot.messages import SMS, WHATSAPP, InboundMessage, StatusUpdate
from bot.pipeline import AcceptResult, Pipeline
from bot.settings import Settings
from bot.store import Store
from bot.store.migrate import upgrade
from channels.sms.config import SmsConfig
from channels.web.routes import build_router as build_simulator_router
from channels.web.sms_simulator import SimulatedSmsSender
from channels.whatsapp.config import WhatsAppConfig
from channels.whatsapp.sender import WhatsAppSender
from channels.whatsapp.webhook import build_router as build_whatsapp_router

logger = logging.getLogger(__name__)

FAKE_GRAPH_PREFIX = "/fake-graph"


class NotReady(RuntimeError):
    """The pipeline is still starting."""


class Runtime:
    """What the running service holds; `None` until start-up has finished."""

    def __init__(self) -> None:
        self.pipeline: Optional[Pipeline] = None
        self.store: Optional[Store] = None
        self.sms_channel: Any = None
        self.started_at: Optional[float] = None

    def require_pipeline(self) -> Pipeline:
        if self.pipeline is None:
            raise NotReady("the service is starting")
        return self.pipeline

    def require_store(self) -> Store:
        if self.store is None:
            raise NotReady("the service is starting")
        return self.store


class PipelineSink:
    """What the channel handlers see: the pipeline once it exists."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def accept(self, message: InboundMessage) -> AcceptResult:
        return await self.runtime.require_pipeline().accept(message)

    async def record_status(self, update: StatusUpdate) -> bool:
        return await self.runtime.require_pipeline().record_status(update)


def whatsapp_config(public_url: str) -> WhatsAppConfig:
    """The account from WHATSAPP_* variables; with none set, the fake Graph API inside this app."""
    config = WhatsAppConfig.from_env()
    if config.dev_defaults:
        config = dataclasses.replace(config, api_base_url=public_url.rstrip("/") + FAKE_GRAPH_PREFIX)
    return config


def load_brain(settings: Settings) -> Brain:
    from bot.rasa_brain import RasaBrain

    return RasaBrain.load(settings.model_path, settings.redis_url)


def create_app(
    settings: Settings,
    *,
    workers: int = 1,
    public_url: str = "http://127.0.0.1:8000",
    brain: Optional[Brain] = None,
) -> FastAPI:
    """`public_url` is where this app is reachable (the fake Graph API posts webhooks there)."""
    runtime = Runtime()
    sink = PipelineSink(runtime)
    wa_config = whatsapp_config(public_url)
    sms_config = SmsConfig.from_env() if settings.smpp_host else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started = time.perf_counter()
        await asyncio.to_thread(upgrade, settings.database_url)
        store = Store(settings.database_url)
        use_store(store)  # the in-process actions write tickets and subscriptions here
        coordination = build_coordination(settings.redis_url)
        the_brain = brain or await asyncio.to_thread(load_brain, settings)
        whatsapp = WhatsAppSender(wa_config)
        senders: dict[str, Any] = {WHATSAPP: whatsapp}
        if sms_config is not None:
            from channels.sms.handler import SmsChannel

            runtime.sms_channel = SmsChannel(sms_config, sink)
            senders[SMS] = runtime.sms_channel.sender
        else:
            senders[SMS] = SimulatedSmsSender()
        pipeline = Pipeline(settings, store, coordination, the_brain, senders)
        runtime.store, runtime.pipeline = store, pipeline
        if runtime.sms_channel is not None:
            await runtime.sms_channel.start()
        await pipeline.recover()
        worker_task = asyncio.create_task(pipeline.run_workers(workers), name="workers")
        runtime.started_at = time.time()
        logger.info(
            "tawasol started seconds=%.1f database=%s redis=%s whatsapp=%s sms=%s workers=%d",
            time.perf_counter() - started,
            store.db.dialect,
            "redis" if settings.redis_url else "in-process (one process only)",
            "fake Graph API" if wa_config.dev_defaults else wa_config.api_base_url,
            f"smpp {settings.smpp_host}" if sms_config else "simulator",
            workers,
        )
        try:
            yield
        finally:
            worker_task.cancel()
            await asyncio.gather(worker_task, return_exceptions=True)
            await pipeline.drain()
            if runtime.sms_channel is not None:
                await runtime.sms_channel.stop()
            await whatsapp.aclose()
            await coordination.close()
            store.close()
            runtime.pipeline = runtime.store = None

    app = FastAPI(title="Tawasol", lifespan=lifespan)
    app.state.runtime = runtime

    @app.exception_handler(NotReady)
    async def not_ready(_request: Any, exc: NotReady) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    @app.get("/health")
    async def health() -> JSONResponse:
        ready = runtime.pipeline is not None
        body: dict[str, Any] = {"status": "ok" if ready else "starting", "since": runtime.started_at}
        if runtime.sms_channel is not None:
            body["sms"] = runtime.sms_channel.status
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/")
    async def index() -> dict[str, str]:
        return {"service": "tawasol", "simulator": "/simulator", "health": "/health"}

    app.include_router(build_whatsapp_router(wa_config, sink))
    app.include_router(
        build_simulator_router(
            runtime.require_pipeline,
            runtime.require_store,
            whatsapp_simulated=wa_config.dev_defaults,
            sms_simulated=sms_config is None,
        )
    )
    if wa_config.dev_defaults:
        from simulators.whatsapp_graph import create_app as create_fake_graph

        app.mount(
            FAKE_GRAPH_PREFIX,
            create_fake_graph(
                app_secret=wa_config.app_secret,
                webhook_url=public_url.rstrip("/") + "/webhooks/whatsapp",
                phone_number_id=wa_config.phone_number_id,
                access_token=wa_config.access_token,
            ),
        )
    return app
