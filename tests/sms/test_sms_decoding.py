"""deliver_sm short_message → text, by data_coding."""

import logging

import pytest

from channels.sms import decoding


@pytest.mark.parametrize(
    "data, data_coding, text, exact",
    [
        (b"Hello \x1b\x65 \x1b\x3c", 0, "Hello € [", True),
        (b"\x00\x02", 0, "@$", True),
        ("مرحبا 😀".encode("utf-16-be"), 8, "مرحبا 😀", True),
        ("café".encode("latin-1"), 3, "café", True),
        (b"plain ascii", 1, "plain ascii", True),
        ("مرحبا".encode("utf-16-be"), 0x18, "مرحبا", True),  # general group, UCS-2 alphabet
        (b"Hi", 0xF0, "Hi", True),  # class 0 (flash), GSM alphabet
    ],
)
def test_decode_by_data_coding(data, data_coding, text, exact):
    decoded = decoding.decode(data, data_coding)
    assert decoded.text == text
    assert decoded.exact is exact


def test_lone_surrogate_and_odd_length_do_not_raise():
    half_emoji = "😀".encode("utf-16-be")[:2]
    assert decoding.decode("a".encode("utf-16-be") + half_emoji, 8).exact is False
    odd = decoding.decode("ab".encode("utf-16-be") + b"\x00", 8)
    assert odd.text == "ab" and odd.exact is False


def test_default_alphabet_with_8bit_octets_is_read_as_latin1(caplog):
    with caplog.at_level(logging.WARNING):
        decoded = decoding.decode("é".encode("latin-1"), 0)
    assert decoded.text == "é" and decoded.exact is False
    assert "Latin-1" in caplog.text


def test_unknown_coding_is_best_effort_with_a_log_line_naming_it(caplog):
    with caplog.at_level(logging.WARNING):
        decoded = decoding.decode("نص".encode("utf-8"), 0x07)
    assert decoded.text == "نص" and decoded.exact is False
    record = next(r for r in caplog.records if "unsupported data_coding" in r.getMessage())
    assert record.data_coding == "0x07"
