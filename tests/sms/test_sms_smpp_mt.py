"""MT over a real SMPP session: what the SMSC (smpp34) receives, and receipts coming back."""

from __future__ import annotations

import asyncio
import logging

import smpp34
import smpplib.gsm

from core.messages import STATUS_DELIVERED, STATUS_FAILED, STATUS_SENT, BotReply
from channels.base import Rendered
from tests.sms.smsc import concat_info, eventually, reassemble

CITIZEN = "962791234567"


def sms(text: str, address: str = CITIZEN, **body) -> Rendered:
    return Rendered(channel="sms", address=address, text=text, body={"text": text, **body})


async def test_arabic_multipart_mt_reassembles_to_the_exact_text(smsc, channel):
    text = "عزيزي المواطن، تم استلام طلب تجديد جواز السفر رقم ١٢٣٤٥ وسيكون جاهزاً للاستلام خلال يوم عمل واحد من دائرة الأحوال المدنية والجوازات في عمّان. " * 2
    outcome = await channel.sender.send(sms(text, udh_ref=77))
    assert outcome.ok
    parts = smsc.accepted
    assert len(parts) >= 3
    assert outcome.provider_id == parts[0].message_id
    assert {concat_info(p)[0] for p in parts} == {77}
    assert all(p.data_coding == 8 and p.esm_class == 0x40 for p in parts)
    assert all(len(p.short_message) <= 140 for p in parts)
    assert reassemble(parts) == [text]


async def test_addresses_and_receipt_request_on_every_part(smsc, channel):
    await channel.sender.send(sms("x" * 200))
    for part in smsc.accepted:
        assert (part.source_addr, part.source_addr_ton, part.source_addr_npi) == ("94444", 3, 0)
        assert (part.destination_addr, part.dest_addr_ton, part.dest_addr_npi) == (CITIZEN, 1, 1)
        assert part.registered_delivery == 1


async def test_emoji_are_never_split_across_parts(smsc, channel):
    text = "ا" * 66 + "😀🇯🇴" + "ب" * 80 + "👍"
    assert (await channel.sender.send(sms(text))).ok
    # decode_part_text decodes each part strictly on its own: a cut surrogate pair would raise.
    assert reassemble(smsc.accepted) == [text]


async def test_gsm_text_with_euro_and_brackets(smsc, channel):
    single = "Fee: 20€ [cash] {card} ~ok|\\^"
    long = ("Renewal fee 20€ [passport] " * 8).strip()
    assert (await channel.sender.send(sms(single))).ok
    assert (await channel.sender.send(sms(long, address="962781111111"))).ok
    assert all(p.data_coding == 0 for p in smsc.accepted)
    assert smsc.accepted[0].short_message == smpplib.gsm.gsm_encode(single)  # smpplib as the oracle
    assert sorted(reassemble(smsc.accepted)) == sorted([single, long])
    # No part of the long one ends on a bare escape.
    assert not any(p.short_message.endswith(b"\x1b") for p in smsc.accepted)


async def test_rendered_reply_goes_out_as_rendered(smsc, channel):
    [rendered] = channel.render(BotReply(text="مرحباً بك في تواصل", language="ar"), CITIZEN)
    outcome = await channel.sender.send(rendered)
    assert outcome.ok and reassemble(smsc.accepted) == [rendered.text]


async def test_smsc_error_fails_the_message_with_its_status(smsc, channel):
    smsc.decide = lambda submit, n: ("reject", 0x0B)  # ESME_RINVDSTADR
    outcome = await channel.sender.send(sms("hello"))
    assert not outcome.ok
    assert outcome.error_code == "ESME_RINVDSTADR" and outcome.retry_after is None
    smsc.decide = lambda submit, n: ("reject", 0x08)  # ESME_RSYSERR: try again later
    outcome = await channel.sender.send(sms("hello"))
    assert outcome.error_code == "ESME_RSYSERR" and outcome.retry_after == 1.0


async def test_invalid_address_is_refused_without_touching_the_smsc(smsc, channel):
    outcome = await channel.sender.send(sms("hi", address="+96279"))
    assert not outcome.ok and outcome.error_code == "invalid_address"
    assert smsc.submits == []


