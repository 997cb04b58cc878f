"""Phone numbers as Tawasol stores them: international digits, no `+` (`962791234567`), which is
how WhatsApp and SMPP both address a citizen, so one number is one citizen on every channel."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-().]")
_E164_DIGITS = re.compile(r"^[1-9][0-9]{7,14}$")
# Jordan's numbers have nine digits after 962 (mobiles: 962 7[789] + 7 digits).
_JORDAN = re.compile(r"^962[0-9]{8,9}$")


class InvalidPhone(ValueError):
    """Not an international phone number; the message says why, without repeating the number."""


def international_digits(number: str) -> str:
    """`number` (with or without `+` or `00`, spaces and dashes allowed) as international digits;
    InvalidPhone when it is not a valid E.164 number (a local `07…` number is refused: the
    country is not ours to guess)."""
    if not isinstance(number, str):
        raise InvalidPhone("a phone number must be a string of digits")
    digits = _SEPARATORS.sub("", number.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    if not digits.isdigit():
        raise InvalidPhone("a phone number has only digits, after an optional +")
    if not _E164_DIGITS.match(digits):
        raise InvalidPhone("not an international number: country code first, 8 to 15 digits, no leading 0")
    if digits.startswith("962") and not _JORDAN.match(digits):
        raise InvalidPhone("a Jordanian number has 9 digits after 962")
    return digits
