"""Assembling a running Tawasol process: store, shared coordination, brain, channels, pipeline.

`tawasol serve` (web tier, optionally with workers) and `tawasol worker` (workers only) build the
same runtime; they differ in what they run on top of it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Optional

from actions.citizen_records import use_store
from core.brain import Brain
from coordination import build_coordination
from core.messages import SMS, WHATSAPP, InboundMessage, StatusUpdate
from pipeline.pipeline import AcceptResult, Pipeline
from bot.settings import Settings
from store import Store
from store.migrate import upgrade
from channels.sms.config import SmsConfig
from simulators.web.sms_simulator import SimulatedSmsChannel
from channels.base import Channel
from channels.registry import build_channels
from channels.whatsapp.config import WhatsAppConfig

logger = logging.getLogger(__name__)


class NotReady(RuntimeError):
    """The pipeline is still starting."""


def load_brain(settings: Settings) -> Brain:
    from brain.rasa_brain import RasaBrain

    return RasaBrain.load(settings.model_path, settings.redis_url, cache_size=settings.answer_cache_size)


class BrainOnFirstUse:
    """The brain for a process that runs no workers (the web tier alone): it should never be asked,
    so the ~600 MB model is loaded only if it is."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._brain: Optional[Brain] = None
        self._lock = asyncio.Lock()

    async def respond(self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None) -> Any:
        async with self._lock:
            if self._brain is None:
                self._brain = await asyncio.to_thread(load_brain, self._settings)
        return await self._brain.respond(conversation_key, message, language=language)


class Runtime:
    """Everything one process holds while it runs; `start()` builds it, `stop()` releases it."""

    def __init__(self, settings: Settings, whatsapp: WhatsAppConfig, *, brain: Optional[Brain] = None) -> None:
        self.settings = settings
        self.whatsapp_config = whatsapp
        self._brain = brain
        # --- the channels (built now: the app mounts their webhook routes before start-up) ---
        self.channels: dict[str, Channel] = build_channels(
            whatsapp=whatsapp, sms=SmsConfig.from_env() if settings.smpp_host else None
        )
        if SMS not in self.channels:
            self.channels[SMS] = SimulatedSmsChannel()
        # --------------------------------------------------------------------------------------
        self.pipeline: Optional[Pipeline] = None
        self.store: Optional[Store] = None
        self.started_at: Optional[float] = None
        self._coordination: Any = None
        self._workers: Optional[asyncio.Task] = None

    async def start(self, workers: int) -> None:
        started = time.perf_counter()
        settings = self.settings
        await asyncio.to_thread(upgrade, settings.database_url)
        self.store = Store(settings.database_url)
        use_store(self.store)  # the in-process actions write tickets and subscriptions here
        self._coordination = build_coordination(settings.redis_url)
        if self._brain is not None:
            brain = self._brain
        elif workers:
            brain = await asyncio.to_thread(load_brain, settings)
        else:
            brain = BrainOnFirstUse(settings)
        self.pipeline = Pipeline(
            self.store,
            self._coordination,
            brain,
            self.channels,
            rates={WHATSAPP: settings.whatsapp_rate, SMS: settings.smpp_tps},
        )
        for channel in self.channels.values():
            await channel.start(self.pipeline)
        await self.pipeline.recover()
        self._workers = asyncio.create_task(self.pipeline.run_workers(workers), name="workers")
        self.started_at = time.time()
        logger.info(
            "tawasol started seconds=%.1f database=%s redis=%s whatsapp=%s sms=%s workers=%d",
            time.perf_counter() - started,
            self.store.db.dialect,
            "shared" if settings.redis_url else "in-process (one process only)",
            "fake Graph API" if self.whatsapp_config.dev_defaults else self.whatsapp_config.api_base_url,
            f"smpp {settings.smpp_host}" if settings.smpp_host else "simulator",
            workers,
        )

    async def stop(self) -> None:
        if self._workers is not None:
            self._workers.cancel()
            await asyncio.gather(self._workers, return_exceptions=True)
        if self.pipeline is not None:
            await self.pipeline.drain()
        for channel in self.channels.values():
            await channel.stop()
        if self._coordination is not None:
            await self._coordination.close()
        if self.store is not None:
            self.store.close()
        self.pipeline = self.store = None

    # --- what channel handlers see (the pipeline's inbound side, once it exists) -----------------

    def require_pipeline(self) -> Pipeline:
        if self.pipeline is None:
            raise NotReady("the service is starting")
        return self.pipeline

    def require_store(self) -> Store:
        if self.store is None:
            raise NotReady("the service is starting")
        return self.store

    async def accept(self, message: InboundMessage) -> AcceptResult:
        return await self.require_pipeline().accept(message)

    async def record_status(self, update: StatusUpdate) -> bool:
        return await self.require_pipeline().record_status(update)
