"""The dashboards' numbers: counted per Amman day, kept in `dashboard_daily`, read back by date range.

A dashboard over a year of a national account's traffic must not read the messages table on every
load. So the rollup job (jobs/dashboards.py) counts each past day once, straight from the tables by
an index range on `created_at` (`count_day`), and stores the counts (`roll_up_day`: the day's rows
replaced in one transaction, so a re-rollup never counts twice). A dashboard then reads the rolled
days' rows, and counts live only today so far (and any past day the job has not reached yet): one
index range of one day.

What the charts count, per message (and per agency: an inbound message belongs to the agency of
the service it was about; an outbound one to the agency of the message it answers, else the agency
its ledger row names; '' is the ministry's own):

- `messages` (channel, direction): every message.
- `outcomes` (outcome): each inbound message the bot handled, as one of OUTCOMES (`outcome_of`).
- `services` (service id), `aspects` (intent `ask_*`): inbound messages understood as about them.
- `missed` (normalised text): messages kept for review (`unrecognised_messages`), grouped by their
  text normalised (`missed_key`: Arabic letter variants folded, case, punctuation, and digits — a
  transaction or ID number must not split a group, nor be kept here).
- `delivery` (channel, status): outbound messages by their current status.
- `fallbacks` (cause): SMS sent because WhatsApp failed or did not deliver in time.
- `cost` (category, channel): billed messages and their amount and agency share, as the quarterly
  statement counts them (store/ledger.py: only messages a provider accepted).
Tickets are few (one per handoff) and counted live (`ticket_waits`).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Iterable, Optional

from sqlalchemy import and_, delete, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from core.amman import AMMAN
from core.messages import STATUS_ANSWERED, STATUS_FOR_AGENT, utcnow
from language.normalize import normalize_arabic
from store.database import Database
from store.ledger import LedgerRepository
from store.models import (
    DIRECTION_IN,
    DIRECTION_OUT,
    DashboardDaily,
    DashboardRollupDay,
    LedgerEntry,
    Message,
    Ticket,
    UnrecognisedMessage,
)
from store.tickets import agency_of_service

MINISTRY = ""
OUTCOMES = ("answered", "clarified", "fallen_back", "handed_off")
HANDOFF_INTENTS = frozenset({"human_handoff", "complaint"})
# Review reasons that mean the bot asked the citizen to say more ("which service?") rather than
# giving up on the message.
CLARIFYING_REASONS = frozenset({"no_service", "clarified", "clarification"})
FALLBACK_REASON = "fallback_after_failure"  # routing/router.py: the SMS after a WhatsApp failure
MICRO = Decimal("0.000001")
KEY_LENGTH = 200
METRICS = ("messages", "outcomes", "services", "aspects", "missed", "delivery", "fallbacks", "cost")
# Missed texts are as many as the misses: a day keeps its 25 biggest groups per agency (and one
# "others" row with the rest), so a year's top groups are summed from 365 short lists, not from a
# copy of the review table. A group that is never among a day's 25 biggest is not in the year's top.
MISSED_KEPT_PER_DAY = 25
OTHER_MISSED = "~others"  # no group key has a "~" (missed_key keeps letters, digits and #)

DAILY = DashboardDaily.__table__
ROLLED = DashboardRollupDay.__table__

# (agency, metric, key1, key2) -> [count, amount_micro, share_micro]
Counts = dict[tuple[str, str, str, str], list[int]]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """An Amman day as a UTC-aware range [start, end)."""
    start = datetime.combine(day, time(0), tzinfo=AMMAN)
    return start, start + timedelta(days=1)


def amman_day(moment: datetime) -> date:
    return moment.astimezone(AMMAN).date()


def outcome_of(status: Optional[str], intent: Optional[str], missed_reason: Optional[str]) -> Optional[str]:
    """What became of an inbound message: handed to a person, a clarifying question, the fallback
    ("I did not understand", out of scope, not in the catalog), or answered. None: not handled
    (still waiting, given up, a flood)."""
    if status == STATUS_FOR_AGENT or intent in HANDOFF_INTENTS:
        return "handed_off"
    if missed_reason in CLARIFYING_REASONS:
        return "clarified"
    if missed_reason is not None:
        return "fallen_back"
    if status == STATUS_ANSWERED:
        return "answered"
    return None


_NOT_WORD = re.compile(r"[^\w#]+")
_DIGITS = re.compile(r"\d+")


def missed_key(text: str) -> str:
    """The group a missed message falls in: normalised Arabic, lower case, no punctuation, each run
    of digits one '#' (so "جوازي رقم 123" and "جوازي رقم 456" are one group, and no number is kept)."""
    folded = normalize_arabic(text or "").lower()
    folded = _DIGITS.sub("#", folded)
    return " ".join(_NOT_WORD.sub(" ", folded).replace("_", " ").split())[:KEY_LENGTH]


def _agency(service_id: Optional[str]) -> str:
    return agency_of_service(service_id) or MINISTRY


def _add(counts: Counts, key: tuple[str, str, str, str], count: int, amount: int = 0, share: int = 0) -> None:
    cell = counts.setdefault(key, [0, 0, 0])
    cell[0] += count
    cell[1] += amount
    cell[2] += share


def _micro(amount: Decimal) -> int:
    return int((amount / MICRO).to_integral_value())


@dataclass
class DayNumbers:
    """Everything the dashboards show, summed over a range of days for one scope."""

    per_day: dict[date, dict[tuple[str, str], int]] = field(default_factory=dict)  # messages: (channel, direction)
    totals: dict[str, dict[tuple[str, str], list[int]]] = field(default_factory=lambda: defaultdict(dict))
    live_days: list[date] = field(default_factory=list)  # counted from the tables on this read

    def add(self, day: date, metric: str, key1: str, key2: str, count: int, amount: int, share: int) -> None:
        if metric == "messages":
            bucket = self.per_day.setdefault(day, {})
            bucket[(key1, key2)] = bucket.get((key1, key2), 0) + count
        cell = self.totals[metric].setdefault((key1, key2), [0, 0, 0])
        cell[0] += count
        cell[1] += amount
        cell[2] += share

    def top(self, metric: str, limit: int) -> list[tuple[str, int]]:
        rows = [(k1, cell[0]) for (k1, _k2), cell in self.totals.get(metric, {}).items() if k1 != OTHER_MISSED]
        return sorted(rows, key=lambda row: (-row[1], row[0]))[:limit]


@dataclass(frozen=True)
class TicketWaits:
    """Tickets opened in a range: how long each waited for staff (to the first reply, or closing)."""

    opened: int
    answered: int
    waiting: int  # no staff reply and not closed yet
    median_minutes: Optional[float]
    buckets: dict[str, int]  # WAIT_BUCKETS label -> tickets (the still-waiting ones by their wait so far)


WAIT_BUCKETS = (("under_15m", 15), ("15m_1h", 60), ("1h_4h", 240), ("4h_24h", 1440), ("over_24h", None))


def wait_bucket(minutes: float) -> str:
    for label, limit in WAIT_BUCKETS:
        if limit is None or minutes < limit:
            return label
    raise AssertionError("the last bucket has no limit")


class DashboardRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._ledger = LedgerRepository(db)

    # --- counting one day from the tables --------------------------------------------------------

    def count_day(self, day: date) -> Counts:
        """Every chart's numbers for one Amman day, straight from the tables (index ranges on created_at)."""
        start, end = day_bounds(day)
        counts: Counts = {}
        with self._db.session() as s:
            self._count_messages(s, start, end, counts)
            self._count_missed(s, start, end, counts)
        for total in self._ledger.totals(start=start, end=end, every_agency=True):
            _add(counts, (total.agency_id or MINISTRY, "cost", total.category, total.channel), total.messages,
                 _micro(total.amount), _micro(total.agency_share))
        return counts

    @staticmethod
    def _count_messages(s: Session, start: datetime, end: datetime, counts: Counts) -> None:
        m = Message.__table__.alias("m")
        asked = Message.__table__.alias("asked")
        ledger = LedgerEntry.__table__
        missed = UnrecognisedMessage.__table__
        columns = (m.c.channel, m.c.direction, m.c.status, m.c.service_id, m.c.intent, m.c.route_reason,
                   m.c.route_cause, asked.c.service_id.label("asked_service"), ledger.c.agency_id, missed.c.reason)
        query = (
            select(*columns, func.count())
            .select_from(
                m.outerjoin(asked, asked.c.id == m.c.reply_to_id)
                .outerjoin(ledger, ledger.c.message_id == m.c.id)
                .outerjoin(missed, missed.c.message_id == m.c.id)
            )
            .where(m.c.created_at >= start, m.c.created_at < end)
            .group_by(*columns)
        )
        for (channel, direction, status, service_id, intent, route_reason, route_cause, asked_service,
             ledger_agency, reason, n) in s.execute(query):
            n = int(n)
            if direction == DIRECTION_IN:
                agency = _agency(service_id)
            else:
                agency = agency_of_service(asked_service) or ledger_agency or MINISTRY
            _add(counts, (agency, "messages", channel, direction), n)
            if direction == DIRECTION_IN:
                outcome = outcome_of(status, intent, reason)
                if outcome is not None:
                    _add(counts, (agency, "outcomes", outcome, ""), n)
                if service_id:
                    _add(counts, (agency, "services", service_id[:KEY_LENGTH], ""), n)
                if intent and intent.startswith("ask_"):
                    _add(counts, (agency, "aspects", intent[:KEY_LENGTH], ""), n)
            elif direction == DIRECTION_OUT:
                _add(counts, (agency, "delivery", channel, status), n)
                if route_reason == FALLBACK_REASON and channel == "sms":
                    _add(counts, (agency, "fallbacks", route_cause or "unknown", ""), n)

    @staticmethod
    def _count_missed(s: Session, start: datetime, end: datetime, counts: Counts) -> None:
        missed = UnrecognisedMessage.__table__
        m = Message.__table__
        query = (
            select(missed.c.text, m.c.service_id)
            .select_from(missed.join(m, m.c.id == missed.c.message_id))
            .where(missed.c.created_at >= start, missed.c.created_at < end)
        )
        groups: dict[str, Counter] = defaultdict(Counter)
        for text, service_id in s.execute(query):
            key = missed_key(text)
            if key:  # a redacted text ('') has no group
                groups[_agency(service_id)][key] += 1
        for agency, counter in groups.items():
            kept = counter.most_common(MISSED_KEPT_PER_DAY)
            for key, n in kept:
                _add(counts, (agency, "missed", key, ""), n)
            rest = sum(counter.values()) - sum(n for _, n in kept)
            if rest:
                _add(counts, (agency, "missed", OTHER_MISSED, ""), rest)

    # --- the rollup ------------------------------------------------------------------------------

    def roll_up_day(self, day: date, now: Optional[datetime] = None) -> int:
        """Count `day` and replace its rows in one transaction; returns the rows written. Running it
        again for the same day gives the same rows (late delivery receipts update them)."""
        # A quiet day (a store's history has gaps) costs three index probes, not the day's counting.
        counts = self.count_day(day) if self._anything_on(day) else {}
        rows = [
            {"day": day, "agency_id": agency, "metric": metric, "key1": key1, "key2": key2,
             "count": cell[0], "amount_micro": cell[1], "share_micro": cell[2]}
            for (agency, metric, key1, key2), cell in counts.items()
        ]
        messages = sum(cell[0] for key, cell in counts.items() if key[1] == "messages")
        with self._db.session() as s:
            if s.get_bind().dialect.name == "postgresql":
                # Two rollups of one day at once (the job worker and an operator's run-due): one waits.
                s.execute(select(func.pg_advisory_xact_lock(literal(0x7A5D0000) + (day.toordinal()))))
            s.execute(delete(DAILY).where(DAILY.c.metric.in_(METRICS), DAILY.c.day == day))
            s.execute(delete(ROLLED).where(ROLLED.c.day == day))
            if rows:
                s.execute(insert(DAILY), rows)
            s.execute(insert(ROLLED).values(day=day, rolled_at=now or utcnow(), messages=messages))
        return len(rows)

    def _anything_on(self, day: date) -> bool:
        start, end = day_bounds(day)
        with self._db.session() as s:
            for table in (Message.__table__, UnrecognisedMessage.__table__, LedgerEntry.__table__):
                probe = select(table.c.id).where(table.c.created_at >= start, table.c.created_at < end).limit(1)
                if s.execute(probe).first() is not None:
                    return True
        return False

    def days_to_roll(self, today: date, settle_days: int, limit: int) -> list[date]:
        """Past days not rolled up yet (oldest first, from the first message's day), then the last
        `settle_days` before today again: their delivery receipts and billing may still be moving."""
        m = Message.__table__
        with self._db.session() as s:
            first = s.execute(select(func.min(m.c.created_at))).scalar()
            if first is None:
                return []
            first_day = amman_day(first)
            rolled = set(s.execute(select(ROLLED.c.day).where(ROLLED.c.day >= first_day)).scalars())
        days = []
        day = first_day
        while day < today and len(days) < limit:
            if day not in rolled:
                days.append(day)
            day += timedelta(days=1)
        for back in range(settle_days, 0, -1):
            settle = today - timedelta(days=back)
            if settle >= first_day and settle not in days:
                days.append(settle)
        return days

    def rolled_days(self, first: date, last: date) -> set[date]:
        with self._db.session() as s:
            return set(s.execute(select(ROLLED.c.day).where(ROLLED.c.day >= first, ROLLED.c.day <= last)).scalars())

    # --- reading -----------------------------------------------------------------------------------

    def read(self, scope: Optional[str], first: date, last: date, *, today: date, top: int = 15) -> DayNumbers:
        """The numbers of `scope` (an agency id; None: every agency) for the Amman days first..last:
        rolled days from dashboard_daily, the others (today, a day the job has not reached) counted
        live. `top` limits the missed groups read from the rollup (the biggest first)."""
        numbers = DayNumbers()
        last = min(last, today)
        if last < first:
            return numbers
        rolled = {d for d in self.rolled_days(first, last) if d < today}
        if rolled:
            # Rows exist only for rolled days; today's (rolled by a run-due ahead of the clock) are
            # left to the live count.
            before_today = min(last, today - timedelta(days=1))
            with self._db.session() as s:
                for row in s.execute(self.per_day_query(scope, first, before_today)):
                    numbers.add(_as_date(row.day), "messages", row.key1, row.key2, int(row.n), 0, 0)
                for row in s.execute(self.totals_query(scope, first, before_today)):
                    numbers.add(first, row.metric, row.key1, row.key2, int(row.n), 0, 0)
                for row in s.execute(self.missed_query(scope, first, before_today, top * 4)):
                    numbers.add(first, "missed", row.key1, "", int(row.n), 0, 0)
        live = [d for d in _days(first, last) if d not in rolled]
        for day in live:
            for (agency, metric, key1, key2), cell in self.count_day(day).items():
                if metric != "cost" and (scope is None or agency == scope):
                    numbers.add(day, metric, key1, key2, *cell)
        numbers.live_days = live
        return numbers

    # The rollup path's queries, one per chart group (bench/dashboards.py times them one by one).

    @staticmethod
    def _scoped(query, scope: Optional[str]):
        return query.where(DAILY.c.agency_id == scope) if scope is not None else query

    def per_day_query(self, scope: Optional[str], first: date, last: date):
        """Messages per day by channel and direction."""
        query = (
            select(DAILY.c.day, DAILY.c.key1, DAILY.c.key2, func.sum(DAILY.c.count).label("n"))
            .where(DAILY.c.day >= first, DAILY.c.day <= last, DAILY.c.metric == "messages")
            .group_by(DAILY.c.day, DAILY.c.key1, DAILY.c.key2)
        )
        return self._scoped(query, scope)

    def totals_query(self, scope: Optional[str], first: date, last: date,
                     metrics: Iterable[str] = ("outcomes", "services", "aspects", "delivery", "fallbacks")):
        """The range's totals of the other charts (outcomes, services, aspects, delivery, fallbacks)."""
        query = (
            select(DAILY.c.metric, DAILY.c.key1, DAILY.c.key2, func.sum(DAILY.c.count).label("n"))
            .where(DAILY.c.day >= first, DAILY.c.day <= last, DAILY.c.metric.in_(list(metrics)))
            .group_by(DAILY.c.metric, DAILY.c.key1, DAILY.c.key2)
        )
        return self._scoped(query, scope)

    def missed_query(self, scope: Optional[str], first: date, last: date, limit: int):
        """The biggest groups of missed messages in the range."""
        total = func.sum(DAILY.c.count).label("n")
        query = (
            select(DAILY.c.key1, total)
            .where(DAILY.c.day >= first, DAILY.c.day <= last, DAILY.c.metric == "missed", DAILY.c.key1 != OTHER_MISSED)
            .group_by(DAILY.c.key1)
            .order_by(total.desc(), DAILY.c.key1)
            .limit(limit)
        )
        return self._scoped(query, scope)

    def cost_query(self, scope: Optional[str], first: date, last: date):
        """Billed messages, amounts and agency shares by agency, category and channel."""
        query = (
            select(DAILY.c.agency_id, DAILY.c.key1, DAILY.c.key2, func.sum(DAILY.c.count).label("n"),
                   func.sum(DAILY.c.amount_micro).label("amount"), func.sum(DAILY.c.share_micro).label("share"))
            .where(DAILY.c.day >= first, DAILY.c.day <= last, DAILY.c.metric == "cost")
            .group_by(DAILY.c.agency_id, DAILY.c.key1, DAILY.c.key2)
        )
        return self._scoped(query, scope)

    def cost(self, scope: Optional[str], first: date, last: date, *, today: date) -> dict[tuple[str, str, str], list[int]]:
        """(agency, category, channel) -> [billed messages, amount, agency share] (millionths of a JOD)
        over first..last: rolled days from the rollup, the rest from the ledger."""
        last = min(last, today)
        result: dict[tuple[str, str, str], list[int]] = {}
        if last < first:
            return result
        rolled = {d for d in self.rolled_days(first, last) if d < today}

        def add(key: tuple[str, str, str], values: Iterable[int]) -> None:
            cell = result.setdefault(key, [0, 0, 0])
            for i, value in enumerate(values):
                cell[i] += int(value)

        if rolled:
            with self._db.session() as s:
                for row in s.execute(self.cost_query(scope, first, min(last, today - timedelta(days=1)))):
                    add((row.agency_id, row.key1, row.key2), (row.n, row.amount, row.share))
        # The days not rolled up, as contiguous ranges read from the ledger itself.
        for start_day, end_day in _runs([d for d in _days(first, last) if d not in rolled]):
            start, _ = day_bounds(start_day)
            _, end = day_bounds(end_day)
            for total in self._ledger.totals(start=start, end=end, every_agency=True):
                agency = total.agency_id or MINISTRY
                if scope is None or agency == scope:
                    add((agency, total.category, total.channel),
                        (total.messages, _micro(total.amount), _micro(total.agency_share)))
        return result

    def ticket_waits(self, scope: Optional[str], first: date, last: date, now: datetime) -> TicketWaits:
        """Tickets opened first..last (Amman days), read live by the created_at index: a ticket's
        wait ends at staff's first reply, or at its closing; one still open waits until now."""
        start, _ = day_bounds(first)
        _, end = day_bounds(last)
        tickets = Ticket.__table__
        query = select(tickets.c.created_at, tickets.c.answered_at, tickets.c.closed_at).where(
            tickets.c.created_at >= start, tickets.c.created_at < end
        )
        if scope == MINISTRY:  # the ministry's tickets name no agency's service
            query = query.where(or_(tickets.c.service_id.is_(None), ~tickets.c.service_id.like("%.%")))
        elif scope is not None:
            query = query.where(tickets.c.service_id.like(_like_prefix(scope), escape="\\"))
        buckets = {label: 0 for label, _ in WAIT_BUCKETS}
        waits, answered, waiting = [], 0, 0
        with self._db.session() as s:
            if s.get_bind().dialect.name == "postgresql":
                return _ticket_waits_in_postgres(s, query.subquery(), now)
            for created_at, answered_at, closed_at in s.execute(query):
                ended = answered_at or closed_at
                if answered_at is not None:
                    answered += 1
                if ended is None:
                    waiting += 1
                minutes = max(((ended or now) - created_at).total_seconds() / 60, 0.0)
                waits.append(minutes)
                buckets[wait_bucket(minutes)] += 1
        median = round(statistics.median(waits), 1) if waits else None
        return TicketWaits(len(waits), answered, waiting, median, buckets)


