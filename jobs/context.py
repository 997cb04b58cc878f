"""What a job is given: its settings (from bot/settings.py, handed down) and the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Awaitable, Callable, Optional

from store import Store

if TYPE_CHECKING:
    from coordination.base import Coordination
    from pipeline.outbox import Outbox

REDIS_PREFIX = "tawasol"  # coordination's and the Rasa tracker store's key prefix (brain/rasa_brain.py)
QUEUE_NAME = "tawasol:jobs:arq"  # apart from the message queue (coordination's "tawasol:jobs")


class Masked:
    """A job argument as arq carries it: arq logs every job's arguments by repr(), so a text
    argument (a phone number) is wrapped in this on enqueue, shown masked, and unwrapped to run."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"<{len(self.value)} chars>"

    def __reduce__(self):  # pickled into Redis as the plain text, restored as Masked
        return (Masked, (self.value,))


@dataclass(frozen=True)
class JobSettings:
    database_url: str
    redis_url: Optional[str]
    retention: timedelta


@dataclass
class JobContext:
    settings: JobSettings
    store: Store
    # The outbox of a process bound to the channels (`tawasol jobs` starts the runtime's channels
    # when any is configured): the sweeps that send SMS need it; without it they say so and wait.
    outbox: Optional["Outbox"] = None
    # The process's shared coordination (Redis): a broadcast's lane reads the citizens' answer queue
    # and takes its own rate budget there. None: no lane (the outbox's channel limiters still apply).
    coordination: Optional["Coordination"] = None
    # What trains a model for a console training run (`train_model`): handed in by the bot layer,
    # where training lives. None: this worker refuses training runs, saying so on the run.
    trainer: Optional[Callable[[Store, int], Awaitable[str]]] = None


@dataclass(frozen=True)
class SweepReport:
    """What one run of a sweep did, in a line an operator reads."""

    sweep: str
    as_of: datetime
    did: str
    changed: int  # rows (or keys) it changed: 0 when nothing was due

    def line(self) -> str:
        return f"{self.sweep}: {self.did}"
