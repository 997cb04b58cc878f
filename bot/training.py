"""Training the Rasa model from the repository's config, domain and training data."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

REPOSITORY = Path(__file__).resolve().parent.parent
CONFIG = REPOSITORY / "config.yml"
DOMAIN = REPOSITORY / "domain.yml"
# Only these: data/ also holds the catalog and the bot's wording, which are not training data.
TRAINING_FILES = [REPOSITORY / "data" / "nlu", REPOSITORY / "data" / "rules.yml"]
# A step still running after this long says so again, so a long one does not look like a hang.
HEARTBEAT_SECONDS = 30.0

logger = logging.getLogger(__name__)

# What Rasa's training graph says as each component trains (rasa/engine/training/hooks.py).
_HOOKS_LOGGER = "rasa.engine.training.hooks"
_STARTED = re.compile(r"Starting to train component '(?P<name>[^']+)'")
_FINISHED = re.compile(r"Finished training component '(?P<name>[^']+)'")
_RESTORED = re.compile(r"Restored component '(?P<name>[^']+)' from cache")


class TrainingProgress(logging.Handler):
    """Rasa's per-component training messages as one short line per step, with elapsed times, and
    a reminder every `heartbeat` seconds while one step (or the preparation before the first) runs."""

    PREPARING = "the preparation (loading TensorFlow, reading the data)"

    def __init__(self, started: float, heartbeat: float = HEARTBEAT_SECONDS) -> None:
        super().__init__(logging.INFO)
        self._started = started
        self._heartbeat = heartbeat
        self._step: Optional[tuple[str, float]] = (self.PREPARING, started)
        self._last_said = started
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="training-progress", daemon=True)
        self._ticker.start()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        now = time.perf_counter()
        with self._lock:
            if found := _STARTED.search(message):
                self._step, self._last_said = (found["name"], now), now
                logger.info("training %s ... (started at %s)", found["name"], _duration(now - self._started))
            elif found := _FINISHED.search(message):
                began = self._step[1] if self._step and self._step[0] == found["name"] else now
                self._step, self._last_said = None, now
                logger.info("trained %s in %s", found["name"], _duration(now - began))
            elif found := _RESTORED.search(message):
                self._step, self._last_said = None, now
                logger.info("%s unchanged: taken from the cache", found["name"])

    def _tick(self) -> None:
        while not self._stop.wait(min(1.0, self._heartbeat)):
            now = time.perf_counter()
            with self._lock:
                if self._step and now - self._last_said >= self._heartbeat:
                    self._last_said = now
                    name, began = self._step
                    logger.info("still training: %s, %s so far", name, _duration(now - began))

    def close(self) -> None:
        self._stop.set()
        super().close()


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {int(seconds % 60)} s"


@contextmanager
def _progress_lines(started: float) -> Iterator[None]:
    hooks = logging.getLogger(_HOOKS_LOGGER)
    saved = hooks.level, hooks.propagate
    progress = TrainingProgress(started)
    hooks.addHandler(progress)
    hooks.setLevel(logging.INFO)
    hooks.propagate = False  # Rasa's own wording of the same events would be a second line each
    # Rasa draws its progress bars unless LOG_LEVEL (its variable, and ours) is WARNING or ERROR
    # (rasa.shared.utils.io.is_logging_disabled): bars redrawn hundreds of times are noise in a log.
    saved_level = os.environ.get("LOG_LEVEL")
    os.environ["LOG_LEVEL"] = "WARNING"
    try:
        yield
    finally:
        if saved_level is None:
            os.environ.pop("LOG_LEVEL", None)
        else:
            os.environ["LOG_LEVEL"] = saved_level
        hooks.removeHandler(progress)
        progress.close()
        hooks.setLevel(saved[0])
        hooks.propagate = saved[1]


def train_model(
    output: Path,
    fixed_name: Optional[str] = None,
    *,
    config: Path = CONFIG,
    domain: Path = DOMAIN,
    training_files: Optional[list[Path]] = None,
) -> Path:
    """Train from the repository's config, domain and data, or from a snapshot of them (the
    console's training job trains from the files it packs with the model)."""
    started = time.perf_counter()
    logger.info("training the model from %s, %s and data/ (a few minutes) ...", config.name, domain.name)
    from rasa.api import train

    with _progress_lines(started):
        result = train(
            domain=str(domain),
            config=str(config),
            training_files=[str(p) for p in (training_files or TRAINING_FILES)],
            output=str(output),
            fixed_model_name=fixed_name,
        )
    if result.code != 0 or not result.model:
        raise RuntimeError(f"training failed (rasa exit code {result.code})")
    logger.info("model trained path=%s seconds=%.1f", result.model, time.perf_counter() - started)
    return Path(result.model)
