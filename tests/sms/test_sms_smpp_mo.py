"""MO over a real SMPP session: the SMSC (smpp34) pushes deliver_sm, our channel hands the
pipeline the message and only then answers."""

from __future__ import annotations

import asyncio
import time

import smpp34

from tests.sms.smsc import eventually

UDHI = 0x40
CITIZEN = "962791234567"


def udh8(reference: int, total: int, number: int) -> bytes:
    return bytes([5, 0, 3, reference, total, number])


def udh16(reference: int, total: int, number: int) -> bytes:
    return bytes([6, 8, 4, reference >> 8, reference & 0xFF, total, number])


def sar(reference: int, total: int, number: int) -> list:
    return [
        smpp34.Tlv(smpp34.TLV_SAR_MSG_REF_NUM, reference.to_bytes(2, "big")),
        smpp34.Tlv(smpp34.TLV_SAR_TOTAL_SEGMENTS, bytes([total])),
        smpp34.Tlv(smpp34.TLV_SAR_SEGMENT_SEQNUM, bytes([number])),
    ]


async def test_bind_is_a_transceiver_session(smsc, channel):
    await eventually(lambda: smsc.binds == 1)
    esme = smsc.esme()
    assert esme.system_id == "tawasol" and esme.can_receive
    status = channel.health()
    assert status["bound"] and status["bound_since"] and status["queue_depth"] == 0


async def test_arabic_mo_is_accepted_before_the_deliver_sm_resp(smsc, sink, channel):
    sink.accept_delay = 0.3  # a pipeline that takes its time to persist
    text = "بدي اجدد جواز السفر"
    started = time.monotonic()
    resp = await smsc.deliver(short_message=text.encode("utf-16-be"), data_coding=8, source_addr=CITIZEN)
    elapsed = time.monotonic() - started
    assert resp.command_status == 0
    assert elapsed >= 0.3  # the SMSC waited for our pipeline
    [message] = sink.accepted  # ... and when its resp came, the message was already accepted
    assert (message.channel, message.address, message.text, message.kind) == ("sms", CITIZEN, text, "text")
    assert message.raw["data_coding"] == 8 and message.provider_id.startswith("mo-")


async def test_failed_accept_answers_temporary_error_and_the_redelivery_keeps_its_id(smsc, sink, channel):
    sink.fail_next = 1
    body = "1".encode("utf-16-be")
    first = await smsc.deliver(short_message=body, data_coding=8)
    assert first.command_status == 0x64  # ESME_RX_T_APPN: the SMSC will try again
    assert sink.accepted == []
    second = await smsc.deliver(short_message=body, data_coding=8)  # the SMSC's retry
    assert second.command_status == 0
    assert len(sink.accepted) == 1
    # Once an enquire_link round trip shows the SMSC read our answer, the MO leaves the
    # redelivery memory: a genuinely new "1" from the same citizen is a new message.
    await eventually(lambda: len(channel.redelivery) == 0, timeout=2)
    third = await smsc.deliver(short_message=body, data_coding=8)
    assert third.command_status == 0
    assert len(sink.accepted) == 2
    assert sink.accepted[0].provider_id != sink.accepted[1].provider_id


async def test_redelivery_after_the_session_dropped_before_the_resp_is_deduplicated(smsc, sink, channel):
    """The pipeline persisted the MO but the connection died before our answer: the SMSC delivers
    it again on the next session, and the pipeline must see the same provider id."""
    sink.accept_delay = 0.5
    body = "أريد موعد".encode("utf-16-be")
    first = asyncio.ensure_future(smsc.deliver(short_message=body, data_coding=8))
    await eventually(lambda: channel.inbound is not None and channel.client.status().bound)
    await asyncio.sleep(0.1)
    binds_before = smsc.binds
    # Drop the session at the SMSC side while accept is still running.
    await smsc.esme().unbind()
    await asyncio.gather(first, return_exceptions=True)
    await eventually(lambda: smsc.binds > binds_before and channel.client.bound, timeout=5)
    sink.accept_delay = 0
    resp = await smsc.deliver(short_message=body, data_coding=8)
    assert resp.command_status == 0
    assert len(sink.accepted) == 1  # the redelivery was recognised as the same message


