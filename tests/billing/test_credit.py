"""Message credit: reserved atomically, urgent categories never refused, the liaison officer told at
80% and 100% once each per top-up. Real SQLite and PostgreSQL; real threads racing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from billing.credit import CREDIT_ALERT_KIND, CreditKeeper
from store.credit import CREDIT_EXHAUSTED, UNKNOWN_AGENCY
from store.models import LedgerEntry
from tests.pipeline.pipeline_doubles import EchoBrain, FakeSender
from tests.pipeline.pipeline_helpers import rows

LIAISON = "962795550000"


def add_agency(store, agency_id="moi", credit=10, liaison_phone=LIAISON):
    store.agencies.add(agency_id, name_ar="وزارة الداخلية", name_en="Ministry of Interior", message_credit=credit,
                       liaison_name="Rania", liaison_phone=liaison_phone)


def test_a_reservation_takes_credit_or_is_refused_with_a_reason(store):
    add_agency(store, credit=10)
    first = store.credit.reserve("moi", "awareness", 3)
    assert (first.allowed, first.remaining, first.reason) == (True, 7, None)
    too_many = store.credit.reserve("moi", "promotional", 8)
    assert (too_many.allowed, too_many.remaining, too_many.reason) == (False, 7, CREDIT_EXHAUSTED)
    assert "7 left, 8 asked" in too_many.detail
    assert store.credit.state("moi").remaining == 7  # a refusal takes nothing
    unknown = store.credit.reserve("nosuch", "awareness")
    assert (unknown.allowed, unknown.reason) == (False, UNKNOWN_AGENCY)
    with pytest.raises(ValueError, match="category"):
        store.credit.reserve("moi", "spam")
    with pytest.raises(ValueError):
        store.credit.reserve("moi", "awareness", 0)


def test_an_agency_without_a_cap_is_never_refused(store):
    add_agency(store, credit=None)
    decision = store.credit.reserve("moi", "promotional", 1000)
    assert (decision.allowed, decision.remaining, decision.alerts) == (True, None, ())


def test_transaction_status_is_urgent_and_goes_past_the_credit(store):
    add_agency(store, credit=1)
    urgent = store.credit.reserve("moi", "transaction_status", 3)
    assert (urgent.allowed, urgent.urgent, urgent.remaining) == (True, True, -2)
    refused = store.credit.reserve("moi", "awareness", 1)
    assert (refused.allowed, refused.reason) == (False, CREDIT_EXHAUSTED)
    assert "0 left" in refused.detail
    topped = store.credit.top_up("moi", 10)  # pays back the 2 taken past the credit
    assert (topped.remaining, topped.granted, topped.alerted) == (8, 8, 0)
    assert store.credit.reserve("moi", "awareness", 1).allowed


def test_each_alert_is_claimed_once_per_top_up(store):
    add_agency(store, credit=10)
    assert store.credit.reserve("moi", "awareness", 7).alerts == ()  # 70% used
    assert store.credit.reserve("moi", "awareness", 1).alerts == (80,)  # 80% used
    assert store.credit.reserve("moi", "awareness", 1).alerts == ()  # 90%: told already
    assert store.credit.reserve("moi", "awareness", 1).alerts == (100,)  # used up
    refused = store.credit.reserve("moi", "awareness", 1)
    assert (refused.allowed, refused.alerts) == (False, ())  # told already
    store.credit.top_up("moi", 10)
    assert store.credit.reserve("moi", "awareness", 8).alerts == (80,)  # a top-up starts again
    assert store.credit.reserve("moi", "awareness", 5).alerts == ()  # refused: 2 left, not used up


def test_a_refusal_at_zero_tells_the_liaison_if_nobody_did(store):
    add_agency(store, credit=0)  # added with nothing to spend
    refused = store.credit.reserve("moi", "promotional", 1)
    assert (refused.allowed, refused.alerts) == (False, (100,))
    assert store.credit.reserve("moi", "promotional", 1).alerts == ()


def race(store, agency_id: str, callers: int, each: int, category: str = "awareness"):
    """`callers` threads released together, each reserving one message `each` times."""
    barrier = threading.Barrier(callers)

    def caller(_):
        barrier.wait()
        return [store.credit.reserve(agency_id, category, 1) for _ in range(each)]

    with ThreadPoolExecutor(callers) as pool:
        return [d for decisions in pool.map(caller, range(callers)) for d in decisions]


def test_two_reservations_racing_for_the_last_message_one_wins(store):
    for attempt in range(15):
        agency_id = f"race{attempt}"
        add_agency(store, agency_id, credit=1)
        decisions = race(store, agency_id, callers=2, each=1)
        assert sorted(d.allowed for d in decisions) == [False, True], attempt
        assert store.credit.state(agency_id).remaining == 0
        # The winner took the last message and is the one to tell the liaison officer.
        assert [d.alerts for d in decisions if d.allowed] == [(100,)]


def test_many_callers_spend_the_credit_exactly_and_alert_once_each(store):
    add_agency(store, credit=40)
    decisions = race(store, "moi", callers=6, each=10)  # 60 asked for 40
    assert sum(d.allowed for d in decisions) == 40
    assert store.credit.state("moi").remaining == 0
    alerts = [a for d in decisions for a in d.alerts]
    assert sorted(alerts) == [80, 100]


async def test_the_liaison_officer_gets_an_sms_the_ministry_pays_for(make_pipeline, store):
    sms = FakeSender("sms")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp"), "sms": sms})
    keeper = CreditKeeper(store, pipeline.outbox)
    add_agency(store, credit=5)
    assert (await keeper.reserve("moi", "awareness", 3)).alerts == ()
    assert sms.sent == []
    eighty = await keeper.reserve("moi", "awareness", 1)
    assert (eighty.allowed, eighty.alerts) == (True, (80,))
    [notice] = rows(store, direction="out")
    assert (notice.kind, notice.channel, notice.address, notice.status) == (CREDIT_ALERT_KIND, "sms", LIAISON, "sent")
    assert "80%" in notice.text and "وزارة الداخلية" in notice.text and "Ministry of Interior" in notice.text
    with store.db.session() as s:
        entry = s.execute(select(LedgerEntry).where(LedgerEntry.message_id == notice.id)).scalar_one()
    # Internal communication, but the ministry's to the body: no agency pays, no credit is taken.
    assert (entry.category, entry.agency_id, entry.agency_share, entry.ministry_share == entry.amount) == (
        "internal", None, 0, True,
    )
    assert store.credit.state("moi").remaining == 1

    await keeper.reserve("moi", "awareness", 1)
    refused = await keeper.reserve("moi", "awareness", 1)
    assert (refused.allowed, refused.reason) == (False, CREDIT_EXHAUSTED)
    assert len(sms.sent) == 2 and "used up" in sms.sent[1].text
    records = store.credit.alerts("moi")
    assert [(r.threshold, r.remaining, r.credit_granted, r.message_id is not None) for r in records] == [
        (80, 1, 5, True), (100, 0, 5, True),
    ]


async def test_without_a_liaison_phone_the_alert_is_recorded_and_says_why(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"sms": FakeSender("sms")})
    keeper = CreditKeeper(store, pipeline.outbox)
    add_agency(store, credit=1, liaison_phone=None)
    decision = await keeper.reserve("moi", "internal", 1)
    assert decision.allowed and decision.alerts == (100,)
    [record] = store.credit.alerts("moi")
    assert (record.threshold, record.message_id, record.note) == (100, None, "no liaison phone on record")
    assert rows(store, direction="out") == []
