"""What `/health` says: whether this process can take messages, and whether messages are getting
through, each from a check that fails when its dependency does.

    ok        everything answers and nothing waits longer than it should            200
    degraded  messages are accepted, but a dependency is failing or messages wait   200
    down      messages cannot be accepted (the database does not answer)            503
    starting  the process is still starting                                         503

The backlog is read from the store (counts and ages, no personal data), so the web tier also
reports trouble that only the workers meet: a dead worker (messages wait unanswered), a provider
turning sends back (messages retrying), an SMSC that refuses binds (its channel says unbound).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any, Optional

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 2.0
# An answer takes well under a second; a message waiting this long means something is stuck.
UNANSWERED_AFTER_S = 10.0
UNSENT_AFTER_S = 10.0


async def _timed(call: Any) -> tuple[Optional[Any], Optional[str]]:
    try:
        return await asyncio.wait_for(call, CHECK_TIMEOUT_S), None
    except asyncio.TimeoutError:
        return None, "no answer in time"
    except Exception as exc:  # what failed is the report; the class name reveals no internals
        return None, type(exc).__name__


async def report(runtime: Any) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for `runtime`'s /health."""
    body: dict[str, Any] = {"since": runtime.started_at, "mode": runtime.mode}
    channels = {name: channel.health() for name, channel in runtime.channels.items()}
    body["channels"] = channels
    if runtime.pipeline is None or runtime.store is None:
        body["status"] = "starting"
        return 503, body
    problems: list[str] = []
    backlog, error = await _timed(asyncio.to_thread(runtime.store.backlog.read))
    body["database"] = "ok" if error is None else f"failing: {error}"
    if backlog is not None:
        body["backlog"] = dataclasses.asdict(backlog)
        if (backlog.oldest_unanswered_s or 0) > UNANSWERED_AFTER_S:
            problems.append("messages wait unanswered")
        if backlog.retrying or (backlog.oldest_unsent_s or 0) > UNSENT_AFTER_S:
            problems.append("answers wait to be sent")
    queued, error = await _timed(runtime.pipeline.coordination.queue.length())
    body["queue"] = {"waiting": queued} if error is None else f"failing: {error}"
    if error is not None:
        problems.append("queue unavailable")
    for name, health in channels.items():
        if health.get("bound") is False:
            problems.append(f"{name} not connected")
    if body["database"] != "ok":
        body["status"] = "down"
        body["problems"] = ["database unavailable", *problems]
        return 503, body
    body["status"] = "degraded" if problems else "ok"
    if problems:
        body["problems"] = problems
    return 200, body
