"""Floods and replays at the door: what `Pipeline.accept` lets through to the workers.

A citizen (one number, whatever the channel) may send `burst` messages at once and then
`per_minute` a minute; the budget is shared by every process through Redis. Past it a message is
still stored (status "throttled", counted like any other), but it is not queued: one number
sending 50 a second then costs the workers nothing, so other citizens keep their latency. The first
message over the budget is queued with a mark instead, and its answer is a one-time notice
(`slow_down` in data/replies.yml) saying that some messages are kept unanswered; the citizen hears
it once per flood (until they pause long enough for the budget to fill again).

A message whose provider timestamp is older than the replay window is acknowledged and ignored
(README, "Floods and abuse", says why 24 hours).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

THROTTLE_NOTICE = "throttle_notice"  # in an inbound message's `raw`: answer it with the slow-down notice only


@dataclass(frozen=True)
class FloodPolicy:
    per_minute: float = 20.0
    burst: int = 10
    replay_window: timedelta = timedelta(hours=24)

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


def flood_key(address: str) -> str:
    """The key of a number's budget in Redis: a digest, so Redis never holds the number in clear."""
    return hashlib.blake2b(address.encode(), digest_size=12, person=b"tawasol-flood").hexdigest()
