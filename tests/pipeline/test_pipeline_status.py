"""record_status(): provider statuses onto the timeline; unknown ids are reported, not fatal."""

from __future__ import annotations

import asyncio

from core.messages import InboundMessage, StatusUpdate, Verdict
from core.brain import Answer
from store.outbound import NewOutbound
from pipeline_doubles import EchoBrain, FakeSender
from pipeline_helpers import rows

ADDRESS = "962791234567"


async def answered_once(pipeline, channel: str = "whatsapp") -> int:
    accepted = await pipeline.accept(InboundMessage(channel=channel, provider_id="in-1", address=ADDRESS, text="x"))
    await pipeline.process(accepted.message_id)
    return accepted.message_id


async def test_statuses_are_recorded_in_order_of_progress(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp")})
    await answered_once(pipeline)
    [reply] = rows(store, direction="out")

    for status in ("delivered", "read", "delivered"):  # the last one is a late redelivery
        assert await pipeline.record_status(StatusUpdate("whatsapp", reply.provider_id, status))
    [reply] = rows(store, direction="out")
    assert reply.status == "read"
    assert [e.status for e in store.statuses.timeline(reply.id)] == ["queued", "sent", "delivered", "read"]


async def test_failed_status_keeps_the_error(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp"), "sms": FakeSender("sms")})
    await answered_once(pipeline)
    [reply] = rows(store, direction="out")
    update = StatusUpdate("whatsapp", reply.provider_id, "failed", error_code="131000",
                          error_title="Something went wrong", verdict=Verdict.FAILED)
    assert await pipeline.record_status(update)
    last = store.statuses.timeline(reply.id)[-1]
    assert (last.status, last.error_code) == ("failed", "131000")
    assert rows(store, direction="out")[0].status == "failed"
    await pipeline.drain()
    assert len(rows(store, direction="out")) == 1  # a plain failure is not a reason to try SMS


async def test_unknown_message_returns_false_and_logs(make_pipeline, caplog):
    pipeline = make_pipeline(EchoBrain(), {})
    assert await pipeline.record_status(StatusUpdate("sms", "no-such-id", "delivered")) is False
    assert any("status for unknown message" in r.getMessage() for r in caplog.records)


async def test_sms_receipt_ids_match_in_hex_or_decimal(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"sms": FakeSender("sms")})
    citizen_id = store.citizens.resolve("sms", ADDRESS)
    ids = store.outbound.add([NewOutbound(citizen_id=citizen_id, channel="sms", address=ADDRESS, text="t")])
    store.outbound.mark_sent(ids[0], "1234567890")  # decimal in submit_sm_resp
    # hex in the receipt; the SMS channel names the other spellings (channels/sms/receipts.id_variants)
    receipt = StatusUpdate("sms", "499602d2", "delivered", aliases=("1234567890",))
    assert await pipeline.record_status(receipt)
    assert rows(store, id=ids[0])[0].status == "delivered"
    assert not await pipeline.record_status(StatusUpdate("sms", "499602d2", "read"))  # no alias: not ours


async def test_a_status_racing_ahead_of_our_own_bookkeeping_is_still_recorded(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp")})
    citizen_id = store.citizens.resolve("whatsapp", ADDRESS)
    [out_id] = store.outbound.add(
        [NewOutbound(citizen_id=citizen_id, channel="whatsapp", address=ADDRESS, text="t")]
    )

    async def mark_sent_a_moment_later():
        await asyncio.sleep(0.02)
        await asyncio.to_thread(store.outbound.mark_sent, out_id, "wamid.fast")

    recorded, _ = await asyncio.gather(
        pipeline.record_status(StatusUpdate("whatsapp", "wamid.fast", "delivered")), mark_sent_a_moment_later()
    )
    assert recorded is True
    assert rows(store, id=out_id)[0].status == "delivered"


