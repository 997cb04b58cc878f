"""What every HTTP request passes through, whatever route it reaches (an ASGI middleware).

- A body size cap: a declared `Content-Length` over the cap is refused before a byte is read; a body
  without one (chunked) is counted as it streams and refused once it passes the cap, so no more than
  the cap is ever buffered. 413 with a reason.
- No internals in an answer: an exception no route handled is logged with its traceback, digit runs
  masked (a phone number or a national ID can sit in an exception's message or an SQL parameter
  list), and the client gets `{"error": "internal error", "reference": …}` — no traceback, no
  exception class, no SQL. The reference finds the log line.

Routes with a smaller cap of their own (the WhatsApp webhook's) keep it; this is the ceiling for all.
"""

from __future__ import annotations

import logging
import secrets
import traceback
from typing import Any, Awaitable, Callable, MutableMapping

import orjson

from core.privacy import mask_text

logger = logging.getLogger(__name__)

# Webhook bodies are a few KB and the WhatsApp channel's own cap is 1 MB; nothing we serve takes more,
# except the agency API's records upload (10,000 rows, read as they stream in: api/alert_routes.py).
MAX_BODY_BYTES = 1_000_000
LARGER_BODIES = {"/api/v1/records": 4 * 1024 * 1024}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class _BodyTooLarge(BaseException):
    """Raised from `receive` past the cap. A BaseException so that no route's `except Exception`
    (FastAPI's own body parsing has one, answering 400) can turn it into another answer."""


class RequestGuards:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = max(self.max_body_bytes, LARGER_BODIES.get(scope.get("path", ""), 0))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            logger.warning("request refused reason=body_too_large declared=%d limit=%d path=%s", declared, limit, _path(scope))
            await _answer(send, 413, {"error": f"body larger than {limit} bytes"})
            return

        received = 0
        answered = False

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
            await send(message)

        try:
            await self.app(scope, capped_receive, watched_send)
        except _BodyTooLarge:
            logger.warning("request refused reason=body_too_large streamed_over=%d path=%s", limit, _path(scope))
            if not answered:
                await _answer(send, 413, {"error": f"body larger than {limit} bytes"})
        except Exception as error:
            reference = secrets.token_hex(6)
            logger.error(
                "request failed reference=%s method=%s path=%s\n%s",
                reference,
                scope.get("method"),
                _path(scope),
                mask_text("".join(traceback.format_exception(type(error), error, error.__traceback__))),
            )
            if not answered:
                await _answer(send, 500, {"error": "internal error", "reference": reference})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _path(scope: Scope) -> str:
    return mask_text(str(scope.get("path", ""))[:200])


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    content = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": content})
