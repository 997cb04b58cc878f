"""Every path that writes an outbound message writes its ledger row, and a statement bills each
message the citizen got once: replies, MORE, pushes, subscription messages, fallbacks, retries,
messages given up. Real store (SQLite and PostgreSQL), the pipeline tests' channel doubles."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from billing.statements import AMMAN, Quarter, build_statement
from core.brain import Answer
from core.messages import BotReply, InboundMessage, utcnow
from routing.billing import BodyType, MessageKind
from routing.policy import Agency, RoutingPolicy
from store.models import LedgerEntry, Message
from tests.pipeline.pipeline_doubles import EchoBrain, FakeSender, not_on_whatsapp, retry_later
from tests.pipeline.pipeline_helpers import rows

RATE = Decimal("0.006842")
HALF = Decimal("0.003421")
POP = Decimal("0.07")
SUBSCRIPTION = Decimal("0.05")
ZERO = Decimal("0")
CITIZEN = "962791234567"
MOI = Agency(id="moi", body_type=BodyType.GOVERNMENT)


class CatalogBrain:
    """Answers "fee?" from the catalog (a reply with a heading, the rest behind MORE), "fee and
    documents?" with two catalog answers, anything else with "I did not understand"."""

    async def respond(self, conversation_key, message: InboundMessage, *, language=None) -> Answer:
        fee = BotReply(text="الرسوم 20 دينارا", heading="تجديد جواز السفر — الأحوال المدنية", more="الرسوم 20 دينارا، والمدة يومان")
        documents = BotReply(text="الهوية وصورة", heading="تجديد جواز السفر — الأحوال المدنية")
        if message.text == "fee?":
            return Answer(replies=[fee], intent="ask_fee", service_id="cspd.passport_renew")
        if message.text == "fee and documents?":
            return Answer(replies=[fee, documents], intent="ask_fee", service_id="cspd.passport_renew")
        return Answer(replies=[BotReply(text="لم أفهم")], intent="nlu_fallback", review_reason="low_confidence")


async def say(pipeline, channel: str, provider_id: str, text: str, address: str = CITIZEN) -> None:
    accepted = await pipeline.accept(InboundMessage(channel=channel, provider_id=provider_id, address=address, text=text))
    await pipeline.process(accepted.message_id)


def entries(store) -> list[LedgerEntry]:
    with store.db.session() as s:
        return list(s.execute(select(LedgerEntry).order_by(LedgerEntry.id)).scalars())


