"""Citizens' numbers as the rest of Tawasol knows them: digits, international form (9627XXXXXXXX).

SMSCs hand MO sources in whatever form their network uses: "+9627…", "009627…", or national
"07…" (TON 2). One citizen must resolve to one number whichever form arrives, since that number
links their WhatsApp and SMS identities.
"""

from __future__ import annotations

TON_INTERNATIONAL = 1
TON_NATIONAL = 2


def to_international(address: str, ton: int, country_code: str = "962") -> str:
    digits = "".join(ch for ch in address if ch.isdigit())
    if address.strip().startswith("+") or ton == TON_INTERNATIONAL:
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if ton == TON_NATIONAL or digits.startswith("0"):
        return country_code + digits.lstrip("0")
    return digits


def is_valid_destination(address: str) -> bool:
    """An international MSISDN we can submit to: 8 to 15 digits (E.164), nothing else."""
    return address.isdigit() and 8 <= len(address) <= 15
