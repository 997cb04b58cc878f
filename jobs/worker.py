"""Running the registry: on arq (`tawasol jobs worker`), or in process for one moment (`run-due`)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Awaitable, Callable, Optional

from arq.connections import RedisSettings
from arq.cron import cron
from arq.worker import Function, Worker, func

from core.messages import utcnow
from jobs.context import QUEUE_NAME, JobContext, JobSettings, Masked, SweepReport
from jobs.registry import DEFERRED, DEFERRED_OPTIONS, SWEEPS, Sweep
from store import Store
from store.migrate import upgrade

logger = logging.getLogger(__name__)

_CONTEXT = "tawasol"  # our JobContext inside arq's ctx dict


class WorkerNeedsRedis(RuntimeError):
    pass


def context_for(settings: JobSettings) -> JobContext:
    """A context with its own store and no outbox: the sweeps that send say they could not."""
    upgrade(settings.database_url)
    return JobContext(settings, Store(settings.database_url))


# What the worker calls at start-up to get its context, and at shutdown to release it: the bot
# layer passes one that also binds the configured channels, so sending sweeps have an outbox.
ContextOpener = Callable[[], Awaitable[JobContext]]
ContextCloser = Callable[[JobContext], Awaitable[None]]


async def run_due(ctx: JobContext, as_of: datetime) -> list[SweepReport]:
    """Every sweep, for the moment `as_of` (timezone-aware), one after the other, in this process."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must carry a time zone (2026-12-20T09:00:00+03:00)")
    return [await sweep.run(ctx, as_of) for sweep in SWEEPS]


def _cron_entry(sweep: Sweep) -> Callable[[dict[str, Any]], Awaitable[str]]:
    async def entry(arq_ctx: dict[str, Any]) -> str:
        report = await sweep.run(arq_ctx[_CONTEXT], utcnow())
        logger.info("sweep %s", report.line())
        return report.did

    entry.__qualname__ = entry.__name__ = f"sweep_{sweep.name}"
    return entry


def _deferred_entry(name: str, job: Callable[..., Awaitable[Any]]) -> Function:
    async def entry(arq_ctx: dict[str, Any], *args: Any) -> Any:
        plain = [a.value if isinstance(a, Masked) else a for a in args]
        result = await job(arq_ctx[_CONTEXT], *plain)
        return getattr(result, "line", lambda: result)()  # a line in arq's result, not our objects

    entry.__qualname__ = entry.__name__ = name
    # keep_result=0: a job's arguments and result may name a citizen; nothing lingers in Redis.
    options: dict[str, Any] = {"max_tries": 3, **DEFERRED_OPTIONS.get(name, {})}
    return func(entry, name=name, keep_result=0, **options)


def worker_options(
    settings: JobSettings, open_context: Optional[ContextOpener] = None, close_context: Optional[ContextCloser] = None
) -> dict[str, Any]:
    """arq Worker keyword arguments: our sweeps as cron jobs (unique: once across all workers),
    our deferred jobs as functions, our queue, and the context opened at start-up."""
    if not settings.redis_url:
        raise WorkerNeedsRedis("the job worker needs REDIS_URL (arq keeps its schedule and queue there)")

    async def startup(arq_ctx: dict[str, Any]) -> None:
        arq_ctx[_CONTEXT] = await open_context() if open_context else context_for(settings)
        logger.info("jobs worker started sweeps=%s deferred=%s", [s.name for s in SWEEPS], sorted(DEFERRED))

    async def shutdown(arq_ctx: dict[str, Any]) -> None:
        context = arq_ctx.get(_CONTEXT)
        if context is None:
            return
        if close_context:
            await close_context(context)
        else:
            context.store.close()

    return {
        "functions": [_deferred_entry(name, job) for name, job in DEFERRED.items()],
        "cron_jobs": [
            cron(
                _cron_entry(sweep),
                name=f"sweep:{sweep.name}",
                minute=set(sweep.minutes) if sweep.minutes is not None else None,
                hour=set(sweep.hours) if sweep.hours is not None else None,
                second=set(sweep.seconds),
                unique=True,
            )
            for sweep in SWEEPS
        ],
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": QUEUE_NAME,
        "on_startup": startup,
        "on_shutdown": shutdown,
    }


def build_worker(
    settings: JobSettings,
    open_context: Optional[ContextOpener] = None,
    close_context: Optional[ContextCloser] = None,
    **overrides: Any,
) -> Worker:
    return Worker(**{**worker_options(settings, open_context, close_context), **overrides})
