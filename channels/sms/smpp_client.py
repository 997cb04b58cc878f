"""The SMPP connection: one thread owns the socket, binds, keeps the session alive, and reconnects.

smpplib is neither thread-safe nor reconnecting, so exactly one thread (the owner) touches the
socket. Everyone else talks to it through a queue: `submit()` returns a job whose future the owner
resolves when every part has its submit_sm_resp; `acknowledge()` hands back the answer to an
inbound deliver_sm once the pipeline has it. This module is the supervision; what is written to
and read from one bound session is `smpp_session.SmppSession`, the parts and their window
`submit_jobs`.

Delivery guarantees:
- Submits: a part whose submit_sm_resp never came before the connection dropped is submitted
  again on the next session, with the same UDH reference (the reference is part of the job), so a
  message is delivered at least once and never skipped; the rare duplicate part is one the
  handset's reassembly sees with the same reference.
- ESME_RTHROTTLED / ESME_RMSGQFUL pause and slow the sender (pacing.py) and retry that part;
  any other error fails the message with its command_status.
- Liveness: enquire_link after `enquire_link_interval_s` of silence; no answer within
  `enquire_link_timeout_s`, or a submit_sm_resp later than `response_timeout_s`, ends the session.
- Reconnect at once after a long-lived session drops, else with backoff 1 s → 30 s (doubling,
  ±20% jitter); a bind refused for credentials is logged as such and retried every 60 s.
"""

from __future__ import annotations

import itertools
import logging
import queue
import random
import select
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

import smpplib.exceptions

from core.messages import utcnow
from core.privacy import mask_phone
from channels.sms.config import SmsConfig
from channels.sms.deliver_sm import AckToken, DeliverAck, DeliverSm
from channels.sms.mo_identity import RedeliveryMemory
from channels.sms.pacing import SubmitPacer
from channels.sms.segments import SegmentedMessage
from channels.sms.smpp_session import (
    BindFailed,
    BindRefused,
    SessionEnded,
    SmppSession,
    status_description,
    status_name,
)
from channels.sms.submit_jobs import SubmitJob, SubmitResult, SubmitWindow

__all__ = ["ConnectionStatus", "SmppClient", "SubmitJob", "SubmitResult", "status_description", "status_name"]

logger = logging.getLogger("channels.sms.smpp")


@dataclass(frozen=True)
class ConnectionStatus:
    bound: bool
    bound_since: Optional[datetime]
    queue_depth: int  # parts waiting to be submitted
    in_flight: int  # parts awaiting submit_sm_resp
    binds: int
    reconnects: int
    resubmitted_parts: int
    salvaged_answers: int
    throttled: int
    last_error: Optional[str]


