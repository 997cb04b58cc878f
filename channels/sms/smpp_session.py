"""One bound SMPP session: the PDUs written to and read from one socket.

smpplib builds and parses the PDUs and binds; the session frames reads itself so a PDU smpplib
cannot parse is answered with generic_nack instead of ending the read loop (which is also why
smpplib's raising error handler is never used). Only the SMPP owner thread (smpp_client.py) calls
it; when the session ends (`SessionEnded`) the owner throws it away and binds a new one.
"""

from __future__ import annotations

import logging
import select
import socket
import struct
import time
from typing import Callable, Optional

import smpplib.client
import smpplib.consts as C
import smpplib.exceptions
import smpplib.smpp

from core.privacy import mask_phone
from channels.sms.config import SmsConfig
from channels.sms.deliver_sm import AckToken, DeliverAck, DeliverSm
from channels.sms.mo_identity import RedeliveryMemory
from channels.sms.pacing import SubmitPacer
from channels.sms.submit_jobs import SubmitResult, SubmitWindow

logger = logging.getLogger("channels.sms.smpp")

STATUS_NAMES = {value: name[len("SMPP_") :] for name, value in vars(C).items() if name.startswith("SMPP_ESME_")}
THROTTLE_STATUSES = {C.SMPP_ESME_RTHROTTLED, C.SMPP_ESME_RMSGQFUL}
# Refusals that name our credentials; ESME_RBINDFAIL ("bind failed") does not: SMSCs answer it when
# they are restarting, overloaded or at their session limit, so it is retried like a failed connect.
CREDENTIAL_STATUSES = {C.SMPP_ESME_RINVPASWD, C.SMPP_ESME_RINVSYSID}
ESME_RX_T_APPN = C.SMPP_ESME_RX_T_APPN
_MAX_PDU = 64 * 1024
_UNBIND_RESP = 0x80000006
_SUBMIT_SM_RESP = 0x80000004
_GENERIC_NACK = 0x80000000


def status_name(command_status: int) -> str:
    return STATUS_NAMES.get(command_status, f"0x{command_status:08x}")


def status_description(command_status: int) -> str:
    return C.DESCRIPTIONS.get(command_status, "Unknown command_status")


class SessionEnded(Exception):
    """The session is over (dead peer, unbind, socket error); the owner reconnects."""


class BindRefused(Exception):
    """The SMSC refused our credentials: retrying at the ordinary pace would only hammer it."""

    def __init__(self, status: int) -> None:
        super().__init__(status_name(status))
        self.status = status


class BindFailed(Exception):
    """The bind was answered with an error that is not about credentials."""


