"""What to do with each deliver_sm: a delivery receipt goes to `record_status`; an MO is decoded,
reassembled if it came in parts, and handed to `accept`. The deliver_sm is answered only after
that: ESME_ROK once the pipeline has the message (persisted), ESME_RX_T_APPN (temporary error,
the SMSC delivers it again) when it could not take it. An MO is never dropped.

Runs on the asyncio loop, one deliver_sm at a time, so a citizen's messages reach the pipeline
in the order the SMSC sent them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from core.messages import KIND_TEXT, SMS, InboundMessage, InvalidMessage, StatusUpdate, utcnow
from core.privacy import mask_phone
from channels.sms import decoding, receipts
from channels.base import InboundSink
from channels.sms.addresses import to_international
from channels.sms.config import SmsConfig
from channels.sms.deliver_sm import AckToken, DeliverAck, DeliverSm
from channels.sms.delivery_tracking import DeliveryTracker
from channels.sms.mo_identity import RedeliveryMemory, content_digest, provider_id
from channels.sms.reassembly import AssembledMessage, MoPart, PartRef, Reassembler
from channels.sms.udh import ESM_CLASS_UDHI, find_concatenation, split_header

logger = logging.getLogger("channels.sms.inbound")

ESME_ROK = 0x00
ESME_RX_T_APPN = 0x64
_RETRY_INCOMPLETE_S = 5.0
_GAP = " … "


@dataclass
class _PendingAccept:
    message: InboundMessage
    digest: str
    next_try: float = 0.0
    attempts: int = field(default=0)


class InboundProcessor:
    def __init__(
        self,
        config: SmsConfig,
        sink: InboundSink,
        acknowledge: Callable[[DeliverAck], None],
        tracker: DeliveryTracker,
        redelivery: RedeliveryMemory,
        reassembler: Optional[Reassembler] = None,
    ) -> None:
        self.config = config
        self.sink = sink
        self._acknowledge = acknowledge
        self.tracker = tracker
        self.redelivery = redelivery
        self.reassembler = (
            reassembler if reassembler is not None else Reassembler(timeout_s=config.reassembly_timeout_s)
        )
        self._retry: list[_PendingAccept] = []  # expired incomplete messages the pipeline refused

    async def handle(self, deliver: DeliverSm, token: AckToken) -> None:
        """Never raises: whatever happens, the deliver_sm gets an answer."""
        try:
            if deliver.is_receipt:
                status = await self._receipt(deliver)
                self._acknowledge(DeliverAck(token, status))
            else:
                await self._mo(deliver, token)
        except Exception:
            logger.exception("sms deliver_sm handling failed; asking the SMSC to retry")
            self._acknowledge(DeliverAck(token, ESME_RX_T_APPN))

    async def sweep(self) -> None:
        """Hand over messages whose missing parts never came, and retry refused ones."""
        for message in self.reassembler.expire():
            logger.warning(
                "sms mo incomplete after timeout from=%s parts=%d/%d missing=%s",
                mask_phone(message.source),
                len(message.parts),
                message.total,
                message.missing,
            )
            inbound, digest = self._inbound(message)
            self._retry.append(_PendingAccept(inbound, digest))
        now = asyncio.get_running_loop().time()
        due, self._retry = [p for p in self._retry if p.next_try <= now], [p for p in self._retry if p.next_try > now]
        for pending in due:
            if not await self._accept(pending.message):
                pending.attempts += 1
                pending.next_try = now + _RETRY_INCOMPLETE_S
                self._retry.append(pending)

    @property
    def waiting(self) -> int:
        return len(self.reassembler) + len(self._retry)

    # ---------------------------------------------------------------- receipts

    async def _receipt(self, deliver: DeliverSm) -> int:
        text = decoding.decode(deliver.user_data, deliver.data_coding).text
        receipt = receipts.parse(deliver, text)
        if receipt is None:
            return ESME_ROK  # nothing we could ever read in it: asking again would not help
        update = receipts.to_status(receipt, address=to_international(
            deliver.source_addr, deliver.source_addr_ton, self.config.country_code
        ))
        if update is None:
            return ESME_ROK
        provider, status = self.tracker.observe(update.provider_id, update.status)
        if status is None:
            return ESME_ROK
        update.provider_id, update.status = provider, status
        if not await self._record(update):
            logger.info(
                "sms receipt for unknown message id=%r stat=%r", receipt.message_id[:80], receipt.stat[:20]
            )
        return ESME_ROK

    async def _record(self, update: StatusUpdate) -> bool:
        """record_status with the id as given and its hex/decimal spellings as aliases (SMSCs spell
        one id differently in submit_sm_resp and in the receipt). Raises if the sink does."""
        update.aliases = tuple(receipts.id_variants(update.provider_id)[1:])
        return bool(await asyncio.wait_for(self.sink.record_status(update), self.config.accept_timeout_s))

    # ---------------------------------------------------------------- MO

    async def _mo(self, deliver: DeliverSm, token: AckToken) -> None:
        ref, payload = _concatenation(deliver)
        source = to_international(deliver.source_addr, deliver.source_addr_ton, self.config.country_code)
        part = MoPart(
            source=source,
            destination=deliver.destination_addr,
            payload=payload,
            data_coding=deliver.data_coding,
            ref=ref or PartRef(0, 1, 1, "single"),
            ack=token,
        )
        stamp = "|".join(s for s in (deliver.schedule_delivery_time, deliver.validity_period) if s)
        if ref is None or ref.total == 1:
            message = AssembledMessage(
                source, deliver.destination_addr, 0, "single", 1, {1: part}, True, 1, [token]
            )
            await self._deliver_assembled(message, stamp)
            return
        result = self.reassembler.add(part)
        for ack in result.ack_now:
            self._acknowledge(DeliverAck(ack, ESME_ROK))
        if result.completed is not None:
            await self._deliver_assembled(result.completed, stamp)

    async def _deliver_assembled(self, message: AssembledMessage, stamp: str) -> None:
        inbound, digest = self._inbound(message, stamp)
        accepted = await self._accept(inbound)
        status = ESME_ROK if accepted else ESME_RX_T_APPN
        if not accepted and message.total > 1:
            self.reassembler.restore(message)
        # Until the SMSC has surely read our answer, a delivery of the same MO is a redelivery;
        # the SMPP thread forgets it once an enquire_link round trip confirms the answer.
        self.redelivery.remember(digest, inbound.provider_id)
        for ack in message.pending_acks:
            self._acknowledge(DeliverAck(ack, status, mo=(digest, inbound.provider_id)))

    async def _accept(self, inbound: InboundMessage) -> bool:
        try:
            result = await asyncio.wait_for(self.sink.accept(inbound), self.config.accept_timeout_s)
        except InvalidMessage as reason:
            # Refused for what it is (e.g. an alphanumeric sender we cannot answer): acknowledged,
            # so the SMSC does not deliver it again and again.
            logger.warning(
                "sms mo refused from=%s provider_id=%s reason=%s", mask_phone(inbound.address), inbound.provider_id, reason
            )
            return True
        except Exception as error:  # the pipeline's trouble, not the citizen's: the SMSC retries
            logger.warning(
                "sms mo accept failed from=%s provider_id=%s error=%r",
                mask_phone(inbound.address),
                inbound.provider_id,
                error,
            )
            return False
        logger.info(
            "sms mo accepted from=%s provider_id=%s duplicate=%s",
            mask_phone(inbound.address),
            inbound.provider_id,
            getattr(result, "duplicate", None),
        )
        return True

    def _inbound(self, message: AssembledMessage, stamp: str = "") -> tuple[InboundMessage, str]:
        text, exact, data_coding = _text_of(message)
        reference = "" if message.total == 1 else f"{message.scheme}:{message.reference}:{message.total}"
        digest = content_digest(message.source, message.destination, text, reference, stamp)
        received_at = message.first_received_at
        raw: dict[str, Any] = {"to": message.destination, "data_coding": data_coding, "parts": message.total}
        if not message.complete:
            raw["incomplete"] = True
            raw["missing_parts"] = message.missing
        if not exact:
            raw["decoded_exactly"] = False
        inbound = InboundMessage(
            channel=SMS,
            provider_id=provider_id(digest, bool(stamp), received_at, self.redelivery),
            address=message.source,
            kind=KIND_TEXT,
            text=text,
            received_at=received_at or utcnow(),
            raw=raw,
        )
        return inbound, digest


def _concatenation(deliver: DeliverSm) -> tuple[Optional[PartRef], bytes]:
    """The part reference (SAR TLVs or UDH) and the user data without its UDH."""
    data = deliver.user_data
    if (
        deliver.sar_msg_ref_num is not None
        and deliver.sar_total_segments
        and deliver.sar_segment_seqnum
        and 1 <= deliver.sar_segment_seqnum <= deliver.sar_total_segments
    ):
        ref = PartRef(deliver.sar_msg_ref_num, deliver.sar_total_segments, deliver.sar_segment_seqnum, "sar")
        if not deliver.esm_class & ESM_CLASS_UDHI:
            return ref, data
    else:
        ref = None
    if deliver.esm_class & ESM_CLASS_UDHI:
        try:
            header, payload = split_header(data)
        except ValueError:
            logger.warning("sms udh unreadable, text taken whole", extra={"octets": len(data)})
            return ref, data
        if ref is None:
            concat = find_concatenation(header)
            if concat is not None:
                ref = PartRef(concat.reference, concat.total, concat.number, f"udh{concat.reference_bits}")
        return ref, payload
    return None, data


def _text_of(message: AssembledMessage) -> tuple[str, bool, int]:
    """Decode the parts joined as bytes, so a character split across parts by the sender survives;
    runs of missing parts become an ellipsis."""
    parts = message.ordered_parts()
    data_coding = parts[0].data_coding
    if not all(p.data_coding == data_coding for p in parts):
        decoded = [decoding.decode(p.payload, p.data_coding) for p in parts]
        return "".join(d.text for d in decoded), all(d.exact for d in decoded), data_coding
    runs: list[bytes] = []
    previous = None
    for part in parts:
        number = part.ref.number
        if previous is not None and number == previous + 1:
            runs[-1] += part.payload
        else:
            runs.append(part.payload)
        previous = number
    decoded = [decoding.decode(run, data_coding) for run in runs]
    text = _GAP.join(d.text for d in decoded)
    if not message.complete:
        if parts[0].ref.number != 1:
            text = _GAP.lstrip() + text
        if parts[-1].ref.number != message.total:
            text = text + _GAP.rstrip()
    return text, all(d.exact for d in decoded), data_coding
