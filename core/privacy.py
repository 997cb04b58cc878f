"""Masking for logs: no full phone number, national ID or token ever reaches a log line."""

from __future__ import annotations

import re
from typing import Optional

# Seven or more digits in a row (allowing single spaces and a leading "+", as people write numbers)
# may be a phone number or a national ID; shorter runs are counts, codes, ports. Dashes do not join
# runs, so dates ("2026-12-07") stay readable.
_NUMBER_RUN = re.compile(r"\+?\d(?: ?\d){6,}")


def mask_phone(number: Optional[str]) -> str:
    """'962791234567' -> '9627*****567': enough to tell citizens apart in a log, not to call them."""
    if not number:
        return "-"
    digits = str(number)
    if len(digits) <= 6:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 7) + digits[-3:]


def mask_secret(value: Optional[str]) -> str:
    """Tokens and passwords: only their length and last two characters."""
    if not value:
        return "-"
    return f"<{len(value)} chars …{value[-2:]}>"


def mask_national_id(value: Optional[str]) -> str:
    """Jordanian national numbers are 10 digits; keep the last three."""
    if not value:
        return "-"
    return "*" * max(len(value) - 3, 0) + value[-3:]


def mask_text(text: str) -> str:
    """Free text for a log or an answer (an exception's message, a provider's error) with every run
    of seven or more digits masked: such text can quote a phone number or a national ID."""
    return _NUMBER_RUN.sub(lambda match: mask_phone(re.sub(r"\D", "", match.group())), text)
