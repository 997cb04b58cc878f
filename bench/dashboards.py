"""`python -m bench.dashboards [--messages N]`: each dashboard query over a year of traffic, from the
daily rollups and by scanning the tables, side by side.

Seeds a scratch PostgreSQL database (created here, dropped at the end; `TAWASOL_TEST_POSTGRES_URL`
names the server, default postgres@127.0.0.1) with N messages (default 10 million) spread evenly over
the last 365 days — half citizens' questions, half answers and agency pushes, 1 in 13 questions kept
as missed, a ledger row per outbound message and a `sent` event per accepted one — by
`INSERT ... SELECT generate_series` (foreign-key triggers off for the load: session_replication_role
= replica). Then rolls every past day up as the job does (store/dashboards.py roll_up_day) and times,
for a year up to today:

- the rollup path: each chart's query on dashboard_daily (what /console/dashboards runs), today's
  live count, and the whole page's read (everything a load does), for a ministry admin and for one
  agency's liaison officer;
- the naive path: the same numbers by GROUP BY over the messages (and ledger, review) tables for the
  whole year, which is what a dashboard without rollups would run on every load.

Prints one table: each query's median over --repeats runs, both paths, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.table import print_table
from core.messages import utcnow
from store import Store
from store.dashboards import amman_day, day_bounds
from store.migrate import upgrade

ADMIN_URL = os.environ.get("TAWASOL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AGENCIES = 12
SERVICES_PER_AGENCY = 15
CITIZENS = 1000
WORDS_1 = ["تجديد", "اصدار", "الغاء", "نقل", "تعديل", "استبدال", "فقدان", "تصديق", "طلب", "دفع", "حجز", "متابعه",
           "استرداد", "اعتراض", "تسجيل"]
WORDS_2 = ["الجواز", "الهويه", "الرخصه", "السند", "الشهاده", "المخالفه", "العقد", "الوكاله", "البطاقه", "الاقامه",
           "التصريح", "الكفاله", "الموعد", "الرسوم", "الفاتوره", "الطلب", "الملف", "الوثيقه", "الختم", "النموذج"]


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _scratch(name: str) -> str:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _array(words: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + w + "'" for w in words) + "]"


def seed(url: str, messages: int, start: datetime, end: datetime) -> dict[str, float]:
    """The traffic, loaded in a few statements; returns each phase's seconds."""
    engine = create_engine(url, future=True)
    timings: dict[str, float] = {}
    span = (end - start).total_seconds()
    statements = {
        "citizens and conversations": [
            f"INSERT INTO citizens (id, created_at) SELECT g, now() FROM generate_series(1, {CITIZENS}) g",
            f"""INSERT INTO conversations (id, citizen_id, started_at, last_activity_at, last_channel)
                SELECT g, g, now(), now(), 'whatsapp' FROM generate_series(1, {CITIZENS}) g""",
            f"""INSERT INTO agencies (id, name_ar, name_en, independent, sms_sender_ids, credit_alerted,
                escalate_after_days, created_at, updated_at)
                SELECT 'ag' || g, 'الجهة ' || g, 'Agency ' || g, false, '[]', 0, 10, now(), now()
                FROM generate_series(0, {AGENCIES - 1}) g""",
        ],
        # Pairs p = 1..N/2: message 2p-1 is the citizen's question, 2p the answer (or, 1 in 20, an agency push).
        "messages": [f"""
            INSERT INTO messages (id, conversation_id, citizen_id, direction, channel, address, kind, text, intent,
                confidence, service_id, language, status, segments, route_reason, route_cause, reply_to_id, attempts,
                created_at, updated_at)
            SELECT i, 1 + p % {CITIZENS}, 1 + p % {CITIZENS},
                CASE WHEN i % 2 = 1 THEN 'in' ELSE 'out' END,
                ch, '9627' || lpad((p % {CITIZENS})::text, 8, '0'),
                CASE WHEN i % 2 = 1 THEN 'text' WHEN p % 20 = 0 THEN 'transaction_status' ELSE 'reply' END,
                CASE WHEN i % 2 = 1 THEN 'سؤال' ELSE 'جواب' END,
                CASE WHEN i % 2 = 0 THEN NULL WHEN p % 50 = 0 THEN 'human_handoff'
                     ELSE (ARRAY['ask_fees','ask_documents','ask_steps','ask_overview','ask_location','ask_duration',
                                 'ask_eligibility','greet'])[1 + p % 8] END,
                CASE WHEN i % 2 = 1 THEN 0.9 END,
                CASE WHEN i % 2 = 1 AND p % 10 < 8
                     THEN 'ag' || (p % {AGENCIES}) || '.s' || ((p / {AGENCIES}) % {SERVICES_PER_AGENCY}) END,
                'ar',
                CASE WHEN i % 2 = 1 THEN 'answered' WHEN p % 17 = 0 THEN 'failed' WHEN p % 17 < 3 THEN 'sent'
                     WHEN ch = 'whatsapp' AND p % 3 = 0 THEN 'delivered' WHEN ch = 'whatsapp' THEN 'read'
                     ELSE 'delivered' END,
                CASE WHEN i % 2 = 0 THEN 1 END,
                CASE WHEN i % 2 = 1 THEN NULL WHEN ch = 'sms' AND p % 7 = 0 THEN 'fallback_after_failure'
                     ELSE 'reply_on_inbound_channel' END,
                CASE WHEN i % 2 = 0 AND ch = 'sms' AND p % 7 = 0
                     THEN (ARRAY['not_delivered_in_time','not_on_this_channel'])[1 + p % 2] END,
                CASE WHEN i % 2 = 0 AND p % 20 <> 0 THEN i - 1 END,
                0, at, at
            FROM (SELECT i, (i + 1) / 2 AS p,
                         CASE WHEN ((i + 1) / 2) % 5 < 3 THEN 'whatsapp' ELSE 'sms' END AS ch,
                         timestamptz '{start.isoformat()}' + ((i - 1) * {span} / {messages}) * interval '1 second' AS at
                  FROM generate_series(1, {messages}) i) g""",
            f"SELECT setval(pg_get_serial_sequence('messages', 'id'), {messages})"],
        "missed (review rows)": [f"""
            INSERT INTO unrecognised_messages (message_id, text, language, intent, confidence, reason, created_at)
            SELECT id, ({_array(WORDS_1)})[1 + (id / 2) % {len(WORDS_1)}] || ' '
                       || ({_array(WORDS_2)})[1 + (id / 30) % {len(WORDS_2)}] || ' ' || (id % 997),
                   'ar', 'nlu_fallback', 0.2,
                   CASE WHEN (id / 2) % 3 = 0 THEN 'no_service' ELSE 'low_confidence' END, created_at
            FROM messages WHERE direction = 'in' AND id % 26 = 1"""],
        "ledger and sent events": [
            """INSERT INTO ledger_entries (message_id, agency_id, body_type, category, channel, segments, unit_cost,
                   amount, agency_share, ministry_share, citizen_share, created_at)
               SELECT id, CASE WHEN kind = 'transaction_status' THEN 'ag' || ((id / 2) % 12) END, 'government',
                   CASE WHEN kind = 'transaction_status' THEN 'transaction_status' ELSE 'reply' END, channel, 1,
                   CASE WHEN channel = 'sms' THEN 0.006842 END, CASE WHEN channel = 'sms' THEN 0.006842 END,
                   CASE WHEN channel = 'sms' AND kind = 'transaction_status' THEN 0.003421 WHEN channel = 'sms' THEN 0 END,
                   CASE WHEN channel = 'sms' AND kind = 'transaction_status' THEN 0.003421
                        WHEN channel = 'sms' THEN 0.006842 END,
                   NULL, created_at
               FROM messages WHERE direction = 'out'""",
            """INSERT INTO message_status_events (message_id, status, at)
               SELECT id, 'sent', created_at FROM messages WHERE direction = 'out' AND status <> 'failed'""",
        ],
        "tickets": [f"""
            INSERT INTO tickets (citizen_id, kind, text, service_id, status, created_at, answered_at, closed_at)
            SELECT 1 + id % {CITIZENS}, 'handoff', '', service_id, 'closed', created_at,
                   created_at + ((id % 300) * interval '1 minute'), created_at + interval '6 hours'
            FROM messages WHERE intent = 'human_handoff'"""],
    }
    with engine.connect() as c:
        c.execute(text("SET session_replication_role = replica"))  # no FK trigger per row during the load
        c.execute(text("SET synchronous_commit = off"))
        c.execute(text("SET maintenance_work_mem = '512MB'"))
        # Secondary indexes and unique constraints are built once after the load, not row by row.
        tables = ["messages", "ledger_entries", "message_status_events", "unrecognised_messages", "tickets"]
        uniques = c.execute(text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'u' AND conrelid::regclass::text = ANY(:tables)"), {"tables": tables}).all()
        indexes = c.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:tables) AND indexname NOT LIKE 'pk_%' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"), {"tables": tables}).all()
        for table, constraint, _ in uniques:
            c.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"'))
        for index, _ in indexes:
            c.execute(text(f'DROP INDEX "{index}"'))
        c.commit()
        for phase, sqls in statements.items():
            began = time.perf_counter()
            for sql in sqls:
                c.execute(text(sql))
            c.commit()
            timings[phase] = time.perf_counter() - began
            _log(f"seeded {phase} in {timings[phase]:.1f} s")
        began = time.perf_counter()
        for table, constraint, definition in uniques:
            c.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {definition}'))
        for _, definition in indexes:
            c.execute(text(definition))
        c.commit()
        timings[f"{len(uniques) + len(indexes)} indexes built"] = time.perf_counter() - began
        _log(f"built {len(uniques) + len(indexes)} indexes in {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    with create_engine(url, isolation_level="AUTOCOMMIT", future=True).connect() as c:
        c.execute(text("VACUUM ANALYZE"))
    timings["vacuum analyze"] = time.perf_counter() - began
    engine.dispose()
    return timings


def _median(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5, help="runs per rollup-path query (median)")
    parser.add_argument("--naive-repeats", type=int, default=3, help="runs per naive query (median)")
    parser.add_argument("--keep", action="store_true", help="leave the scratch database (for a look)")
    args = parser.parse_args(argv)
    if args.messages < 2:
        parser.error("--messages must be at least 2")

    name = f"tawasol_bench_dashboards_{os.getpid()}"
    url = _scratch(name)
    store = None
    try:
        upgrade(url)
        now = utcnow()
        today = amman_day(now)
        first = today - timedelta(days=364)
        start, _ = day_bounds(first)
        _log(f"seeding {args.messages:,} messages from {first} to now into {name}")
        seeding = seed(url, args.messages, start, now)
        store = Store(url)
        repository = store.dashboards

        began = time.perf_counter()
        days = repository.days_to_roll(today, settle_days=0, limit=400)
        for day in days:
            repository.roll_up_day(day)
        rollup_seconds = time.perf_counter() - began
        _log(f"rolled up {len(days)} days in {rollup_seconds:.1f} s")
        began = time.perf_counter()
        repository.roll_up_day(days[-1])
        reroll_seconds = time.perf_counter() - began
        with store.db.engine.connect() as c:
            rollup_rows = c.execute(text("SELECT count(*) FROM dashboard_daily")).scalar()
            c.execute(text("ANALYZE dashboard_daily"))
            c.commit()
        yesterday = today - timedelta(days=1)
        quarter_first = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
        q_start, _ = day_bounds(quarter_first)
        liaison = "ag3"

        def on_rollup(query) -> Callable[[], object]:
            def run() -> object:
                with store.db.engine.connect() as c:
                    return c.execute(query).all()
            return run

        def naive(sql: str, **params) -> Callable[[], object]:
            def run() -> object:
                with store.db.engine.connect() as c:
                    return c.execute(text(sql), {"start": start, "end": now, **params}).all()
            return run

        rows: list[tuple] = []

        def measure(label: str, fast: Callable[[], object], slow: Callable[[], object] | None) -> None:
            fast_ms = _median(fast, args.repeats)
            slow_ms = _median(slow, args.naive_repeats) if slow is not None else None
            ratio = f"{slow_ms / fast_ms:,.1f}x" if slow_ms else ""
            rows.append((label, round(fast_ms, 1), round(slow_ms, 1) if slow_ms else "", ratio))
            _log(f"{label}: rollup {fast_ms:.1f} ms, naive {slow_ms if slow_ms else 0:.1f} ms")

        measure("messages per day (channel, direction)", on_rollup(repository.per_day_query(None, first, yesterday)),
                naive("""SELECT (created_at AT TIME ZONE 'UTC' + interval '3 hours')::date, channel, direction, count(*)
                         FROM messages WHERE created_at >= :start AND created_at < :end GROUP BY 1, 2, 3"""))
        measure("outcomes (answered, clarified, fell back, handed off)",
                on_rollup(repository.totals_query(None, first, yesterday, ("outcomes",))),
                naive("""SELECT m.status, m.intent, u.reason, count(*) FROM messages m
                         LEFT JOIN unrecognised_messages u ON u.message_id = m.id
                         WHERE m.direction = 'in' AND m.created_at >= :start AND m.created_at < :end GROUP BY 1, 2, 3"""))
        measure("top services", on_rollup(repository.totals_query(None, first, yesterday, ("services",))),
                naive("""SELECT service_id, count(*) FROM messages WHERE direction = 'in' AND service_id IS NOT NULL
                         AND created_at >= :start AND created_at < :end GROUP BY 1 ORDER BY 2 DESC LIMIT 10"""))
        measure("top aspects", on_rollup(repository.totals_query(None, first, yesterday, ("aspects",))),
                naive("""SELECT intent, count(*) FROM messages WHERE direction = 'in' AND intent LIKE 'ask%'
                         AND created_at >= :start AND created_at < :end GROUP BY 1"""))
        measure("top missed groups", on_rollup(repository.missed_query(None, first, yesterday, 40)),
                naive("""SELECT text, count(*) FROM unrecognised_messages WHERE created_at >= :start
                         AND created_at < :end GROUP BY 1 ORDER BY 2 DESC LIMIT 40"""))
        measure("delivery and read rates", on_rollup(repository.totals_query(None, first, yesterday, ("delivery",))),
                naive("""SELECT channel, status, count(*) FROM messages WHERE direction = 'out'
                         AND created_at >= :start AND created_at < :end GROUP BY 1, 2"""))
        measure("WhatsApp -> SMS fallbacks", on_rollup(repository.totals_query(None, first, yesterday, ("fallbacks",))),
                naive("""SELECT route_cause, count(*) FROM messages WHERE route_reason = 'fallback_after_failure'
                         AND channel = 'sms' AND created_at >= :start AND created_at < :end GROUP BY 1"""))
        measure("cost this quarter (agency, category)",
                on_rollup(repository.cost_query(None, quarter_first, yesterday)),
                lambda: store.ledger.totals(start=q_start, end=now, every_agency=True))
        measure("tickets' waiting times (live, tickets table)",
                lambda: repository.ticket_waits(None, first, today, now), None)
        measure("today so far (live, index range)", lambda: repository.count_day(today), None)
        measure("whole page, ministry admin (all of the above)",
                lambda: (repository.read(None, first, today, today=today),
                         repository.cost(None, quarter_first, today, today=today),
                         repository.ticket_waits(None, first, today, now)), None)
        measure(f"whole page, one agency's liaison officer ({liaison})",
                lambda: (repository.read(liaison, first, today, today=today),
                         repository.cost(liaison, quarter_first, today, today=today),
                         repository.ticket_waits(liaison, first, today, now)), None)

        print()
        print(f"Dashboards over a year ({first} .. {today}), {args.messages:,} messages, PostgreSQL; "
              f"medians of {args.repeats} (rollup) and {args.naive_repeats} (naive) runs")
        print_table(["query", "rollup path ms", "naive scan ms", "naive / rollup"], rows)
        print()
        print_table(["preparation", "seconds"],
                    [*[(f"seed: {k}", round(v, 1)) for k, v in seeding.items()],
                     (f"roll up {len(days)} days ({rollup_rows:,} rollup rows)", round(rollup_seconds, 1)),
                     ("re-roll one day", round(reroll_seconds, 2))])
    finally:
        if store is not None:
            store.close()
        if not args.keep:
            _drop(name)


if __name__ == "__main__":
    main()
