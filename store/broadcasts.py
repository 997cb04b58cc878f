"""Broadcasts: a liaison officer's manual push to many citizens, and its recipients.

Recipients are expanded in bulk, idempotently (unique (broadcast_id, phone)): COPY into a
temporary table and one INSERT ... SELECT ... ON CONFLICT DO NOTHING on PostgreSQL (100,000 numbers
in seconds), batched executemany elsewhere. Opt-outs (STOP, or STOP of this agency) are marked
`skipped` by one UPDATE after each expansion, so a citizen who sends STOP between preview and send
is still left out.

Sending claims recipients atomically: `UPDATE ... SET state='sending' WHERE id IN (SELECT ... WHERE
state='queued' ... FOR UPDATE SKIP LOCKED) RETURNING`, so two workers never take the same citizen.
A recipient stays `sending` only while its message is being stored; the sender then records the
message id in the same step as its state (`mark_sent`). A worker killed in between leaves
`sending` rows: `recover` settles them from the messages table (a broadcast message stored for that
citizen means it is on its way: sent; none means it never left: queued again), so nobody is
doubled and nobody is lost.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Iterable, Optional, Sequence

from sqlalchemy import bindparam, func, or_, select, text, update

from core.messages import utcnow
from core.phones import InvalidPhone, international_digits
from store.audit import Actor, record
from store.database import Database
from store.alerts import citizens_for_phones
from store.models import (
    Broadcast,
    BroadcastPolicy,
    BroadcastRecipient,
    Message,
)

DRAFT = "draft"
AWAITING_APPROVAL = "awaiting_approval"
SCHEDULED = "scheduled"
SENDING = "sending"
PAUSED = "paused"
CANCELLED = "cancelled"
DONE = "done"
STATUSES = (DRAFT, AWAITING_APPROVAL, SCHEDULED, SENDING, PAUSED, CANCELLED, DONE)

# Recipient states.
QUEUED = "queued"
CLAIMED = "sending"
SENT = "sent"
FELL_BACK_SMS = "fell_back_sms"
FAILED = "failed"
SKIPPED = "skipped"  # opted out (STOP, or STOP of this agency)
DELIVERED = "delivered"  # not a state of the row: the message's own status (progress counts it)

SOURCES = ("csv", "topic", "asked")
BROADCAST_KIND_PREFIX = "broadcast:"  # messages.kind of a broadcast's messages: "broadcast:<id>"
COPY_BATCH = 5_000


class BroadcastError(ValueError):
    """A broadcast change that cannot be made; `code` names the reason for the console's pages."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Claimed:
    recipient_id: int
    phone: str
    language: str


@dataclass(frozen=True)
class Mark:
    """How one claimed recipient was settled."""

    recipient_id: int
    state: str
    citizen_id: Optional[int] = None
    message_id: Optional[int] = None
    channel: Optional[str] = None
    error: Optional[str] = None


@dataclass(frozen=True)
class Progress:
    queued: int
    sending: int
    sent: int
    delivered: int
    failed: int
    fell_back_sms: int
    skipped: int

    @property
    def total(self) -> int:
        return self.queued + self.sending + self.sent + self.failed + self.fell_back_sms

    @property
    def finished(self) -> bool:
        return self.queued == 0 and self.sending == 0


@dataclass(frozen=True)
class Delivery:
    """The broadcast page's counts (`BroadcastRepository.delivery`): each recipient once in waiting,
    sent, delivered, read or failed; `by_sms_instead` is how many of them went by SMS although on
    WhatsApp; `skipped` (opted out) are not recipients."""

    waiting: int  # not handed to a provider yet (queued, being sent, or retrying)
    sent: int  # accepted by WhatsApp or the SMS centre; no delivery report (yet)
    delivered: int  # the provider reported it delivered to the phone
    read: int  # WhatsApp reported it read (SMS has no read reports)
    failed: int  # the provider refused it or could not deliver, fallback included; or no channel reached them
    by_sms_instead: int
    skipped: int

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Policy:
    approval_threshold: Optional[int]
    quiet_start: time
    quiet_end: time
    timezone: str


def kind_of(broadcast_id: int) -> str:
    return f"{BROADCAST_KIND_PREFIX}{broadcast_id}"


