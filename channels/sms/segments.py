"""Split an outgoing text into SMS parts.

GSM-7 when every character fits (160 septets alone, 153 per part of a concatenated message, an
extension character counting 2), else UCS-2 (70 UTF-16 code units alone, 67 per part). A part never
ends between an escape and its character, nor between the two halves of a surrogate pair — a phone
would show garbage for both (smpplib's `make_parts` cuts bytes blindly, so we do not use it).
Each part of a concatenated message carries a UDH with one 8-bit reference for the whole message.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Callable

from channels.sms import gsm7
from channels.sms.udh import ESM_CLASS_UDHI, concat_header

DATA_CODING_GSM7 = 0x00
DATA_CODING_UCS2 = 0x08

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67
MAX_PARTS = 255


class MessageTooLong(ValueError):
    """More than 255 parts: no phone can reassemble it."""


@dataclass(frozen=True)
class SegmentedMessage:
    data_coding: int
    esm_class: int
    parts: tuple[bytes, ...]  # each a complete short_message (UDH included when concatenated)
    chunks: tuple[str, ...]  # the text each part carries, for logs and tests

    @property
    def count(self) -> int:
        return len(self.parts)


class ReferenceCounter:
    """Hands out the 8-bit concatenation reference, one per message.

    Starts at a random value so that a restarted process is unlikely to reuse the reference of a
    message still being reassembled on a phone.
    """

    def __init__(self, start: int | None = None) -> None:
        self._next = random.randrange(256) if start is None else start % 256
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            value = self._next
            self._next = (self._next + 1) % 256
            return value


def _ucs2_units(char: str) -> int:
    # Python strings hold code points, so a character beyond the BMP is one item worth two UTF-16
    # units: counting per character keeps its surrogate pair in one part.
    return 2 if ord(char) > 0xFFFF else 1


def _chunks(text: str, limit: int, size: Callable[[str], int]) -> list[str]:
    """Cut `text` into parts of at most `limit` units, never inside a character: a GSM escape pair
    (2 septets) or a UTF-16 surrogate pair (2 units) stays whole."""
    chunks, current, used = [], [], 0
    for char in text:
        units = size(char)
        if used + units > limit:
            chunks.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += units
    if current:
        chunks.append("".join(current))
    return chunks


def count(text: str) -> int:
    """How many parts `text` needs (at least 1, even for an empty text)."""
    if gsm7.fits(text):
        if gsm7.septet_count(text) <= GSM7_SINGLE:
            return 1
        return len(_chunks(text, GSM7_PART, gsm7.char_septets))
    if sum(_ucs2_units(c) for c in text) <= UCS2_SINGLE:
        return 1
    return len(_chunks(text, UCS2_PART, _ucs2_units))


def is_gsm7(text: str) -> bool:
    return gsm7.fits(text)


def split(text: str, reference: int) -> SegmentedMessage:
    """The parts to submit for `text`; `reference` is used only when it takes several parts."""
    if gsm7.fits(text):
        data_coding, encode = DATA_CODING_GSM7, gsm7.encode
        if gsm7.septet_count(text) <= GSM7_SINGLE:
            chunks = [text]
        else:
            chunks = _chunks(text, GSM7_PART, gsm7.char_septets)
    else:
        data_coding, encode = DATA_CODING_UCS2, _encode_ucs2
        if sum(_ucs2_units(c) for c in text) <= UCS2_SINGLE:
            chunks = [text]
        else:
            chunks = _chunks(text, UCS2_PART, _ucs2_units)

    if len(chunks) == 1:
        return SegmentedMessage(data_coding, 0, (encode(text),), (text,))
    if len(chunks) > MAX_PARTS:
        raise MessageTooLong(f"{len(chunks)} parts; at most {MAX_PARTS}")
    total = len(chunks)
    parts = tuple(
        concat_header(reference, total, number) + encode(chunk)
        for number, chunk in enumerate(chunks, start=1)
    )
    return SegmentedMessage(data_coding, ESM_CLASS_UDHI, parts, tuple(chunks))


def _encode_ucs2(text: str) -> bytes:
    return text.encode("utf-16-be")
