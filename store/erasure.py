"""A citizen's erasure: everything personal about one number goes, the counts stay, a record says so.

    found = store.erasure.find(address)      # who is behind the number (for the Redis-held state)
    result = store.erasure.erase(address)    # one transaction; None when nothing is held

Erased: every message's text and personal fields (store/redaction.py), the review copies, the
tickets' texts, the subscriptions, the profile (language, opt-out mark) and the identities' number
and display name, which become `erased-<erasure id>-<identity id>` so the number, if it writes
again, starts as a new citizen. Messages still waiting (a question not answered yet, a reply not
sent) are marked failed: there is no one left to send them to. Kept: the rows, so statements and
dashboards still add up, and the ledger. The record (`erasures`) holds the masked number, the
counts and the time, never the number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import delete, func, insert, or_, select, update

from core.messages import STATUS_FAILED, STATUS_QUEUED, STATUS_RECEIVED, STATUS_RETRYING, utcnow
from core.privacy import mask_phone
from store.database import Database
from store.messages import MESSAGES
from store.models import ChannelIdentity, Citizen, Erasure, Subscription
from store.redaction import TICKETS, redact_messages, redact_review_rows
from store.statuses import add_event

IDENTITIES = ChannelIdentity.__table__
CITIZENS = Citizen.__table__
SUBSCRIPTIONS = Subscription.__table__
ERASURES = Erasure.__table__
_WAITING = (STATUS_RECEIVED, STATUS_QUEUED, STATUS_RETRYING)


@dataclass(frozen=True)
class Erased:
    erasure_id: int
    reference: str
    citizen_ids: tuple[int, ...]
    identities: int
    messages: int
    tickets: int
    subscriptions: int
    review_rows: int
    at: datetime


class ErasureRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def find(self, address: str) -> tuple[int, ...]:
        """The citizens behind `address` on any channel (one, unless the data predates linking)."""
        with self._db.session() as s:
            return tuple(
                s.execute(
                    select(IDENTITIES.c.citizen_id).where(IDENTITIES.c.address == address).distinct().order_by(IDENTITIES.c.citizen_id)
                ).scalars()
            )

    def erase(self, address: str, *, redis_keys: Optional[int] = None, now: Optional[datetime] = None) -> Optional[Erased]:
        """Erase what is held about `address`; None (and no record) when nothing is: a second
        request for the same number changes nothing."""
        now = now or utcnow()
        with self._db.session() as s:
            citizen_ids = tuple(
                s.execute(
                    select(IDENTITIES.c.citizen_id).where(IDENTITIES.c.address == address).distinct()
                ).scalars()
            )
            belongs = or_(MESSAGES.c.address == address, MESSAGES.c.citizen_id.in_(citizen_ids))
            message_ids = list(
                s.execute(select(MESSAGES.c.id).where(belongs, MESSAGES.c.redacted_at.is_(None))).scalars()
            )
            if not citizen_ids and not message_ids:
                return None
            waiting = list(
                s.execute(select(MESSAGES.c.id).where(belongs, MESSAGES.c.status.in_(_WAITING))).scalars()
            )
            if waiting:
                s.execute(update(MESSAGES).where(MESSAGES.c.id.in_(waiting)).values(status=STATUS_FAILED, updated_at=now))
                for message_id in waiting:
                    add_event(s, message_id, STATUS_FAILED, detail="citizen's data erased on request")
            messages = 0
            review_rows = 0
            for start in range(0, len(message_ids), 500):
                chunk = message_ids[start:start + 500]
                messages += redact_messages(s, chunk, now)
                review_rows += redact_review_rows(s, chunk)
            tickets = s.execute(
                update(TICKETS).where(TICKETS.c.citizen_id.in_(citizen_ids), TICKETS.c.text != "").values(text="")
            ).rowcount
            subscriptions = s.execute(delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.citizen_id.in_(citizen_ids))).rowcount
            s.execute(
                update(CITIZENS).where(CITIZENS.c.id.in_(citizen_ids)).values(preferred_language=None, opted_out_at=None)
            )
            reference = mask_phone(address)
            erasure_id = s.execute(
                insert(ERASURES).values(
                    reference=reference,
                    citizens=len(citizen_ids),
                    identities=0,
                    messages=messages,
                    tickets=tickets,
                    subscriptions=subscriptions,
                    review_rows=review_rows,
                    redis_keys=redis_keys,
                    erased_at=now,
                )
            ).inserted_primary_key[0]
            identity_ids = list(s.execute(select(IDENTITIES.c.id).where(IDENTITIES.c.address == address)).scalars())
            for identity_id in identity_ids:
                s.execute(
                    update(IDENTITIES)
                    .where(IDENTITIES.c.id == identity_id)
                    .values(
                        address=f"erased-{erasure_id}-{identity_id}",
                        display_name=None,
                        last_inbound_at=None,
                        unreachable_at=None,
                    )
                )
            s.execute(update(ERASURES).where(ERASURES.c.id == erasure_id).values(identities=len(identity_ids)))
            return Erased(
                erasure_id, reference, citizen_ids, len(identity_ids), messages, tickets, subscriptions, review_rows, now
            )

    def records(self, reference: Optional[str] = None) -> list[Erasure]:
        with self._db.session() as s:
            query = select(Erasure).order_by(Erasure.id)
            if reference is not None:
                query = query.where(Erasure.reference == reference)
            return list(s.execute(query).scalars())

    def count(self) -> int:
        with self._db.session() as s:
            return s.execute(select(func.count()).select_from(ERASURES)).scalar_one()
