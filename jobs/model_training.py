"""Training a model asked for from the console: the deferred job `train_model(run_id)`.

The job moves the run through its states (store/training_runs.py: claimed once, then succeeded
with the model it registered or failed with why); the work itself — snapshot the training data,
train, score on the held-out sets, register — is the trainer the bot layer hands in with the
context (`JobContext.trainer`), since training lives above this layer (bot/training.py).
"""

from __future__ import annotations

import logging
import traceback

from jobs.context import JobContext

logger = logging.getLogger(__name__)

JOB_NAME = "train_model"
# Training and scoring take minutes (arq's default job timeout is 5): a run that takes longer than
# this has hung. Never retried by arq: a failed run says why, and a person asks again.
TIMEOUT_S = 3600


async def train_model(ctx: JobContext, run_id: int) -> str:
    runs = ctx.store.training_runs
    if not runs.claim(run_id):
        return f"training {run_id}: not queued (done already, or another worker has it)"
    if ctx.trainer is None:
        runs.fail(run_id, "this job worker cannot train (started without the trainer: run `tawasol jobs worker`)")
        return f"training {run_id}: failed, no trainer"
    try:
        model_id = await ctx.trainer(ctx.store, run_id)
    except Exception as error:  # the run records why; the worker goes on with other jobs
        logger.error("training failed run=%s cause=%s", run_id, error)
        runs.append_log(run_id, "".join(traceback.format_exception(type(error), error, error.__traceback__)))
        runs.fail(run_id, f"{type(error).__name__}: {error}")
        return f"training {run_id}: failed"
    runs.succeed(run_id, model_id)
    logger.info("training done run=%s model=%s", run_id, model_id)
    return f"training {run_id}: registered {model_id}"
