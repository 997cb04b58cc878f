"""Our splitter: sizes per encoding, no escape or surrogate pair ever cut, one UDH reference per message."""

import pytest

from channels.sms import segments
from channels.sms.segments import ReferenceCounter
from tests.sms.smsc import decode_gsm_with_smpplib_table


def _texts(message):
    out = []
    for part in message.parts:
        body = part[6:] if message.esm_class & 0x40 else part
        out.append(body.decode("utf-16-be") if message.data_coding == 8 else decode_gsm_with_smpplib_table(body))
    return out


@pytest.mark.parametrize(
    "text, parts, data_coding",
    [
        ("a" * 160, 1, 0),
        ("a" * 161, 2, 0),
        ("a" * 306, 2, 0),
        ("a" * 307, 3, 0),
        ("€" * 80, 1, 0),  # 160 septets
        ("€" * 81, 2, 0),
        ("ب" * 70, 1, 8),
        ("ب" * 71, 2, 8),
        ("ب" * 134, 2, 8),
        ("ب" * 135, 3, 8),
        ("😀" * 35, 1, 8),  # 70 UTF-16 units
        ("😀" * 36, 2, 8),  # 72 units: 33 emoji (66 units) in the first part, never 33.5
        ("😀" * 67, 3, 8),  # 134 units would be 2 × 67, but pairs make it 33 + 33 + 1
        ("", 1, 0),
    ],
)
def test_part_counts_and_coding(text, parts, data_coding):
    message = segments.split(text, reference=9)
    assert message.count == parts == segments.count(text)
    assert message.data_coding == data_coding
    assert "".join(_texts(message)) == text


def test_escape_pair_is_never_split():
    text = "a" * 152 + "€" + "b" * 10  # the € would straddle septets 153/154
    message = segments.split(text, reference=1)
    first = message.parts[0][6:]
    assert first == b"a" * 152  # the part ends early rather than cut the escape
    assert not first.endswith(b"\x1b")
    assert "".join(_texts(message)) == text
    assert all(len(p) - 6 <= 153 for p in message.parts)


def test_surrogate_pair_is_never_split():
    text = "ا" * 66 + "😀" + "ب" * 10  # the emoji would take units 67 and 68
    message = segments.split(text, reference=1)
    for part in message.parts:
        part[6:].decode("utf-16-be")  # strict decoding: raises on a lone surrogate
    assert message.chunks[0] == "ا" * 66
    assert "".join(_texts(message)) == text


def test_udh_is_iei_00_with_one_reference_and_part_numbers():
    message = segments.split("x" * 400, reference=200)
    assert message.esm_class == 0x40
    assert [p[:6] for p in message.parts] == [bytes([5, 0, 3, 200, 3, n]) for n in (1, 2, 3)]


def test_single_part_has_no_udh():
    message = segments.split("Hello", reference=5)
    assert message.esm_class == 0 and message.parts == (b"Hello",)


def test_too_long_is_refused():
    with pytest.raises(segments.MessageTooLong):
        segments.split("ب" * (67 * 256), reference=1)


def test_reference_counter_wraps_and_differs_per_message():
    counter = ReferenceCounter(start=254)
    assert [counter.next() for _ in range(4)] == [254, 255, 0, 1]
