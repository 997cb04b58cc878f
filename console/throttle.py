"""Sign-in limits, shared by every process (Redis when configured, else the database):

- a rate limit per client address: at most N attempts a minute, right or wrong;
- a lockout per email: after N wrong passwords within the lockout duration, that email cannot sign
  in (not even with the right password) until the duration has passed. Emails that have no account
  are counted and locked alike, so a lock says nothing about whether an account exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Optional, Protocol

from console.config import ConsoleConfig
from core.messages import utcnow
from store.sessions import ThrottleRepository

RATE_WINDOW = timedelta(minutes=1)


class Counters(Protocol):
    def hit(self, key: str, window: timedelta) -> int: ...

    def lock(self, key: str, until: datetime) -> None: ...

    def locked_until(self, key: str) -> Optional[datetime]: ...

    def clear(self, key: str) -> None: ...


class DatabaseCounters:
    def __init__(self, throttle: ThrottleRepository) -> None:
        self._throttle = throttle

    def hit(self, key: str, window: timedelta) -> int:
        return self._throttle.hit(key, window, utcnow())

    def lock(self, key: str, until: datetime) -> None:
        self._throttle.lock(key, until, utcnow())

    def locked_until(self, key: str) -> Optional[datetime]:
        return self._throttle.locked_until(key, utcnow())

    def clear(self, key: str) -> None:
        self._throttle.clear(key)


class RedisCounters:
    def __init__(self, client: "redis.Redis", prefix: str) -> None:  # noqa: F821
        self._redis = client
        self._prefix = f"{prefix}:console:throttle:"

    def hit(self, key: str, window: timedelta) -> int:
        counter = self._prefix + "count:" + key
        with self._redis.pipeline() as pipe:
            pipe.incr(counter)
            pipe.pexpire(counter, int(window.total_seconds() * 1000), nx=True)
            count, _ = pipe.execute()
        return int(count)

    def lock(self, key: str, until: datetime) -> None:
        remaining = max(int((until - utcnow()).total_seconds() * 1000), 1)
        self._redis.set(self._prefix + "lock:" + key, until.isoformat(), px=remaining)

    def locked_until(self, key: str) -> Optional[datetime]:
        value = self._redis.get(self._prefix + "lock:" + key)
        if value is None:
            return None
        until = datetime.fromisoformat(value.decode())
        return until if until > utcnow() else None

    def clear(self, key: str) -> None:
        self._redis.delete(self._prefix + "count:" + key, self._prefix + "lock:" + key)


@dataclass(frozen=True)
class Refusal:
    reason: str  # "rate_limited" / "locked"
    until: Optional[datetime] = None


class SignInGuard:
    def __init__(self, counters: Callable[[], Counters], config: ConsoleConfig) -> None:
        # A callable: the database's counters exist only once the app has started.
        self._make_counters = counters
        self._config = config

    @property
    def _counters(self) -> Counters:
        return self._make_counters()

    def before_attempt(self, email: str, client: str) -> Optional[Refusal]:
        """Count the attempt against the client's rate; a Refusal when it may not go ahead."""
        if self._counters.hit("ip:" + client, RATE_WINDOW) > self._config.sign_ins_per_minute:
            return Refusal("rate_limited", utcnow() + RATE_WINDOW)
        until = self._counters.locked_until("email:" + email)
        if until is not None:
            return Refusal("locked", until)
        return None

    def failed(self, email: str) -> Optional[datetime]:
        """Count a wrong password; when this one locks the email, until when."""
        failures = self._counters.hit("fail:" + email, self._config.lockout_duration)
        if failures >= self._config.lockout_failures:
            until = utcnow() + self._config.lockout_duration
            self._counters.lock("email:" + email, until)
            self._counters.clear("fail:" + email)
            return until
        return None

    def succeeded(self, email: str) -> None:
        self._counters.clear("fail:" + email)