def _ticket_waits_in_postgres(s: Session, found, now: datetime) -> TicketWaits:
    """The same sums in the database: a national year is some hundred thousand tickets, too many to
    carry into Python on every page load (1.8 s in bench/dashboards.py, against tens of ms here)."""
    ended = func.coalesce(found.c.answered_at, found.c.closed_at, literal(now, type_=Ticket.__table__.c.created_at.type))
    minutes = func.greatest(func.extract("epoch", ended - found.c.created_at) / 60.0, 0.0).label("minutes")
    waits = select(found.c.answered_at, found.c.closed_at, minutes).subquery()
    columns = [
        func.count(),
        func.count(waits.c.answered_at),
        func.count().filter(and_(waits.c.answered_at.is_(None), waits.c.closed_at.is_(None))),
        func.percentile_cont(0.5).within_group(waits.c.minutes),
    ]
    lower = 0.0
    for _label, limit in WAIT_BUCKETS:
        condition = waits.c.minutes >= lower if limit is None else and_(waits.c.minutes >= lower, waits.c.minutes < limit)
        columns.append(func.count().filter(condition))
        lower = float(limit or 0)
    row = s.execute(select(*columns)).one()
    median = round(float(row[3]), 1) if row[3] is not None else None
    buckets = {label: int(row[4 + i]) for i, (label, _) in enumerate(WAIT_BUCKETS)}
    return TicketWaits(int(row[0]), int(row[1]), int(row[2]), median, buckets)


def _like_prefix(agency_id: str) -> str:
    escaped = agency_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + ".%"


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as contiguous (first, last) runs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
