"""Subscriptions to pushes: the alert topics (catalog/alert_topics.py), with who subscribed."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.messages import utcnow
from store.database import Database
from store.models import Subscription


class SubscriptionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def subscribe(self, citizen_id: int, topic: str, *, source: str = "chat", agency_id: Optional[str] = None) -> bool:
        """Subscribe (again); True when the citizen was not subscribed before. `source` and
        `agency_id` record who did it: the citizen in chat or by keyword, or an agency."""
        for attempt in (1, 2):  # a concurrent subscribe may insert the row first
            try:
                with self._db.session() as s:
                    return self._set(s, citizen_id, topic, active=True, source=source, agency_id=agency_id)
            except IntegrityError:
                if attempt == 2:
                    raise
        return False

    def unsubscribe(self, citizen_id: int, topic: str, *, source: str = "chat", agency_id: Optional[str] = None) -> bool:
        """True when the citizen was subscribed."""
        with self._db.session() as s:
            row = s.execute(
                select(Subscription).where(Subscription.citizen_id == citizen_id, Subscription.topic == topic)
            ).scalar_one_or_none()
            if row is None or not row.active:
                return False
            row.active = False
            row.source, row.agency_id = source, agency_id
            row.updated_at = utcnow()
            return True

    def is_subscribed(self, citizen_id: int, topic: str) -> bool:
        with self._db.session() as s:
            return bool(
                s.execute(
                    select(Subscription.id).where(
                        Subscription.citizen_id == citizen_id, Subscription.topic == topic, Subscription.active.is_(True)
                    )
                ).first()
            )

    def get(self, citizen_id: int, topic: str) -> Optional[Subscription]:
        with self._db.session() as s:
            return s.execute(
                select(Subscription).where(Subscription.citizen_id == citizen_id, Subscription.topic == topic)
            ).scalar_one_or_none()

    def topics(self, citizen_id: int) -> list[str]:
        with self._db.session() as s:
            return list(
                s.execute(
                    select(Subscription.topic)
                    .where(Subscription.citizen_id == citizen_id, Subscription.active.is_(True))
                    .order_by(Subscription.topic)
                ).scalars()
            )

    def subscribers(self, topic: str) -> list[int]:
        with self._db.session() as s:
            return list(
                s.execute(
                    select(Subscription.citizen_id)
                    .where(Subscription.topic == topic, Subscription.active.is_(True))
                    .order_by(Subscription.citizen_id)
                ).scalars()
            )

    @staticmethod
    def _set(s, citizen_id: int, topic: str, *, active: bool, source: str, agency_id: Optional[str]) -> bool:
        row = s.execute(
            select(Subscription).where(Subscription.citizen_id == citizen_id, Subscription.topic == topic)
        ).scalar_one_or_none()
        if row is None:
            s.add(Subscription(citizen_id=citizen_id, topic=topic, active=active, source=source, agency_id=agency_id))
            s.flush()
            return True
        changed = row.active != active
        row.active = active
        row.source, row.agency_id = source, agency_id
        row.updated_at = utcnow()
        return changed
