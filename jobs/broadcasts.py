"""Sending a broadcast: the deferred job `send_broadcast(broadcast_id)` (jobs/registry.py).

    expand recipients (idempotent) -> drop opt-outs -> settle what a dead worker left claimed
    -> claim a batch (atomic, SKIP LOCKED) -> per recipient: credit, the lane, outbox.push, mark

Each recipient goes through the outbox like any push: the router picks WhatsApp inside the
24-hour window, the broadcast's approved template outside it, else SMS under the agency's sender
ID; the outbox stores the message with its ledger entry (the broadcast's category: who pays) and
sends it at the channel's shared rate. Its message kind is `broadcast:<id>`, which is how
`BroadcastRepository.recover` tells, after a `kill -9`, whether a claimed recipient's message was
stored (then it is on its way: never sent again) or not (queued again).

Citizens' answers go first (the lane, below): the broadcast waits while citizens' messages are
queued for an answer, and takes at most `share` of the channel's rate, leaving the rest to answers.
Credit is taken one message per recipient before the push (store/credit.py), given back when the
push does not go (opted out since, unreachable); when it runs out the broadcast pauses with the
reason, and resumes after a top-up from the console.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from billing.credit import CreditKeeper
from core.messages import SMS, WHATSAPP, BotReply, Notice
from jobs.context import JobContext, SweepReport
from routing.billing import MessageKind
from routing.policy import agency_of
from store.audit import Actor
from store.citizens import PushFacts
from store.broadcasts import (
    CLAIMED,
    DONE,
    FAILED,
    FELL_BACK_SMS,
    PAUSED,
    SCHEDULED,
    SENDING,
    SENT,
    SKIPPED,
    Claimed,
    Mark,
    Policy,
    kind_of,
)

logger = logging.getLogger(__name__)

SYSTEM = Actor("broadcast sender")
BATCH = 50
RUN_BUDGET_S = 240.0  # under arq's default job timeout (300 s)
CONCURRENCY = 8
ANSWER_SHARE = 0.5  # the broadcast's most of a channel's rate; the rest is kept for citizens' answers
ANSWERS_FIRST_POLL_S = 0.02
BROADCAST_TEMPLATE_KINDS = ("broadcast_announcement",)


def in_quiet_hours(policy: Policy, at: datetime) -> bool:
    """Whether `at` falls in the ministry's quiet hours (local time; the span may cross midnight)."""
    local = at.astimezone(ZoneInfo(policy.timezone)).time()
    start, end = policy.quiet_start, policy.quiet_end
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(policy: Policy, at: datetime) -> datetime:
    """The first moment after `at` outside the quiet hours (`at` itself when outside)."""
    if not in_quiet_hours(policy, at):
        return at
    zone = ZoneInfo(policy.timezone)
    local = at.astimezone(zone)
    end = local.replace(hour=policy.quiet_end.hour, minute=policy.quiet_end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(at.tzinfo)


def waits_for_morning(broadcast, policy: Policy, at: datetime) -> bool:  # type: ignore[no-untyped-def]
    """A promotional broadcast does not go in the ministry's quiet hours (the issue: "no
    promotional messages at night"); awareness, internal and transaction-status ones do."""
    return broadcast.category == MessageKind.PROMOTIONAL.value and in_quiet_hours(policy, at)


@dataclass
class Lane:
    """The broadcast's lower-priority lane on the shared channels: waits while citizens' messages
    wait for an answer, and paces itself to `share` of the fastest configured channel's rate (each
    message still takes its token from the channel's shared limiter inside the outbox)."""

    ctx: JobContext
    share: float = ANSWER_SHARE

    def __post_init__(self) -> None:
        outbox = self.ctx.outbox
        rates = [getattr(outbox.channel(name), "rate", None) for name in (WHATSAPP, SMS) if outbox and outbox.channel(name)]
        rate = max((r for r in rates if r), default=None)
        coordination = self.ctx.coordination
        self.limiter = coordination.rate_limiter("broadcast_lane", rate * self.share) if coordination and rate else None

    async def wait_turn(self) -> None:
        coordination = self.ctx.coordination
        if coordination is not None:
            while await coordination.queue.length() > 0:  # citizens' messages waiting: answers first
                await asyncio.sleep(ANSWERS_FIRST_POLL_S)
        if self.limiter is not None:
            await self.limiter.acquire()


async def send_broadcast(ctx: JobContext, broadcast_id: int, as_of: Optional[str] = None) -> str:
    """Send broadcast `broadcast_id` (scheduled, or sending after a restart) to its queued recipients.
    `as_of`: the moment the sweep that started it ran for (ISO; `run-due --as-of` moves it), which
    decides the quiet hours; else now."""
    store = ctx.store
    repo = store.broadcasts
    broadcast = await asyncio.to_thread(repo.get, broadcast_id)
    if broadcast is None:
        return f"broadcast {broadcast_id}: none"
    if broadcast.status not in (SCHEDULED, SENDING):
        return f"broadcast {broadcast_id}: {broadcast.status}, nothing to send"
    if ctx.outbox is None:
        raise RuntimeError("no channels configured: `tawasol jobs worker` needs WhatsApp or SMS settings to send")
    policy = await asyncio.to_thread(repo.policy)
    now = datetime.fromisoformat(as_of) if as_of else datetime.now(tz=ZoneInfo("UTC"))
    if waits_for_morning(broadcast, policy, now):
        from jobs.deferred import enqueue  # late: the registry imports this module

        resume = quiet_hours_end(policy, now)
        if ctx.settings.redis_url:
            await enqueue(ctx.settings.redis_url, "send_broadcast", broadcast_id,
                          job_id=f"broadcast-{broadcast_id}-{int(resume.timestamp())}", at=resume)
        return f"broadcast {broadcast_id}: quiet hours, again at {resume.isoformat()}"
    await asyncio.to_thread(repo.move, broadcast_id, (SCHEDULED,), SENDING, actor=SYSTEM)
    settled, requeued = await asyncio.to_thread(repo.recover, broadcast_id)
    if settled or requeued:
        logger.warning("broadcast recovered broadcast_id=%s settled=%d requeued=%d", broadcast_id, settled, requeued)
    spec = broadcast.recipients_spec or {}
    if broadcast.recipients_source == "topic":
        await asyncio.to_thread(repo.expand, broadcast_id, subscribers_of=spec.get("topic"))
    elif broadcast.recipients_source == "asked":
        await asyncio.to_thread(
            repo.expand, broadcast_id, asked_services=[spec["service"]],
            asked_from=_time(spec.get("from")), asked_until=_time(spec.get("until")),
        )
    await asyncio.to_thread(repo.apply_opt_outs, broadcast_id, broadcast.agency_id)

    agency_record = await asyncio.to_thread(store.agencies.get, broadcast.agency_id)
    sender = _Sender(ctx, broadcast, agency_record)
    started = time.monotonic()
    while True:
        if time.monotonic() - started > RUN_BUDGET_S and ctx.settings.redis_url:
            # arq cancels a job past its timeout (300 s): a long broadcast goes on in a fresh job.
            from jobs.deferred import enqueue

            await enqueue(ctx.settings.redis_url, "send_broadcast", broadcast_id)
            return f"broadcast {broadcast_id}: continues in a new job"
        claimed = await asyncio.to_thread(repo.claim, broadcast_id, BATCH)
        if not claimed:
            break
        stop = await sender.send_batch(claimed)
        if stop:
            break
    progress = await asyncio.to_thread(repo.progress, broadcast_id)
    if progress.finished:
        await asyncio.to_thread(repo.move, broadcast_id, (SENDING,), DONE, actor=SYSTEM)
    status = await asyncio.to_thread(repo.status, broadcast_id)
    logger.info("broadcast run broadcast_id=%s status=%s sent=%d fell_back_sms=%d failed=%d queued=%d",
                broadcast_id, status, progress.sent, progress.fell_back_sms, progress.failed, progress.queued)
    return f"broadcast {broadcast_id}: {status}, {progress.sent + progress.fell_back_sms} sent"


STALLED_AFTER = timedelta(minutes=1)


async def restart_stalled_broadcasts(ctx: JobContext, now: datetime) -> SweepReport:
    """Every minute: start the broadcasts that are due (a send time passed while no job was
    queued) and restart those whose worker died (`kill -9`, a crash): the new run settles what
    the dead one left claimed and carries on."""
    from jobs.deferred import enqueue  # late: the registry imports this module

    if not ctx.settings.redis_url:
        return SweepReport("broadcasts", now, "skipped: no REDIS_URL, no job engine to send with", 0)
    repo = ctx.store.broadcasts
    stalled = await asyncio.to_thread(repo.stalled, now, STALLED_AFTER)
    policy = await asyncio.to_thread(repo.policy)
    started, waiting = [], []
    for broadcast_id in stalled:
        broadcast = await asyncio.to_thread(repo.get, broadcast_id)
        (waiting if broadcast is not None and waits_for_morning(broadcast, policy, now) else started).append(broadcast_id)
    for broadcast_id in started:
        # The sweep's moment goes with the job: `run-due --as-of` decides the quiet hours too.
        await enqueue(ctx.settings.redis_url, "send_broadcast", broadcast_id, now.isoformat())
    did = f"{len(started)} broadcast(s) started or restarted"
    if waiting:
        did += (f"; {len(waiting)} promotional broadcast(s) wait for the end of the quiet hours "
                f"({quiet_hours_end(policy, now).astimezone(ZoneInfo(policy.timezone)):%H:%M} {policy.timezone})")
    return SweepReport("broadcasts", now, did, len(started))


def _time(value: Optional[str]) -> Optional[datetime]:
    return datetime.fromisoformat(value) if value else None


class _Sender:
    def __init__(self, ctx: JobContext, broadcast, agency_record) -> None:  # type: ignore[no-untyped-def]
        self.ctx = ctx
        self.broadcast = broadcast
        self.payer = agency_of(agency_record)
        self.agency_name = {"ar": agency_record.name_ar, "en": agency_record.name_en}
        self.credit = CreditKeeper(ctx.store, ctx.outbox)
        self.lane = Lane(ctx)
        self.kind = kind_of(broadcast.id)
        self.category = MessageKind(broadcast.category)

    async def send_batch(self, claimed: list[Claimed]) -> bool:
        """Send a claimed batch, CONCURRENCY at a time; True when the broadcast must stop here
        (credit used up, paused or cancelled): the ones not sent are given back to the queue.

        Per batch, not per recipient: the citizens of every number (one transaction), their
        opt-outs and identities (one, handed to the outbox's push); per group: the status, the credit
        (one reservation for the group) and the recipients' marks (one transaction). What is left
        per recipient is the outbox's own queueing and sending."""
        repo = self.ctx.store.broadcasts
        citizens = await asyncio.to_thread(repo.citizens_for, [c.phone for c in claimed])
        # What the outbox would read per push (opt-outs, identities), for the whole batch at once.
        facts = await asyncio.to_thread(self.ctx.store.citizens.push_facts, list(citizens.values()), self.payer.id)
        left = list(claimed)
        while left:
            status = await asyncio.to_thread(repo.status, self.broadcast.id)
            if status != SENDING:
                await asyncio.to_thread(repo.release, [c.recipient_id for c in left])
                return True
            group, left = left[:CONCURRENCY], left[CONCURRENCY:]
            granted = await self._reserve(len(group))
            marks = await asyncio.gather(
                *(self._one(c, citizens[c.phone], facts[citizens[c.phone]]) for c in group[:granted])
            )
            await asyncio.to_thread(repo.mark_many, marks)
            if granted < len(group):
                unsent = [c.recipient_id for c in group[granted:]] + [c.recipient_id for c in left]
                await asyncio.to_thread(repo.release, unsent)
                await asyncio.to_thread(
                    repo.move, self.broadcast.id, (SENDING,), PAUSED, actor=SYSTEM,
                    reason="credit_exhausted: the agency's message credit is used up; ask the ministry for more",
                )
                return True
        return False

    async def _reserve(self, wanted: int) -> int:
        """Credit for `wanted` messages: one reservation for the group; when the credit cannot
        cover it all, one at a time for as many as it can (the rest wait for a top-up)."""
        decision = await self.credit.reserve(self.broadcast.agency_id, self.category.value, wanted)
        if decision.allowed:
            return wanted
        granted = 0
        while granted < wanted and (await self.credit.reserve(self.broadcast.agency_id, self.category.value, 1)).allowed:
            granted += 1
        return granted

    async def _one(self, recipient: Claimed, citizen_id: int, facts: PushFacts) -> Mark:
        """One recipient, its credit already taken: pushed through the outbox; how it went."""
        await self.lane.wait_turn()
        language = recipient.language if recipient.language in ("ar", "en") else "ar"
        text = (self.broadcast.text_en if language == "en" else self.broadcast.text_ar) or self.broadcast.text_ar
        notice = None
        if self.broadcast.template:
            notice = Notice(self.broadcast.template, {"agency_name": self.agency_name[language], "text": text},
                            self.broadcast.agency_id)
        try:
            result = await self.ctx.outbox.push(
                citizen_id, BotReply(text=text, language=language, notice=notice), self.kind,
                category=self.category, agency=self.payer, facts=facts,
            )
        except Exception as error:  # one bad recipient never stops the broadcast
            logger.exception("broadcast push failed broadcast_id=%s recipient_id=%s", self.broadcast.id, recipient.recipient_id)
            await self.credit.release(self.broadcast.agency_id, 1)
            return Mark(recipient.recipient_id, FAILED, citizen_id=citizen_id, error=type(error).__name__)
        if not result.message_ids:
            await self.credit.release(self.broadcast.agency_id, 1)
            state = SKIPPED if result.skipped and result.skipped.startswith("opted_out") else FAILED
            return Mark(recipient.recipient_id, state, citizen_id=citizen_id, error=result.skipped or "unreachable")
        on_whatsapp = any(i.channel == WHATSAPP and not i.unreachable_at for i in facts.identities)
        state = FELL_BACK_SMS if result.channel == SMS and on_whatsapp else SENT
        return Mark(recipient.recipient_id, state, citizen_id=citizen_id, message_id=result.message_ids[0],
                    channel=result.channel)


__all__ = ["send_broadcast", "in_quiet_hours", "quiet_hours_end", "CLAIMED"]
