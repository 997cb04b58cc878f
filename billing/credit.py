"""Message credit for the agency API: reserve before sending, and tell the liaison officer at 80%
and at 100%.

    keeper = CreditKeeper(store, outbox)
    decision = await keeper.reserve(agency_id, "awareness", messages=1)
    if not decision.allowed:  -> HTTP 402 {"reason": decision.reason, "detail": decision.detail}

The reservation itself is the store's (store/credit.py: atomic, urgent categories never refused).
When it crosses 80% or 100% of the credit granted at the last top-up, this sends the liaison
officer one SMS (once per threshold per top-up) and records the alert (table `credit_alerts`,
with the message or the reason none went). The notice is the ministry's message to the body about
the ministry's service: category `internal`, paid by the ministry, and it takes no credit (an
agency whose credit is gone must still hear that it is).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Optional

from core.messages import SMS, BotReply
from core.privacy import mask_phone
from pipeline.outbox import Outbox
from routing.billing import MessageKind
from routing.policy import MINISTRY
from store import Store
from store.credit import CreditDecision

logger = logging.getLogger(__name__)

CREDIT_ALERT_KIND = "credit_alert"  # the push kind of the liaison officer's notice


def alert_text(threshold: int, *, name_ar: str, name_en: str, remaining: int, granted: Optional[int]) -> str:
    """The liaison officer's SMS: Arabic first, then English, short (it is UCS-2: 70 characters a segment)."""
    left = max(remaining, 0)
    of = f" / {granted}" if granted else ""
    if threshold >= 100:
        return (
            f"تواصل: نفد رصيد رسائل {name_ar} ({left}{of}). الرسائل غير العاجلة مرفوضة حتى تعبئة الرصيد.\n"
            f"Tawasol: {name_en} message credit used up ({left}{of} left). Non-urgent messages are refused until a top-up."
        )
    return (
        f"تواصل: استُخدم {threshold}% من رصيد رسائل {name_ar} (المتبقي {left}{of}).\n"
        f"Tawasol: {threshold}% of {name_en} message credit used ({left}{of} left)."
    )


class CreditKeeper:
    def __init__(self, store: Store, outbox: Outbox) -> None:
        self._store = store
        self._outbox = outbox

    async def reserve(self, agency_id: str, category: str, messages: int = 1) -> CreditDecision:
        """Reserve credit for `messages` of `category` (store/credit.py's rules), and tell the
        liaison officer of any threshold this reservation crossed. Never raises for the notice: a
        failed notice is logged and recorded, the decision stands."""
        decision = await asyncio.to_thread(self._store.credit.reserve, agency_id, category, messages)
        if not decision.allowed:
            logger.info(
                "credit refused agency=%s category=%s messages=%d reason=%s remaining=%s",
                agency_id, category, messages, decision.reason, decision.remaining,
            )
        for threshold in decision.alerts:
            try:
                await self.tell_liaison(agency_id, threshold)
            except Exception:
                logger.exception("credit alert failed agency=%s threshold=%d", agency_id, threshold)
        return decision

    async def release(self, agency_id: str, messages: int = 1) -> Optional[int]:
        """Give back credit reserved for messages that were not sent."""
        return await asyncio.to_thread(self._store.credit.release, agency_id, messages)

    async def tell_liaison(self, agency_id: str, threshold: int) -> Optional[int]:
        """Send the liaison officer the `threshold` notice and record it; the message id, or None
        when no SMS could go (no liaison phone, unreachable: the record says why)."""
        agency = await asyncio.to_thread(self._store.agencies.get, agency_id)
        state = await asyncio.to_thread(self._store.credit.state, agency_id)
        remaining = state.remaining if state.remaining is not None else 0
        granted = state.granted if state.granted is not None else 0
        message_id: Optional[int] = None
        note: Optional[str] = None
        if not agency.liaison_phone:
            note = "no liaison phone on record"
        else:
            citizen_id = await asyncio.to_thread(self._store.citizens.resolve, SMS, agency.liaison_phone)
            text = alert_text(threshold, name_ar=agency.name_ar, name_en=agency.name_en, remaining=remaining, granted=granted)
            result = await self._outbox.push(
                citizen_id, BotReply(text=text, language="ar"), CREDIT_ALERT_KIND,
                category=MessageKind.INTERNAL, agency=MINISTRY,
            )
            if result.message_ids:
                message_id = result.message_ids[0]
            else:
                note = f"not sent: {result.skipped}"
        await asyncio.to_thread(
            self._store.credit.record_alert, agency_id, threshold,
            credit_granted=granted, remaining=remaining, message_id=message_id, note=note,
        )
        logger.warning(
            "credit alert agency=%s threshold=%d remaining=%d granted=%d liaison=%s sent=%s",
            agency_id, threshold, remaining, granted, mask_phone(agency.liaison_phone), message_id is not None,
        )
        return message_id
