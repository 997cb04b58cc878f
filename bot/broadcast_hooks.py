"""The console's broadcast hooks, wired here because only this layer sees both the SMS channel's
segment count and the job engine: the console may import neither."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Optional

from bot.settings import Settings
from channels.sms.segments import count as sms_segments
from console.broadcast_hooks import BroadcastHooks
from jobs.deferred import enqueue

logger = logging.getLogger(__name__)


def broadcast_hooks(settings: Settings) -> BroadcastHooks:
    async def start_sending(broadcast_id: int, at: Optional[datetime]) -> bool:
        if not settings.redis_url:
            logger.warning("broadcast not started: no REDIS_URL (the job engine) broadcast_id=%s", broadcast_id)
            return False
        # No job id: a second run of the same broadcast is harmless (recipients are claimed one
        # worker at a time), and arq would refuse an id it still remembers from an earlier run.
        await enqueue(settings.redis_url, "send_broadcast", broadcast_id, at=at)
        return True

    return BroadcastHooks(sms_segments=sms_segments, start_sending=start_sending)
