"""Server-side console sessions: in the store, or in Redis when REDIS_URL is set.

The cookie holds a random token; the server keeps its SHA-256 with the staff user (None before
sign-in) and the session's CSRF token. A session unused for the idle timeout, or older than
MAX_AGE, is over. Signing in always starts a new session (the pre-sign-in one is deleted), so a
token planted before sign-in is worth nothing after it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional, Protocol

from core.messages import utcnow
from store.sessions import SessionRepository

MAX_AGE = timedelta(hours=12)  # a working day, then sign in again even if active
TOUCH_EVERY = timedelta(seconds=30)  # fewer writes: the idle clock is refreshed at most this often


@dataclass(frozen=True)
class ConsoleSession:
    id: str  # SHA-256 of the cookie's token
    staff_id: Optional[int]
    csrf_token: str
    created_at: datetime


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SessionStore(Protocol):
    def create(self, staff_id: Optional[int]) -> tuple[str, ConsoleSession]:
        """A new session; returns the cookie's token (only here) and the session."""

    def load(self, token: str) -> Optional[ConsoleSession]:
        """The live session for a cookie's token (its idle clock restarted), or None."""

    def end(self, token: str) -> None: ...


class DatabaseSessions:
    def __init__(self, sessions: SessionRepository, idle_timeout: timedelta) -> None:
        self._sessions = sessions
        self._idle = idle_timeout
        self._last_purge = datetime.min.replace(tzinfo=timezone.utc)

    def create(self, staff_id: Optional[int]) -> tuple[str, ConsoleSession]:
        now = utcnow()
        if now - self._last_purge > self._idle:
            # Sessions nobody will use again (closed tabs, visitors who never signed in).
            self._sessions.delete_idle(now - self._idle)
            self._last_purge = now
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        record = ConsoleSession(session_id(token), staff_id, csrf, now)
        self._sessions.create(record.id, csrf, staff_id, now)
        return token, record

    def load(self, token: str) -> Optional[ConsoleSession]:
        if not token or len(token) > 100:
            return None
        record = self._sessions.get(session_id(token))
        if record is None:
            return None
        now = utcnow()
        if now - record.last_seen_at > self._idle or now - record.created_at > MAX_AGE:
            self._sessions.delete(record.id)
            return None
        if now - record.last_seen_at > TOUCH_EVERY:
            self._sessions.touch(record.id, now)
        return ConsoleSession(record.id, record.staff_id, record.csrf_token, record.created_at)

    def end(self, token: str) -> None:
        self._sessions.delete(session_id(token))


class RedisSessions:
    """One hash per session; Redis expires it after the idle timeout, and each use restarts that."""

    def __init__(self, client: "redis.Redis", prefix: str, idle_timeout: timedelta) -> None:  # noqa: F821
        self._redis = client
        self._prefix = f"{prefix}:console:session:"
        self._idle_ms = int(idle_timeout.total_seconds() * 1000)

    def create(self, staff_id: Optional[int]) -> tuple[str, ConsoleSession]:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        record = ConsoleSession(session_id(token), staff_id, csrf, utcnow())
        key = self._prefix + record.id
        with self._redis.pipeline() as pipe:
            pipe.hset(key, mapping={"staff_id": "" if staff_id is None else str(staff_id), "csrf": csrf,
                                    "created": record.created_at.isoformat()})
            pipe.pexpire(key, self._idle_ms)
            pipe.execute()
        return token, record

    def load(self, token: str) -> Optional[ConsoleSession]:
        if not token or len(token) > 100:
            return None
        key = self._prefix + session_id(token)
        with self._redis.pipeline() as pipe:
            pipe.hgetall(key)
            pipe.pexpire(key, self._idle_ms)
            fields, _ = pipe.execute()
        if not fields:
            return None
        created = datetime.fromisoformat(fields[b"created"].decode())
        if utcnow() - created > MAX_AGE:
            self._redis.delete(key)
            return None
        staff = fields[b"staff_id"].decode()
        return ConsoleSession(session_id(token), int(staff) if staff else None, fields[b"csrf"].decode(), created)

    def end(self, token: str) -> None:
        self._redis.delete(self._prefix + session_id(token))
