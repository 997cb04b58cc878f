"""The console's models hooks, wired here because only this layer sees both the job engine and the
trainer (bot/training_job.py): the console may import neither.

With REDIS_URL a training run is an arq job (`train_model`, run by `tawasol jobs worker`, one job id
per run). Without it (development mode: one process, no job worker) the same job runs in this
process, in the background: the training and the scoring run in threads, so pages keep answering.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Callable

from bot.settings import Settings
from bot.training_job import train_for_run
from console.model_hooks import ModelHooks
from jobs.context import JobContext, JobSettings
from jobs.deferred import enqueue
from jobs.model_training import JOB_NAME, train_model
from store import Store

logger = logging.getLogger(__name__)


def model_hooks(settings: Settings, store: Callable[[], Store]) -> ModelHooks:
    running: set[asyncio.Task] = set()  # held, so a background run is not garbage-collected midway

    async def start_training(run_id: int) -> bool:
        if settings.redis_url:
            await enqueue(settings.redis_url, JOB_NAME, run_id, job_id=f"train-model-{run_id}")
            return True
        logger.info("training run=%s in this process (no REDIS_URL: no job worker)", run_id)
        job_settings = JobSettings(settings.database_url, None, timedelta(days=settings.retention_days))
        context = JobContext(job_settings, store(), trainer=train_for_run)
        task = asyncio.create_task(train_model(context, run_id), name=f"train-model-{run_id}")
        running.add(task)
        task.add_done_callback(running.discard)
        return True

    return ModelHooks(start_training=start_training)
