"""The faults, one function each: break a dependency of the running rig, block until it is back,
and return when it came back (time.time())."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import httpx

from bench.faults.rig import Rig

HANG_S = 30.0  # a hung Graph API call outlasts our 15 s client timeout
RETRY_AFTER_S = 5


@dataclass(frozen=True)
class Timing:
    duration_s: float  # Graph API faults, SMSC throttling and full window
    bind_refusal_s: float  # SMSC refusing binds
    restart_s: float  # PostgreSQL / Redis down between stop and start


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    channel: str  # whose traffic runs through it: "whatsapp" or "sms"
    inject: Callable[[Rig, Timing], float]


def _kill_worker(rig: Rig, _timing: Timing) -> float:
    rig.kill(rig.worker)
    rig.start_worker()
    return time.time()


def _kill_web(rig: Rig, _timing: Timing) -> float:
    rig.kill(rig.web)
    rig.start_web()
    return time.time()


def _restart_postgres(rig: Rig, timing: Timing) -> float:
    rig.postgres.stop("fast")  # ends every session, as a restart or failover does
    time.sleep(timing.restart_s)
    rig.postgres.start()
    return time.time()


def _restart_redis(rig: Rig, timing: Timing) -> float:
    rig.redis.stop()
    time.sleep(timing.restart_s)
    rig.redis.start()
    return time.time()


def _flush_redis(rig: Rig, _timing: Timing) -> float:
    rig.redis.flush()
    return time.time()


def _graph_outage(kind: str) -> Callable[[Rig, Timing], float]:
    def inject(rig: Rig, timing: Timing) -> float:
        spec = {"kind": kind, "seconds": timing.duration_s, "retry_after": RETRY_AFTER_S, "hang_s": HANG_S}
        httpx.post(f"{rig.fake_url}/_fake/outage", json=spec, timeout=10).raise_for_status()
        time.sleep(timing.duration_s)
        return time.time()

    return inject


def _smsc(spec_of: Callable[[Timing], dict], seconds_of: Callable[[Timing], float]) -> Callable[[Rig, Timing], float]:
    def inject(rig: Rig, timing: Timing) -> float:
        rig.smsc.post("/fault", spec_of(timing))
        time.sleep(seconds_of(timing))
        return time.time()

    return inject


FAULTS = [
    Fault("worker-kill", "kill -9 of the worker while it answers, then a restart", "whatsapp", _kill_worker),
    Fault("web-kill", "kill -9 of the web tier while it accepts, then a restart", "whatsapp", _kill_web),
    Fault("postgres-restart", "PostgreSQL stopped (fast) and started", "whatsapp", _restart_postgres),
    Fault("redis-restart", "Redis stopped and started (its append-only file kept)", "whatsapp", _restart_redis),
    Fault("redis-flush", "Redis FLUSHALL", "whatsapp", _flush_redis),
    Fault("graph-500", "Graph API answers 500", "whatsapp", _graph_outage("500")),
    Fault("graph-429", f"Graph API answers 429, Retry-After {RETRY_AFTER_S} s", "whatsapp", _graph_outage("429")),
    Fault("graph-hang", f"Graph API holds every call {HANG_S:.0f} s (past our timeout)", "whatsapp", _graph_outage("hang")),
    Fault(
        "smsc-bind-drop", "SMSC drops the bind mid-burst and refuses binds", "sms",
        _smsc(lambda t: {"drop": True, "refuse_binds_s": t.bind_refusal_s}, lambda t: t.bind_refusal_s),
    ),
    Fault("smsc-throttle", "SMSC answers ESME_RTHROTTLED", "sms", _smsc(lambda t: {"throttle_s": t.duration_s}, lambda t: t.duration_s)),
    Fault(
        "smsc-window-full", "SMSC answers no submit_sm (our window fills)", "sms",
        _smsc(lambda t: {"hold_s": t.duration_s}, lambda t: t.duration_s),
    ),
]
