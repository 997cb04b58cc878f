"""Which processes are alive: each process keeps a Redis key with a short TTL, refreshed by a thread.

A process killed with SIGKILL holds citizens' locks and has jobs in its processing list; nothing it
holds says it died. Its liveness key does, within `ttl_s`: its locks can then be broken and its jobs
queued again by any other process (or by itself, restarted), in seconds rather than at the lock
timeout (30 s) or the stale-consumer age (5 minutes).

The beat runs in a thread of its own, with its own connection, so a process whose event loop is
busy (a long brain call) still counts as alive: only a dead process (or one cut off from Redis)
stops beating. Others act only on an absence that lasts `grace_s` (two checks that far apart),
longer than a beat's period, so a key lost with Redis's restart (keys expire while it is down) is
written again by a live owner before anyone takes its locks.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Optional

import redis

logger = logging.getLogger(__name__)

OWNER_SEPARATOR = "|"  # a lock's token is "<owner>|<random>", so its owner is known to others


class Liveness:
    def __init__(self, url: str, prefix: str, owner: str, ttl_s: float = 5.0, beat_s: float = 1.0) -> None:
        self.owner = owner
        self.key_prefix = f"{prefix}:alive:"
        self.ttl_s = ttl_s
        self.beat_s = beat_s
        self.grace_s = 2.0 * beat_s
        self._client = redis.Redis.from_url(url, socket_timeout=beat_s, socket_connect_timeout=beat_s)
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._absent_since: dict[str, float] = {}

    @property
    def key(self) -> str:
        return self.key_prefix + self.owner

    def start(self) -> None:
        if self._thread is None:
            self.beat()  # alive before the first lock or job, when Redis answers
            self._thread = threading.Thread(target=self._run, name="liveness", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.beat_s * 3)
            self._thread = None
        try:
            self._client.delete(self.key)  # a clean exit frees its claims at once
        except redis.RedisError:
            pass
        self._client.close()

    def beat(self) -> bool:
        try:
            self._client.set(self.key, b"1", px=int(self.ttl_s * 1000))
            return True
        except redis.RedisError as exc:
            logger.warning("liveness beat failed owner=%s: %s", self.owner, exc)
            return False

    def _run(self) -> None:
        while not self._stop.wait(self.beat_s):
            self.beat()

    def dead_for_long_enough(self, owner: str, present: bool) -> bool:
        """Given whether `owner`'s key is there now: True once it has been missing for `grace_s`."""
        if present or owner == self.owner:
            self._absent_since.pop(owner, None)
            return False
        first = self._absent_since.setdefault(owner, time.monotonic())
        return time.monotonic() - first >= self.grace_s

    def forget(self, owner: str) -> None:
        self._absent_since.pop(owner, None)


def owner_of(token: bytes | str | None) -> Optional[str]:
    if token is None:
        return None
    text = token.decode("utf-8", errors="replace") if isinstance(token, bytes) else token
    owner, separator, _ = text.rpartition(OWNER_SEPARATOR)
    return owner if separator else None
