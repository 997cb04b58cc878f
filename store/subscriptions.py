"""Subscriptions to pushes (document expiry alerts, a service's status updates)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.messages import utcnow
from store.database import Database
from store.models import Subscription


class SubscriptionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def subscribe(self, citizen_id: int, topic: str) -> None:
        for attempt in (1, 2):  # a concurrent subscribe may insert the row first
            try:
                with self._db.session() as s:
                    self._set(s, citizen_id, topic, active=True)
                return
            except IntegrityError:
                if attempt == 2:
                    raise

    def unsubscribe(self, citizen_id: int, topic: str) -> None:
        with self._db.session() as s:
            row = s.execute(
                select(Subscription).where(Subscription.citizen_id == citizen_id, Subscription.topic == topic)
            ).scalar_one_or_none()
            if row is not None:
                row.active = False
                row.updated_at = utcnow()

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
    def _set(s, citizen_id: int, topic: str, *, active: bool) -> None:
        row = s.execute(
            select(Subscription).where(Subscription.citizen_id == citizen_id, Subscription.topic == topic)
        ).scalar_one_or_none()
        if row is None:
            s.add(Subscription(citizen_id=citizen_id, topic=topic, active=active))
            s.flush()
        else:
            row.active = active
            row.updated_at = utcnow()
