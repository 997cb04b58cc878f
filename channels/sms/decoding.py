"""Turn the bytes of a `deliver_sm` into text, by its `data_coding`.

0 is the SMSC default alphabet, GSM 03.38 carried unpacked (one septet per octet); 8 is UCS-2,
which phones actually fill with UTF-16BE (emoji arrive as surrogate pairs, kept whole); 3 is
Latin-1; 1 is IA5 (ASCII). Anything else is decoded as best we can, with a log line naming the
data_coding so an operator can tell us what their SMSC sends. Bad bytes never raise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from channels.sms import gsm7

logger = logging.getLogger(__name__)

DC_DEFAULT = 0x00
DC_IA5 = 0x01
DC_BINARY = 0x02
DC_LATIN1 = 0x03
DC_BINARY_8BIT = 0x04
DC_UCS2 = 0x08


@dataclass(frozen=True)
class DecodedText:
    text: str
    exact: bool  # False when bytes were replaced or the coding was guessed


def _ucs2(data: bytes) -> DecodedText:
    exact = True
    if len(data) % 2:
        logger.warning("sms ucs2 odd length", extra={"octets": len(data)})
        data, exact = data[:-1], False
    try:
        return DecodedText(data.decode("utf-16-be"), exact)
    except UnicodeDecodeError:
        # A lone surrogate (a pair cut by a sender that split it across parts we never joined).
        return DecodedText(data.decode("utf-16-be", errors="replace"), False)


def _default_alphabet(data: bytes) -> DecodedText:
    if all(byte < 0x80 for byte in data):
        return DecodedText(gsm7.decode(data), True)
    # Septets never set the top bit, so these are 8-bit characters: some SMSCs map their
    # default alphabet to Latin-1 on the SMPP side.
    logger.warning("sms data_coding 0 with 8-bit octets, read as Latin-1", extra={"data_coding": 0})
    return DecodedText(data.decode("latin-1"), False)


def _best_effort(data: bytes, data_coding: int) -> DecodedText:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    logger.warning(
        "sms unsupported data_coding, decoded best effort",
        extra={"data_coding": f"0x{data_coding:02x}", "octets": len(data)},
    )
    return DecodedText(text, False)


def _alphabet_from_scheme(data_coding: int) -> int | None:
    """The alphabet a GSM 03.38 data coding scheme names, for the codings beyond 0..8.

    General group 00xx (message class/compression bits) and group 1111 (class 0..3 flash etc.)
    are what handsets and SMSCs really send; others return None.
    """
    group = data_coding >> 4
    if group in (0x0, 0x1) and not data_coding & 0x20:  # uncompressed general group
        alphabet = (data_coding >> 2) & 0x03
        return {0: DC_DEFAULT, 1: DC_BINARY_8BIT, 2: DC_UCS2}.get(alphabet)
    if group == 0xF:
        return DC_BINARY_8BIT if data_coding & 0x04 else DC_DEFAULT
    return None


def decode(data: bytes, data_coding: int) -> DecodedText:
    """Text of a short message (or a reassembled one, or a message_payload) by its data_coding."""
    if data_coding == DC_DEFAULT:
        return _default_alphabet(data)
    if data_coding == DC_UCS2:
        return _ucs2(data)
    if data_coding == DC_LATIN1:
        return DecodedText(data.decode("latin-1"), True)
    if data_coding == DC_IA5:
        if all(byte < 0x80 for byte in data):
            return DecodedText(data.decode("ascii"), True)
        return DecodedText(data.decode("ascii", errors="replace"), False)
    alphabet = _alphabet_from_scheme(data_coding) if data_coding > DC_UCS2 else None
    if alphabet == DC_DEFAULT:
        logger.info("sms data_coding read as GSM 03.38", extra={"data_coding": f"0x{data_coding:02x}"})
        return _default_alphabet(data)
    if alphabet == DC_UCS2:
        logger.info("sms data_coding read as UCS-2", extra={"data_coding": f"0x{data_coding:02x}"})
        return _ucs2(data)
    return _best_effort(data, data_coding)
