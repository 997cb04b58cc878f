"""Assembling a running Tawasol process: store, shared coordination, brain, channels, pipeline.

`tawasol serve` (web tier, optionally with workers) and `tawasol worker` (workers only) build the
same runtime; they differ in what they run on top of it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit

from actions.catalog_access import use_store_catalog
from actions.citizen_records import use_store
from billing.credit import CreditKeeper
from bot.content import use_content
from bot.settings import Settings
from brain.switching import SwitchingBrain
from catalog.live import LiveCatalog, live_catalog, use_live_catalog
from channels.base import Channel
from channels.registry import build_channels
from coordination import build_coordination
from core.brain import Brain
from core.messages import SMS, InboundMessage, StatusUpdate
from pipeline.flood import FloodPolicy
from pipeline.outbox import Outbox
from pipeline.pipeline import AcceptResult, Pipeline
from routing.policy import RoutingPolicy
from store import Store
from store.migrate import upgrade

logger = logging.getLogger(__name__)


class NotReady(RuntimeError):
    """The pipeline is still starting."""


def routing_policy(settings: Settings) -> RoutingPolicy:
    """The default routing table, with the short code recorded as the sender of SMS messages and
    the configured tariff."""
    senders = {SMS: settings.sms.short_code} if settings.sms is not None else {}
    return RoutingPolicy(senders=senders, tariff=settings.tariff)


def load_brain(settings: Settings, store: Optional[Store] = None) -> Brain:
    """The brain for this process's workers: the model chosen now (bot/model_choice.py); unless
    TAWASOL_MODEL pins it, one that follows `tawasol model activate` / `rollback` while it runs."""
    from bot.model_choice import served_model
    from brain.rasa_brain import RasaBrain
    from brain.switching import Choice, SwitchingBrain, shared_state_of

    served = served_model(settings, store)
    brain = RasaBrain.load(served.path, settings.redis_url, cache_size=settings.answer_cache_size)
    if settings.model_from_env or store is None:
        return brain

    async def choose() -> Choice:
        now = await asyncio.to_thread(served_model, settings, store)
        return Choice(now.path, now.generation)

    def load(path: str, current: Brain) -> Brain:
        return RasaBrain.load(
            path, settings.redis_url, cache_size=settings.answer_cache_size, tracker_store=shared_state_of(current)
        )

    return SwitchingBrain(brain, Choice(served.path, served.generation), choose, load)


def flood_policy(settings: Settings) -> FloodPolicy:
    return FloodPolicy(
        per_minute=settings.citizen_rate_per_minute,
        burst=settings.citizen_burst,
        replay_window=timedelta(hours=settings.replay_window_hours),
    )


class BrainOnFirstUse:
    """The brain for a process that runs no workers (the web tier alone): it should never be asked,
    so the ~600 MB model is loaded only if it is."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._brain: Optional[Brain] = None
        self._lock = asyncio.Lock()

    async def _loaded(self) -> Any:
        async with self._lock:
            if self._brain is None:
                self._brain = await asyncio.to_thread(load_brain, self._settings)
        return self._brain

    async def respond(self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None) -> Any:
        return await (await self._loaded()).respond(conversation_key, message, language=language)

    async def parse(self, text: str, metadata: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        """The NLU alone (the console's answer preview)."""
        return await (await self._loaded()).parse(text, metadata)


class Runtime:
    """Everything one process holds while it runs; `start()` builds it, `stop()` releases it."""

    def __init__(
        self,
        settings: Settings,
        *,
        brain: Optional[Brain] = None,
        stand_ins: Optional[Mapping[str, Channel]] = None,
        mode: str = "production",
    ) -> None:
        """`stand_ins`: channels for names the settings do not configure (the development server's
        simulated SMS). `mode` is what the start-up line calls this process."""
        self.settings = settings
        self.mode = mode
        self._brain = brain
        self._stand_ins = dict(stand_ins or {})
        # Built now, not at start: the app mounts the channels' webhook routes when it is created.
        self.channels: dict[str, Channel] = {
            **self._stand_ins,
            **build_channels(
                whatsapp=settings.whatsapp, sms=settings.sms, whatsapp_templates=settings.whatsapp_templates
            ),
        }
        self.pipeline: Optional[Pipeline] = None
        self.credit: Optional[CreditKeeper] = None  # agencies' message credit (the agency API reserves here)
        self.enqueuer: Optional[Any] = None  # jobs.deferred.Enqueuer when the agency API hands notifications to the job engine
        self.store: Optional[Store] = None
        self.started_at: Optional[float] = None
        self._coordination: Any = None
        self._workers: Optional[asyncio.Task] = None
        self._catalog: Optional[LiveCatalog] = None
        self._switching: Optional[SwitchingBrain] = None

    def description(self) -> str:
        """Mode, channels, database kind and Redis use: what the start-up line and banner say
        (no URL with a password, no token)."""
        settings = self.settings
        channels = [f"{name}(stand-in: {getattr(channel, 'description', 'simulated')})" for name, channel in self._stand_ins.items()]
        if settings.whatsapp is not None:
            channels.append(f"whatsapp({settings.whatsapp.api_base_url})")
        if settings.sms is not None:
            channels.append(f"sms(smpp {settings.sms.host}:{settings.sms.port})")
        database = urlsplit(settings.database_url).scheme.split("+", 1)[0]
        redis = "shared" if settings.redis_url else "in-process (one process only)"
        return f"mode={self.mode} channels={','.join(sorted(channels)) or 'none'} database={database} redis={redis}"

    async def start(self, workers: int) -> None:
        started = time.perf_counter()
        settings = self.settings
        use_content(settings)
        await asyncio.to_thread(upgrade, settings.database_url)
        self.store = Store(settings.database_url)
        use_store(self.store)  # the in-process actions write tickets and subscriptions here
        # The catalog lives in the store (seeded from TAWASOL_CATALOG_DIR when empty) and is read
        # again whenever its generation moves: staff edits are answered without a restart.
        self._catalog = await asyncio.to_thread(use_store_catalog, self.store)
        self._coordination = build_coordination(settings.redis_url)
        if self._brain is not None:
            brain = self._brain
        elif workers:
            brain = await asyncio.to_thread(load_brain, settings, self.store)
        else:
            brain = BrainOnFirstUse(settings)
        outbox = Outbox(
            self.store,
            self._coordination,
            self.channels,
            rates={name: channel.rate for name, channel in self.channels.items()},
            routing=routing_policy(settings),
            delivery_timeout=settings.delivery_timeout,
        )
        self.pipeline = Pipeline(self.store, self._coordination, brain, outbox, flood=flood_policy(settings))
        self.credit = CreditKeeper(self.store, outbox)
        for channel in self.channels.values():
            await channel.start(self.pipeline)
        await self.pipeline.recover()
        if isinstance(brain, SwitchingBrain):
            brain.start()  # follows the registry's active model between messages
            self._switching = brain
        self._workers = asyncio.create_task(self.pipeline.run_workers(workers), name="workers")
        self.started_at = time.time()
        logger.info(
            "tawasol started %s workers=%d seconds=%.1f",
            self.description(),
            workers,
            time.perf_counter() - started,
        )

    async def stop(self) -> None:
        if self._switching is not None:
            await self._switching.stop()
            self._switching = None
        if self._workers is not None:
            self._workers.cancel()
            await asyncio.gather(self._workers, return_exceptions=True)
        if self.pipeline is not None:
            await self.pipeline.drain()
        for channel in self.channels.values():
            await channel.stop()
        if self._coordination is not None:
            await self._coordination.close()
        if self._catalog is not None and live_catalog() is self._catalog:
            use_live_catalog(None)  # its store is closing
        if self.store is not None:
            self.store.close()
        self.pipeline = self.store = None

    # --- what channel handlers see (the pipeline's inbound side, once it exists) -----------------

    @property
    def coordination(self) -> Any:
        """The shared coordination once started (None before)."""
        return self._coordination

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