async def test_tps_cap_is_honoured(smsc, sink, channel_factory):
    channel = await channel_factory(smsc.port, sink, tps=40.0)
    await asyncio.gather(*(channel.sender.send(sms(f"m{i}")) for i in range(30)))
    times = sorted(s.at for s in smsc.accepted)
    assert len(times) == 30
    span = times[-1] - times[0]
    assert span >= 29 / 40 * 0.9  # 30 segments at 40/s take at least ~0.7 s
    # no one-second window holds more than 40
    assert max(sum(1 for t in times if start <= t < start + 1.0) for start in times) <= 40


# ---------------------------------------------------------------- delivery receipts


def receipt_text(message_id: str, stat: str, err: str = "000") -> bytes:
    return (
        f"id:{message_id} sub:001 dlvrd:001 submit date:2611221015 done date:2611221016 "
        f"stat:{stat} err:{err} text:"
    ).encode("ascii")


async def test_text_receipt_with_hex_id_reaches_the_pipeline_as_delivered(smsc, sink, channel):
    smsc.decide = lambda submit, n: ("accept", str(7340032 + n))  # decimal ids in submit_sm_resp
    outcome = await channel.sender.send(sms("hello"))
    sink.known_ids = {outcome.provider_id}  # the pipeline knows the message by the decimal id
    hex_id = format(int(outcome.provider_id), "x")
    resp = await smsc.deliver(esm_class=0x04, short_message=receipt_text(hex_id, "DELIVRD"))
    assert resp.command_status == 0
    await eventually(lambda: len(sink.statuses) == 1)
    [update] = sink.statuses
    assert (update.provider_id, update.status, update.channel) == (hex_id, STATUS_DELIVERED, "sms")
    assert outcome.provider_id in update.aliases  # the decimal spelling the pipeline knows it by
    assert sink.status_calls == [hex_id]  # one call: the pipeline matches any spelling


async def test_tlv_receipt_failure_carries_the_state_as_error_code(smsc, sink, channel):
    outcome = await channel.sender.send(sms("hello"))
    resp = await smsc.deliver(
        esm_class=0x04,
        short_message=b"",
        tlvs=[
            smpp34.Tlv(smpp34.TLV_RECEIPTED_MESSAGE_ID, outcome.provider_id.encode() + b"\x00"),
            smpp34.Tlv(smpp34.TLV_MESSAGE_STATE, bytes([5])),  # UNDELIVERABLE
        ],
    )
    assert resp.command_status == 0
    await eventually(lambda: len(sink.statuses) == 1)
    update = sink.statuses[0]
    assert (update.provider_id, update.status, update.error_code) == (outcome.provider_id, STATUS_FAILED, "UNDELIV")


async def test_multipart_receipts_become_one_delivered(smsc, sink, channel):
    outcome = await channel.sender.send(sms("ب" * 150))  # 3 parts
    ids = [p.message_id for p in smsc.accepted]
    assert len(ids) == 3 and outcome.provider_id == ids[0]
    for message_id in ids[::-1]:
        await smsc.deliver(esm_class=0x04, short_message=receipt_text(message_id, "ACCEPTD"))
        await smsc.deliver(esm_class=0x04, short_message=receipt_text(message_id, "DELIVRD"))
    await eventually(lambda: any(s.status == STATUS_DELIVERED for s in sink.statuses))
    assert [(s.provider_id, s.status) for s in sink.statuses] == [
        (outcome.provider_id, STATUS_SENT),
        (outcome.provider_id, STATUS_DELIVERED),
    ]


async def test_receipt_for_an_unknown_message_is_answered_and_logged(smsc, sink, channel, caplog):
    caplog.set_level(logging.INFO, logger="channels.sms.inbound")
    sink.known_ids = set()
    resp = await smsc.deliver(esm_class=0x04, short_message=receipt_text("deadbeef", "DELIVRD"))
    assert resp.command_status == 0  # answered after the pipeline said "unknown": not fatal
    assert "receipt for unknown message" in caplog.text
    assert sink.status_calls == ["deadbeef"]  # once, with the other spellings as aliases
    assert sink.statuses == []


async def test_message_queue_full_is_retried_like_throttling(smsc, channel):
    smsc.decide = lambda submit, n: ("reject", 0x14) if n < 3 else ("accept", f"ok-{n}")  # ESME_RMSGQFUL
    outcome = await channel.sender.send(sms("ب" * 100))  # 2 parts
    assert outcome.ok
    assert [s.command_status for s in smsc.submits[:3]] == [0x14] * 3
    assert reassemble(smsc.accepted) == ["ب" * 100]
    assert channel.health()["throttled"] == 3
