"""Model trainings asked for from the console: one at a time, with their progress and log.

A run is `queued` when asked for, `running` once a job worker claims it, then `succeeded` (with the
model it registered) or `failed` (with why). While queued or running it holds the one training
slot (a unique column), so a second request is refused by the database itself, even from two
processes at once. A run whose log has been silent for `ABANDONED_AFTER` (its worker died) gives
the slot up when the next training is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.messages import utcnow
from store.audit import Actor, record
from store.database import Database
from store.models import TrainingRun

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
ABANDONED_AFTER = timedelta(minutes=15)  # a training step logs at least every 30 s (bot/training.py)
LOG_LIMIT = 200_000  # characters kept: the newest, with a note that the start was cut


class TrainingBusy(RuntimeError):
    """A training is queued or running already."""

    def __init__(self, run: "TrainingRunView") -> None:
        super().__init__(f"training {run.id} is {run.status} (asked by {run.requested_by}): one at a time")
        self.run = run


@dataclass(frozen=True)
class TrainingRunView:
    id: int
    requested_by: str
    requested_at: datetime
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    status: str
    step: str
    progress: int
    log: str
    model_id: Optional[str]
    error: Optional[str]

    @property
    def active(self) -> bool:
        return self.status in (QUEUED, RUNNING)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.splitlines()[-lines:])


class TrainingRuns:
    def __init__(self, db: Database) -> None:
        self._db = db

    def start(self, actor: Actor) -> TrainingRunView:
        """A new queued run; `TrainingBusy` while another is queued or running."""
        self._release_abandoned()
        try:
            with self._db.session() as s:
                run = TrainingRun(requested_by=actor.label, requested_by_id=actor.staff_id, requested_at=utcnow(),
                                  status=QUEUED, step="queued", progress=0, log="", slot=1)
                s.add(run)
                s.flush()
                record(s, actor, "model.train", "training_run", run.id)
                return _view(run)
        except IntegrityError:
            current = self.current()
            if current is None:  # finished between the insert and this read: ask again
                raise TrainingBusy(TrainingRunView(0, "?", utcnow(), None, None, RUNNING, "", 0, "", None, None))
            raise TrainingBusy(current)

    def claim(self, run_id: int) -> bool:
        """queued -> running, once: False when the run is not queued (a retried job, a cancelled run)."""
        now = utcnow()
        with self._db.session() as s:
            changed = s.execute(
                update(TrainingRun).where(TrainingRun.id == run_id, TrainingRun.status == QUEUED)
                .values(status=RUNNING, started_at=now, heartbeat_at=now, step="starting")
            ).rowcount
            return changed == 1

    def progress(self, run_id: int, step: str, percent: int) -> None:
        with self._db.session() as s:
            s.execute(update(TrainingRun).where(TrainingRun.id == run_id)
                      .values(step=step[:200], progress=max(0, min(100, percent)), heartbeat_at=utcnow()))

    def append_log(self, run_id: int, lines: str) -> None:
        with self._db.session() as s:
            run = s.get(TrainingRun, run_id)
            if run is None:
                return
            log = (run.log or "") + lines
            if len(log) > LOG_LIMIT:
                log = "[... earlier lines cut]\n" + log[-LOG_LIMIT:]
            run.log = log
            run.heartbeat_at = utcnow()

    def succeed(self, run_id: int, model_id: str) -> None:
        self._finish(run_id, SUCCEEDED, model_id=model_id, error=None)

    def fail(self, run_id: int, error: str) -> None:
        self._finish(run_id, FAILED, model_id=None, error=error[:1000])

    def _finish(self, run_id: int, status: str, *, model_id: Optional[str], error: Optional[str]) -> None:
        with self._db.session() as s:
            run = s.get(TrainingRun, run_id)
            if run is None:
                return
            run.status, run.model_id, run.error = status, model_id, error
            run.finished_at = utcnow()
            run.progress = 100 if status == SUCCEEDED else run.progress
            run.step = "done" if status == SUCCEEDED else "failed"
            run.slot = None
            record(s, Actor("training job"), f"model.train_{status}", "training_run", run_id,
                   after={"model_id": model_id, "error": error})

    def get(self, run_id: int) -> Optional[TrainingRunView]:
        with self._db.session() as s:
            run = s.get(TrainingRun, run_id)
            return _view(run) if run is not None else None

    def current(self) -> Optional[TrainingRunView]:
        """The run holding the slot (queued or running), if any."""
        with self._db.session() as s:
            run = s.execute(select(TrainingRun).where(TrainingRun.slot.is_not(None))).scalars().first()
            return _view(run) if run is not None else None

    def latest(self) -> Optional[TrainingRunView]:
        with self._db.session() as s:
            run = s.execute(select(TrainingRun).order_by(TrainingRun.id.desc()).limit(1)).scalars().first()
            return _view(run) if run is not None else None

    def _release_abandoned(self) -> None:
        cutoff = utcnow() - ABANDONED_AFTER
        with self._db.session() as s:
            run = s.execute(select(TrainingRun).where(TrainingRun.slot.is_not(None))).scalars().first()
            if run is None:
                return
            last = run.heartbeat_at or run.requested_at
            if last < cutoff:
                run.status, run.slot, run.finished_at = FAILED, None, utcnow()
                run.error = f"abandoned: nothing heard from its job for {int(ABANDONED_AFTER.total_seconds() // 60)} minutes"
                run.step = "failed"
                record(s, Actor("training job"), "model.train_abandoned", "training_run", run.id)


def _view(run: TrainingRun) -> TrainingRunView:
    return TrainingRunView(run.id, run.requested_by, run.requested_at, run.started_at, run.finished_at, run.status,
                           run.step or "", run.progress or 0, run.log or "", run.model_id, run.error)
