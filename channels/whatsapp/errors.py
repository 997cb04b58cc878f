"""What a Cloud API error code means for us: retry later, try another channel, or give up.

The same codes arrive two ways: synchronously in the send response (Meta's error envelope) and
asynchronously in a `failed` status webhook (e.g. 131047 and 131026 usually come this way, minutes
after the send returned a wamid). `verdict_for_error` serves both, so a send response and a status
webhook with the same code mean the same `Verdict` to the outbox.

Codes and meanings: Meta's Cloud API error-code reference (developers.facebook.com/documentation/
business-messaging/whatsapp/support/error-codes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from core.messages import Verdict, utcnow
from channels.base import SendOutcome

# The citizen has not written in 24 hours: only a template (or SMS) can reach them now.
REENGAGEMENT = 131047
# Another channel may work; the code says why this one cannot now.
FALLBACK_CODES = {
    REENGAGEMENT: "outside the 24-hour window",
    131049: "not delivered to maintain healthy ecosystem engagement",
}
# The number is not on WhatsApp (or cannot receive from businesses): remember it, use SMS.
NOT_ON_CHANNEL_CODES = {131026: "message undeliverable (not on WhatsApp)"}
# Transient: seconds to wait before the next attempt when Meta gives no hint.
RETRY_AFTER_SECONDS = {
    130429: 2.0,  # Cloud API throughput reached
    131056: 6.0,  # pair rate limit: about one message per 6 s to the same number
    4: 60.0,  # app call-rate limit
    80007: 60.0,  # WhatsApp Business Account rate limit
    1: 5.0,  # API unknown (often a passing server error)
    2: 5.0,  # API service: temporary downtime or overload
    131000: 5.0,  # something went wrong
    131016: 10.0,  # service unavailable
    133004: 10.0,  # server temporarily unavailable
}
# Transient codes that say nothing about the recipient: the Cloud API or the account is failing.
ACCOUNT_WIDE_CODES = {130429, 4, 80007, 1, 2, 131000, 131016, 133004}
DEFAULT_RETRY_AFTER = 5.0
RATE_LIMIT_RETRY_AFTER = 30.0  # HTTP 429 without a code we know
MAX_RETRY_AFTER = 3600.0


def outcome_for_error(
    code: int | None,
    title: str | None = None,
    *,
    http_status: int | None = None,
    retry_after: float | None = None,
) -> SendOutcome:
    """The outcome of a failed send with this Cloud API error code."""
    error_code = str(code) if code is not None else (str(http_status) if http_status else None)
    verdict = verdict_for_error(code, http_status=http_status)
    title = title or NOT_ON_CHANNEL_CODES.get(code or 0) or FALLBACK_CODES.get(code or 0)
    if verdict is not Verdict.RETRY_LATER:
        return SendOutcome(verdict, error_code=error_code, error_title=title)
    if retry_after is None:
        if code in RETRY_AFTER_SECONDS:
            retry_after = RETRY_AFTER_SECONDS[code]
        else:
            retry_after = RATE_LIMIT_RETRY_AFTER if http_status == 429 else DEFAULT_RETRY_AFTER
    provider_down = code in ACCOUNT_WIDE_CODES or (code is None and (http_status == 429 or (http_status or 0) >= 500))
    return SendOutcome(
        verdict,
        error_code=error_code,
        error_title=title,
        retry_after=min(retry_after, MAX_RETRY_AFTER),
        provider_down=provider_down,
    )


def verdict_for_error(code: int | None, *, http_status: int | None = None) -> Verdict:
    """What a Cloud API error code (in a send response or a `failed` status) means for the message."""
    if code in NOT_ON_CHANNEL_CODES:
        return Verdict.NOT_ON_THIS_CHANNEL
    if code in FALLBACK_CODES:
        return Verdict.TRY_ANOTHER_CHANNEL
    if code in RETRY_AFTER_SECONDS or http_status == 429 or (http_status or 0) >= 500:
        return Verdict.RETRY_LATER
    return Verdict.FAILED


def error_title(error: Mapping) -> str | None:
    """Meta puts "(#131047) Re-engagement message" in `message`; webhook errors have `title`."""
    title = error.get("title") or error.get("message")
    if not title:
        return None
    return re.sub(r"^\(#\d+\)\s*", "", str(title))


def retry_after_from_headers(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from `Retry-After` or Graph's throttling header, if either says so."""
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())
        except (TypeError, ValueError):
            pass
    # Graph's X-Business-Use-Case-Usage: {"<id>": [{"estimated_time_to_regain_access": minutes, ...}]}
    usage = headers.get("x-business-use-case-usage")
    if usage:
        try:
            minutes = [
                item.get("estimated_time_to_regain_access") or 0
                for items in json.loads(usage).values()
                for item in items
            ]
        except (ValueError, AttributeError, TypeError):
            return None
        if minutes and max(minutes) > 0:
            return float(max(minutes)) * 60.0
    return None
