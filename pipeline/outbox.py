"""The outbox: render replies as the router says, persist them BEFORE sending, send them in order.

Every outbound message is a row first (status "queued"), written with the router's reason for its
channel and its ledger entry (who pays), so a crash never loses one: recovery and the sweeper send
whatever is still queued. Sending for one citizen happens under that citizen's lock, oldest row
first; a row waiting for a retry holds back the rows after it, so a citizen never reads answers out
of order. Failures: RETRY_LATER → "retrying" with backoff (bounded); TRY_ANOTHER_CHANNEL /
NOT_ON_THIS_CHANNEL → the router names the next channel and the same reply is re-rendered for it
(once per reply and channel). A push (an agency's notification) moves on after any failure, giving
up on retries included: the step must reach the citizen; an answer does so only for the two
verdicts above. A push sent on a channel that must confirm delivery (routing policy
`delivery_deadline`: WhatsApp) carries a deadline, `delivery_timeout` after it was sent; still
undelivered then, it moves on too (pipeline/delivery_fallbacks.py). Which channel, which sender and
who pays are the router's (routing/router.py): nothing here names a channel; the sender the router
chose goes to the channel on `Rendered.sender`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Mapping, Optional, Sequence

from coordination.base import Coordination, RateLimiter
from pipeline.circuit import Circuit
from core.messages import BotReply, Verdict, utcnow
from core.privacy import mask_phone
from routing.billing import BodyType, CitizenCharge, MessageKind
from routing.policy import DEFAULT_ROUTING, MINISTRY, Agency, RoutingPolicy, agency_of
from routing.router import NOT_DELIVERED_IN_TIME, OPTED_OUT, RoutePlan, RouteStep, Router
from store import Store
from store.citizens import Identity, PushFacts
from store.messages import MessageRow
from store.outbound import NewOutbound, SendFailure
from channels.base import Channel, Rendered, SendOutcome, SessionTemplates

logger = logging.getLogger(__name__)

CIRCUIT_OPEN = "circuit_open"  # an error code: the provider was failing, so it was not called
# Writing down what the provider already has (sent) is retried this long if the database is away:
# a row left "queued" would be sent again, and the citizen would read it twice.
RECORD_SENT_FOR_S = 600.0
RENDER_FAILED = "render_failed"  # a route cause: the channel could not shape the reply
NO_CHANNEL = "no_channel"  # a route cause: the row's channel is not configured (any more)
GAVE_UP = "gave_up"  # a route cause: the channel kept asking us to retry, and we stopped
DEFAULT_DELIVERY_TIMEOUT = timedelta(minutes=10)
# How long a message handed to its provider waits, if its sender died before recording the answer,
# for the provider's status to say it was taken (WhatsApp's callback data, SMPP's
# user_message_reference) before it is sent again: statuses come within seconds when they come.
SEND_HOLD = timedelta(seconds=20)
REPLY = "reply"  # the kind of an answer to the citizen's own message; every other kind is a push
OPTED_OUT_OF_AGENCY = "opted_out_of_agency"  # a push skipped: the citizen stopped this agency's messages


def _log_recording_failure(task: "asyncio.Future[bool]") -> None:
    # Retrieved here so a failure after the caller was cancelled is still reported.
    if not task.cancelled() and task.exception() is not None:
        logger.error("recording a send outcome failed: %r", task.exception())


@dataclass(frozen=True)
class RetryPolicy:
    """A message the provider turns back "for now" is tried again until it has had `max_attempts`
    tries AND is `give_up_after_s` old: an outage of the provider (minutes, hours) costs the
    citizen a late answer, not a lost one; a message that never goes still ends, as failed."""

    max_attempts: int = 5
    give_up_after_s: float = 6 * 3600.0
    base_s: float = 2.0  # our backoff: base, 2×base, 4×base... up to max_s
    max_s: float = 60.0

    def gives_up(self, attempt: int, age_s: float) -> bool:
        return attempt >= self.max_attempts and age_s >= self.give_up_after_s

    def delay(self, attempt: int, retry_after: Optional[float]) -> float:
        """Our backoff, but never sooner than the provider asked (its Retry-After is not capped)."""
        backoff = min(self.max_s, self.base_s * 2 ** max(0, attempt - 1))
        return max(retry_after or 0.0, backoff)


@dataclass(frozen=True)
class PushResult:
    message_ids: list[int]
    channel: Optional[str]  # the channel chosen, None when nothing was sent
    skipped: Optional[str] = None  # "opted_out", "opted_out_of_agency", "unreachable", "unknown_citizen"
    reason: Optional[str] = None  # the router's reason for the channel (routing/router.py)


class Outbox:
    def __init__(
        self,
        store: Store,
        coordination: Coordination,
        channels: Mapping[str, Channel],
        rates: Mapping[str, Optional[float]],
        *,
        routing: RoutingPolicy = DEFAULT_ROUTING,
        retry: RetryPolicy = RetryPolicy(),
        delivery_timeout: Optional[timedelta] = DEFAULT_DELIVERY_TIMEOUT,
        circuit: Callable[[], Circuit] = Circuit,
        send_hold: timedelta = SEND_HOLD,
    ) -> None:
        """`delivery_timeout`: how long a push may stay undelivered on a channel that must confirm
        delivery before it goes by the fallback (TAWASOL_DELIVERY_TIMEOUT_MINUTES); None: never.
        `circuit` makes each channel's circuit breaker (pipeline/circuit.py; tests shorten it).
        `send_hold`: how long a message handed to its provider is its sender's alone (SEND_HOLD)."""
        self._store = store
        self.send_hold = send_hold
        self.delivery_timeout = delivery_timeout
        self._locks = coordination.locks
        self._channels = dict(channels)
        self.router = Router(self._channels, routing)
        # A channel written before the attribute existed shows buttons, not numbers.
        self.numbered_menu_channels = frozenset(
            name for name, channel in self._channels.items() if getattr(channel, "numbered_menus", False)
        )
        self._limiters: dict[str, RateLimiter] = {
            channel: coordination.rate_limiter(f"send:{channel}", rate) for channel, rate in rates.items() if rate
        }
        self._retry = retry
        self._new_circuit = circuit
        self._circuits = {name: circuit() for name in self._channels}

    def channel(self, name: str) -> Optional[Channel]:
        return self._channels.get(name)

    def moves_on(self, kind: str, verdict: Verdict) -> bool:
        """Whether a message of `kind` failed with `verdict` goes to the next channel: a push after
        any failure, an answer only when the channel says another may reach the citizen."""
        if verdict in (Verdict.NOT_ON_THIS_CHANNEL, Verdict.TRY_ANOTHER_CHANNEL):
            return True
        return kind != REPLY and verdict in (Verdict.FAILED, Verdict.RETRY_LATER)

    def _has_template(self, reply: BotReply) -> Callable[[str], bool]:
        """Per channel: does the reply have a form the channel's closed session allows?"""

        def test(name: str) -> bool:
            channel = self._channels.get(name)
            if isinstance(channel, SessionTemplates):
                return channel.has_template(reply)
            return reply.template is not None

        return test

    # --- rendering ----------------------------------------------------------------------------

    def answer_rows(
        self, replies: Sequence[BotReply], *, to: MessageRow, identities: Sequence[Identity]
    ) -> list[NewOutbound]:
        """Rows for every reply answering the inbound message `to`. A question answered with
        information (a catalog answer: it has a heading) is one POP query, priced once, on the
        first such answer's first message, where the router says the price applies (SMS both ways)."""
        rows: list[NewOutbound] = []
        query_priced = False
        for reply in replies:
            informs = reply.heading is not None and not query_priced
            parts = self.reply_rows(reply, to=to, identities=identities, supplies_information=informs)
            query_priced = query_priced or (informs and bool(parts))
            rows.extend(parts)
        return rows

    def reply_rows(
        self, reply: BotReply, *, to: MessageRow, identities: Sequence[Identity], supplies_information: bool = False
    ) -> list[NewOutbound]:
        """Rows answering the inbound message `to`, on the channel the router chooses; [] when no
        channel can carry the reply (the reasons are logged). `supplies_information`: the reply
        answers the question (the citizen's POP price may apply, routing/billing.py)."""
        plan = self.router.for_reply(
            channel=to.channel, address=to.address, identities=identities, has_template=self._has_template(reply)
        )
        if not plan.steps:
            logger.error(
                "reply not sent: no route message_id=%s to=%s passed_over=%s",
                to.id, mask_phone(to.address), ",".join(plan.passed_over),
            )
        return self._render_plan(
            reply, plan, citizen_id=to.citizen_id, kind="reply", reply_to_id=to.id,
            asked_on=to.channel, supplies_information=supplies_information,
        )

    def _render_plan(
        self,
        reply: BotReply,
        plan: RoutePlan,
        *,
        citizen_id: int,
        kind: str,
        reply_to_id: Optional[int] = None,
        asked_on: Optional[str] = None,
        supplies_information: bool = False,
    ) -> list[NewOutbound]:
        """Rows on the plan's first channel that can shape the reply (a later one if a channel's
        renderer fails)."""
        for position, step in enumerate(plan.steps):
            citizen = self.router.citizen_charge(
                kind=kind, channel=step.channel, asked_on=asked_on, supplies_information=supplies_information
            )
            rows = self._render(
                reply, step, plan.category, plan.agency,
                citizen_id=citizen_id, kind=kind, reply_to_id=reply_to_id,
                cause=RENDER_FAILED if position else None, citizen=citizen,
            )
            if rows:
                return rows
        return []

    def _render(
        self,
        reply: BotReply,
        step: RouteStep,
        category: Optional[MessageKind],
        agency: Agency,
        *,
        citizen_id: int,
        kind: str,
        reply_to_id: Optional[int] = None,
        reply_key: Optional[str] = None,
        cause: Optional[str] = None,
        citizen: CitizenCharge = CitizenCharge.NONE,
    ) -> list[NewOutbound]:
        """Rows for one reply on the step's channel, each with its route and ledger entry; [] when
        the channel can't shape it (a render error, or a closed session and no template: logged).
        The citizen's POP price (`citizen`) goes on the first row only: it is per query or per
        subscription message, not per part."""
        channel = self._channels[step.channel]
        try:
            rendered = channel.render(reply, step.address, free_form=step.free_form)
        except Exception as exc:
            logger.warning("render failed channel=%s to=%s error=%s", step.channel, mask_phone(step.address), exc)
            return []
        if not rendered:
            logger.info(
                "channel=%s rendered nothing to=%s free_form=%s", step.channel, mask_phone(step.address), step.free_form
            )
        key = reply_key or uuid.uuid4().hex
        reply_dict = reply.to_dict()
        choices = [{"id": c.id, "title": c.title, "description": c.description} for c in reply.choices] or None
        return [
            NewOutbound(
                citizen_id=citizen_id,
                channel=step.channel,
                address=step.address,
                text=part.text,
                kind=kind,
                body=part.body,
                reply=reply_dict,
                reply_key=key,
                choices=choices,
                segments=part.segments,
                language=reply.language,
                reply_to_id=reply_to_id,
                sender=step.sender,
                route_reason=step.reason,
                route_cause=step.cause or cause,
                billing=(
                    self.router.bill(
                        category, agency, step.channel, part.segments,
                        citizen=citizen if position == 0 else CitizenCharge.NONE,
                    )
                    if category else None
                ),
            )
            for position, part in enumerate(rendered)
        ]

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
                pending = await asyncio.to_thread(self._store.outbound.pending, citizen_id)
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
            self._store.outbound.citizens_with_due,
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
                self._store.outbound.mark_failed, row.id, error_code=NO_CHANNEL, detail=f"no {row.channel} channel"
            )
            await self.fall_back(row, NO_CHANNEL)
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
            sender=row.sender,
            reference=row.id,
        )
        circuit = self._circuits.setdefault(row.channel, self._new_circuit())
        if circuit.allows():
            try:
                now = utcnow()
                if not await asyncio.to_thread(self._store.outbound.claim_for_send, row.id, now, now + self.send_hold):
                    # Another sender has it, or it went: our list was read before (a lost lock).
                    circuit.release_probe()
                    logger.info("message_id=%s is another sender's or gone: not sent from here", row.id)
                    return False
                outcome = await channel.send(message)
            except asyncio.CancelledError:
                circuit.release_probe()
                raise
            except Exception as exc:  # the contract says senders don't raise; if one does, treat it as transient
                logger.exception("sender raised channel=%s message_id=%s", row.channel, row.id)
                outcome = SendOutcome(Verdict.RETRY_LATER, error_code="exception", error_title=str(exc)[:200], retry_after=0.0)
            if circuit.record(outcome):
                await self._provider_back(row.channel)
            elif outcome.provider_down and circuit.open:
                logger.warning("channel=%s provider failing: sends held for %.1fs", row.channel, circuit.wait_s())
        else:
            outcome = SendOutcome(
                Verdict.RETRY_LATER,
                error_code=CIRCUIT_OPEN,
                error_title="provider failing: not called",
                retry_after=circuit.wait_s(),
            )
        # Once the provider has it, write that down even if we are being cancelled (shutdown):
        # otherwise the row stays "queued" and is sent a second time after the restart.
        recording = asyncio.ensure_future(self._record_outcome(row, outcome))
        recording.add_done_callback(_log_recording_failure)
        return await asyncio.shield(recording)

    async def _provider_back(self, channel: str) -> None:
        """The channel's provider answers again: what waits for a retry on it goes now."""
        try:
            moved = await asyncio.to_thread(self._store.outbound.retry_now, channel, utcnow())
        except Exception as exc:  # they still go at the end of their backoff
            logger.warning("channel=%s is back, but bringing its retries forward failed: %s", channel, exc)
            return
        logger.info("channel=%s provider answers again; retries brought forward count=%d", channel, moved)

    async def _mark_sent(self, row: MessageRow, provider_id: Optional[str]) -> None:
        delay, deadline = 0.2, asyncio.get_running_loop().time() + RECORD_SENT_FOR_S
        while True:
            try:
                await asyncio.to_thread(
                    self._store.outbound.mark_sent, row.id, provider_id, deliver_by=self._deadline(row)
                )
                return
            except Exception as exc:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                logger.warning(
                    "recording a sent message failed message_id=%s (retrying in %.1fs): %s", row.id, delay, exc
                )
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)

    async def _record_outcome(self, row: MessageRow, outcome: SendOutcome) -> bool:
        outbound = self._store.outbound
        if outcome.ok:
            await self._mark_sent(row, outcome.provider_id)
            logger.info(
                "sent message_id=%s channel=%s to=%s provider_id=%s",
                row.id, row.channel, mask_phone(row.address), outcome.provider_id,
            )
            return True
        not_on_channel = outcome.verdict is Verdict.NOT_ON_THIS_CHANNEL
        if not_on_channel or outcome.verdict is Verdict.TRY_ANOTHER_CHANNEL:
            if not_on_channel:
                await asyncio.to_thread(self._store.citizens.mark_unreachable, row.channel, row.address)
            await self._fail(
                row, outcome, outcome.verdict.value,
                "not on this channel" if not_on_channel else "channel cannot reach the citizen now",
            )
            return False
        if outcome.verdict is Verdict.RETRY_LATER:
            attempt = (row.attempts or 0) + 1
            if self._retry.gives_up(attempt, _age_s(row)):
                logger.error("send gave up message_id=%s channel=%s attempts=%d", row.id, row.channel, attempt)
                await self._fail(
                    row, outcome, GAVE_UP if self.moves_on(row.kind, outcome.verdict) else None,
                    f"gave up after {attempt} attempts",
                )
                return False
            # Held back by the circuit: due again when it lets a probe through, without the backoff
            # growing (else after a long outage every retry waits a minute past the provider's return).
            held = outcome.error_code == CIRCUIT_OPEN
            delay = (outcome.retry_after or 0.0) if held else self._retry.delay(attempt, outcome.retry_after)
            await asyncio.to_thread(
                outbound.mark_retrying,
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
        logger.warning("send failed message_id=%s channel=%s error=%s", row.id, row.channel, outcome.error_code)
        await self._fail(row, outcome, outcome.verdict.value if self.moves_on(row.kind, outcome.verdict) else None)
        return False

    async def _fail(self, row: MessageRow, outcome: SendOutcome, move_cause: Optional[str], detail: Optional[str] = None) -> None:
        """Record that `row`'s send failed and, with a `move_cause`, queue its reply on the next
        channel, both in ONE transaction (store.outbound.fall_back with `failed`). Written one
        after the other, a worker killed between them left the failure recorded and the fallback
        never queued: the step reached the citizen on no channel (the 1,000-transaction soak run
        lost a registration that way, SIGKILL right after WhatsApp's 131026). Killed before the
        commit now, the row is still pending: it is sent again once its hold is over, refused
        again, and moves on then."""
        failure = SendFailure(row.id, outcome.error_code, outcome.error_title, detail)
        if move_cause is not None and await self.fall_back(row, move_cause, failed=failure):
            return
        # Nowhere to go, nothing to move, or moved already by another worker: the failure alone.
        await asyncio.to_thread(
            self._store.outbound.mark_failed,
            row.id, error_code=failure.error_code, error_title=failure.error_title, detail=failure.detail,
        )

    def _deadline(self, row: MessageRow) -> Optional[datetime]:
        """When a push just sent must be confirmed delivered by, if its channel must and has a
        fallback to move to; None for answers and elsewhere."""
        if self.delivery_timeout is None or row.kind == REPLY:
            return None
        if row.channel not in self.router.policy.delivery_deadline or not self.router.has_fallback(row.channel):
            return None
        return utcnow() + self.delivery_timeout

    async def move_undelivered(self, overdue: Sequence[MessageRow], now: datetime) -> int:
        """Send by the fallback channel each of these pushes (store.outbound.overdue) whose channel
        has still not confirmed delivery by its deadline as of `now`; each once, whichever worker
        gets there first. Returns how many moved."""
        moved = 0
        for row in overdue:
            async with self._locks.hold(row.citizen_id):
                if await self.fall_back(row, NOT_DELIVERED_IN_TIME, overdue_at=now):
                    moved += 1
                    await self.flush(row.citizen_id)
                else:
                    # Moved by another worker, delivered meanwhile, or nowhere to go (logged):
                    # either way the timer is done with it.
                    await asyncio.to_thread(self._store.outbound.clear_deadline, row.id)
        if moved:
            logger.info("moved undelivered pushes count=%d as_of=%s", moved, now.isoformat())
        return moved

    async def fall_back(
        self,
        row: MessageRow,
        cause: str,
        *,
        overdue_at: Optional[datetime] = None,
        failed: Optional[SendFailure] = None,
    ) -> list[int]:
        """Queue the reply `row` carried on the channel the router names after `row.channel`
        failed it (`cause`), once per reply (store.outbound.fall_back: a conditional update, so
        only one of several workers, webhooks or timers queues it). `overdue_at`: the delivery
        timer's moment; the move then happens only if the row is still undelivered past its deadline.
        `failed`: the failed send to record with the move, in its transaction ([] returned: not recorded)."""
        if not row.reply or not row.reply_key:
            logger.warning("no fallback for message_id=%s channel=%s: no reply to re-render", row.id, row.channel)
            return []
        reply = BotReply.from_dict(row.reply)
        identities = await asyncio.to_thread(self._store.citizens.identities, row.citizen_id)
        category, agency = await asyncio.to_thread(self._payer_of, row)
        step = self.router.after_failure(
            failed_channel=row.channel,
            address=row.address,
            identities=identities,
            has_template=self._has_template(reply),
            cause=cause,
            agency=agency,
        )
        if step is None:
            logger.warning("no fallback for message_id=%s channel=%s cause=%s", row.id, row.channel, cause)
            return []
        rows = self._render(
            reply, step, category, agency,
            citizen_id=row.citizen_id, kind=row.kind, reply_to_id=row.reply_to_id, reply_key=row.reply_key,
            # A reply falls back only from a channel other than the one asked on (SMS has no
            # fallback), so no POP query price; a subscription message keeps its own.
            citizen=self.router.citizen_charge(kind=row.kind, channel=step.channel),
        )
        ids = await asyncio.to_thread(
            self._store.outbound.fall_back, row.reply_key, row.channel, rows, overdue_at=overdue_at, failed=failed
        )
        if ids:
            logger.info(
                "fell back message_id=%s from=%s to=%s cause=%s new_ids=%s", row.id, row.channel, step.channel, cause, ids
            )
        return ids

    def _payer_of(self, row: MessageRow) -> tuple[Optional[MessageKind], Agency]:
        """Who pays for `row` (its ledger entry says), so its fallback is billed alike; no
        category when nothing says (the fallback then gets no ledger entry, logged)."""
        entry = self._store.outbound.ledger(row.id)
        if entry is not None:
            body_type = BodyType(entry.body_type or BodyType.GOVERNMENT)
            record = self._store.agencies.get(entry.agency_id) if entry.agency_id else None
            if record is None:
                return MessageKind(entry.category), Agency(entry.agency_id, body_type)
            # The agency's sender IDs too, so its fallback SMS goes under its name; the body type
            # stays the one billed when the push was made.
            return MessageKind(entry.category), dataclasses.replace(agency_of(record), body_type=body_type)
        # Queued before the ledger existed (or written without one): its kind says what it was.
        if row.kind == "reply":
            return MessageKind.REPLY, MINISTRY
        try:
            return self.router.policy.category_of_push(row.kind), MINISTRY
        except ValueError as exc:
            logger.warning("message_id=%s has no ledger entry and %s: its fallback is not billed", row.id, exc)
            return None, MINISTRY

    # --- pushes -------------------------------------------------------------------------------

    async def push(
        self,
        citizen_id: int,
        reply: BotReply,
        kind: str,
        *,
        category: Optional[MessageKind] = None,
        agency: Agency = MINISTRY,
        asked_for: bool = False,
        only: Optional[Sequence[str]] = None,
        facts: Optional[PushFacts] = None,
    ) -> PushResult:
        """An agency's push, on the channel the router chooses (routing/policy.py: the preferred
        channel inside its session, or outside it as a template, else the next); citizens who sent
        STOP get nothing, unless the citizen `asked_for` it (a step of a transaction they started);
        citizens who stopped this agency's messages ("STOP CSPD") get nothing from it at all.
        `only`: the channels it may take (an employee's SMS), in the policy's order.
        `category` (what the agency is billed for) defaults to the routing table's category of
        `kind`; ValueError, before anything is stored, when neither names one. `facts`: the
        citizen's opt-outs and identities when the caller has just read them for many pushes at
        once (store.citizens.push_facts), saving three reads."""
        planned = await self.plan_push(
            citizen_id, reply, kind, category=category, agency=agency, asked_for=asked_for, only=only, facts=facts
        )
        if not planned.rows:
            return planned.result
        ids = await self.queue(citizen_id, lambda: self._store.outbound.add(planned.rows))
        return dataclasses.replace(planned.result, message_ids=ids or [])

    async def plan_push(
        self,
        citizen_id: int,
        reply: BotReply,
        kind: str,
        *,
        category: Optional[MessageKind] = None,
        agency: Agency = MINISTRY,
        asked_for: bool = False,
        only: Optional[Sequence[str]] = None,
        facts: Optional[PushFacts] = None,
    ) -> "PlannedPush":
        """The rows a push would queue (push's rules), stored nowhere: the caller queues them in a
        transaction of its own (`queue`), as the notification outbox does with its entry."""
        category = MessageKind(category) if category is not None else self.router.policy.category_of_push(kind)
        if facts is None:
            facts = await asyncio.to_thread(self._facts, citizen_id, agency.id)
        if not facts.exists:
            return PlannedPush([], PushResult([], None, "unknown_citizen"))
        if agency.id is not None and facts.opted_out_of_agency:
            logger.info("push skipped: citizen stopped agency=%s citizen_id=%s kind=%s", agency.id, citizen_id, kind)
            return PlannedPush([], PushResult([], None, OPTED_OUT_OF_AGENCY))
        identities = facts.identities
        plan = self.router.for_push(
            opted_out=facts.opted_out and not asked_for,
            identities=identities,
            has_template=self._has_template(reply),
            category=category,
            agency=agency,
            only=only,
        )
        if plan.skipped == OPTED_OUT:
            logger.info("push skipped: citizen opted out citizen_id=%s kind=%s", citizen_id, kind)
            return PlannedPush([], PushResult([], None, OPTED_OUT))
        rows = self._render_plan(reply, plan, citizen_id=citizen_id, kind=kind)
        if not rows:
            logger.warning(
                "push undeliverable citizen_id=%s kind=%s passed_over=%s", citizen_id, kind, ",".join(plan.passed_over)
            )
            return PlannedPush([], PushResult([], None, "unreachable"))
        return PlannedPush(rows, PushResult([], rows[0].channel, reason=rows[0].route_reason))

    def _facts(self, citizen_id: int, agency_id: Optional[str]) -> PushFacts:
        """One citizen's push facts, read as before (three short reads: a lone push is not worth a
        bulk query's joins)."""
        citizens = self._store.citizens
        citizen = citizens.get(citizen_id)
        if citizen is None:
            return PushFacts(False, False, False, [])
        stopped_agency = agency_id is not None and citizens.opted_out_of_agency(citizen_id, agency_id)
        return PushFacts(True, citizen.opted_out_at is not None, stopped_agency, citizens.identities(citizen_id))

    async def queue(self, citizen_id: int, write: Callable[[], Optional[list[int]]]) -> Optional[list[int]]:
        """Under the citizen's lock: `write` (in a thread) queues rows and says their ids, or None
        when it wrote nothing; then the citizen's queue is sent, in order."""
        async with self._locks.hold(citizen_id):
            ids = await asyncio.to_thread(write)
            if ids is not None:
                await self.flush(citizen_id)
        return ids


@dataclass(frozen=True)
class PlannedPush:
    rows: list[NewOutbound]
    result: PushResult  # its message_ids are empty until the rows are queued


def _age_s(row: MessageRow) -> float:
    created = row.created_at
    if created is None:
        return 0.0
    if created.tzinfo is None:  # SQLite hands back naive UTC
        return (utcnow().replace(tzinfo=None) - created).total_seconds()
    return (utcnow() - created).total_seconds()
