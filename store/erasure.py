"""A citizen's erasure: everything personal about one number goes, the counts stay, a record says so.

    found = store.erasure.find(address)      # who is behind the number (for the Redis-held state)
    result = store.erasure.erase(address)    # one transaction; None when nothing is held

Erased: every message's text and personal fields (store/redaction.py) and the number wherever a
provider's error text on its timeline repeats it, the review copies, the tickets' texts, the
subscriptions, the agency opt-outs, the profile (language, opt-out mark) and the identities' number
and display name, which become `erased-<erasure id>-<identity id>` so the number, if it writes
again, starts as a new citizen. The citizen's transactions (agency API) keep their number, service,
state and steps, but lose the phone (`erased-<erasure id>`), the language and the steps' notes,
destinations and document numbers; the API's stored idempotent answers that named them are
replaced by a note that they were erased. Messages still waiting (a question not answered yet, a reply not
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
from store.models import (
    AgencyOptOut,
    ChannelIdentity,
    Citizen,
    Erasure,
    IdempotencyKey,
    MessageStatusEvent,
    Subscription,
    Transaction,
    TransactionEvent,
)
from store.redaction import TICKETS, redact_messages, redact_review_rows, redact_training_examples
from store.statuses import add_event

IDENTITIES = ChannelIdentity.__table__
CITIZENS = Citizen.__table__
SUBSCRIPTIONS = Subscription.__table__
ERASURES = Erasure.__table__
OPT_OUTS = AgencyOptOut.__table__
TRANSACTIONS = Transaction.__table__
STEPS = TransactionEvent.__table__
IDEMPOTENCY = IdempotencyKey.__table__
EVENTS = MessageStatusEvent.__table__
ERASED_ANSWER = {"erased": True, "reason": "the citizen's personal data was erased on request"}
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
    transactions: int = 0
    agency_opt_outs: int = 0


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
            owned = or_(TRANSACTIONS.c.citizen_phone == address, TRANSACTIONS.c.citizen_id.in_(citizen_ids))
            has_transactions = s.execute(select(TRANSACTIONS.c.id).where(owned).limit(1)).first() is not None
            if not citizen_ids and not message_ids and not has_transactions:
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
                # Counted with the review rows: both are staff's copies of the citizen's texts.
                review_rows += redact_training_examples(s, chunk)
            _mask_in_timelines(s, message_ids, address)
            tickets = s.execute(
                update(TICKETS).where(TICKETS.c.citizen_id.in_(citizen_ids), TICKETS.c.text != "").values(text="")
            ).rowcount
            subscriptions = s.execute(delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.citizen_id.in_(citizen_ids))).rowcount
            opt_outs = s.execute(delete(OPT_OUTS).where(OPT_OUTS.c.citizen_id.in_(citizen_ids))).rowcount
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
            transactions = _erase_transactions(s, address, citizen_ids, erasure_id)
            return Erased(
                erasure_id, reference, citizen_ids, len(identity_ids), messages, tickets, subscriptions, review_rows, now,
                transactions, opt_outs,
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


def _spellings(address: str) -> list[str]:
    """The number as it may appear in a provider's text: international, with +, and national (07…)."""
    found = [address, f"+{address}"]
    if address.startswith("962") and len(address) > 6:
        found.append("0" + address[3:])
    return found


def _mask_in_timelines(s, message_ids: list[int], address: str) -> None:
    """A provider's error title or detail can repeat the number ("… 962791234567 is not a
    WhatsApp user"): masked there too. Ordered by length so "+962…" is replaced before "962…"."""
    masked = mask_phone(address)
    for start in range(0, len(message_ids), 500):
        chunk = message_ids[start:start + 500]
        for spelling in sorted(_spellings(address), key=len, reverse=True):
            for column in (EVENTS.c.error_title, EVENTS.c.detail):
                s.execute(
                    update(EVENTS)
                    .where(EVENTS.c.message_id.in_(chunk), column.contains(spelling, autoescape=True))
                    .values({column.name: func.replace(column, spelling, masked)})
                )


def _erase_transactions(s, address: str, citizen_ids: tuple[int, ...], erasure_id: int) -> int:
    """The citizen's transactions keep what agencies' statements count (number, service, state,
    steps and their dates) and lose the phone, the language and the steps' free texts."""
    owned = or_(TRANSACTIONS.c.citizen_phone == address, TRANSACTIONS.c.citizen_id.in_(citizen_ids))
    rows = s.execute(select(TRANSACTIONS.c.id, TRANSACTIONS.c.agency_id, TRANSACTIONS.c.number).where(owned)).all()
    if not rows:
        return 0
    ids = [r.id for r in rows]
    s.execute(
        update(TRANSACTIONS)
        .where(TRANSACTIONS.c.id.in_(ids))
        # The content hash was taken over the request that named the phone: a hash of so few
        # possible numbers can be reversed, so it goes too (re-registering the number is then a conflict).
        .values(citizen_phone=f"erased-{erasure_id}", language=None, content_hash="erased")
    )
    s.execute(update(STEPS).where(STEPS.c.transaction_id.in_(ids)).values(note=None, destination=None, document_number=None))
    # The API's stored answers (replayed for a repeated Idempotency-Key) carry the phone and the
    # steps' texts: those that name the number or one of these transactions are replaced.
    numbers = {(r.agency_id, r.number) for r in rows}
    agencies = {agency for agency, _ in numbers}
    for key_id, agency_id, response in s.execute(
        select(IDEMPOTENCY.c.id, IDEMPOTENCY.c.agency_id, IDEMPOTENCY.c.response).where(IDEMPOTENCY.c.agency_id.in_(agencies))
    ).all():
        if _names(response, address, {n for a, n in numbers if a == agency_id}):
            s.execute(update(IDEMPOTENCY).where(IDEMPOTENCY.c.id == key_id).values(response=ERASED_ANSWER))
    return len(ids)


def _names(value: object, address: str, numbers: set[str]) -> bool:
    if isinstance(value, dict):
        return any(_names(v, address, numbers) for v in value.values())
    if isinstance(value, list):
        return any(_names(v, address, numbers) for v in value)
    return isinstance(value, str) and (address in value or value in numbers)
