"""accept(): persist once, enqueue once, link channels to one citizen, reject what can't be stored."""

from __future__ import annotations

import asyncio

import pytest

from core.messages import InboundMessage
from core.messages import InvalidMessage
from pipeline_doubles import EchoBrain, FakeSender
from pipeline_helpers import eventually, rows, running

ADDRESS = "962791234567"


def text(channel: str, provider_id: str, body: str = "مرحبا", address: str = ADDRESS) -> InboundMessage:
    return InboundMessage(channel=channel, provider_id=provider_id, address=address, text=body)


async def test_a_hundred_redeliveries_are_stored_once_and_answered_once(make_pipeline, store):
    brain, whatsapp = EchoBrain(), FakeSender("whatsapp")
    pipeline = make_pipeline(brain, {"whatsapp": whatsapp})
    results = await asyncio.gather(*(pipeline.accept(text("whatsapp", "wamid.SAME")) for _ in range(100)))

    assert len({r.message_id for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1
    async with running(pipeline, workers=2):
        await eventually(lambda: whatsapp.texts)
        await asyncio.sleep(0.1)  # time for any stray second answer to show up
    assert len(rows(store, direction="in")) == 1
    assert len(brain.calls) == 1
    assert whatsapp.texts == ["echo: مرحبا"]


async def test_a_redelivery_after_the_dedupe_key_expired_is_caught_by_the_database(
    make_pipeline, store, coordination_factory
):
    pipeline = make_pipeline(EchoBrain(), {"sms": FakeSender("sms")})
    first = await pipeline.accept(text("sms", "smsc-77"))
    # Days later the fast dedupe key is gone (another process, Redis flushed, TTL over).
    later = make_pipeline(EchoBrain(), {"sms": FakeSender("sms")}, coordination=coordination_factory(new_process=True))
    if later.coordination.shared:
        await later.coordination.redis.delete(f"{later.coordination.prefix}:dedupe:in:sms:smsc-77")
    again = await later.accept(text("sms", "smsc-77"))

    assert again.duplicate and again.message_id == first.message_id
    assert len(rows(store, direction="in")) == 1


async def test_whatsapp_and_sms_from_one_number_reach_the_brain_as_one_citizen(make_pipeline, store):
    brain = EchoBrain()
    pipeline = make_pipeline(brain, {"whatsapp": FakeSender("whatsapp"), "sms": FakeSender("sms")})
    on_whatsapp = await pipeline.accept(text("whatsapp", "wamid.1", "bde ajaded jawaz"))
    on_sms = await pipeline.accept(text("sms", "smsc-1", "كم رسوم الجواز"))
    other = await pipeline.accept(text("sms", "smsc-2", "hi", address="962781111111"))
    for result in (on_whatsapp, on_sms, other):
        await pipeline.process(result.message_id)

    keys = [call.conversation_key for call in brain.calls]
    assert keys[0] == keys[1] != keys[2]
    [in_whatsapp, in_sms, _] = rows(store, direction="in")
    assert in_whatsapp.citizen_id == in_sms.citizen_id


async def test_accept_normalises_the_address_and_refuses_bad_input(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {})
    result = await pipeline.accept(text("whatsapp", "wamid.9", address="+962 79 123 4567"))
    assert rows(store, id=result.message_id)[0].address == "962791234567"

    with pytest.raises(InvalidMessage, match="provider_id"):
        await pipeline.accept(text("whatsapp", ""))
    with pytest.raises(InvalidMessage, match="address"):
        await pipeline.accept(text("web", "w-1", address="not-a-number"))
    assert len(rows(store)) == 1  # nothing stored for the bad ones, the good one kept


async def test_a_whatsapp_user_id_is_an_address_but_a_short_number_is_not(make_pipeline, store):
    """Citizens who show a WhatsApp username come with a business-scoped user id instead of a number
    (channels/whatsapp/parse.py): they are answered, not refused."""
    pipeline = make_pipeline(EchoBrain(), {})
    result = await pipeline.accept(text("whatsapp", "wamid.u1", address="JO.1234567890"))
    assert rows(store, id=result.message_id)[0].address == "JO.1234567890"
    for bad in ("12", "JO.", "jo.123", "JO.12345678901234567890123456789012"):
        with pytest.raises(InvalidMessage, match="address"):
            await pipeline.accept(text("whatsapp", f"wamid.{bad}", address=bad))


async def test_accepted_messages_get_a_received_timeline_event(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp")})
    result = await pipeline.accept(text("whatsapp", "wamid.1"))
    assert [e.status for e in store.statuses.timeline(result.message_id)] == ["received"]
    await pipeline.process(result.message_id)
    assert [e.status for e in store.statuses.timeline(result.message_id)] == ["received", "answered"]
    [reply] = rows(store, direction="out")
    assert [e.status for e in store.statuses.timeline(reply.id)] == ["queued", "sent"]
    assert reply.provider_id == "whatsapp-1" and reply.reply_to_id == result.message_id


async def test_text_over_whatsapps_limit_is_cut_before_it_is_stored_or_understood(make_pipeline, store):
    """70,000 characters (an SMS of many parts, a hostile webhook): the first 4,096 are stored and
    reach the brain; the original length is noted on the message."""
    from core.messages import MAX_TEXT_CHARS, TEXT_CUT

    brain = EchoBrain()
    pipeline = make_pipeline(brain, {"sms": FakeSender("sms")})
    long_text = "جواز " * 14_000
    result = await pipeline.accept(text("sms", "smsc-long", long_text))
    await pipeline.process(result.message_id)

    [row] = rows(store, direction="in")
    assert row.text == long_text[:MAX_TEXT_CHARS]
    assert row.raw[TEXT_CUT] == {"original_chars": 70_000, "kept_chars": MAX_TEXT_CHARS}
    assert [len(call.message.text) for call in brain.calls] == [MAX_TEXT_CHARS]
    short = await pipeline.accept(text("sms", "smsc-short", "x" * MAX_TEXT_CHARS))
    assert TEXT_CUT not in (rows(store, id=short.message_id)[0].raw or {})
