"""`tawasol worker`: message workers without a web server, for scaling out.

The web tier (`tawasol serve --workers 0`) accepts webhooks and queues them; any number of worker
processes, on any machines sharing DATABASE_URL and REDIS_URL, answer them. Without Redis the
queue lives inside one process, so a separate worker could never see it: refused.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.runtime import Runtime
from bot.settings import Settings

logger = logging.getLogger(__name__)


class WorkerNeedsRedis(RuntimeError):
    pass


async def run_worker(settings: Settings, workers: int) -> None:
    if not settings.redis_url:
        raise WorkerNeedsRedis("a separate worker process needs REDIS_URL (the shared queue); run `tawasol serve` alone instead")
    runtime = Runtime(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runtime.start(workers)
    try:
        await stop.wait()
    finally:
        logger.info("worker stopping")
        await runtime.stop()
