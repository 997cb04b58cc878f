"""Meta signs every webhook POST: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(raw body, app secret)>`.

The HMAC covers the bytes exactly as sent (Meta escapes non-ASCII and '/' in its JSON), so it must be
checked on the raw body before any parsing.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def sign(body: bytes, app_secret: str) -> str:
    """The header value Meta would send for this body."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def signature_matches(body: bytes, header_value: str | None, app_secret: str) -> bool:
    """Constant-time comparison of the received header with the expected one."""
    if not header_value:
        return False
    received = header_value.strip()
    if not received.lower().startswith(_PREFIX):
        return False
    received = _PREFIX + received[len(_PREFIX) :].lower()
    return hmac.compare_digest(received.encode("ascii", "replace"), sign(body, app_secret).encode("ascii"))
