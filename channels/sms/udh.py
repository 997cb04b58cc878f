"""The User Data Header of a concatenated SMS (3GPP TS 23.040 §9.2.3.24).

A UDH starts the short message when `esm_class` has the UDHI bit (0x40): one length octet, then
information elements (IEI, length, data). Concatenation uses IEI 0x00 (8-bit reference) or 0x08
(16-bit reference); both carry the reference, the total number of parts and this part's number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

ESM_CLASS_UDHI = 0x40
IEI_CONCAT_8BIT = 0x00
IEI_CONCAT_16BIT = 0x08


@dataclass(frozen=True)
class Concatenation:
    reference: int
    total: int
    number: int  # 1-based
    reference_bits: int  # 8 or 16


def concat_header(reference: int, total: int, number: int) -> bytes:
    """The 6-octet UDH we put on every part we send: IEI 0x00, 8-bit reference."""
    if not 0 <= reference <= 0xFF:
        raise ValueError("an 8-bit concatenation reference is 0..255")
    if not 1 <= number <= total <= 255:
        raise ValueError("part number must be 1..total and total at most 255")
    return bytes((0x05, IEI_CONCAT_8BIT, 0x03, reference, total, number))


def split_header(short_message: bytes) -> tuple[bytes, bytes]:
    """(header including its length octet, payload). Raises ValueError when the header overruns."""
    if not short_message:
        raise ValueError("empty short message cannot hold a UDH")
    header_length = short_message[0]
    if header_length + 1 > len(short_message):
        raise ValueError("UDH length exceeds the short message")
    return short_message[: header_length + 1], short_message[header_length + 1 :]


def find_concatenation(header: bytes) -> Optional[Concatenation]:
    """The concatenation element of a UDH (as returned by `split_header`), if any and sane."""
    index = 1
    end = len(header)
    while index + 2 <= end:
        iei = header[index]
        length = header[index + 1]
        data = header[index + 2 : index + 2 + length]
        index += 2 + length
        if len(data) != length:
            return None
        if iei == IEI_CONCAT_8BIT and length == 3:
            found = Concatenation(data[0], data[1], data[2], 8)
        elif iei == IEI_CONCAT_16BIT and length == 4:
            found = Concatenation((data[0] << 8) | data[1], data[2], data[3], 16)
        else:
            continue
        if found.total >= 1 and 1 <= found.number <= found.total:
            return found
        return None
    return None
