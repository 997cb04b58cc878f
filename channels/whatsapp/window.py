"""WhatsApp's customer service window: free-form messages reach a citizen only within 24 hours of
their last message; after that only an approved template may open a conversation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

WINDOW = timedelta(hours=24)


def window_open(last_inbound_at: Optional[datetime], now: datetime) -> bool:
    return last_inbound_at is not None and now - last_inbound_at < WINDOW
