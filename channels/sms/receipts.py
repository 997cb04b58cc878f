"""SMPP delivery receipts (esm_class message type 0x04) → our StatusUpdate.

An SMSC tells us the fate of a message in TLVs (`receipted_message_id`, `message_state`) or, more
often, in the receipt text of SMPP 3.4 Appendix B:
    id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
The TLVs win where both exist. Some SMSCs write the id in hex in the receipt and in decimal in
`submit_sm_resp` (or the reverse): `id_variants` lists the spellings worth trying.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Optional

from core.messages import SMS, STATUS_DELIVERED, STATUS_FAILED, STATUS_SENT, StatusUpdate
from channels.sms.deliver_sm import DeliverSm

logger = logging.getLogger(__name__)

# message_state TLV values (SMPP 3.4 §5.2.28) by the stat word the receipt text uses.
MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}

_STATUS_BY_STAT = {
    "DELIVRD": STATUS_DELIVERED,
    "DELIVERED": STATUS_DELIVERED,
    "UNDELIV": STATUS_FAILED,
    "UNDELIVERABLE": STATUS_FAILED,
    "REJECTD": STATUS_FAILED,
    "REJECTED": STATUS_FAILED,
    "EXPIRED": STATUS_FAILED,
    "DELETED": STATUS_FAILED,
    "ACCEPTD": STATUS_SENT,
    "ACCEPTED": STATUS_SENT,
    "ENROUTE": STATUS_SENT,
}

_FIELD = re.compile(
    r"\b(?P<key>id|sub|dlvrd|submit date|done date|stat|err)\s*:\s*(?P<value>\S*)", re.IGNORECASE
)


@dataclass(frozen=True)
class Receipt:
    message_id: str
    stat: str  # the receipt's word, upper case: DELIVRD, UNDELIV, ...
    error: Optional[str] = None  # the receipt's err: field or network_error_code, as text
    done_date: Optional[str] = None  # as written (YYMMDDhhmm[ss], the SMSC's local time)
    user_message_reference: Optional[int] = None  # our message id modulo 65536, where the SMSC repeats it


def parse_text(text: str) -> dict[str, str]:
    """The key:value fields of a receipt text (lower-case keys); 'text:' and what follows is ignored."""
    head = re.split(r"\btext\s*:", text, maxsplit=1, flags=re.IGNORECASE)[0]
    return {m.group("key").lower(): m.group("value") for m in _FIELD.finditer(head)}


def parse(deliver: DeliverSm, text: str) -> Optional[Receipt]:
    """The receipt in a deliver_sm, or None (logged) when it names no message id or state."""
    fields = parse_text(text)
    message_id = (deliver.receipted_message_id or "").strip() or fields.get("id", "").strip()
    if deliver.message_state is not None:
        stat = MESSAGE_STATES.get(deliver.message_state, "UNKNOWN")
    else:
        stat = fields.get("stat", "").upper()
    error = fields.get("err")
    if deliver.network_error_code and (not error or error.strip("0") == ""):
        error = deliver.network_error_code.hex()
    if not message_id or not stat:
        logger.warning(
            "sms receipt unreadable",
            extra={"has_id": bool(message_id), "has_stat": bool(stat), "text_length": len(text)},
        )
        return None
    return Receipt(
        message_id=message_id, stat=stat, error=error, done_date=fields.get("done date"),
        user_message_reference=deliver.user_message_reference,
    )


def to_status(receipt: Receipt, address: Optional[str] = None) -> Optional[StatusUpdate]:
    """Our timeline status for a receipt; None for states that say nothing (UNKNOWN)."""
    status = _STATUS_BY_STAT.get(receipt.stat)
    if status is None:
        logger.info("sms receipt state ignored", extra={"stat": receipt.stat})
        return None
    failed = status == STATUS_FAILED
    return StatusUpdate(
        channel=SMS,
        provider_id=receipt.message_id,
        status=status,
        error_code=receipt.stat if failed else None,
        error_title=f"err:{receipt.error}" if failed and receipt.error else None,
        address=address,
        short_reference=receipt.user_message_reference,
    )


def id_variants(message_id: str) -> list[str]:
    """`message_id` first, then its hex↔decimal spellings and the id without leading zeros."""
    value = message_id.strip()
    variants = [value, value.lstrip("0")]
    if value.isdigit():
        number = int(value)
        variants += [format(number, "x"), format(number, "X"), str(number)]
    if re.fullmatch(r"[0-9A-Fa-f]+", value):
        number = int(value, 16)
        variants += [str(number), format(number, "x"), format(number, "X")]
    unique: list[str] = []
    for variant in variants:
        if variant and variant not in unique:
            unique.append(variant)
    return unique
