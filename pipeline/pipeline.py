"""The message pipeline: every channel's inbound messages, one store, one way through.

    accept()  — in the webhook / SMPP thread: dedupe, persist, enqueue. Fast: the provider gets its
                answer at once. Messages older than the replay window are ignored, and a flooding
                number's messages past its budget are stored but not queued (pipeline/flood.py).
    process() — in a worker: under the citizen's lock, answer the citizen's waiting messages oldest
                first (fast paths, else the brain), queue the replies and the "answered" mark in one
                transaction, then send them through the outbox.
    recover() — at start: re-enqueue what was received but never answered, send what was queued.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from core.brain import Answer, Brain, BrainUnavailable
from coordination.base import Admission, Coordination, LockBusy
from pipeline.fast_paths import FastPaths
from core.messages import (
    KIND_CHOICE,
    KIND_TEXT,
    STATUS_FAILED,
    STATUS_RECEIVED,
    STATUS_THROTTLED,
    BotReply,
    InboundMessage,
    MAX_TEXT_CHARS,
    InvalidMessage,
    StatusUpdate,
    Verdict,
    bounded,
    utcnow,
)
from pipeline.flood import THROTTLE_NOTICE, FloodPolicy, flood_key
from pipeline.keywords import opts_in_or_out
from pipeline.missed_follow_ups import FOLLOW_UP_WINDOW, miss_reported_by, was_a_question
from pipeline.outbox import Outbox
from core.privacy import mask_phone
from catalog.replies import reply
from store import Store
from pipeline.group_commit import GroupCommit
from store.inbound import AnswerContext, DuplicateMessage, Understanding
from store.messages import MessageRow
from store.statuses import ProviderStatus
from store.alerts import ALERT_REPLY_CONTEXT
from store.models import DIRECTION_IN
from channels.base import ReadReceipts

logger = logging.getLogger(__name__)

DEDUPE_TTL_S = 7 * 24 * 3600  # providers redeliver for days (WhatsApp: up to 7)
# Written at start; its absence later means the shared state (Redis) lost its data. When it merely
# expires, one harmless re-enqueue follows (processing skips what is answered).
QUEUE_MARKER = "queue-marker"
QUEUE_MARKER_TTL_S = 24 * 3600
MAX_PROCESSING_ATTEMPTS = 3  # a message that crashes the worker this often is given up, not retried forever

# A phone number in international form, or a WhatsApp business-scoped user id ("JO.1234…") for a
# citizen who shows a username instead of a number (channels/whatsapp/parse.py).
_ADDRESS = re.compile(r"^(?:[0-9]{6,20}|[A-Z]{2}\.[A-Za-z0-9]{1,29})$")


HELD_LINGER_S = 0.25  # the webhook of a held message answers this much later; nothing is answered later


@dataclass(frozen=True)
class AcceptResult:
    message_id: Optional[int]  # None when the message was ignored (not stored)
    duplicate: bool
    ignored: Optional[str] = None  # why it was acknowledged but not stored ("older_than_replay_window")
    held: bool = False  # stored but not queued: over the citizen's flood limit


@dataclass(frozen=True)
class PipelineTuning:
    """Timings, with defaults for production; tests shorten them."""

    brain_timeout_s: float = 30.0
    sweep_interval_s: float = 1.0  # how often workers look for due retries and orphaned work
    orphan_after_s: float = 60.0  # queued/received this long without progress: its worker died
    retry_failed_job_s: float = 1.0  # a job whose processing failed (the store away) goes back after this
    # A worker waits this long for a citizen's lock, then puts the job back and answers others: a
    # lock left by a holder that died (or lost Redis) would otherwise stall the worker until it expires.
    lock_wait_s: float = 5.0
    unknown_status_grace_s: float = 0.5  # a status may arrive before we stored the provider id
    pop_timeout_s: float = 1.0


class Pipeline:
    def __init__(
        self,
        store: Store,
        coordination: Coordination,
        brain: Brain,
        outbox: Outbox,
        *,
        tuning: PipelineTuning = PipelineTuning(),
        flood: Optional[FloodPolicy] = FloodPolicy(),
    ) -> None:
        """`outbox` sends what the pipeline queues (its channels, rates, routing and retries);
        `flood`: the per-citizen limit and replay window (None: neither, for benches that compare)."""
        self.store = store
        self.coordination = coordination
        self.brain = brain
        self.tuning = tuning
        self.flood = flood
        self.outbox = outbox
        self._fast_paths = FastPaths(store, numbered_menus=outbox.numbered_menu_channels)
        # Two or three status webhooks follow every reply: under load they share transactions.
        self._statuses = GroupCommit(store.statuses.record_many)
        # A flooding number's held messages, dozens a second, are stored in shared transactions too.
        # A flood's held messages wait up to HELD_LINGER_S to be stored together: they get no answer,
        # and a few large batches cost the database (and this process) far less than many small ones.
        self._held = GroupCommit(functools.partial(store.inbound.add_many, status=STATUS_THROTTLED), linger_s=HELD_LINGER_S)
        self._background: set[asyncio.Task[None]] = set()
        # Stored but not queued (the queue was unreachable): the sweeper pushes them when it answers.
        self._unqueued: set[int] = set()
        # Set when the queue failed us: a job it handed over as the connection broke may sit in
        # our reserved list, unseen, until the orphan sweep. Once the queue answers, it goes back.
        self._queue_failed = False

    # --- receiving ------------------------------------------------------------------------------

    async def accept(self, message: InboundMessage) -> AcceptResult:
        """Persist and enqueue one inbound message; a redelivery comes back `duplicate=True`.

        Raises InvalidMessage for a message without a provider id or with a malformed address.
        """
        message = _validated(message)
        if self.flood is not None:
            age = utcnow() - message.received_at
            if age > self.flood.replay_window:
                # Acknowledged (the channel answers 200, so the provider stops redelivering), not stored.
                logger.warning(
                    "ignored message older than the replay window channel=%s provider_id=%s from=%s age_h=%.1f window_h=%.1f",
                    message.channel, message.provider_id, mask_phone(message.address),
                    age.total_seconds() / 3600, self.flood.replay_window.total_seconds() / 3600,
                )
                return AcceptResult(None, duplicate=False, ignored="older_than_replay_window")
        key = f"in:{message.channel}:{message.provider_id}"
        inbound = self.store.inbound
        if not await self._first_time(key):
            # Probably a redelivery. The key alone is not proof: the first attempt may have died
            # before its row was committed, and then this copy must be stored.
            existing = await asyncio.to_thread(inbound.find_id, message.channel, message.provider_id)
            if existing is not None:
                return AcceptResult(existing, duplicate=True)
        admission = await self._admission(message.address)
        if admission is Admission.NOTIFY:
            message = dataclasses.replace(message, raw={**message.raw, THROTTLE_NOTICE: True})
        try:
            if admission is Admission.HOLD:
                stored = await self._held.submit(message)
            else:
                stored = await asyncio.to_thread(inbound.add, message)
        except DuplicateMessage as duplicate:
            return AcceptResult(duplicate.message_id, duplicate=True)
        if admission is Admission.NOTIFY:
            # Once per flood: a line per held message would let one number flood the logs too.
            logger.warning(
                "flood limit reached message_id=%s channel=%s from=%s: notice queued, the number's messages "
                "past its budget are stored and not answered until it slows down",
                stored.message_id, message.channel, mask_phone(message.address),
            )
        if admission is Admission.HOLD:
            logger.debug("flood limit held message_id=%s", stored.message_id)
            return AcceptResult(stored.message_id, duplicate=False, held=True)
        try:
            await self.coordination.queue.push(stored.message_id)
        except Exception as exc:
            # Stored, so not lost: this process's sweeper pushes it once the queue answers again
            # (and, should this process die first, the orphan sweep of any other).
            self._unqueued.add(stored.message_id)
            self._queue_failed = True
            logger.warning("enqueue failed message_id=%s; queued again when the queue answers: %s", stored.message_id, exc)
        logger.info(
            "accepted message_id=%s channel=%s from=%s kind=%s",
            stored.message_id, message.channel, mask_phone(message.address), message.kind,
        )
        return AcceptResult(stored.message_id, duplicate=False)

    async def _admission(self, address: str) -> Admission:
        if self.flood is None:
            return Admission.ADMIT
        try:
            return await self.coordination.flood.take(flood_key(address), self.flood.per_second, self.flood.burst)
        except Exception as exc:  # Redis down: answering everyone beats answering no one
            logger.warning("flood limit unavailable error=%s; admitting", exc)
            return Admission.ADMIT

    async def _first_time(self, key: str) -> bool:
        try:
            return await self.coordination.dedup.first_time(key, DEDUPE_TTL_S)
        except Exception as exc:  # Redis down: the unique constraint still dedupes
            logger.warning("dedupe unavailable key=%s error=%s", key, exc)
            return True

    async def record_status(self, update: StatusUpdate) -> bool:
        """Add a provider status to the message's timeline; False (and a log line) if it's unknown."""
        status = ProviderStatus(
            update.channel,
            tuple(dict.fromkeys((update.provider_id, *update.aliases))),
            update.status,
            update.at,
            update.error_code,
            update.error_title,
        )
        recorded = None
        for attempt in range(2):
            recorded = await self._statuses.submit(status)
            if recorded is not None or attempt == 1:
                break
            # The provider can be faster than us: its webhook may arrive before mark_sent committed.
            await asyncio.sleep(self.tuning.unknown_status_grace_s)
        if recorded is None and (update.reference is not None or (update.short_reference is not None and update.address)):
            # The provider took a message whose sender died before writing down its id: the
            # status names it by our reference (whole, or its low 16 bits and the address: SMPP),
            # so it is marked sent and not sent again.
            if update.reference is not None:
                adopted = await asyncio.to_thread(
                    self.store.outbound.adopt, update.reference, update.channel, update.provider_id
                )
            else:
                adopted = await asyncio.to_thread(
                    self.store.outbound.adopt_short, update.short_reference, update.channel, update.address,
                    update.provider_id,
                )
            if adopted:
                logger.warning(
                    "message_id=%s was sent but not recorded (its sender died?): marked sent from its status",
                    update.reference,
                )
                recorded = await self._statuses.submit(status)
        if recorded is None:
            logger.warning(
                "status for unknown message channel=%s provider_id=%s status=%s",
                update.channel, update.provider_id, update.status,
            )
            return False
        # Whether it moves on depends on what it was (an answer or a push: Outbox.moves_on).
        if recorded.new_event and update.status == STATUS_FAILED and update.verdict is not None:
            self._spawn(self._fall_back_later(recorded.message_id, recorded.citizen_id, update.verdict))
        return True

    async def _fall_back_later(self, message_id: int, citizen_id: int, verdict: Verdict) -> None:
        async with self.coordination.locks.hold(citizen_id):
            row = await asyncio.to_thread(self.store.outbound.get, message_id)
            if verdict is Verdict.NOT_ON_THIS_CHANNEL:
                await asyncio.to_thread(self.store.citizens.mark_unreachable, row.channel, row.address)
            if not self.outbox.moves_on(row.kind, verdict):
                return
            if await self.outbox.fall_back(row, verdict.value):
                await self.outbox.flush(citizen_id)

    # --- processing -----------------------------------------------------------------------------

    async def process(self, message_id: int) -> None:
        """Answer one inbound message (and any older one of the same citizen still waiting)."""
        row = await asyncio.to_thread(self.store.inbound.state, message_id)
        if row is None or row.direction != DIRECTION_IN:
            logger.warning("process: no inbound message id=%s", message_id)
            return
        if row.status != STATUS_RECEIVED:
            # Answered already (a job that failed and came back, or recovery overlapping a live
            # worker). Its replies may still wait: a failure between answering and sending (the
            # rate limiter's Redis away) leaves them queued, and they go now, not at the orphan sweep.
            async with self.coordination.locks.hold(row.citizen_id, wait_s=self.tuning.lock_wait_s):
                await self.outbox.flush(row.citizen_id)
            return
        async with self.coordination.locks.hold(row.citizen_id, wait_s=self.tuning.lock_wait_s):
            # Oldest first: a worker that got the lock for a newer message answers the older ones
            # before it, so a citizen's messages are answered in arrival order however many workers run.
            more_waiting = True
            while more_waiting:
                context = await asyncio.to_thread(self.store.inbound.start_next_answer, row.citizen_id, message_id)
                if context is None:
                    return
                more_waiting = context.more_waiting
                pending = await self._answer(context)
                await self.outbox.flush(row.citizen_id, pending)

    async def _answer(self, context: AnswerContext) -> Optional[list[MessageRow]]:
        """Answer the context's message and queue the replies; returns the citizen's pending
        outbound messages (None when the message was given up)."""
        inbound = self.store.inbound
        row = context.message
        if context.attempts > MAX_PROCESSING_ATTEMPTS:
            given_up = context.attempts - 1
            await asyncio.to_thread(inbound.fail, row.id, f"gave up after {given_up} attempts")
            logger.error("giving up on message_id=%s after %d attempts", row.id, given_up)
            return None
        citizen = context.citizen
        if context.held is not None and not opts_in_or_out(row.kind, row.text):
            # An agent holds this citizen's conversation: the message is theirs to read and answer
            # (console ticket page), not the bot's. STOP and START still work: a citizen can always
            # stop us, whoever is talking.
            completed = await asyncio.to_thread(inbound.complete, row.id, outbound=[], held=context.held)
            logger.info("held for agent message_id=%s citizen_id=%s ticket=%s", row.id, citizen.id, context.held.id)
            return completed.pending
        channel = self.outbox.channel(row.channel)
        if isinstance(channel, ReadReceipts) and row.provider_id:
            # Seen as we start answering; a failed receipt costs nothing, so it never waits or raises.
            self._spawn(channel.mark_read(row.provider_id))
        inbound_message = _inbound_from_row(row)
        if inbound_message.kind in (KIND_TEXT, KIND_CHOICE):
            # Before the fast paths too: STOP in answer to an alert also ends that alert's topic.
            inbound_message = await self._in_context(citizen.id, row.id, inbound_message)
        fast = await self._fast_paths.handle(citizen, inbound_message)
        understanding = reason = None
        if fast.replies is not None:
            replies = fast.replies
        else:
            replies, understanding, reason = await self._ask_brain(citizen.id, citizen.preferred_language, fast.inbound)
        earlier_missed = await self._earlier_missed(citizen.id, row.id, understanding, reason)
        # The router decides where each reply goes (one recovered after a long outage may find the
        # channel's session closed); the rows are queued with the "answered" mark, in one transaction.
        outbound = self.outbox.answer_rows(replies, to=row, identities=context.identities)
        completed = await asyncio.to_thread(
            inbound.complete,
            row.id,
            outbound=outbound,
            understanding=understanding,
            unrecognised_reason=reason,
            interpreted_kind=fast.interpreted_kind,
            interpreted_payload=fast.interpreted_payload,
            earlier_missed=earlier_missed,
        )
        logger.info(
            "answered message_id=%s citizen_id=%s replies=%d queued=%d intent=%s",
            row.id, citizen.id, len(replies), len(completed.outbound_ids),
            understanding.intent if understanding else "-",
        )
        return completed.pending

    async def _earlier_missed(
        self, citizen_id: int, message_id: int, understanding: Optional[Understanding], flagged: Optional[str]
    ) -> Optional[tuple[int, str]]:
        """(id, reason) of the citizen's previous question when this message says its answer missed."""
        miss = miss_reported_by(understanding.intent if understanding else None, flagged)
        if miss is None:
            return None
        earlier = await asyncio.to_thread(
            self.store.inbound.earlier_question, citizen_id, message_id, utcnow() - FOLLOW_UP_WINDOW
        )
        if earlier is None or not was_a_question(earlier.intent):
            return None
        return earlier.id, miss

    async def _in_context(self, citizen_id: int, message_id: int, message: InboundMessage) -> InboundMessage:
        """The message, with the service of the alert it answers when the last thing said to the
        citizen was one ("كيف بجددها؟" after a passport alert is about renewing the passport)."""
        service = await asyncio.to_thread(
            self.store.alerts.replied_alert_service, citizen_id, message_id, utcnow() - ALERT_REPLY_CONTEXT
        )
        return dataclasses.replace(message, context_service=service) if service else message

    async def _ask_brain(
        self, citizen_id: int, language: Optional[str], message: InboundMessage
    ) -> tuple[list[BotReply], Optional[Understanding], Optional[str]]:
        try:
            answer = await asyncio.wait_for(self._respond_when_able(citizen_id, message, language), self.tuning.brain_timeout_s)
        except Exception as exc:
            cause = "timeout" if isinstance(exc, asyncio.TimeoutError) else f"{type(exc).__name__}: {exc}"
            # The traceback goes to the log (the brain's bugs must be findable); the citizen gets an apology.
            logger.error(
                "brain failed citizen_id=%s cause=%s; sending an apology", citizen_id, cause,
                exc_info=not isinstance(exc, asyncio.TimeoutError),
            )
            return [reply("apology", language or "ar")], None, None
        understanding = Understanding(
            intent=answer.intent, confidence=answer.confidence, service_id=answer.service_id, language=answer.language
        )
        return list(answer.replies), understanding, answer.review_reason


    async def _respond_when_able(self, citizen_id: int, message: InboundMessage, language: Optional[str]) -> Answer:
        """The brain's answer; while its dialogue state is unreachable (Redis restarting), asked
        again every second (within the brain's timeout) rather than answered with an apology."""
        while True:
            try:
                return await self.brain.respond(str(citizen_id), message, language=language)
            except BrainUnavailable as exc:
                logger.warning("brain unavailable citizen_id=%s: %s; asking again", citizen_id, exc)
                await asyncio.sleep(self.tuning.retry_failed_job_s)

    # --- running ----------------------------------------------------------------------------------

    async def run_workers(self, n: int = 1) -> None:
        """Consume the queue with `n` workers, plus one sweeper, until cancelled."""
        # A cancellation can be lost inside a client library: redis-py 4.6 sometimes returns
        # normally from a blocking pop cancelled mid-flight (3 of 300 random cancels in a probe),
        # and the worker would loop on forever. The loops also stop on this flag, so a shutdown
        # (and the test that stops its workers) never hangs.
        stopping = asyncio.Event()
        tasks = [asyncio.create_task(self._work(i, stopping), name=f"worker-{i}") for i in range(n)]
        tasks.append(asyncio.create_task(self._sweep(stopping), name="sweeper"))
        try:
            await asyncio.gather(*tasks)
        finally:
            stopping.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _work(self, worker: int, stopping: asyncio.Event) -> None:
        queue = self.coordination.queue
        while not stopping.is_set():
            try:
                job = await queue.pop(self.tuning.pop_timeout_s)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if stopping.is_set():
                    return
                logger.error("worker=%d queue unavailable: %s", worker, exc)
                self._queue_failed = True
                await asyncio.sleep(1.0)
                continue
            if job is None:
                continue
            failed = False
            try:
                await self.process(job)
            except asyncio.CancelledError:
                raise  # unacked: requeued on restart, and still "received" in the store
            except LockBusy:
                logger.info("worker=%d message_id=%s: its citizen's lock is taken; queued again", worker, job)
                failed = True
            except Exception:
                # The message stays "received" (or its answer stays queued). A crash in answering
                # counts an attempt (given up after MAX_PROCESSING_ATTEMPTS); a store or queue that
                # is away counts none, and the job comes back until they answer.
                logger.exception("worker=%d processing failed message_id=%s", worker, job)
                failed = True
            if failed:
                await asyncio.sleep(self.tuning.retry_failed_job_s)
                try:
                    await queue.push(job)
                except Exception as exc:
                    self._unqueued.add(job)
                    self._queue_failed = True
                    logger.warning("worker=%d could not queue message_id=%s again: %s", worker, job, exc)
            try:
                await queue.ack(job)
            except Exception as exc:
                self._queue_failed = True
                logger.warning("worker=%d ack failed message_id=%s: %s", worker, job, exc)

    async def _sweep(self, stopping: asyncio.Event) -> None:
        last_orphan_check = 0.0
        loop = asyncio.get_running_loop()
        while not stopping.is_set():
            await asyncio.sleep(self.tuning.sweep_interval_s)
            try:
                await self._push_unqueued()
                await self.coordination.queue.requeue_dead()
                if await self._queue_state_lost():
                    await self._requeue_received()
                await self.outbox.flush_due(queued_grace_s=self.tuning.orphan_after_s)
                if loop.time() - last_orphan_check >= self.tuning.orphan_after_s:
                    last_orphan_check = loop.time()
                    await self._requeue_orphans()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("sweep failed")

    async def _push_unqueued(self) -> None:
        while self._unqueued:
            message_id = next(iter(self._unqueued))
            await self.coordination.queue.push(message_id)  # raises while the queue is away: next round
            self._unqueued.discard(message_id)
        if self._queue_failed:
            # Jobs this process holds right now come back too: answering twice is prevented by the
            # store (an answered message is skipped), a job stranded in our reserved list is not.
            self._queue_failed = False
            await self.coordination.queue.requeue_unacked()

    async def _queue_state_lost(self) -> bool:
        """True once when the shared state has lost its data (Redis flushed, or restarted without
        persistence): the marker written at start is gone, and so may be every queued job."""
        lost = await self.coordination.dedup.first_time(QUEUE_MARKER, QUEUE_MARKER_TTL_S)
        if lost:
            logger.warning("the queue's state was lost (Redis flushed or restarted empty): re-enqueueing unanswered messages")
        return lost

    async def _requeue_received(self) -> int:
        ids = await asyncio.to_thread(self.store.inbound.received_ids)
        for message_id in ids:
            await self.coordination.queue.push(message_id)
        return len(ids)

    async def _requeue_orphans(self) -> int:
        """Received long ago and still unanswered: the enqueue was lost or the worker died."""
        cutoff = utcnow() - timedelta(seconds=self.tuning.orphan_after_s)
        ids = await asyncio.to_thread(self.store.inbound.received_ids, created_before=cutoff)
        pushed = 0
        for message_id in ids:
            # Once per period across all processes, not once per sweeper.
            if await self.coordination.dedup.first_time(f"orphan:{message_id}", self.tuning.orphan_after_s):
                await self.coordination.queue.push(message_id)
                pushed += 1
        if pushed:
            logger.warning("requeued orphaned inbound messages count=%d", pushed)
        return pushed

    async def recover(self) -> int:
        """At start: re-enqueue every received-but-unanswered message (a crash between receiving and
        answering) and send queued/retrying messages that are due. Returns how many were re-enqueued.

        Safe with other processes running: processing is idempotent (answered messages are skipped
        under the citizen lock), so a message that is also in the queue is answered once.
        """
        requeued_jobs = await self.coordination.queue.requeue_unacked()
        await self.coordination.dedup.first_time(QUEUE_MARKER, QUEUE_MARKER_TTL_S)
        ids = await asyncio.to_thread(self.store.inbound.received_ids)
        for message_id in ids:
            await self.coordination.queue.push(message_id)
        sent = await self.outbox.flush_due(queued_grace_s=0)
        logger.info(
            "recovered inbound=%d unacked_jobs=%d outbound_sent=%d", len(ids), requeued_jobs, sent
        )
        return len(ids)

    def _spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task failed: %r", task.exception())

    async def drain(self) -> None:
        """Wait for background work (status-triggered fallbacks) to finish; for shutdown and tests."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


def _validated(message: InboundMessage) -> InboundMessage:
    """The message with its address as digits only ("+962 79..." → "96279...") and its text cut to
    core.messages.MAX_TEXT_CHARS (the cut noted in raw), or InvalidMessage."""
    if not message.channel:
        raise InvalidMessage("message without channel")
    if not message.provider_id:
        raise InvalidMessage(f"{message.channel} message without provider_id: cannot dedupe it")
    if message.received_at.tzinfo is None:
        raise InvalidMessage("received_at must be timezone-aware (UTC)")
    address = (message.address or "").strip().lstrip("+").replace(" ", "")
    if not _ADDRESS.match(address):
        raise InvalidMessage(
            f"address must be 6-20 digits in international form (or a WhatsApp user id), got {mask_phone(message.address)}"
        )
    if len(message.text) > MAX_TEXT_CHARS:
        logger.warning(
            "inbound text cut channel=%s provider_id=%s from=%s chars=%d kept=%d",
            message.channel, message.provider_id, mask_phone(address), len(message.text), MAX_TEXT_CHARS,
        )
    return bounded(dataclasses.replace(message, address=address))


def _inbound_from_row(row: MessageRow) -> InboundMessage:
    return InboundMessage(
        channel=row.channel,
        provider_id=row.provider_id or "",
        address=row.address,
        kind=row.kind,
        text=row.text,
        payload=row.payload,
        received_at=row.created_at,
        raw=dict(row.raw or {}),
    )