class SmppClient:
    def __init__(
        self,
        config: SmsConfig,
        on_deliver: Callable[[DeliverSm, AckToken], None],
        redelivery: Optional[RedeliveryMemory] = None,
    ) -> None:
        self.config = config
        self._on_deliver = on_deliver
        self.redelivery = redelivery if redelivery is not None else RedeliveryMemory()
        self._control: "queue.SimpleQueue[object]" = queue.SimpleQueue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._stopping = threading.Event()
        self._bound_event = threading.Event()
        self._thread: Optional[threading.Thread] = None

        # Owned by the SMPP thread; they outlive a session (parts and pace carry over a reconnect).
        self._window = SubmitWindow()
        self._pacer = SubmitPacer(
            config.tps, config.window, config.throttle_initial_s, config.throttle_max_s
        )
        self._generations = itertools.count(1)
        self._backoff = 0.0

        # Read by anyone.
        self._bound_since: Optional[datetime] = None
        self.binds = 0
        self.reconnects = 0
        self.resubmitted_parts = 0
        self.salvaged_answers = 0  # submit_sm_resp read after their session ended (not resubmitted)
        self.last_error: Optional[str] = None
        self.unbound_since = time.monotonic()

    # ---------------------------------------------------------------- public, any thread

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="smpp-owner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._wake_r.close()
        self._wake_w.close()

    @property
    def bound(self) -> bool:
        return self._bound_event.is_set()

    def wait_bound(self, timeout: float) -> bool:
        return self._bound_event.wait(timeout)

    def submit(
        self,
        destination: str,
        message: SegmentedMessage,
        source: Optional[tuple[str, int, int]] = None,
        accepted: Optional[dict[int, str]] = None,
        reference: Optional[int] = None,
    ) -> SubmitJob:
        """Queue a message; `source` is (source_addr, TON, NPI), None for the configured short code;
        `accepted`: parts (by index) the SMSC took in an earlier try, with their message ids;
        `reference`: our id of the message (its low 16 bits go as user_message_reference)."""
        job = SubmitJob(destination, message, source, accepted, reference)
        if self._stopping.is_set() or self._thread is None:
            job.finish(SubmitResult(ok=False, gave_up=True))
            return job
        self._control.put(job)
        self._wake()
        return job

    def withdraw(self, job: SubmitJob, reason: str) -> bool:
        """Take back a job none of whose parts went out yet. False once a part is submitted."""
        if not job.finish(SubmitResult(ok=False, gave_up=True), only_if_queued=True):
            return False
        logger.info("sms submit withdrawn reason=%s to=%s", reason, mask_phone(job.destination))
        return True

    def abandon(self, job: SubmitJob, reason: str) -> None:
        """Give up on a job whatever its state; parts still queued are not sent."""
        if job.finish(SubmitResult(ok=False, gave_up=True)):
            logger.warning("sms submit abandoned reason=%s to=%s", reason, mask_phone(job.destination))

    def acknowledge(self, ack: DeliverAck) -> None:
        self._control.put(ack)
        self._wake()

    def status(self) -> ConnectionStatus:
        return ConnectionStatus(
            bound=self.bound,
            bound_since=self._bound_since,
            queue_depth=self._window.waiting + self._control.qsize(),
            in_flight=self._window.in_flight,
            binds=self.binds,
            reconnects=self.reconnects,
            resubmitted_parts=self.resubmitted_parts,
            salvaged_answers=self.salvaged_answers,
            throttled=self._pacer.throttled_count,
            last_error=self.last_error,
        )

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass  # already awake (buffer full) or shutting down

    # ---------------------------------------------------------------- the owner thread

    def _run(self) -> None:
        delay = 0.0
        while not self._stopping.is_set():
            if delay:
                self._idle(delay)
                if self._stopping.is_set():
                    break
            try:
                session = self._connect_and_bind()
            except BindRefused as refused:
                delay = self.config.bad_credentials_retry_s
                self.last_error = f"bind refused: {status_name(refused.status)} (check SMPP_SYSTEM_ID/SMPP_PASSWORD)"
                logger.error(
                    "sms bind refused status=%s system_id=%s retry_in=%.1fs — check SMPP_SYSTEM_ID and SMPP_PASSWORD",
                    status_name(refused.status),
                    self.config.system_id,
                    delay,
                )
                continue
            except (OSError, smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, BindFailed) as error:
                delay = self._next_backoff()
                self.last_error = f"connect/bind failed: {error!r}"
                logger.warning(
                    "sms connect failed host=%s port=%s error=%r retry_in=%.2fs",
                    self.config.host,
                    self.config.port,
                    error,
                    delay,
                )
                continue

            started = time.monotonic()
            try:
                self._serve(session)
            except SessionEnded as ended:
                self.last_error = f"session ended: {ended}"
                logger.warning("sms session ended reason=%s", ended)
            except Exception as error:  # a bug must not kill the owner: log it and reconnect
                self.last_error = f"session crashed: {error!r}"
                logger.exception("sms session crashed")
            finally:
                self._teardown(session)
            if self._stopping.is_set():
                break
            self.reconnects += 1
            if time.monotonic() - started >= self.config.stable_session_s:
                self._backoff = 0.0
                delay = 0.0
            else:
                delay = self._next_backoff()
            logger.info("sms reconnecting in=%.2fs", delay)
        self._give_back_everything("client stopped")

    def _next_backoff(self) -> float:
        self._backoff = (
            self.config.reconnect_initial_s
            if not self._backoff
            else min(self.config.reconnect_max_s, self._backoff * 2)
        )
        return self._backoff * random.uniform(0.8, 1.2)

    def _idle(self, seconds: float) -> None:
        """Wait between connection attempts, still taking in jobs and acks."""
        deadline = time.monotonic() + seconds
        while not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            select.select([self._wake_r], [], [], remaining)
            self._drain_wake()
            self._drain_control(session=None)

    def _connect_and_bind(self) -> SmppSession:
        cfg = self.config
        logger.info("sms connecting host=%s port=%s system_id=%s", cfg.host, cfg.port, cfg.system_id)
        session = SmppSession.open(
            next(self._generations), cfg, self._window, self._pacer, self.redelivery, self._on_deliver
        )
        self.binds += 1
        self._bound_since = utcnow()
        self._bound_event.set()
        self.last_error = None
        logger.info(
            "sms bound host=%s port=%s system_id=%s session=%d", cfg.host, cfg.port, cfg.system_id, session.generation
        )
        return session

    def _teardown(self, session: SmppSession) -> None:
        self._bound_event.clear()
        self._bound_since = None
        self.unbound_since = time.monotonic()
        salvaged = session.salvage_answers()
        self.salvaged_answers += salvaged
        if salvaged:
            logger.info("sms answers read after the session ended count=%d", salvaged)
        requeued = self._window.requeue_unanswered()
        self.resubmitted_parts += requeued
        if requeued:
            logger.warning("sms parts without submit_sm_resp will be submitted again count=%d", requeued)
        session.close()

    def _serve(self, session: SmppSession) -> None:
        sock = session.socket
        while True:
            if self._stopping.is_set():
                session.unbind()
                return
            self._drain_control(session)
            session.submit_ready_parts()
            self._keep_alive(session, time.monotonic())
            readable, _, _ = select.select([sock, self._wake_r], [], [], self._next_wakeup(session, time.monotonic()))
            if self._wake_r in readable:
                self._drain_wake()
            if sock in readable:
                session.read()

    def _keep_alive(self, session: SmppSession, now: float) -> None:
        """End a session whose peer stopped answering; probe one that has gone quiet (or whose MO
        answers wait to be confirmed read)."""
        cfg = self.config
        if session.enquire_seq is not None and now >= session.enquire_deadline:
            raise SessionEnded(f"no enquire_link_resp within {cfg.enquire_link_timeout_s}s")
        oldest = self._window.oldest_sent_at()
        if oldest is not None and now - oldest >= cfg.response_timeout_s:
            raise SessionEnded(f"no submit_sm_resp within {cfg.response_timeout_s}s")
        if session.enquire_seq is None and (
            now - session.last_rx >= cfg.enquire_link_interval_s or session.confirms_pending
        ):
            session.send_enquire_link(now)

    def _next_wakeup(self, session: SmppSession, now: float) -> float:
        cfg = self.config
        candidates = [session.last_rx + cfg.enquire_link_interval_s]
        if session.enquire_seq is not None:
            candidates.append(session.enquire_deadline)
        oldest = self._window.oldest_sent_at()
        if oldest is not None:
            candidates.append(oldest + cfg.response_timeout_s)
        if self._window.waiting:
            delay = self._pacer.delay(self._window.in_flight)
            if delay != float("inf"):
                candidates.append(now + delay)
        return max(0.0, min(candidates) - now)

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _drain_control(self, session: Optional[SmppSession]) -> None:
        while True:
            try:
                item = self._control.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, SubmitJob):
                self._window.add(item)
            elif isinstance(item, DeliverAck):
                self._send_ack(session, item)

    def _send_ack(self, session: Optional[SmppSession], ack: DeliverAck) -> None:
        if session is None or ack.token.generation != session.generation:
            # The session that carried this deliver_sm is gone: the SMSC will deliver it again,
            # and the MO stays in the redelivery memory so it keeps its provider id.
            logger.info("sms deliver_sm_resp dropped: its session ended sequence=%d", ack.token.sequence)
            return
        session.send_ack(ack)

    def _give_back_everything(self, reason: str) -> None:
        self._drain_control(session=None)
        parts = list(self._window.drain())
        for part in parts:
            part.job.finish(SubmitResult(ok=False, gave_up=True))
        if parts:
            logger.info("sms jobs given back reason=%s parts=%d", reason, len(parts))
