"""Jordan's clock: dates and times as citizens read them. Jordan keeps UTC+3 all year (since 2022),
so a fixed offset is exact and needs no time-zone database on the machine."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

AMMAN = timezone(timedelta(hours=3), "Asia/Amman")


def local_date(moment: datetime) -> str:
    return moment.astimezone(AMMAN).strftime("%Y-%m-%d")


def local_time(moment: datetime) -> str:
    return moment.astimezone(AMMAN).strftime("%H:%M")
