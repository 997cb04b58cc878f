"""Masking for logs: no full phone number, national ID or token ever reaches a log line."""

from __future__ import annotations

from typing import Optional


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
