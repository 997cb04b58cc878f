"""The SMPP connection: one thread owns the socket, binds, reads, submits, and reconnects.

smpplib is neither thread-safe nor reconnecting, so exactly one thread (the owner) touches the
socket. Everyone else talks to it through a queue: `submit()` returns a job whose future the owner
resolves when every part has its submit_sm_resp; `acknowledge()` hands back the answer to an
inbound deliver_sm once the pipeline has it. smpplib builds and parses the PDUs and binds; the
owner frames reads itself so a PDU smpplib cannot parse is answered with generic_nack instead of
ending the read loop (which is also why smpplib's raising error handler is never used).

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

import concurrent.futures
import heapq
import itertools
import logging
import queue
import random
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Optional

import smpplib.client
import smpplib.consts as C
import smpplib.exceptions
import smpplib.smpp

from core.messages import utcnow
from core.privacy import mask_phone
from channels.sms.config import SmsConfig
from channels.sms.deliver_sm import AckToken, DeliverAck, DeliverSm
from channels.sms.mo_identity import RedeliveryMemory
from channels.sms.pacing import SubmitPacer
from channels.sms.segments import SegmentedMessage

logger = logging.getLogger("channels.sms.smpp")

STATUS_NAMES = {value: name[len("SMPP_") :] for name, value in vars(C).items() if name.startswith("SMPP_ESME_")}
THROTTLE_STATUSES = {C.SMPP_ESME_RTHROTTLED, C.SMPP_ESME_RMSGQFUL}
CREDENTIAL_STATUSES = {C.SMPP_ESME_RINVPASWD, C.SMPP_ESME_RINVSYSID, C.SMPP_ESME_RBINDFAIL}
ESME_RX_T_APPN = C.SMPP_ESME_RX_T_APPN
_MAX_PDU = 64 * 1024


def status_name(command_status: int) -> str:
    return STATUS_NAMES.get(command_status, f"0x{command_status:08x}")


def status_description(command_status: int) -> str:
    return C.DESCRIPTIONS.get(command_status, "Unknown command_status")


class SessionEnded(Exception):
    """The session is over (dead peer, unbind, socket error); the owner reconnects."""


@dataclass
class SubmitResult:
    ok: bool
    message_ids: list[str] = field(default_factory=list)
    command_status: Optional[int] = None  # the error that failed the message
    gave_up: bool = False  # not (fully) submitted: the caller should try again later


class SubmitJob:
    """One message (all its parts) on its way to the SMSC."""

    QUEUED, STARTED, DONE = "queued", "started", "done"

    def __init__(self, destination: str, message: SegmentedMessage) -> None:
        self.destination = destination
        self.message = message
        self.future: concurrent.futures.Future[SubmitResult] = concurrent.futures.Future()
        self.message_ids: list[Optional[str]] = [None] * message.count
        self.created = time.monotonic()
        self._state = self.QUEUED
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        return self._state

    def begin(self) -> bool:
        """The owner is about to submit a part: False if the job was withdrawn or is finished."""
        with self._lock:
            if self._state == self.DONE:
                return False
            self._state = self.STARTED
            return True

    def finish(self, result: SubmitResult, only_if_queued: bool = False) -> bool:
        """Resolve once; `only_if_queued` refuses when a part already went out."""
        with self._lock:
            if self._state == self.DONE or (only_if_queued and self._state != self.QUEUED):
                return False
            self._state = self.DONE
        self.future.set_result(result)
        return True

    def part_accepted(self, index: int, message_id: str) -> None:
        self.message_ids[index] = message_id
        if all(mid is not None for mid in self.message_ids):
            self.finish(SubmitResult(ok=True, message_ids=[m for m in self.message_ids if m]))


@dataclass(order=True)
class _Part:
    order: int
    job: SubmitJob = field(compare=False)
    index: int = field(compare=False)
    sent_at: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class ConnectionStatus:
    bound: bool
    bound_since: Optional[datetime]
    queue_depth: int  # parts waiting to be submitted
    in_flight: int  # parts awaiting submit_sm_resp
    binds: int
    reconnects: int
    resubmitted_parts: int
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
        self._order = itertools.count()

        # Owned by the SMPP thread.
        self._pending: list[_Part] = []
        self._in_flight: dict[int, _Part] = {}
        self._pacer = SubmitPacer(
            config.tps, config.window, config.throttle_initial_s, config.throttle_max_s
        )
        self._generation = 0
        self._backoff = 0.0
        self._enquire_seq: Optional[int] = None
        self._enquire_deadline = 0.0
        self._enquire_confirms = 0  # how many unconfirmed MO acks the outstanding enquire_link covers
        self._unconfirmed_mo: list[tuple[str, str]] = []
        self._last_rx = 0.0

        # Read by anyone.
        self._bound_since: Optional[datetime] = None
        self.binds = 0
        self.reconnects = 0
        self.resubmitted_parts = 0
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

    def submit(self, destination: str, message: SegmentedMessage) -> SubmitJob:
        job = SubmitJob(destination, message)
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
            queue_depth=len(self._pending) + self._control.qsize(),
            in_flight=len(self._in_flight),
            binds=self.binds,
            reconnects=self.reconnects,
            resubmitted_parts=self.resubmitted_parts,
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
                conn = self._connect_and_bind()
            except _BindRefused as refused:
                delay = self.config.bad_credentials_retry_s
                self.last_error = f"bind refused: {status_name(refused.status)} (check SMPP_SYSTEM_ID/SMPP_PASSWORD)"
                logger.error(
                    "sms bind refused status=%s system_id=%s retry_in=%.1fs — check SMPP_SYSTEM_ID and SMPP_PASSWORD",
                    status_name(refused.status),
                    self.config.system_id,
                    delay,
                )
                continue
            except (OSError, smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, _BindFailed) as error:
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
                self._serve(conn)
            except SessionEnded as ended:
                self.last_error = f"session ended: {ended}"
                logger.warning("sms session ended reason=%s", ended)
            except Exception as error:  # a bug must not kill the owner: log it and reconnect
                self.last_error = f"session crashed: {error!r}"
                logger.exception("sms session crashed")
            finally:
                self._teardown(conn)
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
            self._drain_control(conn=None)

    def _connect_and_bind(self) -> smpplib.client.Client:
        cfg = self.config
        logger.info("sms connecting host=%s port=%s system_id=%s", cfg.host, cfg.port, cfg.system_id)
        conn = smpplib.client.Client(
            cfg.host,
            cfg.port,
            timeout=cfg.connect_timeout_s,
            allow_unknown_opt_params=True,
            logger_name="channels.sms.smpplib",
        )
        try:
            conn.connect()
            conn.bind_transceiver(
                system_id=cfg.system_id, password=cfg.password, system_type=cfg.system_type or None
            )
        except smpplib.exceptions.PDUError as error:
            _close_quietly(conn)
            status = error.args[1] if len(error.args) > 1 else None
            if status in CREDENTIAL_STATUSES:
                raise _BindRefused(status) from error
            raise _BindFailed(f"bind answered {status_name(status) if status is not None else error}") from error
        except BaseException:
            _close_quietly(conn)
            raise
        self._generation += 1
        self.binds += 1
        self._bound_since = utcnow()
        self._last_rx = time.monotonic()
        self._bound_event.set()
        self.last_error = None
        logger.info(
            "sms bound host=%s port=%s system_id=%s session=%d", cfg.host, cfg.port, cfg.system_id, self._generation
        )
        return conn

    def _teardown(self, conn: smpplib.client.Client) -> None:
        self._bound_event.clear()
        self._bound_since = None
        self.unbound_since = time.monotonic()
        self._generation += 1  # acks for deliver_sm of the old session can no longer be sent
        requeued = list(self._in_flight.values())
        self._in_flight.clear()
        for part in requeued:
            if part.job.state != SubmitJob.DONE:
                heapq.heappush(self._pending, part)
                self.resubmitted_parts += 1
        if requeued:
            logger.warning("sms parts without submit_sm_resp will be submitted again count=%d", len(requeued))
        self._unconfirmed_mo.clear()  # unconfirmed answers: those MOs stay in the redelivery memory
        self._enquire_seq = None
        _close_quietly(conn)

    def _serve(self, conn: smpplib.client.Client) -> None:
        sock = conn._socket  # smpplib exposes no accessor; we only select() on it and read frames
        assert sock is not None
        cfg = self.config
        while True:
            if self._stopping.is_set():
                self._unbind(conn)
                return
            self._drain_control(conn)
            self._pump_submits(conn)

            now = time.monotonic()
            if self._enquire_seq is not None and now >= self._enquire_deadline:
                raise SessionEnded(f"no enquire_link_resp within {cfg.enquire_link_timeout_s}s")
            oldest = min((p.sent_at for p in self._in_flight.values()), default=None)
            if oldest is not None and now - oldest >= cfg.response_timeout_s:
                raise SessionEnded(f"no submit_sm_resp within {cfg.response_timeout_s}s")
            if self._enquire_seq is None and (
                now - self._last_rx >= cfg.enquire_link_interval_s or self._unconfirmed_mo
            ):
                self._send_enquire_link(conn, now)

            timeout = self._next_wakeup(now)
            readable, _, _ = select.select([sock, self._wake_r], [], [], timeout)
            if self._wake_r in readable:
                self._drain_wake()
            if sock in readable:
                self._read_and_dispatch(conn, sock)

    def _next_wakeup(self, now: float) -> float:
        cfg = self.config
        candidates = [self._last_rx + cfg.enquire_link_interval_s]
        if self._enquire_seq is not None:
            candidates.append(self._enquire_deadline)
        if self._in_flight:
            candidates.append(min(p.sent_at for p in self._in_flight.values()) + cfg.response_timeout_s)
        if self._pending:
            delay = self._pacer.delay(len(self._in_flight))
            if delay != float("inf"):
                candidates.append(now + delay)
        return max(0.0, min(candidates) - now)

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _drain_control(self, conn: Optional[smpplib.client.Client]) -> None:
        while True:
            try:
                item = self._control.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, SubmitJob):
                for index in range(item.message.count):
                    heapq.heappush(self._pending, _Part(next(self._order), item, index))
            elif isinstance(item, DeliverAck):
                self._send_ack(conn, item)

    def _send_ack(self, conn: Optional[smpplib.client.Client], ack: DeliverAck) -> None:
        if conn is None or ack.token.generation != self._generation:
            # The session that carried this deliver_sm is gone: the SMSC will deliver it again,
            # and the MO stays in the redelivery memory so it keeps its provider id.
            logger.info("sms deliver_sm_resp dropped: its session ended sequence=%d", ack.token.sequence)
            return
        resp = smpplib.smpp.make_pdu("deliver_sm_resp", client=conn, status=ack.command_status)
        resp.sequence = ack.token.sequence
        self._send_pdu(conn, resp)
        if ack.mo and ack.command_status == C.SMPP_ESME_ROK:
            # Written, not yet known to be read: the next enquire_link round trip confirms it.
            self._unconfirmed_mo.append(ack.mo)

    def _pump_submits(self, conn: smpplib.client.Client) -> None:
        cfg = self.config
        while self._pending and self._pacer.delay(len(self._in_flight)) == 0:
            part = heapq.heappop(self._pending)
            job = part.job
            if not job.begin():
                continue
            message = job.message
            pdu = smpplib.smpp.make_pdu(
                "submit_sm",
                client=conn,
                source_addr_ton=cfg.source_ton,
                source_addr_npi=cfg.source_npi,
                source_addr=cfg.short_code,
                dest_addr_ton=cfg.dest_ton,
                dest_addr_npi=cfg.dest_npi,
                destination_addr=job.destination,
                esm_class=message.esm_class,
                data_coding=message.data_coding,
                registered_delivery=1,
                short_message=message.parts[part.index],
            )
            part.sent_at = time.monotonic()
            self._in_flight[pdu.sequence] = part
            self._send_pdu(conn, pdu)
            self._pacer.on_sent()

    def _send_enquire_link(self, conn: smpplib.client.Client, now: float) -> None:
        pdu = smpplib.smpp.make_pdu("enquire_link", client=conn)
        self._enquire_seq = pdu.sequence
        self._enquire_deadline = now + self.config.enquire_link_timeout_s
        self._enquire_confirms = len(self._unconfirmed_mo)
        self._send_pdu(conn, pdu)

    def _send_pdu(self, conn: smpplib.client.Client, pdu) -> None:
        try:
            conn.send_pdu(pdu)
        except (smpplib.exceptions.ConnectionError, OSError) as error:
            raise SessionEnded(f"write failed: {error!r}") from error

    def _unbind(self, conn: smpplib.client.Client) -> None:
        try:
            conn.send_pdu(smpplib.smpp.make_pdu("unbind", client=conn))
            deadline = time.monotonic() + 1.0
            sock = conn._socket
            while sock is not None and time.monotonic() < deadline:
                readable, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
                if not readable:
                    break
                header, raw = _read_frame(sock)
                if struct.unpack(">L", header[4:8])[0] == 0x80000006:  # unbind_resp
                    break
        except Exception as error:  # leaving anyway
            logger.info("sms unbind incomplete error=%r", error)

    # ------------------------------------------------------------ reading

    def _read_and_dispatch(self, conn: smpplib.client.Client, sock: socket.socket) -> None:
        try:
            header, raw = _read_frame(sock)
        except (OSError, ValueError) as error:
            raise SessionEnded(f"read failed: {error!r}") from error
        self._last_rx = time.monotonic()
        command_id, command_status, sequence = struct.unpack(">LLL", header[4:16])
        try:
            pdu = smpplib.smpp.parse_pdu(raw, client=conn, allow_unknown_opt_params=True)
        except Exception as error:
            logger.warning(
                "sms unreadable pdu command_id=0x%08x sequence=%d error=%r", command_id, sequence, error
            )
            if not command_id & 0x80000000:  # a request we cannot read: say so, the link goes on
                nack = smpplib.smpp.make_pdu("generic_nack", client=conn, status=C.SMPP_ESME_RINVCMDID)
                nack.sequence = sequence
                self._send_pdu(conn, nack)
            return
        self._dispatch(conn, pdu)

    def _dispatch(self, conn: smpplib.client.Client, pdu) -> None:
        command = pdu.command
        logger.debug("sms received command=%s sequence=%d status=%s", command, pdu.sequence, pdu.status)
        if command == "submit_sm_resp":
            self._on_submit_resp(pdu.sequence, pdu.status, pdu.message_id)
        elif command == "deliver_sm":
            self._on_deliver_sm(conn, pdu)
        elif command == "enquire_link":
            resp = smpplib.smpp.make_pdu("enquire_link_resp", client=conn)
            resp.sequence = pdu.sequence
            self._send_pdu(conn, resp)
        elif command == "enquire_link_resp":
            if pdu.sequence == self._enquire_seq:
                confirmed = self._unconfirmed_mo[: self._enquire_confirms]
                del self._unconfirmed_mo[: self._enquire_confirms]
                for digest, _ in confirmed:
                    self.redelivery.forget(digest)
                self._enquire_seq = None
        elif command == "generic_nack":
            if pdu.sequence in self._in_flight:
                self._on_submit_resp(pdu.sequence, pdu.status or C.SMPP_ESME_RUNKNOWNERR, None)
            else:
                logger.warning("sms generic_nack status=%s sequence=%d", status_name(pdu.status), pdu.sequence)
        elif command == "unbind":
            resp = smpplib.smpp.make_pdu("unbind_resp", client=conn)
            resp.sequence = pdu.sequence
            self._send_pdu(conn, resp)
            raise SessionEnded("the SMSC unbound")
        elif command in ("unbind_resp", "alert_notification"):
            pass
        elif pdu.is_request():
            logger.warning("sms unsupported request command=%s", command)
            nack = smpplib.smpp.make_pdu("generic_nack", client=conn, status=C.SMPP_ESME_RINVCMDID)
            nack.sequence = pdu.sequence
            self._send_pdu(conn, nack)
        else:
            logger.info("sms ignored response command=%s status=%s", command, status_name(pdu.status))

    def _on_submit_resp(self, sequence: int, command_status: int, message_id) -> None:
        part = self._in_flight.pop(sequence, None)
        if part is None:
            logger.warning("sms submit_sm_resp for no pending submit sequence=%d", sequence)
            return
        job = part.job
        if command_status == C.SMPP_ESME_ROK:
            self._pacer.on_accepted()
            if isinstance(message_id, bytes):
                message_id = message_id.decode("ascii", errors="replace")
            job.part_accepted(part.index, (message_id or "").strip())
        elif command_status in THROTTLE_STATUSES:
            self._pacer.on_throttled(part.sent_at)
            heapq.heappush(self._pending, part)
            logger.info(
                "sms throttled status=%s rate_now=%s", status_name(command_status), self._pacer.rate
            )
        else:
            logger.warning(
                "sms submit failed status=%s to=%s part=%d/%d",
                status_name(command_status),
                mask_phone(job.destination),
                part.index + 1,
                job.message.count,
            )
            job.finish(SubmitResult(ok=False, command_status=command_status))

    def _on_deliver_sm(self, conn: smpplib.client.Client, pdu) -> None:
        token = AckToken(self._generation, pdu.sequence)
        try:
            self._on_deliver(_deliver_fields(pdu), token)
        except Exception:
            logger.exception("sms deliver_sm could not be handed over; asking the SMSC to retry")
            self._send_ack(conn, DeliverAck(token, ESME_RX_T_APPN))

    def _give_back_everything(self, reason: str) -> None:
        self._drain_control(conn=None)
        parts = self._pending + list(self._in_flight.values())
        self._pending, self._in_flight = [], {}
        for part in parts:
            part.job.finish(SubmitResult(ok=False, gave_up=True))
        if parts:
            logger.info("sms jobs given back reason=%s parts=%d", reason, len(parts))


class _BindRefused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status_name(status))
        self.status = status


class _BindFailed(Exception):
    pass


def _close_quietly(conn: smpplib.client.Client) -> None:
    sock = conn._socket
    conn._socket = None
    conn.state = C.SMPP_CLIENT_STATE_CLOSED
    if sock is not None:
        try:
            sock.close()
        except OSError:
            pass


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks, received = [], 0
    while received < size:
        chunk = sock.recv(size - received)
        if not chunk:
            raise OSError("connection closed by the SMSC")
        chunks.append(chunk)
        received += len(chunk)
    return b"".join(chunks)


def _read_frame(sock: socket.socket) -> tuple[bytes, bytes]:
    """One PDU: (its 16-byte header, the whole PDU)."""
    length_bytes = _recv_exact(sock, 4)
    (length,) = struct.unpack(">L", length_bytes)
    if not 16 <= length <= _MAX_PDU:
        raise ValueError(f"impossible command_length {length}")
    rest = _recv_exact(sock, length - 4)
    raw = length_bytes + rest
    return raw[:16], raw


def _text_field(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("ascii", errors="replace").strip("\x00")
    return str(value)


def _deliver_fields(pdu) -> DeliverSm:
    receipted = getattr(pdu, "receipted_message_id", None)
    return DeliverSm(
        source_addr=_text_field(pdu.source_addr),
        destination_addr=_text_field(pdu.destination_addr),
        short_message=pdu.short_message or b"",
        data_coding=pdu.data_coding or 0,
        esm_class=pdu.esm_class or 0,
        source_addr_ton=pdu.source_addr_ton or 0,
        service_type=_text_field(pdu.service_type),
        schedule_delivery_time=_text_field(pdu.schedule_delivery_time),
        validity_period=_text_field(pdu.validity_period),
        message_payload=getattr(pdu, "message_payload", None),
        sar_msg_ref_num=getattr(pdu, "sar_msg_ref_num", None),
        sar_total_segments=getattr(pdu, "sar_total_segments", None),
        sar_segment_seqnum=getattr(pdu, "sar_segment_seqnum", None),
        receipted_message_id=_text_field(receipted) or None,
        message_state=getattr(pdu, "message_state", None),
        network_error_code=getattr(pdu, "network_error_code", None),
    )
