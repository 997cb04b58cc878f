"""Citizens and the channel identities that reach them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from core.messages import SMS, utcnow
from store.database import Database
from sqlalchemy.exc import IntegrityError

from store.models import AgencyOptOut, ChannelIdentity, Citizen


@dataclass(frozen=True)
class Identity:
    citizen_id: int
    channel: str
    address: str
    last_inbound_at: Optional[datetime]
    unreachable_at: Optional[datetime]

    @classmethod
    def of(cls, row: ChannelIdentity) -> "Identity":
        return cls(row.citizen_id, row.channel, row.address, row.last_inbound_at, row.unreachable_at)


@dataclass(frozen=True)
class PushFacts:
    """What the outbox reads about a citizen before a push (pipeline/outbox.py plan_push), read
    for many citizens at once by a sender of many pushes (a broadcast's batch)."""

    exists: bool
    opted_out: bool  # sent STOP
    opted_out_of_agency: bool  # sent STOP <this agency's code>
    identities: list[Identity]


IDENTITIES = ChannelIdentity.__table__
# Built once, executed with parameters: this runs for every inbound message (bench/store_ops.py).
_IDENTITY = select(IDENTITIES).where(
    IDENTITIES.c.channel == bindparam("channel"), IDENTITIES.c.address == bindparam("address")
)
_FIRST_IDENTITY_OF_ADDRESS = (
    select(IDENTITIES.c.citizen_id).where(IDENTITIES.c.address == bindparam("address")).order_by(IDENTITIES.c.id).limit(1)
)
_INSERT_CITIZEN = insert(Citizen.__table__)
_INSERT_IDENTITY = insert(IDENTITIES)
_UPDATE_IDENTITY = update(IDENTITIES).where(IDENTITIES.c.id == bindparam("target_id"))


def resolve_identity(
    session: Session,
    channel: str,
    address: str,
    *,
    inbound_at: Optional[datetime] = None,
    display_name: Optional[str] = None,
) -> int:
    """The citizen behind (channel, address), creating the identity — and the citizen — when new.

    A number already known on another channel links to that citizen: one person, one record, whether
    they write on WhatsApp or by SMS. `inbound_at` (the citizen just wrote) opens WhatsApp's 24-hour
    window and clears a previous "unreachable" mark: they evidently are reachable there.
    Core statements, not ORM objects: this runs for every inbound message (bench/e2e's profile).
    """
    key = {"channel": channel, "address": address}
    found = session.execute(_IDENTITY, key).first()
    if found is None:
        _lock_address(session, address)
        found = session.execute(_IDENTITY, key).first()
    if found is None:
        citizen_id = session.execute(_FIRST_IDENTITY_OF_ADDRESS, {"address": address}).scalar_one_or_none()
        if citizen_id is None:
            citizen_id = session.execute(_INSERT_CITIZEN, {"created_at": utcnow()}).inserted_primary_key[0]
        session.execute(
            _INSERT_IDENTITY,
            {
                "citizen_id": citizen_id,
                "channel": channel,
                "address": address,
                "display_name": display_name[:256] if display_name else None,
                "last_inbound_at": inbound_at,
            },
        )
        return citizen_id
    changes: dict[str, object] = {}
    if display_name and display_name[:256] != found.display_name:
        changes["display_name"] = display_name[:256]
    if inbound_at is not None:
        if found.last_inbound_at is None or inbound_at > found.last_inbound_at:
            changes["last_inbound_at"] = inbound_at
        if found.unreachable_at is not None:
            changes["unreachable_at"] = None
    if changes:
        session.execute(_UPDATE_IDENTITY, {"target_id": found.id, **changes})
    return found.citizen_id


def citizen_for_phone(session: Session, phone: str) -> int:
    """See CitizenRepository.for_phone; in the caller's transaction."""
    found = session.execute(_FIRST_IDENTITY_OF_ADDRESS, {"address": phone}).scalar_one_or_none()
    return found if found is not None else resolve_identity(session, SMS, phone)


def _lock_address(session: Session, address: str) -> None:
    """Serialise first contacts from one number (say, an SMS and a WhatsApp message at the same
    moment), so they link to one citizen instead of creating two. A transaction-scoped advisory lock
    on PostgreSQL; SQLite transactions here already hold the database's single write lock."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(address.encode(), digest_size=8).digest(), "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


class CitizenRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def resolve(self, channel: str, address: str) -> int:
        """The citizen id behind an address on a channel (created if new); for pushes and tests."""
        with self._db.session() as s:
            return resolve_identity(s, channel, address)

    def for_phone(self, phone: str) -> int:
        """The citizen with this number (international digits) on any channel, for a push to a
        number we may never have heard from: a new number becomes a citizen reachable by SMS (every
        phone number is), with no WhatsApp identity until they write there."""
        with self._db.session() as s:
            return citizen_for_phone(s, phone)

    def get(self, citizen_id: int) -> Optional[Citizen]:
        with self._db.session() as s:
            return s.get(Citizen, citizen_id)

    def identities(self, citizen_id: int) -> list[Identity]:
        with self._db.session() as s:
            rows = s.execute(
                select(ChannelIdentity).where(ChannelIdentity.citizen_id == citizen_id).order_by(ChannelIdentity.id)
            ).scalars()
            return [Identity.of(r) for r in rows]

    def set_language(self, citizen_id: int, language: str) -> None:
        with self._db.session() as s:
            s.execute(update(Citizen).where(Citizen.id == citizen_id).values(preferred_language=language))

    def opt_out(self, citizen_id: int) -> None:
        """No more pushes. Keeps the first opt-out time if they send STOP twice."""
        with self._db.session() as s:
            s.execute(
                update(Citizen)
                .where(Citizen.id == citizen_id, Citizen.opted_out_at.is_(None))
                .values(opted_out_at=utcnow())
            )

    def opt_in(self, citizen_id: int) -> None:
        with self._db.session() as s:
            s.execute(update(Citizen).where(Citizen.id == citizen_id).values(opted_out_at=None))

    def opt_out_of_agency(self, citizen_id: int, agency_id: str) -> None:
        """Nothing more from this agency, its transaction notifications included ("STOP CSPD")."""
        try:
            with self._db.session() as s:
                if s.execute(
                    select(AgencyOptOut.id).where(AgencyOptOut.citizen_id == citizen_id, AgencyOptOut.agency_id == agency_id)
                ).first() is None:
                    s.add(AgencyOptOut(citizen_id=citizen_id, agency_id=agency_id))
        except IntegrityError:
            pass  # the same STOP processed twice at once: one row is what we want

    def opt_in_to_agency(self, citizen_id: int, agency_id: str) -> None:
        with self._db.session() as s:
            s.execute(
                AgencyOptOut.__table__.delete().where(
                    AgencyOptOut.citizen_id == citizen_id, AgencyOptOut.agency_id == agency_id
                )
            )

    def push_facts(self, citizen_ids: list[int], agency_id: Optional[str]) -> dict[int, PushFacts]:
        """`PushFacts` of each of these citizens for a push from `agency_id`, in one transaction."""
        wanted = sorted(set(citizen_ids))
        if not wanted:
            return {}
        with self._db.session() as s:
            opted = dict(s.execute(select(Citizen.id, Citizen.opted_out_at).where(Citizen.id.in_(wanted))).all())
            stopped_agency = set(s.execute(select(AgencyOptOut.citizen_id).where(
                AgencyOptOut.citizen_id.in_(wanted), AgencyOptOut.agency_id == agency_id
            )).scalars()) if agency_id is not None else set()
            identities: dict[int, list[Identity]] = {}
            for row in s.execute(
                select(ChannelIdentity).where(ChannelIdentity.citizen_id.in_(wanted)).order_by(ChannelIdentity.id)
            ).scalars():
                identities.setdefault(row.citizen_id, []).append(Identity.of(row))
        return {
            c: PushFacts(c in opted, opted.get(c) is not None, c in stopped_agency, identities.get(c, []))
            for c in wanted
        }

    def opted_out_of_agency(self, citizen_id: int, agency_id: str) -> bool:
        with self._db.session() as s:
            return s.execute(
                select(AgencyOptOut.id).where(AgencyOptOut.citizen_id == citizen_id, AgencyOptOut.agency_id == agency_id)
            ).first() is not None

    def mark_unreachable(self, channel: str, address: str) -> None:
        """The provider says this address is not on the channel (e.g. WhatsApp 131026)."""
        with self._db.session() as s:
            s.execute(
                update(ChannelIdentity)
                .where(ChannelIdentity.channel == channel, ChannelIdentity.address == address)
                .values(unreachable_at=utcnow())
            )
