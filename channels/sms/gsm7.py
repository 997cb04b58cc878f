"""The GSM 03.38 default alphabet and its extension table, as SMPP carries it (one septet per byte).

SMPP's `data_coding` 0 means the SMSC default alphabet; operators use GSM 03.38 and expect the
septets unpacked (one per octet). Characters of the extension table (`{}[]~|\\^€` and form feed)
take two septets: the escape 0x1B, then the character's code in the extension table.
"""

from __future__ import annotations

ESCAPE = 0x1B

# Position = septet value. 0x1B is the escape to the extension table, never a character itself.
_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(_BASIC) == 128

_EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_BASIC_CODE = {char: code for code, char in enumerate(_BASIC) if code != ESCAPE}
_EXTENSION_CODE = {char: code for code, char in _EXTENSION.items()}


def char_septets(char: str) -> int:
    """1 for a basic character, 2 for an extension character, 0 when GSM-7 cannot carry it."""
    if char in _BASIC_CODE:
        return 1
    if char in _EXTENSION_CODE:
        return 2
    return 0


def fits(text: str) -> bool:
    """True when every character of `text` is in the default alphabet or its extension table."""
    return all(char in _BASIC_CODE or char in _EXTENSION_CODE for char in text)


def septet_count(text: str) -> int:
    """How many septets `text` takes (an extension character counts 2). Raises if it does not fit."""
    total = 0
    for char in text:
        size = char_septets(char)
        if not size:
            raise ValueError(f"character {char!r} is not in the GSM 03.38 alphabet")
        total += size
    return total


def encode(text: str) -> bytes:
    """Text to unpacked septets. Raises ValueError for a character outside the alphabet."""
    out = bytearray()
    for char in text:
        code = _BASIC_CODE.get(char)
        if code is not None:
            out.append(code)
            continue
        code = _EXTENSION_CODE.get(char)
        if code is None:
            raise ValueError(f"character {char!r} is not in the GSM 03.38 alphabet")
        out += bytes((ESCAPE, code))
    return bytes(out)


def decode(data: bytes) -> str:
    """Unpacked septets to text.

    An escape followed by a code the extension table lacks shows the basic character for that
    code, as 03.38 asks of a receiving entity; a trailing lone escape is dropped. The top bit of
    each byte is ignored (septets only have seven).
    """
    out = []
    index = 0
    while index < len(data):
        code = data[index] & 0x7F
        index += 1
        if code == ESCAPE:
            if index >= len(data):
                break
            next_code = data[index] & 0x7F
            index += 1
            extended = _EXTENSION.get(next_code)
            if extended is not None:
                out.append(extended)
            elif next_code != ESCAPE:
                out.append(_BASIC[next_code])
            continue
        out.append(_BASIC[code])
    return "".join(out)
