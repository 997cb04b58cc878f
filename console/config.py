"""The console's settings (read from the environment by bot/settings.py, which hands them here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Optional


@dataclass(frozen=True)
class ConsoleConfig:
    idle_timeout: timedelta = timedelta(minutes=30)  # a session unused this long is over
    # True: the session cookie only ever travels over HTTPS. None ("auto"): the same, except on a
    # plain-HTTP request addressed to this machine itself (127.0.0.1, localhost), where nothing
    # crosses a network. False only for plain-HTTP development (the dev server sets it).
    cookie_secure: Optional[bool] = None
    lockout_failures: int = 5  # wrong passwords for one email within lockout_duration lock it ...
    lockout_duration: timedelta = timedelta(minutes=15)  # ... for this long
    sign_ins_per_minute: int = 20  # attempts from one client address, right or wrong
    public_url: str = "http://127.0.0.1:8000"  # where staff reach Tawasol: setup links start here
    setup_link_lifetime: timedelta = timedelta(hours=24)
    ticket_limit: timedelta = timedelta(minutes=60)  # an open ticket waiting longer is flagged late
