"""What the router decides, as the pipeline stores it: each outbound row's route and its ledger entry
(who pays), written with the row; a fallback row says why it moved."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from channels.base import Rendered
from core.messages import BotReply, InboundMessage, StatusUpdate, Verdict
from routing.billing import BodyType, MessageKind
from routing.policy import Agency
from store.models import LedgerEntry, Message
from pipeline_doubles import EchoBrain, FakeSender, not_on_whatsapp, outside_window
from pipeline_helpers import rows

ADDRESS = "962791234567"
SMS_ONLY = "962780000000"
RATE = Decimal("0.006842")  # seed 000: one message costs 0.006842 JOD
ZERO = Decimal("0")
INDEPENDENT_BODY = Agency(id="jtrc", body_type=BodyType.INDEPENDENT)
GOVERNMENT_BODY = Agency(id="moi", body_type=BodyType.GOVERNMENT)


class TwoPartSms(FakeSender):
    """An SMS channel whose every message is two concatenated segments."""

    def render(self, reply: BotReply, address: str, *, free_form: bool = True) -> list[Rendered]:
        return [Rendered(self.name, address, reply.text, body={"text": reply.text}, segments=2)]


async def say(pipeline, channel: str, provider_id: str, text: str = "سؤال", address: str = ADDRESS) -> int:
    accepted = await pipeline.accept(InboundMessage(channel=channel, provider_id=provider_id, address=address, text=text))
    await pipeline.process(accepted.message_id)
    return accepted.message_id


def ledger(store, message_id: int) -> tuple:
    entry = store.outbound.ledger(message_id)
    return (
        entry.category, entry.agency_id, entry.channel, entry.segments, entry.unit_cost, entry.amount,
        entry.agency_share, entry.ministry_share, entry.citizen_share,
    )


def ledger_count(store) -> int:
    with store.db.session() as s:
        return s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()


async def test_an_sms_reply_is_the_ministrys_and_says_why_it_went_there(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp"), "sms": FakeSender("sms")})
    await say(pipeline, "sms", "sms-1")
    [reply] = rows(store, direction="out")
    assert (reply.channel, reply.route_reason, reply.route_cause, reply.cost) == (
        "sms", "reply_on_inbound_channel", None, RATE,
    )
    assert ledger(store, reply.id) == ("reply", None, "sms", 1, RATE, RATE, ZERO, RATE, ZERO)


async def test_a_whatsapp_reply_is_recorded_unpriced(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp"), "sms": FakeSender("sms")})
    await say(pipeline, "whatsapp", "wamid.1")
    [reply] = rows(store, direction="out")
    assert (reply.route_reason, reply.cost) == ("reply_on_inbound_channel", None)
    # Meta bills WhatsApp per conversation, outside the SMS rules: the category, no amounts.
    assert ledger(store, reply.id) == ("reply", None, "whatsapp", 1, None, None, None, None, None)


@pytest.mark.parametrize(
    "agency, sms, expected",
    [
        # An independent body pays the whole 0.006842 JOD.
        (INDEPENDENT_BODY, FakeSender("sms"), ("awareness", "jtrc", "sms", 1, RATE, RATE, RATE, ZERO, ZERO)),
        # A government body pays half of an awareness message, the ministry the other half: 0.003421 each.
        (GOVERNMENT_BODY, FakeSender("sms"),
         ("awareness", "moi", "sms", 1, RATE, RATE, Decimal("0.003421"), Decimal("0.003421"), ZERO)),
        # Two segments are two messages: 0.013684 JOD, 0.006842 each.
        (GOVERNMENT_BODY, TwoPartSms("sms"),
         ("awareness", "moi", "sms", 2, RATE, Decimal("0.013684"), RATE, RATE, ZERO)),
    ],
)
async def test_an_awareness_push_is_billed_to_its_body(make_pipeline, store, agency, sms, expected):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp"), "sms": sms})
    citizen_id = store.citizens.resolve("sms", SMS_ONLY)
    result = await pipeline.outbox.push(
        citizen_id, BotReply(text="حملة التطعيم"), kind="campaign", category=MessageKind.AWARENESS, agency=agency
    )
    assert (result.channel, result.reason) == ("sms", "no_whatsapp_identity")
    [row] = rows(store, direction="out")
    assert (row.kind, row.route_reason, row.cost) == ("campaign", "no_whatsapp_identity", expected[5])
    assert ledger(store, row.id) == expected


async def test_a_push_kind_without_a_category_is_refused_before_anything_is_stored(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"sms": FakeSender("sms")})
    citizen_id = store.citizens.resolve("sms", SMS_ONLY)
    with pytest.raises(ValueError, match="campaign"):
        await pipeline.outbox.push(citizen_id, BotReply(text="x"), kind="campaign")
    assert rows(store, direction="out") == [] and ledger_count(store) == 0


async def test_a_fallback_row_records_why_it_moved_and_is_billed_alike(make_pipeline, store):
    wa, sms = FakeSender("whatsapp", script=[not_on_whatsapp()]), FakeSender("sms")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": wa, "sms": sms})
    await say(pipeline, "whatsapp", "wamid.1", "hello")
    failed, moved = rows(store, direction="out")
    assert (failed.channel, failed.status, failed.route_reason) == ("whatsapp", "failed", "reply_on_inbound_channel")
    assert (moved.channel, moved.status, moved.route_reason, moved.route_cause) == (
        "sms", "sent", "fallback_after_failure", "not_on_this_channel",
    )
    assert ledger(store, failed.id)[:3] == ("reply", None, "whatsapp")
    assert ledger(store, moved.id) == ("reply", None, "sms", 1, RATE, RATE, ZERO, RATE, ZERO)


async def test_outside_the_window_the_fallback_says_so(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp", script=[outside_window()]), "sms": FakeSender("sms")})
    await say(pipeline, "whatsapp", "wamid.1")
    moved = rows(store, channel="sms", direction="out")[0]
    assert (moved.route_reason, moved.route_cause) == ("fallback_after_failure", "try_another_channel")


async def test_a_status_webhook_fallback_of_a_push_keeps_its_payer(make_pipeline, store):
    wa, sms = FakeSender("whatsapp"), FakeSender("sms")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": wa, "sms": sms})
    await say(pipeline, "whatsapp", "wamid.1")  # opens the window
    citizen_id = rows(store)[0].citizen_id
    push = await pipeline.outbox.push(
        citizen_id, BotReply(text="طلبك جاهز"), kind="status_update", agency=GOVERNMENT_BODY
    )
    assert (push.channel, push.reason) == ("whatsapp", "whatsapp_window_open")
    [pushed] = rows(store, id=push.message_ids[0])
    assert ledger(store, pushed.id)[:3] == ("transaction_status", "moi", "whatsapp")

    failure = StatusUpdate(channel="whatsapp", provider_id=pushed.provider_id, status="failed", error_code="131026",
                           verdict=Verdict.NOT_ON_THIS_CHANNEL)
    assert await pipeline.record_status(failure)
    await pipeline.drain()
    [moved] = rows(store, channel="sms", direction="out")
    assert (moved.kind, moved.reply_key, moved.route_reason, moved.route_cause) == (
        "status_update", pushed.reply_key, "fallback_after_failure", "not_on_this_channel",
    )
    assert ledger(store, moved.id) == (
        "transaction_status", "moi", "sms", 1, RATE, RATE, Decimal("0.003421"), Decimal("0.003421"), ZERO,
    )
    assert sms.texts == ["طلبك جاهز"]


async def test_every_outbound_row_has_its_ledger_entry(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp"), "sms": FakeSender("sms")})
    await say(pipeline, "whatsapp", "wamid.1")
    await say(pipeline, "sms", "sms-1")
    with store.db.session() as s:
        outbound = s.execute(select(func.count()).select_from(Message).where(Message.direction == "out")).scalar_one()
    assert outbound == ledger_count(store) == 2


async def test_a_push_moves_on_after_any_whatsapp_failure_and_an_answer_does_not(make_pipeline, store):
    from channels.base import SendOutcome
    from pipeline_doubles import retry_later

    refused = SendOutcome(Verdict.FAILED, error_code="131009", error_title="Parameter value is not valid")
    wa, sms = FakeSender("whatsapp", script=[refused] + [retry_later() for _ in range(5)]), FakeSender("sms")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": wa, "sms": sms})
    await say(pipeline, "whatsapp", "wamid.1")  # opens the window; the answer goes (and fails: FAILED)
    citizen_id = rows(store)[0].citizen_id
    assert sms.texts == []  # an answer that failed plainly is not sent again by SMS
    first = await pipeline.outbox.push(citizen_id, BotReply(text="خطوة 1"), kind="status_update", agency=GOVERNMENT_BODY)
    assert first.channel == "whatsapp"
    for _ in range(10):  # the retries come due
        await pipeline.outbox.flush_due(queued_grace_s=0)
        if sms.texts:
            break
        await asyncio.sleep(0.02)
    assert sms.texts == ["خطوة 1"]
    [moved] = rows(store, channel="sms", direction="out")
    assert (moved.route_reason, moved.route_cause) == ("fallback_after_failure", "gave_up")


async def test_the_routers_sender_reaches_the_channel(make_pipeline, store):
    sms = FakeSender("sms")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp"), "sms": sms})
    citizen_id = store.citizens.resolve("sms", SMS_ONLY)
    agency = Agency(id="cspd", body_type=BodyType.GOVERNMENT, sender_ids={"sms": "CSPD"})
    await pipeline.outbox.push(citizen_id, BotReply(text="x"), kind="status_update", agency=agency)
    [sent] = sms.sent
    assert sent.sender == "CSPD"
    assert rows(store, direction="out")[0].sender == "CSPD"
