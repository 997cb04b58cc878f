"""The audit log: every change a person makes, with who, when, what, and the record before and after.

Changes write their entry in the same transaction as the change (`record(session, ...)`), so there is
never a change without its entry nor an entry for a change that was rolled back. There is no update
or delete here on purpose, and the database refuses both (migration 0011's triggers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.messages import utcnow
from store.database import Database
from store.models import AuditEntry

COMMAND_LINE = "cli"
SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who made a change: a staff user (id and email), or the command line / the system (no id)."""

    label: str
    staff_id: Optional[int] = None


CLI_ACTOR = Actor(COMMAND_LINE)
SYSTEM_ACTOR = Actor(SYSTEM)


def record(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: Any,
    *,
    agency_id: Optional[str] = None,
    before: Optional[Mapping[str, Any]] = None,
    after: Optional[Mapping[str, Any]] = None,
) -> None:
    """Append one entry inside the caller's transaction."""
    session.add(
        AuditEntry(
            at=utcnow(), actor_id=actor.staff_id, actor=actor.label, action=action, target_type=target_type,
            target_id=str(target_id), agency_id=agency_id,
            before=dict(before) if before is not None else None, after=dict(after) if after is not None else None,
        )
    )


@dataclass(frozen=True)
class AuditFilter:
    actor: Optional[str] = None  # part of the actor's email
    action: Optional[str] = None  # exact, or a prefix ending in "." ("ticket.")
    agency_id: Optional[str] = None
    target: Optional[str] = None  # "type" or "type:id"
    since: Optional[datetime] = None
    until: Optional[datetime] = None


class AuditRepository:
    """Reading the log. (Writing is `record`, inside each change's own transaction.)"""

    def __init__(self, db: Database) -> None:
        self._db = db

    def search(self, where: AuditFilter = AuditFilter(), limit: int = 200) -> list[AuditEntry]:
        """Newest first."""
        query = select(AuditEntry)
        if where.actor:
            query = query.where(AuditEntry.actor.contains(where.actor.strip().lower(), autoescape=True))
        if where.action:
            action = where.action.strip()
            if action.endswith("."):
                query = query.where(AuditEntry.action.startswith(action, autoescape=True))
            else:
                query = query.where(AuditEntry.action == action)
        if where.agency_id:
            query = query.where(AuditEntry.agency_id == where.agency_id)
        if where.target:
            target_type, _, target_id = where.target.partition(":")
            query = query.where(AuditEntry.target_type == target_type.strip())
            if target_id:
                query = query.where(AuditEntry.target_id == target_id.strip())
        if where.since:
            query = query.where(AuditEntry.at >= where.since)
        if where.until:
            query = query.where(AuditEntry.at < where.until)
        with self._db.session() as s:
            return list(s.execute(query.order_by(AuditEntry.id.desc()).limit(limit)).scalars())

    def append(
        self, actor: Actor, action: str, target_type: str, target_id: Any, *, agency_id: Optional[str] = None,
        before: Optional[Mapping[str, Any]] = None, after: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """An entry for an event that is not itself a change in the store (an account locked)."""
        with self._db.session() as s:
            record(s, actor, action, target_type, target_id, agency_id=agency_id, before=before, after=after)

    def actions(self) -> list[str]:
        """Every action name that occurs, for the filter's choices."""
        with self._db.session() as s:
            return sorted(s.execute(select(AuditEntry.action).distinct()).scalars())
