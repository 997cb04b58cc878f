"""What the console's broadcast pages need from the layers above and beside it, handed in by the
app (bot/app.py): the SMS segment count (the SMS channel's own, so the console shows what the SMSC
will be sent) and a way to start the sending job (jobs/, which the console may not import)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable, Optional


@dataclass(frozen=True)
class BroadcastHooks:
    sms_segments: Callable[[str], int]
    # start (or restart) sending broadcast `id` at `at` (None: now); False when no job engine is configured
    start_sending: Callable[[int, Optional[datetime]], Awaitable[bool]]


async def _no_engine(_broadcast_id: int, _at: Optional[datetime]) -> bool:
    return False


def _unknown_segments(text: str) -> int:
    # Without the SMS channel's counter: a UCS-2 upper bound (70 alone, 67 a part), never too low.
    length = len(text)
    return 1 if length <= 70 else -(-length // 67)


DEFAULT_HOOKS = BroadcastHooks(sms_segments=_unknown_segments, start_sending=_no_engine)
