"""What a console training run does (the job engine's `train_model` hands the run to this):

    snapshot the training data (data/ and the curated examples) -> train from the snapshot
    -> pack the snapshot beside the model -> score the new model on the held-out sets
    -> score the active model too when its scores are missing or older than the held-out files
    -> register the new model: who asked, the snapshot and its hash, the scores

Every step's lines (and bot/training.py's per-component progress) go into the run's log, which the
console shows while it runs. The heavy parts run in threads: the process (a job worker, or the web
process in development mode) keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot.model_scoring import KeptAside, heldout_hash, score_model
from bot.settings import MODELS_DIR
from bot.training import train_model
from bot.training_snapshot import pack, take_snapshot
from catalog.services import default_catalog_dir
from brain.scorecard import NotComparable, compare
from store import Store
from store.curated_training import curated_training_examples
from store.curation import CuratedExamples
from store.database import Database
from store.training_runs import TrainingRuns

logger = logging.getLogger(__name__)

SNAPSHOTS = "snapshots"  # under the models directory: <model id>.data.tar.gz
# Where each step starts, in percent of the whole (training is most of the time).
PROGRESS = {"snapshot": 2, "training": 5, "scoring_new": 70, "scoring_active": 85, "registering": 97}
# Loggers whose lines make the run's log.
LOGGED = ("bot.training", "bot.training_job", "bot.model_scoring")

CuratedSource = Callable[[Database], Sequence[tuple[str, str]]]


class RunLog(logging.Handler):
    """Log lines of the training's loggers, appended to the run (the console's log tail). Each
    pipeline component or policy trained moves the progress bar a little: Rasa says nothing finer."""

    PER_COMPONENT = 5

    def __init__(self, runs: TrainingRuns, run_id: int) -> None:
        super().__init__(logging.INFO)
        self._runs, self._run_id = runs, run_id
        self._percent = PROGRESS["training"]
        self.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._runs.append_log(self._run_id, self.format(record) + "\n")
            if record.name == "bot.training" and record.getMessage().startswith(("trained ", "training ")):
                self._percent = min(self._percent + self.PER_COMPONENT, PROGRESS["scoring_new"] - 5)
                self._runs.progress(self._run_id, "training", self._percent)
        except Exception:  # the log is for people: a lost line never stops the training
            self.handleError(record)


@contextmanager
def _logged_into(runs: TrainingRuns, run_id: int) -> Iterator[None]:
    handler = RunLog(runs, run_id)
    saved = {}
    for name in LOGGED:
        log = logging.getLogger(name)
        saved[name] = log.level
        log.addHandler(handler)
        log.setLevel(logging.INFO)  # the run's log has the INFO lines whatever LOG_LEVEL says
    try:
        yield
    finally:
        for name in LOGGED:
            logging.getLogger(name).removeHandler(handler)
            logging.getLogger(name).setLevel(saved[name])


def model_name(run_id: int, now: Optional[datetime] = None) -> str:
    return f"model-{(now or datetime.now(timezone.utc)):%Y%m%d-%H%M%S}-run{run_id}"


async def train_for_run(
    store: Store,
    run_id: int,
    *,
    models_dir: Path = MODELS_DIR,
    curated: CuratedSource = curated_training_examples,
    catalog_dir: Optional[Path] = None,
) -> str:
    """Train, score and register the model of run `run_id`; its id. Raises on failure (the job
    records it on the run)."""
    runs = store.training_runs
    run = runs.get(run_id)
    if run is None:
        raise LookupError(f"no training run {run_id}")
    with _logged_into(runs, run_id):
        name = model_name(run_id)
        runs.progress(run_id, "snapshot", PROGRESS["snapshot"])
        examples = await asyncio.to_thread(curated, store.db)
        snapshots = models_dir / SNAPSHOTS
        snapshots.mkdir(parents=True, exist_ok=True)
        directory = snapshots / name
        try:
            snapshot = take_snapshot(directory, list(examples), catalog_dir or default_catalog_dir())
            logger.info("training data snapshot: %d curated examples, data hash %s", snapshot.curated,
                        snapshot.data_hash[:12])
            runs.progress(run_id, "training", PROGRESS["training"])
            path = await asyncio.to_thread(
                train_model, models_dir, name, config=snapshot.config, domain=snapshot.domain,
                training_files=snapshot.training_files,
            )
            archive = pack(snapshot, snapshots / f"{name}.data.tar.gz")
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        logger.info("training data kept at %s", archive)

        runs.progress(run_id, "scoring_new", PROGRESS["scoring_new"])
        kept_aside = await asyncio.to_thread(_kept_aside, store)
        logger.info("scoring the new model on the held-out sets (and %d inbox messages kept aside) ...", len(kept_aside))
        scores = await _score(str(path), runs, run_id, "scoring_new", "scoring_active", kept_aside)

        active = store.models.active()
        if active is not None and Path(active.model.path).is_file():
            current = active.model.scores or {}
            if current.get("heldout_hash") != heldout_hash(kept_aside=kept_aside):
                runs.progress(run_id, "scoring_active", PROGRESS["scoring_active"])
                logger.info("scoring the active model %s on the same sets ...", active.model.id)
                current = await _score(active.model.path, runs, run_id, "scoring_active", "registering", kept_aside)
                store.models.set_scores(active.model.id, current)
            _say_comparison(scores, current, active.model.id)

        runs.progress(run_id, "registering", PROGRESS["registering"])
        store.models.register(
            name, str(path.resolve()), datetime.fromtimestamp(path.stat().st_mtime, timezone.utc), run.requested_by,
            snapshot.data_hash, scores, str(archive.resolve()),
        )
        logger.info("registered %s: compare it with the active model, then switch it on", name)
        return name


def _kept_aside(store: Store) -> list[tuple[str, str, Optional[str]]]:
    try:
        return CuratedExamples(store.db).held_out()
    except SQLAlchemyError as error:  # the inbox's tables not migrated yet
        logger.warning("inbox messages kept aside unreadable, scoring without them: %s", type(error).__name__)
        return []


async def _score(
    model_path: str, runs: TrainingRuns, run_id: int, step: str, next_step: str, kept_aside: KeptAside = ()
) -> dict:
    start, end = PROGRESS[step], PROGRESS[next_step]

    def said(done: int, total: int) -> None:
        runs.progress(run_id, step, start + (end - start) * done // max(total, 1))

    # Its own event loop in a thread: parsing 1,700 messages must not hold this process's loop.
    return await asyncio.to_thread(asyncio.run, score_model(model_path, said=said, kept_aside=kept_aside))


def _say_comparison(new: dict, active: dict, active_id: str) -> None:
    try:
        comparison = compare(new, active)
    except NotComparable as error:
        logger.info("not compared with %s: %s", active_id, error)
        return
    logger.info("against %s: intent accuracy %.1f%% -> %.1f%%, service accuracy %.1f%% -> %.1f%%, %d newly wrong",
                active_id, comparison.intent_accuracy.active * 100, comparison.intent_accuracy.new * 100,
                comparison.service_accuracy.active * 100, comparison.service_accuracy.new * 100,
                len(comparison.newly_wrong))
    for regression in comparison.regressions:
        logger.info("REGRESSION: %s", regression)
