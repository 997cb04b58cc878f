"""Reading the filter fields of list pages (dates as YYYY-MM-DD, UTC)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional


def day_start(value: str) -> Optional[datetime]:
    """Midnight UTC of YYYY-MM-DD; None for an empty field; ValueError for anything else."""
    value = (value or "").strip()
    if not value:
        return None
    return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)


def day_end(value: str) -> Optional[datetime]:
    """The midnight after YYYY-MM-DD, so "to 2026-12-07" includes that whole day."""
    start = day_start(value)
    return start + timedelta(days=1) if start else None


UNITS = {"ar": ("د", "س", "يوم"), "en": ("min", "h", "d")}


def waiting(since: datetime, now: datetime, lang: str = "en") -> str:
    """'3 h 05 min', '12 min' ('12 د' in Arabic): how long a ticket has waited."""
    minute, hour, day = UNITS.get(lang, UNITS["en"])
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} {minute}"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} {hour} {minutes:02d} {minute}"
    return f"{hours // 24} {day} {hours % 24} {hour}"
