"""The outbox: render replies for a channel, persist them BEFORE sending, send them in order.

Every outbound message is a row first (status "queued"), so a crash never loses one: recovery and
the sweeper send whatever is still queued. Sending for one citizen happens under that citizen's
lock, oldest row first; a row waiting for a retry holds back the rows after it, so a citizen never
reads answers out of order. Failures: RETRY_LATER → "retrying" with backoff (bounded); TRY_ANOTHER_CHANNEL / NOT_ON_THIS_CHANNEL → the same
reply re-rendered for the fallback channel (once per reply).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Optional

from coordination.base import Coordination, RateLimiter
from core.messages import SMS, WHATSAPP, BotReply, Verdict, utcnow
from core.privacy import mask_phone
from routing.billing import message_cost
from store import Store
from store.citizens import Identity
from store.messages import MessageRow, NewOutbound
from channels.base import Channel, Rendered, SendOutcome

logger = logging.getLogger(__name__)

def _log_recording_failure(task: "asyncio.Future[bool]") -> None:
    # Retrieved here so a failure after the caller was cancelled is still reported.
    if not task.cancelled() and task.exception() is not None:
        logger.error("recording a send outcome failed: %r", task.exception())


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_s: float = 2.0  # our backoff: base, 2×base, 4×base... up to max_s
    max_s: float = 300.0

    def delay(self, attempt: int, retry_after: Optional[float]) -> float:
        """Our backoff, but never sooner than the provider asked (its Retry-After is not capped)."""
        backoff = min(self.max_s, self.base_s * 2 ** max(0, attempt - 1))
        return max(retry_after or 0.0, backoff)


@dataclass(frozen=True)
class PushResult:
    message_ids: list[int]
    channel: Optional[str]  # the channel chosen, None when nothing was sent
    skipped: Optional[str] = None  # "opted_out", "unreachable", "unknown_citizen"


class Outbox:
    def __init__(
        self,
        store: Store,
        coordination: Coordination,
        channels: Mapping[str, Channel],
        rates: Mapping[str, float],
        *,
        retry: RetryPolicy = RetryPolicy(),
        fallback_channel: str = SMS,
    ) -> None:
        self._store = store
        self._locks = coordination.locks
        self._channels = dict(channels)
        self._limiters: dict[str, RateLimiter] = {
            channel: coordination.rate_limiter(f"send:{channel}", rate) for channel, rate in rates.items() if rate
        }
        self._retry = retry
        self._fallback_channel = fallback_channel

    def channel(self, name: str) -> Optional[Channel]:
        return self._channels.get(name)

    def free_form_open(self, channel: str, last_inbound_at: Optional[datetime]) -> bool:
        """May free text go on `channel` to a citizen who last wrote then? False without the channel."""
        found = self._channels.get(channel)
        return found is not None and found.free_form_open(last_inbound_at, utcnow())

    # --- rendering ----------------------------------------------------------------------------

    def render(
        self,
        reply: BotReply,
        channel: str,
        address: str,
        *,
        citizen_id: int,
        kind: str = "reply",
        reply_to_id: Optional[int] = None,
        free_form: bool = True,
        reply_key: Optional[str] = None,
    ) -> list[NewOutbound]:
        """Rows for one reply on one channel; [] when the channel can't carry it (not configured, a
        render error, or its session closed and the reply has no template) — the reason is logged."""
        found = self._channels.get(channel)
        if found is None:
            logger.error("no channel=%s configured: reply not sent to=%s", channel, mask_phone(address))
            return []
        try:
            rendered = found.render(reply, address, free_form=free_form)
        except Exception as exc:
            logger.warning("render failed channel=%s to=%s error=%s", channel, mask_phone(address), exc)
            return []
        key = reply_key or uuid.uuid4().hex
        reply_dict = reply.to_dict()
        choices = [{"id": c.id, "title": c.title, "description": c.description} for c in reply.choices] or None
        return [
            NewOutbound(
                citizen_id=citizen_id,
                channel=channel,
                address=address,
                text=part.text,
                kind=kind,
                body=part.body,
                reply=reply_dict,
                reply_key=key,
                choices=choices,
                segments=part.segments,
                cost=message_cost(channel, part.segments),
                language=reply.language,
                reply_to_id=reply_to_id,
            )
            for part in rendered
        ]

    def render_with_fallback(
        self,
        reply: BotReply,
        channel: str,
        address: str,
        *,
        citizen_id: int,
        kind: str = "reply",
        reply_to_id: Optional[int] = None,
        free_form: bool = True,
    ) -> list[NewOutbound]:
        rows = self.render(
            reply, channel, address, citizen_id=citizen_id, kind=kind, reply_to_id=reply_to_id, free_form=free_form
        )
        if rows or channel == self._fallback_channel or self._fallback_channel not in self._channels:
            return rows
        logger.info("rendering for %s instead of %s to=%s", self._fallback_channel, channel, mask_phone(address))
        return self.render(
            reply, self._fallback_channel, address, citizen_id=citizen_id, kind=kind, reply_to_id=reply_to_id
        )

    # --- sending ------------------------------------------------------------------------------

    async def flush(self, citizen_id: int, pending: Optional[list[MessageRow]] = None) -> int:
        """Send the citizen's pending messages in order; the caller holds the citizen's lock.

        `pending`: the citizen's pending messages if the caller has just read them (in the same
        transaction that queued them), saving a read. Stops at a message whose retry time has not
        come (the rows after it wait with it). Returns how many were handed to a provider.
        """
        sent = 0
        while True:
            if pending is None:
                pending = await asyncio.to_thread(self._store.messages.pending_outbound, citizen_id)
            for row in pending:
                if row.next_attempt_at is not None and row.next_attempt_at > utcnow():
                    return sent
                if not await self._send_one(row):
                    pending = None  # a retry was scheduled or a fallback queued new rows: read the queue again
                    break
                sent += 1
            else:
                # Everything pending went out. Nothing new can have been queued meanwhile: queueing
                # for this citizen happens under the lock our caller holds.
                return sent

    async def flush_due(self, *, queued_grace_s: float = 30.0) -> int:
        """Send retries whose time has come, and queued messages older than `queued_grace_s` (their
        sender died). Younger queued messages are being sent by a live worker right now."""
        now = utcnow()
        citizens = await asyncio.to_thread(
            self._store.messages.citizens_with_due_outbound,
            now=now,
            queued_before=now - timedelta(seconds=queued_grace_s),
        )
        sent = 0
        for citizen_id in citizens:
            async with self._locks.hold(citizen_id):
                sent += await self.flush(citizen_id)
        return sent

    async def _send_one(self, row: MessageRow) -> bool:
        channel = self._channels.get(row.channel)
        if channel is None:
            await asyncio.to_thread(
                self._store.messages.mark_failed, row.id, error_code="no_channel", detail=f"no {row.channel} channel"
            )
            await self.fall_back(row)
            return False
        limiter = self._limiters.get(row.channel)
        if limiter is not None:
            await limiter.acquire(row.segments or 1)
        message = Rendered(
            channel=row.channel,
            address=row.address,
            text=row.text,
            body=dict(row.body or {}),
            segments=row.segments or 1,
        )
        try:
            outcome = await channel.send(message)
        except Exception as exc:  # the contract says senders don't raise; if one does, treat it as transient
            logger.exception("sender raised channel=%s message_id=%s", row.channel, row.id)
            outcome = SendOutcome(Verdict.RETRY_LATER, error_code="exception", error_title=str(exc)[:200], retry_after=0.0)
        # Once the provider has it, write that down even if we are being cancelled (shutdown):
        # otherwise the row stays "queued" and is sent a second time after the restart.
        recording = asyncio.ensure_future(self._record_outcome(row, outcome))
        recording.add_done_callback(_log_recording_failure)
        return await asyncio.shield(recording)

    async def _record_outcome(self, row: MessageRow, outcome: SendOutcome) -> bool:
        messages = self._store.messages
        if outcome.ok:
            await asyncio.to_thread(messages.mark_sent, row.id, outcome.provider_id)
            logger.info(
                "sent message_id=%s channel=%s to=%s provider_id=%s",
                row.id, row.channel, mask_phone(row.address), outcome.provider_id,
            )
            return True
        not_on_channel = outcome.verdict is Verdict.NOT_ON_THIS_CHANNEL
        if not_on_channel or outcome.verdict is Verdict.TRY_ANOTHER_CHANNEL:
            await asyncio.to_thread(
                messages.mark_failed,
                row.id,
                error_code=outcome.error_code,
                error_title=outcome.error_title,
                detail="not on this channel" if not_on_channel else "channel cannot reach the citizen now",
            )
            if not_on_channel:
                await asyncio.to_thread(self._store.citizens.mark_unreachable, row.channel, row.address)
            await self.fall_back(row)
            return False
        if outcome.verdict is Verdict.RETRY_LATER:
            attempt = (row.attempts or 0) + 1
            if attempt >= self._retry.max_attempts:
                await asyncio.to_thread(
                    messages.mark_failed,
                    row.id,
                    error_code=outcome.error_code,
                    error_title=outcome.error_title,
                    detail=f"gave up after {attempt} attempts",
                )
                logger.error("send gave up message_id=%s channel=%s attempts=%d", row.id, row.channel, attempt)
                return False
            delay = self._retry.delay(attempt, outcome.retry_after)
            await asyncio.to_thread(
                messages.mark_retrying,
                row.id,
                next_attempt_at=utcnow() + timedelta(seconds=delay),
                error_code=outcome.error_code,
                error_title=outcome.error_title,
            )
            logger.warning(
                "send will retry message_id=%s channel=%s attempt=%d in_s=%.2f error=%s",
                row.id, row.channel, attempt, delay, outcome.error_code,
            )
            return False
        await asyncio.to_thread(
            messages.mark_failed, row.id, error_code=outcome.error_code, error_title=outcome.error_title
        )
        logger.warning("send failed message_id=%s channel=%s error=%s", row.id, row.channel, outcome.error_code)
        return False

    async def fall_back(self, row: MessageRow) -> list[int]:
        """Queue the reply `row` carried on the fallback channel (SMS), once per reply."""
        target = self._fallback_channel
        if row.channel == target or target not in self._channels or not row.reply or not row.reply_key:
            logger.warning(
                "no fallback for message_id=%s channel=%s (fallback channel %s configured: %s)",
                row.id, row.channel, target, target in self._channels,
            )
            return []
        rows = self.render(
            BotReply.from_dict(row.reply),
            target,
            row.address,
            citizen_id=row.citizen_id,
            kind=row.kind,
            reply_to_id=row.reply_to_id,
            reply_key=row.reply_key,
        )
        ids = await asyncio.to_thread(self._store.messages.fall_back, row.reply_key, row.channel, rows)
        if ids:
            logger.info("fell back message_id=%s from=%s to=%s new_ids=%s", row.id, row.channel, target, ids)
        return ids

    # --- pushes -------------------------------------------------------------------------------

    async def push(self, citizen_id: int, reply: BotReply, kind: str) -> PushResult:
        """An agency push: WhatsApp inside the 24-hour window as free text, outside it only as a
        template (`reply.template`); else SMS. Citizens who sent STOP get nothing."""
        citizen = await asyncio.to_thread(self._store.citizens.get, citizen_id)
        if citizen is None:
            return PushResult([], None, "unknown_citizen")
        if citizen.opted_out_at is not None:
            logger.info("push skipped: citizen opted out citizen_id=%s kind=%s", citizen_id, kind)
            return PushResult([], None, "opted_out")
        identities = await asyncio.to_thread(self._store.citizens.identities, citizen_id)
        rows, channel = self._plan_push(citizen_id, reply, kind, identities)
        if not rows:
            logger.warning("push undeliverable citizen_id=%s kind=%s", citizen_id, kind)
            return PushResult([], None, "unreachable")
        async with self._locks.hold(citizen_id):
            ids = await asyncio.to_thread(self._store.messages.add_outbound, rows)
            await self.flush(citizen_id)
        return PushResult(ids, channel)

    def _plan_push(
        self, citizen_id: int, reply: BotReply, kind: str, identities: list[Identity]
    ) -> tuple[list[NewOutbound], Optional[str]]:
        whatsapp = next((i for i in identities if i.channel == WHATSAPP and i.unreachable_at is None), None)
        if whatsapp is not None:
            free_form = self.free_form_open(WHATSAPP, whatsapp.last_inbound_at)
            if free_form or reply.template is not None:
                rows = self.render(
                    reply, WHATSAPP, whatsapp.address, citizen_id=citizen_id, kind=kind, free_form=free_form
                )
                if rows:
                    return rows, WHATSAPP
        sms = next((i for i in identities if i.channel == SMS and i.unreachable_at is None), None)
        # A WhatsApp number is a phone number: SMS reaches it even if the citizen never texted us.
        address = sms.address if sms is not None else next((i.address for i in identities), None)
        if address is None:
            return [], None
        rows = self.render(reply, SMS, address, citizen_id=citizen_id, kind=kind)
        return rows, (SMS if rows else None)
