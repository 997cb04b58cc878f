"""Put concatenated MO parts back together before the bot sees them.

Parts are keyed by the citizen's address and the message reference (UDH 8-bit or 16-bit, or the
SAR TLVs), and may come in any order and more than once (an SMSC redelivers a part whose response
it missed). A message that never completes is not dropped: after `timeout_s` it comes out with the
parts it has, marked incomplete.

Acknowledgement policy (the caller's `ack` tokens ride along): a part that does not complete its
message is acknowledged at once — an SMSC that sends one deliver_sm at a time would otherwise never
send the next part. The part that completes the message keeps its ack until the whole text has been
accepted by the pipeline; if accepting fails, `restore` puts the other parts back so the SMSC's
redelivery of that last part completes the message again.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Optional

from core.messages import utcnow


@dataclass(frozen=True)
class PartRef:
    reference: int
    total: int
    number: int  # 1-based
    scheme: str  # "udh8", "udh16" or "sar": refs of different schemes never mix


@dataclass
class MoPart:
    source: str
    destination: str
    payload: bytes  # the part's user data, UDH removed
    data_coding: int
    ref: PartRef
    ack: Any = None  # opaque: what the caller needs to answer this deliver_sm
    received_at: datetime = field(default_factory=utcnow)


@dataclass
class AssembledMessage:
    source: str
    destination: str
    reference: int
    scheme: str
    total: int
    parts: dict[int, MoPart]  # by part number; only the numbers received
    complete: bool
    completing_number: Optional[int] = None
    pending_acks: list[Any] = field(default_factory=list)  # to answer once accepted

    @property
    def missing(self) -> list[int]:
        return [n for n in range(1, self.total + 1) if n not in self.parts]

    @property
    def first_received_at(self) -> datetime:
        return min(part.received_at for part in self.parts.values())

    def ordered_parts(self) -> list[MoPart]:
        return [self.parts[n] for n in sorted(self.parts)]


@dataclass
class AddResult:
    ack_now: list[Any]  # answer these deliver_sm at once (ROK)
    completed: Optional[AssembledMessage] = None


@dataclass
class _Buffer:
    started: float
    source: str
    destination: str
    ref: PartRef
    parts: dict[int, MoPart] = field(default_factory=dict)


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=12).digest()


_Key = tuple[str, str, int, int]


class Reassembler:
    """Not thread-safe: one owner (the inbound consumer) calls it."""

    def __init__(
        self,
        timeout_s: float = 60.0,
        remember_completed_s: float = 600.0,
        max_buffers: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout_s = timeout_s
        self.remember_completed_s = remember_completed_s
        self.max_buffers = max_buffers
        self._clock = clock
        self._buffers: dict[_Key, _Buffer] = {}
        # key -> (when completed, {part number: payload digest}): recognises a late redelivered part
        self._completed: dict[_Key, tuple[float, dict[int, bytes]]] = {}

    @staticmethod
    def _key(part: MoPart) -> _Key:
        return (part.source, part.ref.scheme, part.ref.reference, part.ref.total)

    def __len__(self) -> int:
        return len(self._buffers)

    def add(self, part: MoPart) -> AddResult:
        key = self._key(part)
        number = part.ref.number
        done = self._completed.get(key)
        if done and done[1].get(number) == _digest(part.payload):
            return AddResult(ack_now=[part.ack])

        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = _Buffer(self._clock(), part.source, part.destination, part.ref)
            self._buffers[key] = buffer
        if number in buffer.parts:
            return AddResult(ack_now=[part.ack])
        buffer.parts[number] = part
        if len(buffer.parts) < part.ref.total:
            return AddResult(ack_now=[part.ack])

        del self._buffers[key]
        self._remember(key, buffer)
        message = self._assemble(buffer, complete=True)
        message.completing_number = number
        message.pending_acks = [part.ack]
        return AddResult(ack_now=[], completed=message)

    def restore(self, message: AssembledMessage) -> None:
        """Undo a completion whose accept failed, keeping all parts but the completing one."""
        key = (message.source, message.scheme, message.reference, message.total)
        self._completed.pop(key, None)
        kept = {n: p for n, p in message.parts.items() if n != message.completing_number}
        if not kept:
            return
        any_part = next(iter(kept.values()))
        buffer = _Buffer(self._clock(), message.source, message.destination, any_part.ref, kept)
        self._buffers[key] = buffer

    def expire(self) -> list[AssembledMessage]:
        """Incomplete messages older than the timeout (and the oldest beyond `max_buffers`)."""
        now = self._clock()
        expired_keys = [k for k, b in self._buffers.items() if now - b.started >= self.timeout_s]
        overflow = len(self._buffers) - len(expired_keys) - self.max_buffers
        if overflow > 0:
            expiring = set(expired_keys)
            rest = sorted(
                (k for k in self._buffers if k not in expiring),
                key=lambda k: self._buffers[k].started,
            )
            expired_keys += rest[:overflow]
        messages = []
        for key in expired_keys:
            buffer = self._buffers.pop(key)
            self._remember(key, buffer)
            messages.append(self._assemble(buffer, complete=False))
        self._forget_old_completions(now)
        return messages

    def next_deadline(self) -> Optional[float]:
        """Clock time when the oldest buffer expires, or None when nothing waits."""
        if not self._buffers:
            return None
        return min(b.started for b in self._buffers.values()) + self.timeout_s

    def _remember(self, key: _Key, buffer: _Buffer) -> None:
        digests = {n: _digest(p.payload) for n, p in buffer.parts.items()}
        self._completed[key] = (self._clock(), digests)

    def _forget_old_completions(self, now: float) -> None:
        stale = [k for k, (at, _) in self._completed.items() if now - at > self.remember_completed_s]
        for key in stale:
            del self._completed[key]

    @staticmethod
    def _assemble(buffer: _Buffer, complete: bool) -> AssembledMessage:
        return AssembledMessage(
            source=buffer.source,
            destination=buffer.destination,
            reference=buffer.ref.reference,
            scheme=buffer.ref.scheme,
            total=buffer.ref.total,
            parts=dict(buffer.parts),
            complete=complete,
        )
