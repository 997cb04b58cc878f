"""When may the next segment be submitted? The TPS cap, the window, and backing off when throttled.

- The cap spaces segments evenly (1/TPS apart), so no second ever carries more than SMPP_TPS.
- At most `window` submits await their submit_sm_resp.
- ESME_RTHROTTLED / ESME_RMSGQFUL pause sending (0.2 s doubling to 10 s while they go on) and set
  the rate to what the SMSC actually accepted over the last second (90% of it, never below half
  the rate in force); without throttling the rate then grows 10% per 100 ms until it is back at
  the configured cap (or, with no cap, until it no longer limits anything).
"""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Callable, Optional

_UNCAPPED_CEILING = 100_000.0  # an adaptive rate above this is no limit at all
_GROWTH_PER_STEP = 1.10
_GROWTH_STEP_S = 0.1


class SubmitPacer:
    def __init__(
        self,
        tps: Optional[float],
        window: int,
        throttle_initial_s: float = 0.2,
        throttle_max_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.configured_tps = tps
        self.window = window
        self.throttle_initial_s = throttle_initial_s
        self.throttle_max_s = throttle_max_s
        self._clock = clock
        self._rate: Optional[float] = tps  # the rate in force now (None = unlimited)
        self._next_at = 0.0
        self._paused_until = 0.0
        self._backoff = 0.0
        self._last_change = 0.0
        self._last_throttle = -math.inf
        self._sent: deque[float] = deque()  # times of the last second's submits
        self._accepted: deque[float] = deque()  # ... and of its accepted ones
        self.throttled_count = 0

    @property
    def rate(self) -> Optional[float]:
        return self._rate

    def delay(self, in_flight: int) -> float:
        """Seconds to wait before the next submit; math.inf when only a response can free the window."""
        if in_flight >= self.window:
            return math.inf
        now = self._clock()
        return max(0.0, self._paused_until - now, self._next_at - now)

    def on_sent(self) -> None:
        now = self._clock()
        _keep_last_second(self._sent, now)
        if self._rate:
            self._next_at = max(self._next_at, now) + 1.0 / self._rate

    def on_accepted(self) -> None:
        now = self._clock()
        _keep_last_second(self._accepted, now)
        self._backoff = 0.0
        if self._rate is None or now - self._last_change < _GROWTH_STEP_S:
            return
        steps = min(10.0, (now - self._last_change) / _GROWTH_STEP_S)
        self._last_change = now
        ceiling = self.configured_tps or _UNCAPPED_CEILING
        self._rate = min(ceiling, self._rate * _GROWTH_PER_STEP**steps)
        if self.configured_tps is None and self._rate >= _UNCAPPED_CEILING:
            self._rate = None

    def on_throttled(self, sent_at: float) -> None:
        """A submit sent at `sent_at` (this clock) was throttled."""
        self.throttled_count += 1
        now = self._clock()
        if sent_at < self._last_throttle:
            return  # already in flight when we last slowed down: that reaction covers it
        self._last_throttle = now
        self._backoff = min(self.throttle_max_s, max(self.throttle_initial_s, self._backoff * 2))
        self._paused_until = now + self._backoff
        self._last_change = now
        _keep_last_second(self._accepted, None, now)
        _keep_last_second(self._sent, None, now)
        in_force = self._rate if self._rate is not None else float(len(self._sent))
        self._rate = max(1.0, 0.9 * len(self._accepted), 0.5 * in_force)
        if self._rate > in_force > 0:
            self._rate = in_force  # throttling never speeds us up


def _keep_last_second(times: deque, now: Optional[float], clock_now: Optional[float] = None) -> None:
    """Append `now` (unless None) and drop entries older than a second."""
    current = now if now is not None else clock_now
    if now is not None:
        times.append(now)
    while times and current - times[0] > 1.0:
        times.popleft()
