"""Console sessions and sign-in throttling kept in the database, for deployments without Redis.

Both are shared by every process that uses the same database. Sessions are keyed by the SHA-256 of
the cookie's token (the console hashes it), never by the token itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from store.database import Database
from store.models import SignInThrottle, StaffSession


@dataclass(frozen=True)
class SessionRecord:
    id: str
    staff_id: Optional[int]
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


class SessionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, session_id: str, csrf_token: str, staff_id: Optional[int], now: datetime) -> None:
        with self._db.session() as s:
            s.add(StaffSession(id=session_id, staff_id=staff_id, csrf_token=csrf_token, created_at=now, last_seen_at=now))

    def get(self, session_id: str) -> Optional[SessionRecord]:
        with self._db.session() as s:
            row = s.get(StaffSession, session_id)
            if row is None:
                return None
            return SessionRecord(row.id, row.staff_id, row.csrf_token, row.created_at, row.last_seen_at)

    def touch(self, session_id: str, now: datetime) -> None:
        with self._db.session() as s:
            s.execute(update(StaffSession).where(StaffSession.id == session_id).values(last_seen_at=now))

    def delete(self, session_id: str) -> None:
        with self._db.session() as s:
            s.execute(delete(StaffSession).where(StaffSession.id == session_id))

    def delete_idle(self, seen_before: datetime) -> int:
        with self._db.session() as s:
            return s.execute(delete(StaffSession).where(StaffSession.last_seen_at < seen_before)).rowcount


class ThrottleRepository:
    """Counters in fixed windows, and locks, by key."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def hit(self, key: str, window: timedelta, now: datetime) -> int:
        """Count one more event for `key`; the count within the current window (a window starts at
        the first event after the previous one ended)."""
        for _ in range(3):
            try:
                with self._db.session() as s:
                    row = s.execute(
                        select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
                    ).scalar_one_or_none()
                    if row is None:
                        s.add(SignInThrottle(key=key, count=1, window_started_at=now))
                        return 1
                    if now - row.window_started_at >= window:
                        row.count, row.window_started_at = 1, now
                    else:
                        row.count += 1
                    return row.count
            except IntegrityError:
                continue  # another process inserted the key first: count on its row
        raise RuntimeError(f"could not count a sign-in attempt for {key!r}")

    def lock(self, key: str, until: datetime, now: datetime) -> None:
        with self._db.session() as s:
            row = s.get(SignInThrottle, key)
            if row is None:
                s.add(SignInThrottle(key=key, count=0, window_started_at=now, locked_until=until))
            else:
                row.locked_until = until

    def locked_until(self, key: str, now: datetime) -> Optional[datetime]:
        with self._db.session() as s:
            until = s.execute(select(SignInThrottle.locked_until).where(SignInThrottle.key == key)).scalar_one_or_none()
            return until if until is not None and until > now else None

    def clear(self, key: str) -> None:
        with self._db.session() as s:
            s.execute(delete(SignInThrottle).where(SignInThrottle.key == key))
