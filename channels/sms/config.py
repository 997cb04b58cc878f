"""SMS channel settings. The SMSC's values come from the process's settings (`bot/settings.py`
reads SMPP_HOST, SMPP_PORT, SMPP_SYSTEM_ID, SMPP_PASSWORD, SMPP_SYSTEM_TYPE, SMS_SHORT_CODE and
SMPP_TPS and builds this); the channel never reads the environment itself. The timing fields have
production defaults; tests shorten them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

from core.privacy import mask_secret

# A short code is a network-specific number (TON 3, NPI unknown): what SMSCs expect for it.
SHORT_CODE_TON = 3
SHORT_CODE_NPI = 0
INTERNATIONAL_TON = 1
ISDN_NPI = 1

DEFAULT_PORT = 2775
DEFAULT_SHORT_CODE = "94444"
DEFAULT_TPS = 50.0


@dataclass(frozen=True)
class SmsConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    system_id: str = ""
    password: str = ""
    system_type: str = ""
    short_code: str = DEFAULT_SHORT_CODE
    tps: Optional[float] = DEFAULT_TPS  # segments per second; None = no cap (SMPP_TPS=0)

    source_ton: int = SHORT_CODE_TON
    source_npi: int = SHORT_CODE_NPI
    dest_ton: int = INTERNATIONAL_TON
    dest_npi: int = ISDN_NPI
    country_code: str = "962"  # to make national MO addresses (07…) international

    window: int = 10  # submits awaiting their submit_sm_resp
    connect_timeout_s: float = 5.0  # TCP connect and bind response
    response_timeout_s: float = 30.0  # a submit_sm_resp later than this: the session is dead
    enquire_link_interval_s: float = 30.0  # idle time before we ask the SMSC if it is there
    enquire_link_timeout_s: float = 10.0  # its answer's deadline
    reconnect_initial_s: float = 1.0
    reconnect_max_s: float = 30.0
    bad_credentials_retry_s: float = 60.0  # a refused bind is retried this slowly
    stable_session_s: float = 10.0  # a session that lived this long reconnects at once when dropped
    throttle_initial_s: float = 0.2  # pause after ESME_RTHROTTLED / ESME_RMSGQFUL, doubling
    throttle_max_s: float = 10.0

    send_bind_wait_s: float = 15.0  # send() waits this long for a bind before giving the message back
    send_timeout_s: float = 120.0  # a message started but unfinished after this is given back
    # What send() tells the outbox when it gives a message back. Short: while the SMSC is away the
    # outbox's circuit breaker holds sends without waiting for a bind, and this is how soon it probes
    # again (30 s kept answers half a minute after the bind returned, bench/faults smsc-bind-drop).
    retry_after_s: float = 5.0
    accept_timeout_s: float = 15.0  # pipeline.accept / record_status deadline
    reassembly_timeout_s: float = 60.0

    def warnings(self) -> list[str]:
        """Settings an SMSC will not take as written (SMPP 3.4 field sizes; smpplib cuts silently)."""
        found = []
        for name, limit in (("system_id", 15), ("password", 8), ("system_type", 12)):
            if len(getattr(self, name)) > limit:
                found.append(f"{name} is longer than the {limit} characters SMPP 3.4 allows: it will be cut")
        if not self.system_id:
            found.append("SMPP_SYSTEM_ID is empty")
        if not (self.short_code.isdigit() and len(self.short_code) <= 20):
            found.append("SMS_SHORT_CODE should be digits (a short code)")
        return found

    def replace(self, **changes) -> "SmsConfig":
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{f.name}={mask_secret(self.password) if f.name == 'password' else repr(getattr(self, f.name))}"
            for f in dataclasses.fields(self)
        )
        return f"SmsConfig({fields})"