def parse_phone_csv(data: bytes) -> tuple[list[tuple[str, Optional[str]]], int]:
    """The numbers of an uploaded CSV (first column; an optional second column `ar`/`en` is the
    language), and how many rows were not a number. A header row is allowed."""
    rows: list[tuple[str, Optional[str]]] = []
    bad = 0
    content = data.decode("utf-8-sig", errors="replace")
    for number, row in enumerate(csv.reader(io.StringIO(content))):
        if not row or not row[0].strip():
            continue
        try:
            phone = international_digits(row[0].strip())
        except InvalidPhone:
            header = number == 0 and not any(ch.isdigit() for ch in row[0])
            bad += 0 if header else 1
            continue
        language = row[1].strip().lower() if len(row) > 1 and row[1].strip().lower() in ("ar", "en") else None
        rows.append((phone, language))
    return rows, bad


class BroadcastRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- the broadcast ---------------------------------------------------------------------------

    def create(self, *, agency_id: str, title: str, text_ar: str, text_en: str, template: Optional[str],
               category: str, source: str, spec: Optional[dict], send_at: Optional[datetime],
               segments_ar: int, segments_en: int, actor: Actor) -> int:
        if source not in SOURCES:
            raise BroadcastError(f"unknown recipients source {source!r}", "bad_source")
        with self._db.session() as s:
            row = Broadcast(
                agency_id=agency_id, title=title[:128], text_ar=text_ar, text_en=text_en, template=template or None,
                category=category, recipients_source=source, recipients_spec=spec, send_at=send_at, status=DRAFT,
                created_by=actor.staff_id, recipients_count=0, excluded_count=0,
                segments_ar=segments_ar, segments_en=segments_en,
            )
            s.add(row)
            s.flush()
            record(s, actor, "broadcast.create", "broadcast", row.id, agency_id=agency_id,
                   after={"category": category, "source": source, "title": title[:128]})
            return row.id

    def get(self, broadcast_id: int) -> Optional[Broadcast]:
        with self._db.session() as s:
            row = s.get(Broadcast, broadcast_id)
            if row is not None:
                s.expunge(row)
            return row

    def for_agency(self, agency_id: Optional[str], limit: int = 100) -> list[Broadcast]:
        with self._db.session() as s:
            query = select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
            if agency_id is not None:
                query = query.where(Broadcast.agency_id == agency_id)
            rows = list(s.execute(query).scalars())
            for row in rows:
                s.expunge(row)
            return rows

    def move(self, broadcast_id: int, from_statuses: Sequence[str], to: str, *, actor: Actor,
             reason: Optional[str] = None, approved: bool = False) -> bool:
        """One conditional UPDATE: the broadcast moves only from one of `from_statuses`; audited."""
        values: dict = {"status": to, "updated_at": utcnow()}
        if reason is not None:
            values["reason"] = reason[:512]
        if approved:
            values["approved_by"] = actor.staff_id
        with self._db.session() as s:
            table = Broadcast.__table__
            moved = s.execute(
                update(table).where(table.c.id == broadcast_id, table.c.status.in_(list(from_statuses))).values(**values)
            ).rowcount
            if moved:
                agency_id = s.execute(select(table.c.agency_id).where(table.c.id == broadcast_id)).scalar_one()
                record(s, actor, f"broadcast.{to}", "broadcast", broadcast_id, agency_id=agency_id,
                       after={"status": to, **({"reason": reason} if reason else {})})
            return bool(moved)

    def stalled(self, now: datetime, idle: timedelta) -> list[int]:
        """Broadcasts that should be sending but nobody is: scheduled and due, or sending with no
        recipient claimed or settled for `idle` (its worker died). Restarting one that is in fact
        still running is harmless: recipients are claimed one worker at a time."""
        since = now - idle
        with self._db.session() as s:
            due = select(Broadcast.id).where(
                Broadcast.status == SCHEDULED, or_(Broadcast.send_at.is_(None), Broadcast.send_at <= now)
            )
            busy = select(BroadcastRecipient.broadcast_id).where(
                or_(BroadcastRecipient.claimed_at >= since, BroadcastRecipient.sent_at >= since)
            )
            idle_sending = select(Broadcast.id).where(
                Broadcast.status == SENDING, Broadcast.updated_at < since, Broadcast.id.not_in(busy)
            )
            return sorted(set(s.execute(due).scalars()) | set(s.execute(idle_sending).scalars()))

    def status(self, broadcast_id: int) -> Optional[str]:
        with self._db.session() as s:
            return s.execute(select(Broadcast.status).where(Broadcast.id == broadcast_id)).scalar_one_or_none()

    # --- recipients ------------------------------------------------------------------------------

    def add_numbers(self, broadcast_id: int, numbers: Iterable[tuple[str, Optional[str]]]) -> int:
        """Queue these numbers (duplicates, here or already queued, are dropped); how many rows went in."""
        unique: dict[str, str] = {}
        for phone, language in numbers:
            unique.setdefault(phone, language or "")
        with self._db.session() as s:
            before = self._count(s, broadcast_id)
            if s.get_bind().dialect.name == "postgresql":
                self._copy_in(s, broadcast_id, unique)
            else:
                self._insert_batches(s, broadcast_id, unique)
            return self._count(s, broadcast_id) - before

    @staticmethod
    def _count(s, broadcast_id: int) -> int:
        return s.execute(
            select(func.count()).select_from(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == broadcast_id)
        ).scalar_one()

    @staticmethod
    def _copy_in(s, broadcast_id: int, numbers: dict[str, str]) -> None:
        raw = s.connection().connection  # the psycopg2 connection inside this transaction
        with raw.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS broadcast_numbers (phone text, language text) ON COMMIT DROP")
            cursor.execute("TRUNCATE broadcast_numbers")
            buffer = io.StringIO("".join(f"{phone}\t{language}\n" for phone, language in numbers.items()))
            cursor.copy_expert("COPY broadcast_numbers (phone, language) FROM STDIN", buffer)
            cursor.execute(
                "INSERT INTO broadcast_recipients (broadcast_id, phone, language, state) "
                "SELECT %s, phone, COALESCE(NULLIF(language, ''), 'ar'), 'queued' FROM broadcast_numbers "
                "ON CONFLICT (broadcast_id, phone) DO NOTHING",
                (broadcast_id,),
            )

    @staticmethod
    def _insert_batches(s, broadcast_id: int, numbers: dict[str, str]) -> None:
        existing = set(s.execute(
            select(BroadcastRecipient.phone).where(BroadcastRecipient.broadcast_id == broadcast_id)
        ).scalars())
        rows = [
            {"broadcast_id": broadcast_id, "phone": phone, "language": language or "ar", "state": QUEUED}
            for phone, language in numbers.items() if phone not in existing
        ]
        table = BroadcastRecipient.__table__
        for start in range(0, len(rows), COPY_BATCH):
            s.execute(table.insert(), rows[start:start + COPY_BATCH])

    def expand(self, broadcast_id: int, *, subscribers_of: Optional[str] = None,
               asked_services: Optional[Sequence[str]] = None, asked_from: Optional[datetime] = None,
               asked_until: Optional[datetime] = None) -> int:
        """Queue the phone numbers of a topic's subscribers, or of citizens who wrote about one of
        `asked_services` between the two times; one INSERT ... SELECT (idempotent)."""
        if subscribers_of:
            citizens = (
                "SELECT citizen_id FROM subscriptions WHERE topic = :topic AND active"
            )
            params: dict = {"topic": subscribers_of}
        elif asked_services:
            names = ", ".join(f":s{i}" for i in range(len(asked_services)))
            citizens = (
                f"SELECT DISTINCT citizen_id FROM messages WHERE direction = 'in' AND service_id IN ({names}) "
                "AND created_at >= :since AND created_at < :until"
            )
            params = {f"s{i}": service for i, service in enumerate(asked_services)}
            params.update(since=asked_from or datetime(1970, 1, 1), until=asked_until or utcnow())
        else:
            return 0
        # One number per citizen: the first phone they reached us from; their language if they chose one.
        statement = text(
            "INSERT INTO broadcast_recipients (broadcast_id, phone, language, state, citizen_id) "
            "SELECT :broadcast_id, ci.address, COALESCE(c.preferred_language, 'ar'), 'queued', c.id "
            "FROM citizens c JOIN channel_identities ci ON ci.id = "
            "(SELECT MIN(id) FROM channel_identities WHERE citizen_id = c.id) "
            f"WHERE c.id IN ({citizens}) "
            "ON CONFLICT (broadcast_id, phone) DO NOTHING"
        )
        with self._db.session() as s:
            before = self._count(s, broadcast_id)
            s.execute(statement, {"broadcast_id": broadcast_id, **params})
            return self._count(s, broadcast_id) - before

    def apply_opt_outs(self, broadcast_id: int, agency_id: str) -> int:
        """Mark queued recipients who sent STOP, or STOP of this agency, `skipped`; fill in known
        citizens' ids and languages. How many were skipped by this call."""
        with self._db.session() as s:
            s.execute(text(
                "UPDATE broadcast_recipients r SET citizen_id = ci.citizen_id "
                "FROM channel_identities ci WHERE r.broadcast_id = :b AND r.citizen_id IS NULL "
                "AND ci.address = r.phone"
                if s.get_bind().dialect.name == "postgresql" else
                "UPDATE broadcast_recipients SET citizen_id = (SELECT MIN(citizen_id) FROM channel_identities ci "
                "WHERE ci.address = broadcast_recipients.phone) WHERE broadcast_id = :b AND citizen_id IS NULL"
            ), {"b": broadcast_id})
            s.execute(text(
                "UPDATE broadcast_recipients SET language = (SELECT preferred_language FROM citizens c "
                "WHERE c.id = broadcast_recipients.citizen_id) WHERE broadcast_id = :b AND state = 'queued' "
                "AND citizen_id IN (SELECT id FROM citizens WHERE preferred_language IN ('ar', 'en'))"
            ), {"b": broadcast_id})
            skipped = s.execute(text(
                "UPDATE broadcast_recipients SET state = 'skipped', error = 'opted_out' "
                "WHERE broadcast_id = :b AND state = 'queued' AND citizen_id IN ("
                "SELECT id FROM citizens WHERE opted_out_at IS NOT NULL "
                "UNION SELECT citizen_id FROM agency_opt_outs WHERE agency_id = :agency)"
            ), {"b": broadcast_id, "agency": agency_id}).rowcount
            counts = dict(s.execute(text(
                "SELECT state = 'skipped', COUNT(*) FROM broadcast_recipients WHERE broadcast_id = :b GROUP BY 1"
            ), {"b": broadcast_id}).all())
            s.execute(
                update(Broadcast.__table__).where(Broadcast.__table__.c.id == broadcast_id).values(
                    recipients_count=counts.get(False, 0), excluded_count=counts.get(True, 0), updated_at=utcnow(),
                )
            )
            return skipped

    def claim(self, broadcast_id: int, limit: int) -> list[Claimed]:
        """Take up to `limit` queued recipients for this worker (none while the broadcast is not
        sending); no two callers get the same one."""
        now = utcnow()
        with self._db.session() as s:
            if s.execute(select(Broadcast.status).where(Broadcast.id == broadcast_id)).scalar_one_or_none() != SENDING:
                return []
            if s.get_bind().dialect.name == "postgresql":
                rows = s.execute(text(
                    "UPDATE broadcast_recipients SET state = 'sending', claimed_at = :now WHERE id IN ("
                    "SELECT id FROM broadcast_recipients WHERE broadcast_id = :b AND state = 'queued' "
                    "ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED) RETURNING id, phone, language"
                ), {"b": broadcast_id, "n": limit, "now": now}).all()
            else:  # SQLite: the transaction holds the only write lock (BEGIN IMMEDIATE)
                ids = list(s.execute(
                    select(BroadcastRecipient.id).where(
                        BroadcastRecipient.broadcast_id == broadcast_id, BroadcastRecipient.state == QUEUED
                    ).order_by(BroadcastRecipient.id).limit(limit)
                ).scalars())
                table = BroadcastRecipient.__table__
                s.execute(update(table).where(table.c.id.in_(ids)).values(state=CLAIMED, claimed_at=now))
                rows = s.execute(select(table.c.id, table.c.phone, table.c.language).where(table.c.id.in_(ids))).all()
            return sorted((Claimed(r.id, r.phone, r.language) for r in rows), key=lambda c: c.recipient_id)

    def mark(self, recipient_id: int, state: str, *, citizen_id: Optional[int] = None,
             message_id: Optional[int] = None, channel: Optional[str] = None, error: Optional[str] = None) -> None:
        """Settle a claimed recipient (sent / fell_back_sms / failed / skipped) with its message."""
        table = BroadcastRecipient.__table__
        with self._db.session() as s:
            provider_id = None
            if message_id is not None:
                provider_id = s.execute(select(Message.provider_id).where(Message.id == message_id)).scalar_one_or_none()
            s.execute(
                update(table).where(table.c.id == recipient_id, table.c.state == CLAIMED).values(
                    state=state, citizen_id=citizen_id, message_id=message_id, channel=channel,
                    provider_id=provider_id, error=error[:128] if error else None, sent_at=utcnow(),
                )
            )

    def mark_many(self, marks: Sequence["Mark"]) -> None:
        """Settle claimed recipients in one transaction (a group's worth: the sender marks after
        the group's pushes; a worker killed before this leaves them `sending`, and `recover`
        settles them from the messages table)."""
        if not marks:
            return
        table = BroadcastRecipient.__table__
        now = utcnow()
        with self._db.session() as s:
            sent_ids = [m.message_id for m in marks if m.message_id is not None]
            providers = dict(s.execute(
                select(Message.id, Message.provider_id).where(Message.id.in_(sent_ids))
            ).all()) if sent_ids else {}
            s.execute(
                update(table).where(table.c.id == bindparam("rid"), table.c.state == CLAIMED).values(
                    state=bindparam("new_state"), citizen_id=bindparam("cid"), message_id=bindparam("mid"),
                    channel=bindparam("ch"), provider_id=bindparam("pid"), error=bindparam("err"), sent_at=now,
                ).execution_options(synchronize_session=False),
                [
                    {"rid": m.recipient_id, "new_state": m.state, "cid": m.citizen_id, "mid": m.message_id,
                     "ch": m.channel, "pid": providers.get(m.message_id), "err": m.error[:128] if m.error else None}
                    for m in marks
                ],
            )

    def citizens_for(self, phones: Sequence[str]) -> dict[str, int]:
        """The citizen of each number (created as SMS citizens when new), in one transaction:
        store.citizens.for_phone for a claimed batch."""
        with self._db.session() as s:
            return citizens_for_phones(s, phones)

    def release(self, recipient_ids: Sequence[int]) -> None:
        """Give claimed recipients back (paused or cancelled while they were claimed)."""
        if not recipient_ids:
            return
        table = BroadcastRecipient.__table__
        with self._db.session() as s:
            s.execute(update(table).where(table.c.id.in_(list(recipient_ids)), table.c.state == CLAIMED)
                      .values(state=QUEUED, claimed_at=None))

    def recover(self, broadcast_id: int) -> tuple[int, int]:
        """Settle recipients a dead worker left claimed: a broadcast message already stored for the
        citizen means it is on its way (sent, with that message); none means it never left (queued
        again). (settled as sent, queued again)."""
        kind = kind_of(broadcast_id)
        with self._db.session() as s:
            stuck = s.execute(
                select(BroadcastRecipient.id, BroadcastRecipient.phone, BroadcastRecipient.citizen_id).where(
                    BroadcastRecipient.broadcast_id == broadcast_id, BroadcastRecipient.state == CLAIMED
                )
            ).all()
            settled = requeued = 0
            for row in stuck:
                found = s.execute(
                    select(Message.id, Message.channel, Message.citizen_id, Message.provider_id).where(
                        Message.kind == kind, Message.direction == "out",
                        or_(Message.address == row.phone, Message.citizen_id == row.citizen_id),
                    ).order_by(Message.id).limit(1)
                ).first()
                table = BroadcastRecipient.__table__
                if found is None:
                    s.execute(update(table).where(table.c.id == row.id).values(state=QUEUED, claimed_at=None))
                    requeued += 1
                else:
                    s.execute(update(table).where(table.c.id == row.id).values(
                        state=SENT, message_id=found.id, channel=found.channel, citizen_id=found.citizen_id,
                        provider_id=found.provider_id, sent_at=utcnow(), error="settled_after_restart",
                    ))
                    settled += 1
            return settled, requeued

    def progress(self, broadcast_id: int) -> Progress:
        with self._db.session() as s:
            counts = dict(s.execute(
                select(BroadcastRecipient.state, func.count()).where(BroadcastRecipient.broadcast_id == broadcast_id)
                .group_by(BroadcastRecipient.state)
            ).all())
            statuses = dict(s.execute(
                select(Message.status, func.count()).select_from(BroadcastRecipient).join(
                    Message, Message.id == BroadcastRecipient.message_id
                ).where(BroadcastRecipient.broadcast_id == broadcast_id).group_by(Message.status)
            ).all())
        return Progress(
            queued=counts.get(QUEUED, 0), sending=counts.get(CLAIMED, 0), sent=counts.get(SENT, 0),
            delivered=statuses.get("delivered", 0) + statuses.get("read", 0),
            failed=counts.get(FAILED, 0), fell_back_sms=counts.get(FELL_BACK_SMS, 0), skipped=counts.get(SKIPPED, 0),
        )

    def delivery(self, broadcast_id: int) -> "Delivery":
        """Where each recipient's message stands, by what the providers reported: one count per
        recipient (they add up to the recipients), the furthest status among the messages of its
        broadcast message (`reply_key`: the SMS parts, and a fallback SMS after WhatsApp failed).
        Delivered and read exist only when the provider's status webhook or delivery receipt came."""
        with self._db.session() as s:
            rows = s.execute(text(
                "SELECT best, via_sms, COUNT(*) FROM ("
                " SELECT r.id, MAX(CASE m.status WHEN 'read' THEN 5 WHEN 'delivered' THEN 4 WHEN 'sent' THEN 3"
                "   WHEN 'failed' THEN 1 ELSE 2 END) AS best,"
                "  MAX(CASE WHEN m.channel = 'sms' AND (r.state = 'fell_back_sms' OR m0.channel = 'whatsapp')"
                "   THEN 1 ELSE 0 END) AS via_sms"
                " FROM broadcast_recipients r JOIN messages m0 ON m0.id = r.message_id"
                " JOIN messages m ON (m.reply_key = m0.reply_key OR m.id = m0.id)"
                " WHERE r.broadcast_id = :b GROUP BY r.id) AS per_recipient GROUP BY best, via_sms"
            ), {"b": broadcast_id}).all()
            states = dict(s.execute(
                select(BroadcastRecipient.state, func.count()).where(
                    BroadcastRecipient.broadcast_id == broadcast_id, BroadcastRecipient.message_id.is_(None)
                ).group_by(BroadcastRecipient.state)
            ).all())
        by_best: dict[int, int] = {}
        for best, _, count in rows:
            by_best[best] = by_best.get(best, 0) + count
        return Delivery(
            waiting=states.get(QUEUED, 0) + states.get(CLAIMED, 0) + by_best.get(2, 0),
            # Marked handed over with no message row (never in sending; kept for the count to add up).
            sent=by_best.get(3, 0) + states.get(SENT, 0) + states.get(FELL_BACK_SMS, 0),
            delivered=by_best.get(4, 0),
            read=by_best.get(5, 0),
            failed=by_best.get(1, 0) + states.get(FAILED, 0),
            by_sms_instead=sum(count for _, via_sms, count in rows if via_sms),
            skipped=states.get(SKIPPED, 0),
        )

    def recipients(self, broadcast_id: int) -> list[BroadcastRecipient]:
        with self._db.session() as s:
            rows = list(s.execute(
                select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == broadcast_id)
                .order_by(BroadcastRecipient.id)
            ).scalars())
            for row in rows:
                s.expunge(row)
            return rows

    # --- the ministry's policy -------------------------------------------------------------------

    def policy(self) -> Policy:
        with self._db.session() as s:
            row = s.get(BroadcastPolicy, 1)
            if row is None:
                return Policy(None, time(21, 0), time(8, 0), "Asia/Amman")
            return Policy(row.approval_threshold, time.fromisoformat(row.quiet_start),
                          time.fromisoformat(row.quiet_end), row.timezone)

    def set_policy(self, *, approval_threshold: Optional[int], quiet_start: str, quiet_end: str, actor: Actor) -> None:
        time.fromisoformat(quiet_start), time.fromisoformat(quiet_end)  # ValueError for a bad time
        with self._db.session() as s:
            row = s.get(BroadcastPolicy, 1)
            before = None
            if row is None:
                row = BroadcastPolicy(id=1)
                s.add(row)
            else:
                before = {"approval_threshold": row.approval_threshold, "quiet_start": row.quiet_start,
                          "quiet_end": row.quiet_end}
            row.approval_threshold, row.quiet_start, row.quiet_end = approval_threshold, quiet_start, quiet_end
            row.timezone = row.timezone or "Asia/Amman"
            record(s, actor, "broadcast_policy.set", "broadcast_policy", 1, before=before,
                   after={"approval_threshold": approval_threshold, "quiet_start": quiet_start, "quiet_end": quiet_end})
