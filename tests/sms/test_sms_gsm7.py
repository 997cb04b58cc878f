"""GSM 03.38: the default alphabet, the extension table, and what does not fit."""

import pytest
import smpplib.gsm

from channels.sms import gsm7


@pytest.mark.parametrize(
    "text, encoded",
    [
        ("@", b"\x00"),
        ("Hello", b"Hello"),
        ("$", b"\x02"),
        ("¤", b"\x24"),
        ("¡", b"\x40"),
        ("€", b"\x1b\x65"),
        ("[x]", b"\x1b\x3cx\x1b\x3e"),
        ("{}", b"\x1b\x28\x1b\x29"),
        ("~|\\^", b"\x1b\x3d\x1b\x40\x1b\x2f\x1b\x14"),
        ("\f", b"\x1b\x0a"),
        ("ΔΩ", b"\x10\x15"),
        ("à\n", b"\x7f\x0a"),
    ],
)
def test_encode_and_decode_round_trip(text, encoded):
    assert gsm7.encode(text) == encoded
    assert gsm7.decode(encoded) == text


@pytest.mark.parametrize(
    "text, fits, septets",
    [
        ("Send 1 for passport", True, 19),
        ("€5 [fee]", True, 11),
        ("", True, 0),
        ("مرحبا", False, None),
        ("ç", False, None),  # lower-case c cedilla is not in the table (only Ç is)
        ("smile 😀", False, None),
        ("`", False, None),
    ],
)
def test_fits_and_septet_count(text, fits, septets):
    assert gsm7.fits(text) is fits
    if fits:
        assert gsm7.septet_count(text) == septets
    else:
        with pytest.raises(ValueError):
            gsm7.encode(text)


def test_every_character_agrees_with_smpplibs_table():
    # smpplib's table is an independent transcription of the same standard.
    # It writes "`" (its placeholder for "no character") at 0x5F, which 23.038 defines as "§".
    table = smpplib.gsm.GSM_CHARACTER_TABLE
    assert gsm7.decode(b"\x5f") == "§"
    for code in range(128):
        if code in (0x1B, 0x5F):
            continue
        assert gsm7.decode(bytes([code])) == table[code], hex(code)
    for char in "^{}\\[~]|€":
        assert gsm7.encode(char) == smpplib.gsm.gsm_encode(char)


def test_decode_tolerates_unknown_escape_and_trailing_escape():
    assert gsm7.decode(b"\x1b\x41") == "A"  # unknown extension: the basic character
    assert gsm7.decode(b"ab\x1b") == "ab"
    assert gsm7.decode(b"\xc1") == "A"  # top bit ignored
