"""Property tests of inbound SMS: whatever an SMSC sends (any data coding, any bytes, UDH and SAR
concatenation with missing, repeated or impossible parts, truncated PDUs, receipts with odd text),
nothing raises out of our handling; each deliver_sm is decoded or refused with a log line, and
answered exactly once, as SMPP requires.

The sink in these tests applies the pipeline's own admission rule (`pipeline.pipeline._validated`:
an alphanumeric or empty sender is refused with InvalidMessage), so refusals take the real path.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct

import smpplib.client
import smpplib.consts as C
import smpplib.smpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.sms import decoding, gsm7
from channels.sms.config import SmsConfig
from channels.sms.deliver_sm import AckToken, DeliverAck, DeliverSm
from channels.sms.delivery_tracking import DeliveryTracker
from channels.sms.inbound import ESME_ROK, InboundProcessor
from channels.sms.mo_identity import RedeliveryMemory
from channels.sms.reassembly import Reassembler
from channels.sms.smpp_session import SmppSession
from channels.sms.udh import ESM_CLASS_UDHI, find_concatenation, split_header
from core.messages import InboundMessage, StatusUpdate
from pipeline.pipeline import _validated

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
GSM_TEXT = st.text(alphabet=st.sampled_from([c for c in gsm7._BASIC if c != "\x1b"] + list(gsm7._EXTENSION.values())), max_size=160)
ANY_CODING = st.integers(min_value=0, max_value=255)


# --- decoding ------------------------------------------------------------------------------------


@SETTINGS
@given(st.binary(max_size=300), ANY_CODING)
def test_any_bytes_in_any_coding_decode_to_text_without_raising(data, data_coding):
    decoded = decoding.decode(data, data_coding)
    assert isinstance(decoded.text, str) and isinstance(decoded.exact, bool)
    decoded.text.encode("utf-8", errors="surrogatepass")  # storable


@SETTINGS
@given(GSM_TEXT)
def test_gsm7_with_escapes_and_the_extension_table_round_trips(text):
    assert decoding.decode(gsm7.encode(text), decoding.DC_DEFAULT) == decoding.DecodedText(text, True)


@SETTINGS
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=70))
def test_ucs2_round_trips_whole_characters_including_emoji(text):
    assert decoding.decode(text.encode("utf-16-be"), decoding.DC_UCS2) == decoding.DecodedText(text, True)


@SETTINGS
@given(st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=140))
def test_latin1_round_trips(text):
    assert decoding.decode(text.encode("latin-1"), decoding.DC_LATIN1) == decoding.DecodedText(text, True)


@SETTINGS
@given(st.binary(min_size=1, max_size=200))
def test_an_odd_or_broken_ucs2_payload_is_marked_inexact_not_raised(data):
    decoded = decoding.decode(data, decoding.DC_UCS2)
    if len(data) % 2:
        assert decoded.exact is False


def test_unknown_codings_are_decoded_best_effort_with_a_log_line_naming_them(caplog):
    unknown = [c for c in range(256) if c > 8 and decoding._alphabet_from_scheme(c) is None] + [0x02, 0x04, 0x05, 0x06, 0x07]
    with caplog.at_level(logging.WARNING, logger="channels.sms.decoding"):
        for coding in unknown:
            assert decoding.decode(b"\xd9\x86\xff", coding).exact is False
    named = {r.data_coding for r in caplog.records if "unsupported data_coding" in r.getMessage()}
    assert named == {f"0x{c:02x}" for c in unknown}


# --- user data headers ---------------------------------------------------------------------------


@SETTINGS
@given(st.binary(max_size=40))
def test_any_udh_bytes_are_split_or_refused_and_never_give_an_impossible_part(data):
    try:
        header, payload = split_header(data)
    except ValueError:
        assert not data or data[0] + 1 > len(data)
        return
    assert header + payload == data
    concat = find_concatenation(header)
    if concat is not None:
        assert 1 <= concat.number <= concat.total and concat.reference_bits in (8, 16)


# --- whole deliver_sm, through the inbound handler -------------------------------------------------


class AdmittingSink:
    """Accepts what the pipeline would accept, refuses (InvalidMessage) what it would refuse."""

    def __init__(self) -> None:
        self.messages: list[InboundMessage] = []
        self.statuses: list[StatusUpdate] = []

    async def accept(self, message: InboundMessage) -> None:
        self.messages.append(_validated(message))

    async def record_status(self, update: StatusUpdate) -> bool:
        self.statuses.append(update)
        return False  # no message of ours has this id: the pipeline says "unknown"


def udh(reference: int, total: int, number: int, bits: int) -> bytes:
    if bits == 8:
        return bytes((5, 0x00, 3, reference & 0xFF, total, number))
    return bytes((6, 0x08, 4, reference >> 8 & 0xFF, reference & 0xFF, total, number))


@st.composite
def deliver_sm(draw) -> DeliverSm:
    source = draw(st.one_of(st.just("962791234567"), st.just("0791234567"), st.text(max_size=21)))
    coding = draw(st.one_of(st.sampled_from([0, 1, 3, 8, 0x18, 0xF0]), ANY_CODING))
    text = draw(st.binary(max_size=160))
    esm_class = 0
    fields: dict = {}
    shape = draw(st.sampled_from(["single", "udh", "udh-truncated", "sar", "receipt", "payload"]))
    if shape in ("udh", "sar"):
        total = draw(st.integers(0, 4))
        number = draw(st.integers(0, 5))  # out of range sometimes: 0, or past the total
        reference = draw(st.integers(0, 3))
        if shape == "udh":
            esm_class = ESM_CLASS_UDHI
            text = udh(reference, total, number, draw(st.sampled_from([8, 16]))) + text
        else:
            fields = {"sar_msg_ref_num": reference, "sar_total_segments": total, "sar_segment_seqnum": number}
    elif shape == "udh-truncated":
        esm_class = ESM_CLASS_UDHI
        text = udh(1, 2, 1, 8)[: draw(st.integers(0, 5))]
    elif shape == "receipt":
        esm_class = 0x04
        text = draw(
            st.one_of(
                st.binary(max_size=120),
                st.builds(
                    lambda i, stat, err: f"id:{i} sub:001 dlvrd:001 submit date:2612071200 done date:2612071201 stat:{stat} err:{err} text:".encode(),
                    st.text(max_size=20),
                    st.text(max_size=12),
                    st.text(max_size=5),
                ),
            )
        )
        fields = draw(st.fixed_dictionaries({}, optional={"receipted_message_id": st.text(max_size=70), "message_state": st.integers(0, 255)}))
    elif shape == "payload":
        fields = {"message_payload": draw(st.binary(max_size=600))}
    return DeliverSm(
        source_addr=source,
        destination_addr="94444",
        short_message=text,
        data_coding=coding,
        esm_class=esm_class,
        source_addr_ton=draw(st.integers(0, 6)),
        **fields,
    )


@SETTINGS
@given(st.data())
def test_any_sequence_of_deliver_sm_is_answered_once_each_and_never_raises(data):
    count = data.draw(st.integers(1, 8))
    delivers = [data.draw(deliver_sm()) for _ in range(count)]
    # Redeliveries: the same deliver_sm again, as an SMSC does when our answer went missing.
    delivers += data.draw(st.lists(st.sampled_from(delivers), max_size=3))
    acks: list[DeliverAck] = []
    sink = AdmittingSink()
    config = SmsConfig(host="127.0.0.1", system_id="t", reassembly_timeout_s=0.0, accept_timeout_s=5.0)
    processor = InboundProcessor(
        config, sink, acks.append, DeliveryTracker(), RedeliveryMemory(), Reassembler(timeout_s=0.0)
    )
    failures: list[logging.LogRecord] = []

    class Failures(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info or "failed" in record.getMessage():
                failures.append(record)

    handler = Failures()
    logging.getLogger("channels.sms").addHandler(handler)
    try:

        async def run() -> None:
            for sequence, deliver in enumerate(delivers):
                await processor.handle(deliver, AckToken(1, sequence))
            await processor.sweep()  # parts that never completed come out, marked incomplete

        asyncio.run(run())
    finally:
        logging.getLogger("channels.sms").removeHandler(handler)

    assert failures == []  # decoded or refused: never the "something broke, retry" path
    assert sorted(a.token.sequence for a in acks) == list(range(len(delivers)))  # each answered once
    assert {a.command_status for a in acks} == {ESME_ROK}
    assert processor.waiting == 0
    for message in sink.messages:
        assert isinstance(message.text, str) and message.address.isdigit()


# --- truncated PDUs, through the SMPP session ----------------------------------------------------


def session_over_socketpair(on_deliver) -> tuple[SmppSession, socket.socket]:
    ours, smsc = socket.socketpair()
    conn = smpplib.client.Client("127.0.0.1", 1, allow_unknown_opt_params=True)
    conn._socket = ours
    conn.state = C.SMPP_CLIENT_STATE_BOUND_TRX
    return SmppSession(conn, 1, SmsConfig(host="127.0.0.1", system_id="t"), None, None, RedeliveryMemory(), on_deliver), smsc


@SETTINGS
@given(
    st.binary(max_size=254),
    st.fixed_dictionaries(
        {},
        optional={
            "message_payload": st.binary(max_size=300),
            "sar_msg_ref_num": st.integers(0, 0xFFFF),
            "sar_total_segments": st.integers(0, 255),
            "sar_segment_seqnum": st.integers(0, 255),
            "receipted_message_id": st.text(alphabet="0123456789abcdef", max_size=64),
        },
    ),
    st.data(),
)
def test_a_deliver_sm_cut_anywhere_is_read_or_answered_with_generic_nack(short_message, tlvs, data):
    if "message_payload" in tlvs:
        short_message = b""  # SMPP 3.4: one or the other
    delivered: list[DeliverSm] = []
    session, smsc = session_over_socketpair(lambda deliver, token: delivered.append(deliver))
    try:
        whole = smpplib.smpp.make_pdu(
            "deliver_sm", client=session._conn, source_addr="962791234567", destination_addr="94444",
            short_message=short_message, esm_class=0x40, data_coding=8, **tlvs,
        )
        whole.sequence = 77
        raw = whole.generate()
        cut = data.draw(st.integers(16, len(raw)))
        frame = struct.pack(">L", cut) + raw[4:cut]
        smsc.sendall(frame)
        session.read()  # must not raise
        if delivered:
            assert len(delivered) == 1 and isinstance(delivered[0].short_message, bytes)
        else:
            smsc.settimeout(2)
            answer = smsc.recv(64)
            length, command_id, status, sequence = struct.unpack(">LLLL", answer[:16])
            assert command_id == 0x80000000 and sequence == 77  # generic_nack for that deliver_sm
    finally:
        session.close()
        smsc.close()
