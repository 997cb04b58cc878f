"""The fields of an inbound `deliver_sm` we act on, free of any SMPP library's PDU classes.

The SMPP thread copies these out of the PDU it read; everything after (receipts, decoding,
reassembly, the pipeline) works on this plain record, which is also what tests build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

ESM_CLASS_TYPE_MASK = 0x3C
ESM_CLASS_DELIVERY_RECEIPT = 0x04


@dataclass(frozen=True)
class DeliverSm:
    source_addr: str
    destination_addr: str
    short_message: bytes = b""
    data_coding: int = 0
    esm_class: int = 0
    source_addr_ton: int = 1
    service_type: str = ""
    schedule_delivery_time: str = ""
    validity_period: str = ""
    message_payload: Optional[bytes] = None
    sar_msg_ref_num: Optional[int] = None
    sar_total_segments: Optional[int] = None
    sar_segment_seqnum: Optional[int] = None
    receipted_message_id: Optional[str] = None
    message_state: Optional[int] = None
    network_error_code: Optional[bytes] = None
    # In a receipt: the user_message_reference of the submit_sm it reports on, where the SMSC
    # repeats it (our message id modulo 65536).
    user_message_reference: Optional[int] = None

    @property
    def is_receipt(self) -> bool:
        return self.esm_class & ESM_CLASS_TYPE_MASK == ESM_CLASS_DELIVERY_RECEIPT

    @property
    def user_data(self) -> bytes:
        """message_payload wins over short_message when the SMSC sent it (SMPP 3.4 §5.3.2.32)."""
        return self.message_payload if self.message_payload is not None else self.short_message


@dataclass(frozen=True)
class AckToken:
    """Which deliver_sm to answer: the SMPP session it came on and its sequence number."""

    generation: int
    sequence: int


@dataclass(frozen=True)
class DeliverAck:
    """The answer to one deliver_sm, handed back to the SMPP thread.

    `mo` is (content digest, provider id) for an MO, so the SMPP thread can drop it from the
    redelivery memory once the SMSC has surely read the answer (see mo_identity.py).
    """

    token: AckToken
    command_status: int = 0
    mo: Optional[tuple[str, str]] = None