class SmppSession:
    def __init__(
        self,
        conn: smpplib.client.Client,
        generation: int,
        config: SmsConfig,
        window: SubmitWindow,
        pacer: SubmitPacer,
        redelivery: RedeliveryMemory,
        on_deliver: Callable[[DeliverSm, AckToken], None],
    ) -> None:
        self.generation = generation  # acks for deliver_sm of another session are not sent here
        self.config = config
        self.last_rx = time.monotonic()
        self.enquire_seq: Optional[int] = None
        self.enquire_deadline = 0.0
        self._conn = conn
        self._window = window
        self._pacer = pacer
        self._redelivery = redelivery
        self._on_deliver = on_deliver
        # MO answers written but not known to be read; the next enquire_link round trip confirms
        # them. Those of a session that ends unconfirmed stay in the redelivery memory.
        self._unconfirmed_mo: list[tuple[str, str]] = []
        self._enquire_confirms = 0  # how many of them the outstanding enquire_link covers

    @classmethod
    def open(
        cls,
        generation: int,
        config: SmsConfig,
        window: SubmitWindow,
        pacer: SubmitPacer,
        redelivery: RedeliveryMemory,
        on_deliver: Callable[[DeliverSm, AckToken], None],
    ) -> "SmppSession":
        """Connect and bind_transceiver; BindRefused / BindFailed / OSError / smpplib errors."""
        conn = smpplib.client.Client(
            config.host,
            config.port,
            timeout=config.connect_timeout_s,
            allow_unknown_opt_params=True,
            logger_name="channels.sms.smpplib",
        )
        try:
            conn.connect()
            conn.bind_transceiver(
                system_id=config.system_id, password=config.password, system_type=config.system_type or None
            )
        except smpplib.exceptions.PDUError as error:
            _close_quietly(conn)
            status = error.args[1] if len(error.args) > 1 else None
            if status in CREDENTIAL_STATUSES:
                raise BindRefused(status) from error
            raise BindFailed(f"bind answered {status_name(status) if status is not None else error}") from error
        except BaseException:
            _close_quietly(conn)
            raise
        return cls(conn, generation, config, window, pacer, redelivery, on_deliver)

    @property
    def socket(self) -> socket.socket:
        sock = self._conn._socket  # smpplib exposes no accessor; we only select() on it and read frames
        assert sock is not None
        return sock

    @property
    def confirms_pending(self) -> bool:
        return bool(self._unconfirmed_mo)

    # ------------------------------------------------------------ writing

    def submit_ready_parts(self) -> None:
        """Submit waiting parts for as long as the pacer allows (rate and window)."""
        cfg = self.config
        while self._window.waiting and self._pacer.delay(self._window.in_flight) == 0:
            part = self._window.next_part()
            if part is None:
                return
            job = part.job
            message = job.message
            source, source_ton, source_npi = job.source or (cfg.short_code, cfg.source_ton, cfg.source_npi)
            optional = {} if job.reference is None else {"user_message_reference": short_reference(job.reference)}
            pdu = smpplib.smpp.make_pdu(
                "submit_sm",
                client=self._conn,
                source_addr_ton=source_ton,
                source_addr_npi=source_npi,
                source_addr=source,
                dest_addr_ton=cfg.dest_ton,
                dest_addr_npi=cfg.dest_npi,
                destination_addr=job.destination,
                esm_class=message.esm_class,
                data_coding=message.data_coding,
                registered_delivery=1,
                short_message=message.parts[part.index],
                **optional,
            )
            self._window.sent(pdu.sequence, part)
            self._send_pdu(pdu)
            self._pacer.on_sent()

    def send_ack(self, ack: DeliverAck) -> None:
        resp = smpplib.smpp.make_pdu("deliver_sm_resp", client=self._conn, status=ack.command_status)
        resp.sequence = ack.token.sequence
        self._send_pdu(resp)
        if ack.mo and ack.command_status == C.SMPP_ESME_ROK:
            self._unconfirmed_mo.append(ack.mo)

    def send_enquire_link(self, now: float) -> None:
        pdu = smpplib.smpp.make_pdu("enquire_link", client=self._conn)
        self.enquire_seq = pdu.sequence
        self.enquire_deadline = now + self.config.enquire_link_timeout_s
        self._enquire_confirms = len(self._unconfirmed_mo)
        self._send_pdu(pdu)

    def unbind(self) -> None:
        """Say goodbye and wait briefly for unbind_resp; the session is closed either way."""
        try:
            self._conn.send_pdu(smpplib.smpp.make_pdu("unbind", client=self._conn))
            deadline = time.monotonic() + 1.0
            sock = self._conn._socket
            while sock is not None and time.monotonic() < deadline:
                readable, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
                if not readable:
                    break
                header, _ = _read_frame(sock)
                if struct.unpack(">L", header[4:8])[0] == _UNBIND_RESP:
                    break
        except Exception as error:  # leaving anyway
            logger.info("sms unbind incomplete error=%r", error)

    def close(self) -> None:
        _close_quietly(self._conn)

    def _send_pdu(self, pdu) -> None:
        try:
            self._conn.send_pdu(pdu)
        except (smpplib.exceptions.ConnectionError, OSError) as error:
            raise SessionEnded(f"write failed: {error!r}") from error

    def _reply(self, command: str, sequence: int, status: int = C.SMPP_ESME_ROK) -> None:
        pdu = smpplib.smpp.make_pdu(command, client=self._conn, status=status)
        pdu.sequence = sequence
        self._send_pdu(pdu)

    # ------------------------------------------------------------ reading

    def read(self) -> None:
        """Read one PDU (the socket is readable) and act on it."""
        try:
            header, raw = _read_frame(self.socket)
        except (OSError, ValueError) as error:
            raise SessionEnded(f"read failed: {error!r}") from error
        self.last_rx = time.monotonic()
        command_id, command_status, sequence = struct.unpack(">LLL", header[4:16])
        try:
            pdu = smpplib.smpp.parse_pdu(raw, client=self._conn, allow_unknown_opt_params=True)
        except Exception as error:
            logger.warning(
                "sms unreadable pdu command_id=0x%08x sequence=%d error=%r", command_id, sequence, error
            )
            if not command_id & 0x80000000:  # a request we cannot read: say so, the link goes on
                self._reply("generic_nack", sequence, C.SMPP_ESME_RINVCMDID)
            return
        self._dispatch(pdu)

    def salvage_answers(self) -> int:
        """The session is over: read the submit_sm_resp already in our socket buffer before its
        unanswered parts are queued again. A write that fails (the SMSC closed) ends the session
        before the answers it had written are read, and each answer left unread there is a part
        the SMSC has that we would submit a second time. Requests (deliver_sm) are left unread:
        without our deliver_sm_resp the SMSC delivers them again. Returns the answers taken."""
        taken = 0
        sock = self._conn._socket
        while sock is not None:
            try:
                readable, _, _ = select.select([sock], [], [], 0)
                if not readable:
                    break
                header, raw = _read_frame(sock)
            except (OSError, ValueError):
                break  # closed, reset or cut mid-frame: nothing more can be read
            command_id, _status, _sequence = struct.unpack(">LLL", header[4:16])
            if command_id not in (_SUBMIT_SM_RESP, _GENERIC_NACK):
                continue
            try:
                pdu = smpplib.smpp.parse_pdu(raw, client=self._conn, allow_unknown_opt_params=True)
            except Exception:
                continue
            if self._window.is_in_flight(pdu.sequence):
                taken += 1
                self._dispatch(pdu)
        return taken

    def _dispatch(self, pdu) -> None:
        command = pdu.command
        logger.debug("sms received command=%s sequence=%d status=%s", command, pdu.sequence, pdu.status)
        if command == "submit_sm_resp":
            self._on_submit_resp(pdu.sequence, pdu.status, pdu.message_id)
        elif command == "deliver_sm":
            self._on_deliver_sm(pdu)
        elif command == "enquire_link":
            self._reply("enquire_link_resp", pdu.sequence)
        elif command == "enquire_link_resp":
            if pdu.sequence == self.enquire_seq:
                self._on_enquire_link_resp()
        elif command == "generic_nack":
            if self._window.is_in_flight(pdu.sequence):
                self._on_submit_resp(pdu.sequence, pdu.status or C.SMPP_ESME_RUNKNOWNERR, None)
            else:
                logger.warning("sms generic_nack status=%s sequence=%d", status_name(pdu.status), pdu.sequence)
        elif command == "unbind":
            self._reply("unbind_resp", pdu.sequence)
            raise SessionEnded("the SMSC unbound")
        elif command in ("unbind_resp", "alert_notification"):
            pass
        elif pdu.is_request():
            logger.warning("sms unsupported request command=%s", command)
            self._reply("generic_nack", pdu.sequence, C.SMPP_ESME_RINVCMDID)
        else:
            logger.info("sms ignored response command=%s status=%s", command, status_name(pdu.status))

    def _on_enquire_link_resp(self) -> None:
        confirmed = self._unconfirmed_mo[: self._enquire_confirms]
        del self._unconfirmed_mo[: self._enquire_confirms]
        for digest, _ in confirmed:
            self._redelivery.forget(digest)
        self.enquire_seq = None

    def _on_submit_resp(self, sequence: int, command_status: int, message_id) -> None:
        part = self._window.answered(sequence)
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
            self._window.requeue(part)
            logger.info("sms throttled status=%s rate_now=%s", status_name(command_status), self._pacer.rate)
        else:
            logger.warning(
                "sms submit failed status=%s to=%s part=%d/%d",
                status_name(command_status),
                mask_phone(job.destination),
                part.index + 1,
                job.message.count,
            )
            job.finish(SubmitResult(ok=False, command_status=command_status))

    def _on_deliver_sm(self, pdu) -> None:
        token = AckToken(self.generation, pdu.sequence)
        try:
            self._on_deliver(_deliver_fields(pdu), token)
        except Exception:
            logger.exception("sms deliver_sm could not be handed over; asking the SMSC to retry")
            self.send_ack(DeliverAck(token, ESME_RX_T_APPN))


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


def short_reference(reference: int) -> int:
    """Our message id as SMPP's user_message_reference carries it: 2 octets."""
    return reference % 65536


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
        user_message_reference=getattr(pdu, "user_message_reference", None),
    )
