"""How far behind the service is, read from the messages themselves: what /health reports.

Counts and ages only (no addresses, no texts), so any process can say whether messages are waiting
too long, whichever process or dependency is to blame.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import func, select

from core.messages import STATUS_QUEUED, STATUS_RECEIVED, STATUS_RETRYING, utcnow
from store.database import Database
from store.messages import MESSAGES
from store.models import DIRECTION_IN, DIRECTION_OUT


@dataclass(frozen=True)
class Backlog:
    unanswered: int  # inbound messages received and not yet answered
    oldest_unanswered_s: Optional[float]
    retrying: int  # outbound messages a provider turned back for now
    unsent: int  # outbound messages queued, not yet handed to a provider
    oldest_unsent_s: Optional[float]  # queued or retrying


class BacklogRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def read(self, now: Optional[datetime] = None) -> Backlog:
        now = now or utcnow()
        with self._db.session() as s:
            inbound = s.execute(
                select(func.count(), func.min(MESSAGES.c.created_at)).where(
                    MESSAGES.c.status == STATUS_RECEIVED, MESSAGES.c.direction == DIRECTION_IN
                )
            ).one()
            outbound = s.execute(
                select(MESSAGES.c.status, func.count(), func.min(MESSAGES.c.created_at))
                .where(MESSAGES.c.status.in_((STATUS_QUEUED, STATUS_RETRYING)), MESSAGES.c.direction == DIRECTION_OUT)
                .group_by(MESSAGES.c.status)
            ).all()
        by_status = {row[0]: (row[1], row[2]) for row in outbound}
        oldest_out = min((created for _, created in by_status.values() if created is not None), default=None)
        return Backlog(
            unanswered=inbound[0],
            oldest_unanswered_s=_age(now, inbound[1]),
            retrying=by_status.get(STATUS_RETRYING, (0, None))[0],
            unsent=by_status.get(STATUS_QUEUED, (0, None))[0],
            oldest_unsent_s=_age(now, oldest_out),
        )


def _age(now: datetime, then: Optional[datetime]) -> Optional[float]:
    if then is None:
        return None
    if then.tzinfo is None:  # SQLite hands back naive UTC
        then = then.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - then).total_seconds())
