"""Dashboard rollups against the seed's own counts, on SQLite and PostgreSQL: rolled days, live days,
a re-rollup, one agency's scope, the billing statement's totals, tickets' waits, and the sweep."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from core.amman import AMMAN
from jobs.context import JobContext, JobSettings
from jobs.dashboards import roll_up_dashboards
from store.dashboards import DayNumbers, missed_key
from store.models import DashboardDaily, Ticket
from tests.dashboard_seed import seed_traffic

DAYS = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
TODAY = DAYS[-1]


def _counter(numbers: DayNumbers, metric: str) -> Counter:
    return Counter({key if key[1] else key[0]: cell[0] for key, cell in numbers.totals.get(metric, {}).items()
                    if cell[0]})


def _per_day(numbers: DayNumbers) -> Counter:
    return Counter({(day, *key): n for day, cells in numbers.per_day.items() for key, n in cells.items() if n})


def _assert_matches(numbers: DayNumbers, expected, agency):
    assert _per_day(numbers) == expected.of(expected.messages, agency)
    assert _counter(numbers, "outcomes") == expected.of(expected.outcomes, agency)
    assert _counter(numbers, "services") == expected.of(expected.services, agency)
    assert _counter(numbers, "aspects") == expected.of(expected.aspects, agency)
    assert _counter(numbers, "missed") == expected.of(expected.missed, agency)
    assert _counter(numbers, "delivery") == expected.of(expected.delivery, agency)
    assert _counter(numbers, "fallbacks") == expected.of(expected.fallbacks, agency)


def test_rolled_and_live_days_give_the_seeds_counts(store):
    expected = seed_traffic(store, DAYS)
    repository = store.dashboards
    live = repository.read(None, DAYS[0], TODAY, today=TODAY)
    assert live.live_days == DAYS
    _assert_matches(live, expected, None)

    for day in DAYS[:2]:
        assert repository.roll_up_day(day) > 0
    rolled = repository.read(None, DAYS[0], TODAY, today=TODAY)
    assert rolled.live_days == [TODAY]  # today is always counted live
    _assert_matches(rolled, expected, None)
    # The numbers asked for really come from the rollup: change a rolled day's row and the read shows it.
    with store.db.session() as s:
        row = s.execute(select(DashboardDaily).where(DashboardDaily.day == DAYS[0], DashboardDaily.metric == "outcomes",
                                                     DashboardDaily.key1 == "handed_off",
                                                     DashboardDaily.agency_id == "cspd")).scalar_one()
        row.count += 1000
    tampered = repository.read(None, DAYS[0], TODAY, today=TODAY)
    assert tampered.totals["outcomes"][("handed_off", "")][0] == expected.of(expected.outcomes, None)["handed_off"] + 1000


def test_a_rerollup_replaces_the_day(store):
    expected = seed_traffic(store, DAYS)
    repository = store.dashboards
    first = repository.roll_up_day(DAYS[0])
    with store.db.session() as s:
        before = s.execute(select(func.count(), func.sum(DashboardDaily.count))).one()
    assert repository.roll_up_day(DAYS[0]) == first
    with store.db.session() as s:
        after = s.execute(select(func.count(), func.sum(DashboardDaily.count))).one()
    assert tuple(before) == tuple(after)
    numbers = repository.read(None, DAYS[0], DAYS[0], today=TODAY)
    assert numbers.live_days == []
    assert _per_day(numbers) == Counter({k: n for k, n in expected.of(expected.messages, None).items() if k[0] == DAYS[0]})


def test_one_agencys_scope_shows_only_its_numbers(store):
    expected = seed_traffic(store, DAYS)
    repository = store.dashboards
    repository.roll_up_day(DAYS[0])
    for agency in ("cspd", "dls", ""):
        numbers = repository.read(agency, DAYS[0], TODAY, today=TODAY)
        _assert_matches(numbers, expected, agency)
    cspd = repository.read("cspd", DAYS[0], TODAY, today=TODAY)
    assert not any(service.startswith("dls.") for service, _ in cspd.totals["services"])


def test_cost_matches_the_ledgers_statement_sums(store):
    expected = seed_traffic(store, DAYS)
    repository = store.dashboards
    repository.roll_up_day(DAYS[0])
    repository.roll_up_day(DAYS[1])
    cost = repository.cost(None, DAYS[0], TODAY, today=TODAY)
    assert Counter({key: cell[0] for key, cell in cost.items()}) == expected.cost_messages
    assert Counter({key: cell[1] for key, cell in cost.items() if cell[1]}) == +expected.cost_micro
    # The same as the billing statement reads from the ledger for the whole range.
    start = datetime.combine(DAYS[0], time(0), tzinfo=AMMAN)
    totals = store.ledger.totals(start=start, end=start + timedelta(days=3), every_agency=True)
    assert {(t.agency_id or "", t.category, t.channel): t.messages for t in totals} == \
        {key: cell[0] for key, cell in cost.items()}
    cspd = repository.cost("cspd", DAYS[0], TODAY, today=TODAY)
    assert set(cspd) == {("cspd", "transaction_status", "sms")}
    assert cspd[("cspd", "transaction_status", "sms")] == [3, 3 * 6842, 3 * 3421]


def test_ticket_waits(store):
    seed_traffic(store, DAYS)
    now = datetime.combine(TODAY, time(20, 0), tzinfo=AMMAN)
    everyone = store.dashboards.ticket_waits(None, DAYS[0], TODAY, now)
    assert (everyone.opened, everyone.answered, everyone.waiting) == (6, 3, 3)
    assert everyone.buckets["15m_1h"] == 3  # the cspd ones, answered after 30 minutes
    cspd = store.dashboards.ticket_waits("cspd", DAYS[0], TODAY, now)
    assert (cspd.opened, cspd.answered, cspd.waiting, cspd.median_minutes) == (3, 3, 0, 30.0)
    dls = store.dashboards.ticket_waits("dls", DAYS[0], TODAY, now)
    assert dls.waiting == 3 and dls.buckets["4h_24h"] + dls.buckets["over_24h"] == 3
    assert store.dashboards.ticket_waits("", DAYS[0], TODAY, now).opened == 0
    with store.db.session() as s:  # a ticket naming no service is the ministry's
        s.add(Ticket(citizen_id=store.citizens.resolve("sms", "962790000009"), kind="handoff", service_id=None,
                     created_at=datetime.combine(TODAY, time(10, 0), tzinfo=AMMAN)))
    ministry = store.dashboards.ticket_waits("", DAYS[0], TODAY, now)
    assert (ministry.opened, ministry.waiting, ministry.buckets["4h_24h"]) == (1, 1, 1)
    assert store.dashboards.ticket_waits(None, DAYS[0], TODAY, now).opened == 7


def test_the_sweep_rolls_up_past_days_once_and_settles_the_last_two(store):
    expected = seed_traffic(store, DAYS)
    context = JobContext(JobSettings(store.db.engine.url.render_as_string(hide_password=False), None,
                                     timedelta(days=365)), store)
    now = datetime.combine(TODAY, time(9, 0), tzinfo=AMMAN)
    report = asyncio.run(roll_up_dashboards(context, now))
    assert "rolled up 2 days (2026-11-01 .. 2026-11-02)" in report.did
    assert store.dashboards.rolled_days(DAYS[0], TODAY) == set(DAYS[:2])
    # A week later: the third day is rolled, and only the last two days before today are re-rolled.
    later = now + timedelta(days=7)
    assert store.dashboards.days_to_roll(later.astimezone(AMMAN).date(), 2, 60) == [
        DAYS[2] + timedelta(days=i) for i in range(7)]
    assert store.dashboards.days_to_roll(later.astimezone(AMMAN).date(), 2, 3) == [
        DAYS[2], DAYS[2] + timedelta(days=1), DAYS[2] + timedelta(days=2), DAYS[2] + timedelta(days=5),
        DAYS[2] + timedelta(days=6)]
    asyncio.run(roll_up_dashboards(context, later))
    numbers = store.dashboards.read(None, DAYS[0], TODAY, today=later.astimezone(AMMAN).date())
    assert numbers.live_days == []
    _assert_matches(numbers, expected, None)


def test_missed_groups_fold_spelling_and_numbers():
    assert missed_key("أين المكتب؟ 123") == missed_key("اين   المكتب 9") == "اين المكتب #"
    assert missed_key("Passport RENEWAL!!") == "passport renewal"
    assert missed_key("") == ""