def this_quarter() -> Quarter:
    now = utcnow().astimezone(AMMAN)
    return Quarter(now.year, (now.month - 1) // 3 + 1)


def lines(statement) -> dict:
    return {(line.category, line.channel): (line.messages, line.segments) for line in statement.lines}


async def test_an_sms_question_answered_from_the_catalog_is_one_pop_query(make_pipeline, store):
    pipeline = make_pipeline(CatalogBrain(), {"whatsapp": FakeSender("whatsapp"), "sms": FakeSender("sms")})
    await say(pipeline, "sms", "sms-1", "fee?")
    await say(pipeline, "sms", "sms-2", "MORE")  # the rest of the same answer: no new query
    await say(pipeline, "sms", "sms-3", "blah")  # nothing supplied: the citizen pays nothing
    await say(pipeline, "sms", "sms-4", "fee and documents?")  # one question, two answers: one query
    ledger = entries(store)
    assert [(e.category, e.agency_id, e.channel, e.amount, e.ministry_share, e.citizen_share) for e in ledger] == [
        ("reply", None, "sms", RATE, RATE, POP),
        ("reply", None, "sms", RATE, RATE, ZERO),
        ("reply", None, "sms", RATE, RATE, ZERO),
        ("reply", None, "sms", RATE, RATE, POP),
        ("reply", None, "sms", RATE, RATE, ZERO),
    ]


async def test_a_whatsapp_question_costs_the_citizen_nothing(make_pipeline, store):
    pipeline = make_pipeline(CatalogBrain(), {"whatsapp": FakeSender("whatsapp"), "sms": FakeSender("sms")})
    await say(pipeline, "whatsapp", "wamid.1", "fee?")
    [entry] = entries(store)
    assert (entry.category, entry.channel, entry.amount, entry.citizen_share) == ("reply", "whatsapp", None, None)


async def test_an_alert_by_sms_is_awareness_and_free_to_the_citizen(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp"), "sms": FakeSender("sms")})
    citizen_id = store.citizens.resolve("sms", "962780000000")
    alert = await pipeline.outbox.push(citizen_id, BotReply(text="جوازك ينتهي بعد شهر"), kind="alert", agency=MOI)
    status = await pipeline.outbox.push(citizen_id, BotReply(text="طلبك جاهز"), kind="status_update", agency=MOI)
    assert alert.channel == status.channel == "sms"
    by_message = {e.message_id: e for e in entries(store)}
    alerted, asked = by_message[alert.message_ids[0]], by_message[status.message_ids[0]]
    # Both shared half and half by a government body and the ministry; neither charged to the
    # citizen: alerts are free (seed 000, item 3; issue 21).
    assert (alerted.category, alerted.agency_share, alerted.ministry_share, alerted.citizen_share) == (
        "awareness", HALF, HALF, ZERO,
    )
    assert (asked.category, asked.agency_share, asked.ministry_share, asked.citizen_share) == (
        "transaction_status", HALF, HALF, ZERO,
    )


async def test_a_push_kind_a_deployment_lists_as_a_subscription_charges_five_piasters_by_sms(make_pipeline, store):
    charging = RoutingPolicy(subscription_kinds=frozenset({"alert"}))
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp"), "sms": FakeSender("sms")}, routing=charging)
    citizen_id = store.citizens.resolve("sms", "962780000000")
    alert = await pipeline.outbox.push(citizen_id, BotReply(text="جوازك ينتهي بعد شهر"), kind="alert", agency=MOI)
    [entry] = entries(store)
    assert entry.message_id == alert.message_ids[0] and entry.citizen_share == SUBSCRIPTION


async def test_a_whatsapp_failure_then_sms_is_billed_once_by_sms(make_pipeline, store):
    wa, sms = FakeSender("whatsapp", script=[not_on_whatsapp()]), FakeSender("sms")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": wa, "sms": sms})
    await say(pipeline, "whatsapp", "wamid.1", "hello")  # opens the window, answered on WhatsApp... which fails
    assert [(r.channel, r.status) for r in rows(store, direction="out")] == [("whatsapp", "failed"), ("sms", "sent")]
    assert len(entries(store)) == 2  # each row written keeps its ledger row, for the record
    statement = build_statement(store, this_quarter())
    assert lines(statement) == {("reply", "sms"): (1, 1)}  # but only what reached the citizen is billed
    assert statement.totals.amount == Decimal("0.007")


async def test_a_retried_message_is_billed_once_and_one_given_up_not_at_all(make_pipeline, store):
    sms = FakeSender("sms", script=[retry_later(), retry_later()])
    pipeline = make_pipeline(EchoBrain(), {"sms": sms})
    citizen_id = store.citizens.resolve("sms", "962780000001")
    pushed = await pipeline.outbox.push(
        citizen_id, BotReply(text="حملة"), kind="campaign", category=MessageKind.AWARENESS, agency=MOI
    )
    for _ in range(20):
        await asyncio.sleep(0.06)
        await pipeline.outbox.flush_due()
        if rows(store, id=pushed.message_ids[0])[0].status == "sent":
            break
    assert rows(store, id=pushed.message_ids[0])[0].status == "sent" and sms.attempts == 3

    doomed = FakeSender("sms", script=[retry_later()] * 5)
    pipeline = make_pipeline(EchoBrain(), {"sms": doomed})
    other = store.citizens.resolve("sms", "962780000002")
    given_up = await pipeline.outbox.push(
        other, BotReply(text="حملة"), kind="campaign", category=MessageKind.AWARENESS, agency=MOI
    )
    for _ in range(40):
        await asyncio.sleep(0.06)
        await pipeline.outbox.flush_due()
        if rows(store, id=given_up.message_ids[0])[0].status == "failed":
            break
    assert rows(store, id=given_up.message_ids[0])[0].status == "failed"

    assert len(entries(store)) == 2  # one ledger row per message, however many attempts
    totals = store.ledger.totals(start=this_quarter().start, end=this_quarter().end, agency_id="moi")
    assert [(t.category, t.channel, t.messages, t.amount, t.agency_share) for t in totals] == [
        ("awareness", "sms", 1, RATE, HALF),
    ]


async def test_every_outbound_row_has_its_ledger_row(make_pipeline, store):
    wa, sms = FakeSender("whatsapp", script=[not_on_whatsapp()]), FakeSender("sms")
    pipeline = make_pipeline(CatalogBrain(), {"whatsapp": wa, "sms": sms})
    await say(pipeline, "whatsapp", "wamid.1", "fee?")  # a reply, its fallback
    await say(pipeline, "sms", "sms-1", "fee?")  # a POP query
    await say(pipeline, "sms", "sms-2", "MORE")  # a continuation
    citizen_id = store.citizens.resolve("sms", "962780000003")
    await pipeline.outbox.push(citizen_id, BotReply(text="x"), kind="alert", agency=MOI)  # a push
    with store.db.session() as s:
        outbound = s.execute(select(func.count()).select_from(Message).where(Message.direction == "out")).scalar_one()
        ledger = s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()
    assert outbound == ledger == 5


def test_quarters_are_jordans():
    q = Quarter.parse("2026Q4")
    assert (q.start.isoformat(), q.end.isoformat()) == ("2026-10-01T00:00:00+03:00", "2027-01-01T00:00:00+03:00")
    assert Quarter.parse("2027q1").end.isoformat() == "2027-04-01T00:00:00+03:00"
    assert q.end - q.start == timedelta(days=92)
