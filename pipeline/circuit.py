"""A circuit breaker per channel: stop calling a provider that is down, probe it, notice its return.

Without it, a Graph API that hangs holds every send for the client's whole timeout (15 s), one
citizen after another, and the workers answer nobody meanwhile; a provider answering 500s is sent
every queued message just to refuse it. After `threshold` provider-wide failures in a row
(`SendOutcome.provider_down`) the circuit opens: sends are turned back at once ("retry later")
for as long as the provider asked (its Retry-After) or `min_open_s`; then one send goes through as
a probe, and another every `probe_every_s` while earlier ones hang (a probe that started just
before the provider came back would otherwise hold the circuit open for a whole client timeout).
The probe's success closes the circuit, and the caller brings forward the messages
waiting for a retry on that channel, so they go within seconds of the provider's return instead
of at the end of their backoff.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

from channels.base import SendOutcome


class Circuit:
    def __init__(
        self,
        *,
        threshold: int = 3,
        min_open_s: float = 1.0,
        max_open_s: float = 30.0,
        probe_every_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.min_open_s = min_open_s
        self.max_open_s = max_open_s
        self.probe_every_s = probe_every_s
        self._clock = clock
        self._failures = 0
        self._open_until: Optional[float] = None
        self._probe_at: Optional[float] = None  # when the latest probe still unanswered began

    @property
    def open(self) -> bool:
        return self._open_until is not None

    def allows(self) -> bool:
        """May a send go to the provider now? While open, once the open period has passed, one
        probe, and another only if it has not answered within `probe_every_s`."""
        if self._open_until is None:
            return True
        now = self._clock()
        if now < self._open_until or (self._probe_at is not None and now - self._probe_at < self.probe_every_s):
            return False
        self._probe_at = now
        return True

    def wait_s(self) -> float:
        """How long a send turned back should wait before trying again."""
        if self._open_until is None:
            return 0.0
        return max(self.min_open_s, self._open_until - self._clock())

    def record(self, outcome: SendOutcome) -> bool:
        """Note a send's outcome; True when it closed an open circuit (the provider is back)."""
        self._probe_at = None
        if not outcome.provider_down:
            was_open = self._open_until is not None
            self._failures = 0
            self._open_until = None
            return was_open
        self._failures += 1
        if self._failures >= self.threshold:
            hold = min(self.max_open_s, max(self.min_open_s, outcome.retry_after or 0.0))
            self._open_until = self._clock() + hold
        return False

    def release_probe(self) -> None:
        """The probe never reached the provider (cancelled): let another one go."""
        self._probe_at = None
