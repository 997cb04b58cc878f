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


# SMPP 3.4 §5.2.5 (addr_ton): 5 is alphanumeric; its numbering plan is "unknown" (0). GSM 03.40
# carries an alphanumeric originator in 7-bit packed form of up to 11 characters, so SMSCs refuse
# or cut longer ones.
TON_ALPHANUMERIC = 5
NPI_UNKNOWN = 0
ALPHANUMERIC_MAX = 11
_LONG_NUMBER_MIN = 8  # a numeric sender this long is a full MSISDN, not a short code


class InvalidSender(ValueError):
    """A sender ID an SMSC would refuse or mangle."""


def source_address(sender: str, short_code_ton: int, short_code_npi: int) -> tuple[str, int, int]:
    """(source_addr, TON, NPI) for a sender: an agency's alphanumeric sender ID ("CSPD") goes as
    TON 5 / NPI 0; digits up to 7 long are a short code and go as the short code does (SMS_SHORT_CODE:
    TON 3 network-specific, NPI 0, by default); longer digits are an international number (TON 1 /
    NPI 1 ISDN)."""
    value = sender.strip()
    if value.isdigit():
        if len(value) >= _LONG_NUMBER_MIN:
            return value, TON_INTERNATIONAL, 1
        return value, short_code_ton, short_code_npi
    if not value or len(value) > ALPHANUMERIC_MAX or not value.isascii() or not value.isprintable():
        raise InvalidSender(
            f"an alphanumeric sender ID is 1 to {ALPHANUMERIC_MAX} printable ASCII characters, got {len(value)}"
        )
    return value, TON_ALPHANUMERIC, NPI_UNKNOWN
