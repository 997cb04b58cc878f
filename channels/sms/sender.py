"""The outbound half of the SMS channel (`SmsChannel.send` hands its messages here).

`send` goes out from the rendered message's `sender` (an agency's sender ID: alphanumeric as TON 5 /
NPI 0, see addresses.source_address), else from our short code. It splits the rendered text with the UDH reference stored in its body (so a message sent again
after a failure carries the same reference), hands the parts to the SMPP thread and waits for
every submit_sm_resp. It never raises for SMSC trouble:
- all parts accepted → SENT, provider_id = the first part's SMSC message id;
- the SMSC refused a part → FAILED with the command_status name (e.g. ESME_RINVDSTADR), or
  RETRY_LATER for the statuses that mean "not now";
- no bind for `send_bind_wait_s`, or unfinished after `send_timeout_s` → RETRY_LATER, so the
  outbox keeps the message queued and sends it again when the SMSC is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Optional

from core.messages import Verdict
from core.privacy import mask_phone
from channels.base import Rendered, SendOutcome
from channels.sms import segments
from channels.sms.addresses import InvalidSender, is_valid_destination, source_address
from channels.sms.config import SmsConfig
from channels.sms.delivery_tracking import DeliveryTracker
from channels.sms.segments import ReferenceCounter
from channels.sms.smpp_client import SmppClient, SubmitJob, SubmitResult, status_description, status_name

logger = logging.getLogger("channels.sms.sender")

_POLL_S = 0.25
# SMSC answers that mean "not now" rather than "never": the outbox tries again later.
_TRANSIENT_STATUSES = {0x08, 0x64}  # ESME_RSYSERR, ESME_RX_T_APPN
# Messages given back with some parts accepted, remembered for their next try (bounded: a process
# that gives back more than this at once forgets the oldest, whose accepted parts then go twice).
_PARTIAL_MEMORY = 5000


class SmsSender:
    def __init__(
        self,
        config: SmsConfig,
        client: SmppClient,
        tracker: DeliveryTracker,
        references: Optional[ReferenceCounter] = None,
    ) -> None:
        self.config = config
        self.client = client
        self.tracker = tracker
        self.references = references or ReferenceCounter()
        # (address, UDH reference, text) → the job given back: its parts the SMSC accepted (even
        # those whose answer came after it was given back) are not submitted again on the next try.
        self._given_back: "OrderedDict[tuple[str, int, str], SubmitJob]" = OrderedDict()

    async def send(self, message: Rendered) -> SendOutcome:
        address = message.address
        if not is_valid_destination(address):
            return SendOutcome(Verdict.FAILED, error_code="invalid_address", error_title="not an international MSISDN")
        text = message.body.get("text", message.text)
        reference = message.body.get("udh_ref")
        if not isinstance(reference, int):
            reference = self.references.next()
        try:
            parts = segments.split(text, reference)
        except segments.MessageTooLong as error:
            return SendOutcome(Verdict.FAILED, error_code="message_too_long", error_title=str(error))

        try:
            source = self._source(message.sender)
        except InvalidSender as error:
            logger.warning("sms send refused to=%s: bad sender: %s", mask_phone(address), error)
            return SendOutcome(Verdict.FAILED, error_code="invalid_sender", error_title=str(error))
        key = (address, reference, text)
        earlier = self._given_back.pop(key, None)
        accepted = earlier.accepted_parts() if earlier is not None and earlier.message.parts == parts.parts else None
        if accepted:
            logger.info(
                "sms send again to=%s parts=%d already_accepted=%d", mask_phone(address), parts.count, len(accepted)
            )
        job = self.client.submit(address, parts, source, accepted, message.reference)
        result = await self._wait(job)
        if result.gave_up and job.accepted_parts():
            self._given_back[key] = job
            while len(self._given_back) > _PARTIAL_MEMORY:
                self._given_back.popitem(last=False)
        return self._outcome(result, address, parts.count)

    def _source(self, sender: Optional[str]) -> Optional[tuple[str, int, int]]:
        """The submit's source for `sender`; None (the configured short code) when it is ours."""
        if not sender or sender == self.config.short_code:
            return None
        return source_address(sender, self.config.source_ton, self.config.source_npi)

    async def _wait(self, job) -> SubmitResult:
        cfg = self.config
        future = asyncio.wrap_future(job.future)
        started = time.monotonic()
        while True:
            done, _ = await asyncio.wait({future}, timeout=_POLL_S)
            if done:
                return future.result()
            now = time.monotonic()
            unbound_for = 0.0 if self.client.bound else now - max(self.client.unbound_since, started)
            if unbound_for >= cfg.send_bind_wait_s and self.client.withdraw(job, "smsc unavailable"):
                break
            if now - started >= cfg.send_timeout_s:
                self.client.abandon(job, "send timeout")
                break
        return await future  # resolved by withdraw/abandon, or by the owner just before them

    def _outcome(self, result: SubmitResult, address: str, count: int) -> SendOutcome:
        if result.ok:
            self.tracker.register(result.message_ids)
            return SendOutcome(Verdict.SENT, provider_id=result.message_ids[0])
        if result.gave_up:
            return SendOutcome(
                Verdict.RETRY_LATER,
                error_code="smsc_unavailable",
                error_title="no SMPP bind: kept for a later try",
                retry_after=self.config.retry_after_s,
                provider_down=True,
            )
        command_status = result.command_status or 0
        transient = command_status in _TRANSIENT_STATUSES
        logger.warning(
            "sms send failed to=%s status=%s parts=%d", mask_phone(address), status_name(command_status), count
        )
        return SendOutcome(
            Verdict.RETRY_LATER if transient else Verdict.FAILED,
            error_code=status_name(command_status),
            error_title=status_description(command_status),
            retry_after=self.config.retry_after_s if transient else None,
            provider_down=transient,
        )