async def test_multipart_udh_mo_out_of_order_with_a_duplicate(smsc, sink, channel):
    text = "السلام عليكم، " * 8 + "أود الاستفسار عن تجديد رخصة القيادة 🚗 وشكراً"
    data = text.encode("utf-16-be")
    chunks = [data[i : i + 134] for i in range(0, len(data), 134)]
    # 134 octets per part puts a surrogate pair across a part boundary? make sure at least it stays valid
    total = len(chunks)
    assert total >= 2
    order = list(reversed(range(total))) + [0]  # last part first, and part 1 delivered twice
    for index in order:
        resp = await smsc.deliver(
            short_message=udh8(42, total, index + 1) + chunks[index], data_coding=8, esm_class=UDHI
        )
        assert resp.command_status == 0
    await eventually(lambda: len(sink.accepted) == 1)
    [message] = sink.accepted
    assert message.text == text and message.raw["parts"] == total
    assert "incomplete" not in message.raw


async def test_emoji_split_across_parts_by_the_sender_is_rejoined(smsc, sink, channel):
    text = "a" * 66 + "😀" + "b"  # 69 UTF-16 units
    data = text.encode("utf-16-be")
    first, second = data[:134], data[134:]  # cuts the emoji's surrogate pair in half
    await smsc.deliver(short_message=udh16(0xBEEF, 2, 1) + first, data_coding=8, esm_class=UDHI)
    await smsc.deliver(short_message=udh16(0xBEEF, 2, 2) + second, data_coding=8, esm_class=UDHI)
    await eventually(lambda: len(sink.accepted) == 1)
    assert sink.accepted[0].text == text


async def test_multipart_sar_mo(smsc, sink, channel):
    parts = ["مرحبا، ", "أين أقرب ", "مكتب أحوال؟"]
    for number, part in enumerate(parts, start=1):
        resp = await smsc.deliver(
            short_message=part.encode("utf-16-be"), data_coding=8, tlvs=sar(0x1234, 3, number)
        )
        assert resp.command_status == 0
    await eventually(lambda: len(sink.accepted) == 1)
    assert sink.accepted[0].text == "".join(parts)


async def test_gsm_mo_and_message_payload(smsc, sink, channel):
    await smsc.deliver(short_message=b"Fees \x1b\x65 20 \x1b\x3cok\x1b\x3e", data_coding=0)
    await smsc.deliver(
        data_coding=8, tlvs=[smpp34.Tlv(smpp34.TLV_MESSAGE_PAYLOAD, "نص طويل في الحمولة".encode("utf-16-be"))]
    )
    await eventually(lambda: len(sink.accepted) == 2)
    assert [m.text for m in sink.accepted] == ["Fees € 20 [ok]", "نص طويل في الحمولة"]


async def test_national_source_address_becomes_international(smsc, sink, channel):
    await smsc.deliver(short_message=b"hi", data_coding=0, source_addr="0791234567", source_addr_ton=2)
    await eventually(lambda: len(sink.accepted) == 1)
    assert sink.accepted[0].address == "962791234567"


async def test_incomplete_message_is_handed_over_after_the_timeout(smsc, sink, channel_factory):
    channel = await channel_factory(smsc.port, sink, reassembly_timeout_s=0.4)
    for number, chunk in ((1, "الجزء الأول "), (3, " الجزء الثالث")):
        await smsc.deliver(
            short_message=udh8(7, 3, number) + chunk.encode("utf-16-be"), data_coding=8, esm_class=UDHI
        )
    assert sink.accepted == []
    await eventually(lambda: len(sink.accepted) == 1, timeout=3)
    message = sink.accepted[0]
    assert message.raw["incomplete"] is True and message.raw["missing_parts"] == [2]
    assert message.text.startswith("الجزء الأول") and message.text.endswith("الجزء الثالث")
    assert "…" in message.text
    assert channel.health()["inbound_waiting"] == 0


async def test_multipart_accept_failure_asks_again_for_the_last_part_only(smsc, sink, channel):
    halves = ["الجزء الأول من الرسالة، ", "والجزء الثاني منها"]
    first = await smsc.deliver(
        short_message=udh8(9, 2, 1) + halves[0].encode("utf-16-be"), data_coding=8, esm_class=UDHI
    )
    assert first.command_status == 0  # a part that does not complete the message: answered at once
    sink.fail_next = 1
    last = await smsc.deliver(
        short_message=udh8(9, 2, 2) + halves[1].encode("utf-16-be"), data_coding=8, esm_class=UDHI
    )
    assert last.command_status == 0x64 and sink.accepted == []
    again = await smsc.deliver(  # the SMSC redelivers only what it was refused
        short_message=udh8(9, 2, 2) + halves[1].encode("utf-16-be"), data_coding=8, esm_class=UDHI
    )
    assert again.command_status == 0
    assert [m.text for m in sink.accepted] == ["".join(halves)]
