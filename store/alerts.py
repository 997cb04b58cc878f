"""Alerts' durable state: the records agencies feed, their schedules, the alert steps claimed and
sent, traffic violations, and the alert a citizen is replying to.

A step is claimed by inserting its row in `alert_deliveries` (unique per record, expiry date and
step) before anything is sent: of any number of sweeps racing for it, one inserts it and only that
one sends. A record whose expiry date changes (a renewal) starts afresh: its old date's steps no
longer come due, and the new date's are new rows.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Iterable, Optional, Sequence

from sqlalchemy import and_, bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.messages import SMS, utcnow
from store.database import Database
from store.models import (
    AlertDelivery,
    AlertRecord,
    AlertSchedule,
    ChannelIdentity,
    Citizen,
    Message,
    Subscription,
    TrafficViolation,
    DIRECTION_OUT,
)

DEFAULT_DAYS_BEFORE: tuple[int, ...] = (30, 7, 0)
ALERT_KIND = "alert"  # messages.kind of every alert (document expiry and traffic violation)
# A citizen's message is read as a reply to an alert while the alert is the last thing said and
# no older than this.
ALERT_REPLY_CONTEXT = timedelta(days=7)


@dataclass(frozen=True)
class RecordRow:
    citizen_phone: str  # international digits
    document_type: str
    document_number: str
    expires_on: date


# What became of one uploaded row.
CREATED, RENEWED, UNCHANGED, MOVED = "created", "renewed", "unchanged", "updated"


@dataclass(frozen=True)
class DueRecord:
    record_id: int
    agency_id: str
    document_type: str
    document_number: str
    citizen_id: int
    expires_on: date


@dataclass(frozen=True)
class ClaimedStep:
    delivery_id: int
    record_id: int
    expires_on: date
    days_before: int
    citizen_id: int


def _address_lock_key(address: str) -> int:
    return int.from_bytes(hashlib.blake2b(address.encode(), digest_size=8).digest(), "big", signed=True)


def citizens_for_phones(s: Session, phones: Iterable[str]) -> dict[str, int]:
    """The citizen of each number (on any channel; the first identity), creating the new ones as
    SMS citizens (every phone number is reachable by SMS), in the caller's transaction. The bulk
    form of store.citizens.citizen_for_phone, for uploads of thousands of rows."""
    wanted = sorted(set(phones))
    if not wanted:
        return {}
    identities = ChannelIdentity.__table__

    def known(addresses: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        rows = s.execute(
            select(identities.c.address, identities.c.citizen_id)
            .where(identities.c.address.in_(addresses))
            .order_by(identities.c.id)
        )
        for address, citizen_id in rows:
            found.setdefault(address, citizen_id)
        return found

    found = known(wanted)
    missing = [p for p in wanted if p not in found]
    if missing:
        now = utcnow()
        if s.get_bind().dialect.name == "postgresql":
            # The same lock a first message from the number takes (store/citizens.py), so an
            # upload and an SMS arriving together link to one citizen; all in one statement, in
            # one order (two uploads sharing numbers never wait on each other in a cycle).
            keys = sorted({_address_lock_key(p) for p in missing})
            s.execute(
                text("SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY 1) AS locks"),
                {"keys": keys},
            )
            found.update(known(missing))
            missing = [p for p in missing if p not in found]
            # One statement for all the new citizens: thousands of single inserts took seconds.
            ids = s.execute(
                text("INSERT INTO citizens (created_at) SELECT :now FROM generate_series(1, :n) RETURNING id"),
                {"now": now, "n": len(missing)},
            ).scalars().all() if missing else []
            found.update(zip(missing, sorted(ids)))
        else:
            for phone in missing:
                found[phone] = s.execute(insert(Citizen.__table__), {"created_at": now}).inserted_primary_key[0]
        if missing:
            s.execute(
                insert(identities),
                [{"citizen_id": found[p], "channel": SMS, "address": p, "created_at": now} for p in missing],
            )
    return found


class AlertRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- records -----------------------------------------------------------------------------------

    def upsert_records(self, agency_id: str, rows: Sequence[RecordRow]) -> list[str]:
        """Store `rows` for the agency, keyed by (document type, number); one outcome per row:
        created, renewed (a new expiry date: the old date's pending alerts are void), updated (the
        same date, another citizen), unchanged. One transaction; retried once when a concurrent
        upload inserted the same document first."""
        for attempt in (1, 2):
            try:
                with self._db.session() as s:
                    return self._upsert(s, agency_id, rows)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _upsert(s: Session, agency_id: str, rows: Sequence[RecordRow]) -> list[str]:
        citizens = citizens_for_phones(s, (r.citizen_phone for r in rows))
        table = AlertRecord.__table__
        keys = {(r.document_type, r.document_number) for r in rows}
        existing: dict[tuple[str, str], tuple[int, date, int]] = {}
        numbers = sorted({n for _, n in keys})
        for start in range(0, len(numbers), 1000):
            found = s.execute(
                select(table.c.id, table.c.document_type, table.c.document_number, table.c.expires_on, table.c.citizen_id)
                .where(table.c.agency_id == agency_id, table.c.document_number.in_(numbers[start:start + 1000]))
            )
            for record_id, document_type, number, expires_on, citizen_id in found:
                existing[(document_type, number)] = (record_id, expires_on, citizen_id)
        now = utcnow()
        outcomes: list[str] = []
        inserts: dict[tuple[str, str], dict] = {}
        updates: dict[int, dict] = {}
        for row in rows:
            key = (row.document_type, row.document_number)
            citizen_id = citizens[row.citizen_phone]
            if key in inserts:  # the same document twice in one upload: the later row wins
                outcomes.append(RENEWED if inserts[key]["expires_on"] != row.expires_on else UNCHANGED)
                inserts[key].update(citizen_id=citizen_id, expires_on=row.expires_on)
                continue
            if key not in existing:
                inserts[key] = {
                    "agency_id": agency_id, "document_type": row.document_type, "document_number": row.document_number,
                    "citizen_id": citizen_id, "expires_on": row.expires_on, "created_at": now, "updated_at": now,
                }
                outcomes.append(CREATED)
                continue
            record_id, expires_on, stored_citizen = existing[key]
            if expires_on == row.expires_on and stored_citizen == citizen_id:
                outcomes.append(UNCHANGED)
                continue
            outcomes.append(RENEWED if expires_on != row.expires_on else MOVED)
            existing[key] = (record_id, row.expires_on, citizen_id)
            updates[record_id] = {"target": record_id, "citizen_id": citizen_id, "expires_on": row.expires_on, "updated_at": now}
        if inserts:
            s.execute(insert(table), list(inserts.values()))
        if updates:
            s.execute(
                update(table).where(table.c.id == bindparam("target")).values(
                    citizen_id=bindparam("citizen_id"), expires_on=bindparam("expires_on"), updated_at=bindparam("updated_at")
                ),
                list(updates.values()),
            )
        return outcomes

    def record(self, agency_id: str, document_type: str, document_number: str) -> Optional[AlertRecord]:
        with self._db.session() as s:
            return s.execute(
                select(AlertRecord).where(
                    AlertRecord.agency_id == agency_id,
                    AlertRecord.document_type == document_type,
                    AlertRecord.document_number == document_number,
                )
            ).scalar_one_or_none()

    # --- schedules ---------------------------------------------------------------------------------

    def schedules(self, agency_id: Optional[str] = None) -> dict[tuple[str, str], tuple[int, ...]]:
        """(agency, document type) -> days before expiry, for the agencies that set their own."""
        with self._db.session() as s:
            query = select(AlertSchedule)
            if agency_id is not None:
                query = query.where(AlertSchedule.agency_id == agency_id)
            return {
                (r.agency_id, r.document_type): tuple(sorted((int(d) for d in r.days_before), reverse=True))
                for r in s.execute(query).scalars()
            }

    def set_schedule(self, agency_id: str, document_type: str, days_before: Sequence[int]) -> tuple[int, ...]:
        days = tuple(sorted(set(int(d) for d in days_before), reverse=True))
        with self._db.session() as s:
            row = s.get(AlertSchedule, (agency_id, document_type))
            if row is None:
                s.add(AlertSchedule(agency_id=agency_id, document_type=document_type, days_before=list(days)))
            else:
                row.days_before = list(days)
                row.updated_at = utcnow()
        return days

    # --- the sweep ---------------------------------------------------------------------------------

    def subscribed_records(self, expiring_from: date, expiring_until: date) -> list[DueRecord]:
        """Records expiring in [from, until] whose citizen is subscribed to the document's topic."""
        records = AlertRecord.__table__
        subscriptions = Subscription.__table__
        with self._db.session() as s:
            rows = s.execute(
                select(
                    records.c.id, records.c.agency_id, records.c.document_type, records.c.document_number,
                    records.c.citizen_id, records.c.expires_on,
                )
                .join(
                    subscriptions,
                    and_(
                        subscriptions.c.citizen_id == records.c.citizen_id,
                        subscriptions.c.topic == records.c.document_type + "_expiry",
                        subscriptions.c.active.is_(True),
                    ),
                )
                .where(records.c.expires_on >= expiring_from, records.c.expires_on <= expiring_until)
                .order_by(records.c.id)
            )
            return [DueRecord(*row) for row in rows]

    def claimed_steps(self, record_ids: Sequence[int]) -> set[tuple[int, date, int]]:
        """(record, expiry date, step) already claimed, among these records."""
        table = AlertDelivery.__table__
        found: set[tuple[int, date, int]] = set()
        with self._db.session() as s:
            for start in range(0, len(record_ids), 1000):
                rows = s.execute(
                    select(table.c.record_id, table.c.expires_on, table.c.days_before).where(
                        table.c.record_id.in_(record_ids[start:start + 1000])
                    )
                )
                found.update((r, e, d) for r, e, d in rows)
        return found

    def claim(self, steps: Sequence[tuple[int, date, int, int]]) -> list[ClaimedStep]:
        """Claim (record, expiry date, step, citizen) steps; returns those this call won. A step
        another worker claimed first (now or ever) is not returned."""
        if not steps:
            return []
        token = uuid.uuid4().hex
        table = AlertDelivery.__table__
        now = utcnow()
        values = [
            {"record_id": r, "expires_on": e, "days_before": d, "citizen_id": c, "claim": token, "claimed_at": now}
            for r, e, d, c in steps
        ]
        with self._db.session() as s:
            dialect = s.get_bind().dialect.name
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                s.execute(pg_insert(table).on_conflict_do_nothing(), values)
            else:
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                s.execute(sqlite_insert(table).on_conflict_do_nothing(), values)
        with self._db.session() as s:
            rows = s.execute(
                select(table.c.id, table.c.record_id, table.c.expires_on, table.c.days_before, table.c.citizen_id)
                .where(table.c.claim == token)
                .order_by(table.c.id)
            )
            return [ClaimedStep(*row) for row in rows]

    def finish(self, results: Sequence[tuple[int, str, Optional[str], list[int]]]) -> None:
        """(delivery id, outcome, channel, message ids) for steps sent or skipped."""
        if not results:
            return
        table = AlertDelivery.__table__
        now = utcnow()
        with self._db.session() as s:
            s.execute(
                update(table).where(table.c.id == bindparam("target")).values(
                    outcome=bindparam("outcome"), channel=bindparam("channel"),
                    message_ids=bindparam("message_ids"), sent_at=bindparam("sent_at"),
                ),
                [
                    {"target": d, "outcome": o, "channel": c, "message_ids": m, "sent_at": now}
                    for d, o, c, m in results
                ],
            )

    def deliveries(self, record_id: Optional[int] = None) -> list[AlertDelivery]:
        with self._db.session() as s:
            query = select(AlertDelivery).order_by(AlertDelivery.id)
            if record_id is not None:
                query = query.where(AlertDelivery.record_id == record_id)
            return list(s.execute(query).scalars())

    def languages(self, citizen_ids: Sequence[int]) -> dict[int, str]:
        """Each citizen's language for a push: the one they chose, else the one we last spoke to
        them in; absent when neither (the caller says Arabic)."""
        citizens = Citizen.__table__
        messages = Message.__table__
        found: dict[int, str] = {}
        with self._db.session() as s:
            for start in range(0, len(citizen_ids), 1000):
                chunk = list(citizen_ids[start:start + 1000])
                for citizen_id, language in s.execute(
                    select(citizens.c.id, citizens.c.preferred_language).where(
                        citizens.c.id.in_(chunk), citizens.c.preferred_language.isnot(None)
                    )
                ):
                    found[citizen_id] = language
                rest = [c for c in chunk if c not in found]
                if not rest:
                    continue
                latest = (
                    select(func.max(messages.c.id))
                    .where(messages.c.citizen_id.in_(rest), messages.c.direction == DIRECTION_OUT, messages.c.language.isnot(None))
                    .group_by(messages.c.citizen_id)
                )
                for citizen_id, language in s.execute(
                    select(messages.c.citizen_id, messages.c.language).where(messages.c.id.in_(latest))
                ):
                    found[citizen_id] = language
        return found

    # --- violations --------------------------------------------------------------------------------

    def add_violation(
        self, agency_id: str, citizen_phone: str, plate: str, occurred_at: datetime, amount_jod: Decimal, place: str
    ) -> tuple[int, int]:
        """Store a violation; (violation id, citizen id)."""
        with self._db.session() as s:
            citizen_id = citizens_for_phones(s, [citizen_phone])[citizen_phone]
            row = TrafficViolation(
                agency_id=agency_id, citizen_id=citizen_id, plate=plate, occurred_at=occurred_at,
                amount_jod=amount_jod, place=place,
            )
            s.add(row)
            s.flush()
            return row.id, citizen_id

    def finish_violation(self, violation_id: int, outcome: str, channel: Optional[str], message_ids: list[int]) -> None:
        with self._db.session() as s:
            s.execute(
                update(TrafficViolation)
                .where(TrafficViolation.id == violation_id)
                .values(outcome=outcome, channel=channel, message_ids=message_ids)
            )

    # --- the conversation after an alert -----------------------------------------------------------

    def replied_alert_service(self, citizen_id: int, inbound_id: int, since: datetime) -> Optional[str]:
        """The service of the alert the citizen's message `inbound_id` answers: when the last
        message before it, either way, is an alert (sent after `since`) that names a service."""
        messages = Message.__table__
        with self._db.session() as s:
            previous = s.execute(
                select(messages.c.kind, messages.c.direction, messages.c.service_id, messages.c.reply_key, messages.c.created_at)
                .where(messages.c.citizen_id == citizen_id, messages.c.id < inbound_id)
                .order_by(messages.c.id.desc())
                .limit(1)
            ).first()
            if previous is None or previous.direction != DIRECTION_OUT or previous.kind != ALERT_KIND:
                return None
            if previous.created_at is not None and _aware(previous.created_at) < since:
                return None
            if previous.service_id:
                return previous.service_id
            if not previous.reply_key:
                return None
            # A fallback SMS of the alert: the service is on the push it replaced.
            return s.execute(
                select(messages.c.service_id)
                .where(messages.c.reply_key == previous.reply_key, messages.c.service_id.isnot(None))
                .limit(1)
            ).scalar_one_or_none()

    def mark_service(self, message_ids: Sequence[int], service_id: str) -> None:
        """Note on an alert's messages the service its next step is about."""
        if not message_ids:
            return
        with self._db.session() as s:
            s.execute(update(Message).where(Message.id.in_(list(message_ids))).values(service_id=service_id))


def _aware(moment: datetime) -> datetime:
    from datetime import timezone

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
