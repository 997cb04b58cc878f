"""Messages on their way to the SMSC: a job per message, and the window of its parts.

A job is resolved once: accepted (every part has its message id), failed (an SMSC error), or given
back (not fully submitted; the caller tries again later). The window keeps the parts in the order
they were queued, so a part sent again after a dropped session goes out before newer ones.
"""

from __future__ import annotations

import concurrent.futures
import heapq
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Iterator, Optional

from channels.sms.segments import SegmentedMessage


@dataclass
class SubmitResult:
    ok: bool
    message_ids: list[str] = field(default_factory=list)
    command_status: Optional[int] = None  # the error that failed the message
    gave_up: bool = False  # not (fully) submitted: the caller should try again later


class SubmitJob:
    """One message (all its parts) on its way to the SMSC."""

    QUEUED, STARTED, DONE = "queued", "started", "done"

    def __init__(
        self,
        destination: str,
        message: SegmentedMessage,
        source: Optional[tuple[str, int, int]] = None,
        accepted: Optional[dict[int, str]] = None,
        reference: Optional[int] = None,
    ) -> None:
        self.destination = destination
        # Our message id, sent as user_message_reference (16 bits) so a receipt can name a message
        # whose submit_sm_resp its sender never recorded (it died): see Pipeline.record_status.
        self.reference = reference
        self.message = message
        self.source = source  # (source_addr, TON, NPI); None: the configured short code
        self.future: concurrent.futures.Future[SubmitResult] = concurrent.futures.Future()
        # Parts the SMSC already accepted in an earlier try of this message (by index): not sent again.
        self.message_ids: list[Optional[str]] = [(accepted or {}).get(i) for i in range(message.count)]
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

    def accepted_parts(self) -> dict[int, str]:
        return {i: mid for i, mid in enumerate(self.message_ids) if mid is not None}

    def part_accepted(self, index: int, message_id: str) -> None:
        self.message_ids[index] = message_id
        if all(mid is not None for mid in self.message_ids):
            self.finish(SubmitResult(ok=True, message_ids=[m for m in self.message_ids if m]))


@dataclass(order=True)
class QueuedPart:
    order: int
    job: SubmitJob = field(compare=False)
    index: int = field(compare=False)
    sent_at: float = field(default=0.0, compare=False)


class SubmitWindow:
    """Parts waiting to be submitted and parts awaiting their submit_sm_resp (by sequence number).

    Owned by the SMPP thread; other threads only read its sizes for a status report.
    """

    def __init__(self) -> None:
        self._order = itertools.count()
        self._waiting: list[QueuedPart] = []
        self._in_flight: dict[int, QueuedPart] = {}

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def add(self, job: SubmitJob) -> None:
        if all(mid is not None for mid in job.message_ids):  # every part accepted in an earlier try
            job.finish(SubmitResult(ok=True, message_ids=list(job.message_ids)))  # type: ignore[arg-type]
            return
        for index in range(job.message.count):
            if job.message_ids[index] is not None:
                continue
            heapq.heappush(self._waiting, QueuedPart(next(self._order), job, index))

    def requeue(self, part: QueuedPart) -> None:
        """Back in line at its original place (a throttled part, or one a dropped session lost)."""
        heapq.heappush(self._waiting, part)

    def next_part(self) -> Optional[QueuedPart]:
        """The oldest waiting part of a job still wanted (withdrawn and finished jobs are dropped)."""
        while self._waiting:
            part = heapq.heappop(self._waiting)
            if part.job.begin():
                return part
        return None

    def sent(self, sequence: int, part: QueuedPart) -> None:
        part.sent_at = time.monotonic()
        self._in_flight[sequence] = part

    def answered(self, sequence: int) -> Optional[QueuedPart]:
        return self._in_flight.pop(sequence, None)

    def is_in_flight(self, sequence: int) -> bool:
        return sequence in self._in_flight

    def oldest_sent_at(self) -> Optional[float]:
        return min((part.sent_at for part in self._in_flight.values()), default=None)

    def requeue_unanswered(self) -> int:
        """The session dropped: parts without an answer go out again (same job, same UDH reference)."""
        unanswered = list(self._in_flight.values())
        self._in_flight.clear()
        requeued = 0
        for part in unanswered:
            if part.job.state != SubmitJob.DONE:
                self.requeue(part)
                requeued += 1
        return requeued

    def drain(self) -> Iterator[QueuedPart]:
        """Every part, waiting or in flight, taken out of the window (the client is stopping)."""
        parts = self._waiting + list(self._in_flight.values())
        self._waiting, self._in_flight = [], {}
        return iter(parts)
