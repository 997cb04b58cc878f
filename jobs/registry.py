"""Every sweep and deferred job Tawasol runs: adding one is one entry here.

A sweep: `async def sweep(ctx: JobContext, now: datetime) -> SweepReport`, idempotent, acting on what
is due as of `now`; `minutes` and `hours` are when the worker runs it (arq cron sets; None: every).
`run-due --as-of T` runs all of them for T: a sweep, not its schedule, decides what is due.

A deferred job: `async def job(ctx: JobContext, *args)`, enqueued with `jobs.deferred.enqueue`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable, Optional

from jobs.alert_sweeps import send_due_alerts
from jobs.broadcasts import restart_stalled_broadcasts, send_broadcast
from jobs.context import JobContext, SweepReport
from jobs.dashboards import roll_up_dashboards
from jobs.forget import forget_citizen
from jobs.model_training import JOB_NAME as TRAIN_MODEL
from jobs.model_training import TIMEOUT_S as TRAINING_TIMEOUT_S
from jobs.model_training import train_model
from jobs.notifications import JOB_NAME as DELIVER_NOTIFICATION
from jobs.notifications import SEND_QUEUED, deliver_notification, send_owed_notifications, send_queued_messages
from jobs.outbound_sweeps import escalate_unanswered_transactions, move_undelivered_pushes
from jobs.retention import redact_expired_texts


@dataclass(frozen=True)
class Sweep:
    name: str
    run: Callable[[JobContext, datetime], Awaitable[SweepReport]]
    minutes: Optional[frozenset[int]] = None
    hours: Optional[frozenset[int]] = None
    seconds: frozenset[int] = frozenset({0})  # within each minute it runs


SWEEPS: tuple[Sweep, ...] = (
    # Hourly: a quiet hour's run finds nothing and costs one indexed query.
    Sweep("retention", redact_expired_texts, minutes=frozenset({17})),
    # Hourly: a period is days long, so an hour late is on time (Qassim's rule, shared/seeds.md).
    Sweep("escalation", escalate_unanswered_transactions, minutes=frozenset({5})),
    # Every minute: the delivery deadline is minutes long (TAWASOL_DELIVERY_TIMEOUT_MINUTES).
    Sweep("delivery_fallbacks", move_undelivered_pushes),
    # Every 10 seconds: a notification whose job was lost waits at most that (and the claim's 30 s
    # when its worker died holding it).
    Sweep("notifications", send_owed_notifications, seconds=frozenset(range(0, 60, 10))),
    # Twice an hour: steps come due at 09:00 Amman time, and quiet hours end at 08:00.
    Sweep("alerts", send_due_alerts, minutes=frozenset({2, 32})),
    # Every minute: a due broadcast starts, one whose worker died resumes (jobs/broadcasts.py).
    Sweep("broadcasts", restart_stalled_broadcasts),
    # Every 10 minutes: yesterday is rolled up soon after midnight, and the last two days settle
    # (late receipts); today is always counted live by the dashboards themselves.
    Sweep("dashboards", roll_up_dashboards, minutes=frozenset(range(4, 60, 10))),
)

DEFERRED: dict[str, Callable[..., Awaitable[Any]]] = {
    "forget_citizen": forget_citizen,
    DELIVER_NOTIFICATION: deliver_notification,
    SEND_QUEUED: send_queued_messages,
    "send_broadcast": send_broadcast,
    TRAIN_MODEL: train_model,
}

# arq's options where a job needs other than the defaults (jobs/worker.py: 3 tries, 5 minutes).
DEFERRED_OPTIONS: dict[str, dict[str, Any]] = {
    TRAIN_MODEL: {"max_tries": 1, "timeout": TRAINING_TIMEOUT_S},
}
