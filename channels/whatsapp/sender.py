"""The send half of the WhatsApp channel: rendered payloads → Cloud API `POST /{phone_id}/messages`.

We call the Graph API with aiohttp directly rather than through pywa_async: pywa 4.5's GraphAPI sets
`session.base_url = "https://graph.facebook.com/v…"` itself (so it cannot be pointed at our fake or
a proxy without patching its internals), turns every error into an exception that hides the HTTP
headers we read for `Retry-After`, and debug-logs whole request bodies (citizens' numbers and text).
The request itself is one JSON POST, so owning it costs little; the payloads are built in `render`.
aiohttp rather than httpx: a POST costs ~0.15 ms of CPU against ~0.8 ms (measured side by side on
loopback), and every answered message makes two (the reply and the read receipt).

`send` never raises for provider or network trouble: it returns a `SendOutcome` (see `errors`).
Throughput is capped by the outbox's RateLimiter at `sender.rate` messages per second.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Mapping

import aiohttp
import orjson

from core.messages import Verdict
from core.privacy import mask_phone
from channels.base import Rendered, SendOutcome
from channels.whatsapp.config import WhatsAppConfig
from channels.whatsapp.errors import (
    DEFAULT_RETRY_AFTER,
    error_title,
    outcome_for_error,
    retry_after_from_headers,
)
from channels.whatsapp.references import CALLBACK_FIELD, callback_data
from channels.whatsapp.templates import TemplateCatalog

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=15.0, connect=5.0)
# Keep as many idle connections as we may open, so the next burst reuses them instead of new TLS handshakes.
MAX_CONNECTIONS = 100


@dataclass(frozen=True)
class _Response:
    """What we read of a Graph API response (read inside aiohttp's context, used after it)."""

    status_code: int
    reason_phrase: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


class WhatsAppSender:
    """The Cloud API client of the WhatsApp channel. One per process; close it with `aclose()`."""

    def __init__(
        self,
        config: WhatsAppConfig,
        *,
        templates: TemplateCatalog | None = None,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
    ):
        self.config = config
        self.templates = templates
        self._client: aiohttp.ClientSession | None = None
        self._timeout = timeout
        self._headers = {"Authorization": f"Bearer {config.access_token}", "Content-Type": "application/json"}

    @property
    def rate(self) -> float:
        """Messages per second this number may send (WHATSAPP_RATE)."""
        return self.config.rate

    async def send(self, message: Rendered) -> SendOutcome:
        body = message.body
        if message.reference is not None and isinstance(body, dict):
            body = {**body, CALLBACK_FIELD: callback_data(message.reference)}
        kind = body.get("type") if isinstance(body, dict) else None
        to = mask_phone(message.address)
        try:
            response = await self._post(self.config.messages_url, body)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            # Connection refused/reset, DNS, timeouts. After a read timeout Meta may have sent it
            # anyway, so the outbox's retry can duplicate a message: rare, and better than a loss.
            code = "timeout" if isinstance(exc, asyncio.TimeoutError) else "network"
            logger.warning("whatsapp.send %s to=%s type=%s error=%s", code, to, kind, type(exc).__name__)
            return SendOutcome(
                Verdict.RETRY_LATER,
                error_code=code,
                error_title=type(exc).__name__,
                retry_after=DEFAULT_RETRY_AFTER,
                provider_down=True,
            )

        if response.status_code == 200:
            provider_id = _message_id(response)
            if provider_id:
                # DEBUG: the outbox logs every send at INFO with our message id (one line per message).
                logger.debug("whatsapp.send ok to=%s type=%s id=%s", to, kind, provider_id)
                return SendOutcome(Verdict.SENT, provider_id=provider_id)
            logger.error("whatsapp.send bad_response to=%s status=200 (no message id)", to)
            # Not retried: it may have been sent, and a duplicate is worse than a logged gap.
            return SendOutcome(Verdict.FAILED, error_code="bad_response", error_title="200 without a message id")

        error = _error_object(response)
        code = error.get("code") if isinstance(error.get("code"), int) else None
        outcome = outcome_for_error(
            code,
            error_title(error) or response.reason_phrase,
            http_status=response.status_code,
            retry_after=retry_after_from_headers(response.headers),
        )
        error_data = error.get("error_data")
        details = error_data.get("details") if isinstance(error_data, dict) else None
        logger.warning(
            "whatsapp.send failed to=%s type=%s http=%d code=%s title=%s details=%s "
            "retry_after=%s verdict=%s",
            to,
            kind,
            response.status_code,
            outcome.error_code,
            outcome.error_title,
            details,
            outcome.retry_after,
            outcome.verdict.value,
        )
        return outcome

    async def mark_read(self, provider_message_id: str) -> bool:
        """Blue ticks on a citizen's message; failure is logged, never raised."""
        body = {"messaging_product": "whatsapp", "status": "read", "message_id": provider_message_id}
        try:
            response = await self._post(self.config.messages_url, body)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            logger.warning(
                "whatsapp.mark_read network_error id=%s error=%s", provider_message_id, type(exc).__name__
            )
            return False
        if response.status_code == 200:
            try:
                return bool(response.json().get("success"))
            except ValueError:
                return False
        error = _error_object(response)
        logger.warning(
            "whatsapp.mark_read failed id=%s http=%d code=%s",
            provider_message_id,
            response.status_code,
            error.get("code"),
        )
        return False

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def __aenter__(self) -> WhatsAppSender:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    async def _post(self, url: str, body: dict[str, Any]) -> _Response:
        async with self._http().post(url, data=orjson.dumps(body), headers=self._headers) as response:
            return _Response(response.status, response.reason or "", response.headers, await response.read())

    def _http(self) -> aiohttp.ClientSession:
        # Created on first use, so it binds to the event loop that actually sends.
        if self._client is None:
            self._client = aiohttp.ClientSession(
                timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS),
                # No cookies: Graph API calls are stateless, and one session serves every citizen.
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._client


def _message_id(response: _Response) -> str | None:
    try:
        messages = response.json().get("messages") or []
        return str(messages[0]["id"]) if messages and messages[0].get("id") else None
    except (ValueError, AttributeError, KeyError, IndexError, TypeError):
        return None


def _error_object(response: _Response) -> dict[str, Any]:
    """Meta's `{"error": {...}}`, or an empty dict for a non-JSON error (a proxy's 502 page)."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}
