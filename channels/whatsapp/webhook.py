"""The receive half of the WhatsApp channel: Meta's webhook endpoint.

`GET` answers Meta's subscription check; `POST` carries messages and statuses. A POST is
authenticated (HMAC signature over the raw body) before anything is parsed, size-capped while it is
read, parsed with `parse.parse_update` (every entry/change/message/status), and each item is handed
to the sink (`pipeline.pipeline`, which only persists and enqueues), then Meta gets its 200.

What we answer, and why (Meta redelivers any non-2xx answer, with back-off, for up to seven days):
- 200 with counts once every item is either handed over or skipped. An invalid entry, change,
  message or status (`schema.py`) is skipped with a log line naming where and why; a message the
  pipeline refuses (`InvalidMessage`) likewise; a status for a message we never sent is logged and
  counted as `unknown_statuses`. Redelivering any of these would fail the same way, and the valid
  items beside them must not wait for it.
- 4xx with `{"error": reason}` when the body as a whole is wrong: 401/403 for a missing or wrong
  signature, 413 over the size cap, 400 when it is not JSON, 422 when it is signed JSON but not a
  webhook we can read (not an object, no `entry` list, another `object`, nested deeper or a list
  longer than the bounds in schema.py). A correctly signed body that fails here is Meta's change of
  format or a bug of ours, not a citizen's message we could read: the 4xx makes it visible in Meta's
  webhook dashboard and alerts (a 200 would hide it for good), and a redelivery costs a signature
  check and a parse, well under a millisecond for anything within the size cap.
- 500 only when the sink itself fails (the store is down): Meta redelivers the whole body later, and
  the pipeline's dedupe (on message id; statuses on id + status) drops what was already accepted.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from core.messages import InvalidMessage
from core.privacy import mask_phone
from channels.base import InboundSink
from channels.whatsapp.config import WhatsAppConfig
from channels.whatsapp.parse import describe_message, parse_update
from channels.whatsapp.signature import SIGNATURE_HEADER, signature_matches

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/whatsapp"


class _BodyTooLarge(Exception):
    pass


def build_router(config: WhatsAppConfig, sink: InboundSink, *, path: str = WEBHOOK_PATH) -> APIRouter:
    router = APIRouter()

    @router.get(path)
    async def verify_subscription(request: Request) -> Response:
        params = request.query_params
        if params.get("hub.mode") != "subscribe":
            return _error(403, "hub.mode must be 'subscribe'")
        token = params.get("hub.verify_token", "")
        if not token or not _same(token, config.verify_token):
            logger.warning("whatsapp.webhook verify_rejected reason=wrong_verify_token")
            return _error(403, "hub.verify_token does not match")
        logger.info("whatsapp.webhook verified")
        return PlainTextResponse(params.get("hub.challenge", ""))

    @router.post(path)
    async def receive(request: Request) -> Response:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            logger.warning("whatsapp.webhook rejected reason=missing_signature")
            return _error(401, f"missing {SIGNATURE_HEADER} header")
        try:
            body = await _read_capped(request, config.max_body_bytes)
        except _BodyTooLarge:
            logger.warning("whatsapp.webhook rejected reason=body_too_large limit=%d", config.max_body_bytes)
            return _error(413, f"body larger than {config.max_body_bytes} bytes")
        if not signature_matches(body, signature, config.app_secret):
            logger.warning("whatsapp.webhook rejected reason=bad_signature bytes=%d", len(body))
            return _error(403, f"{SIGNATURE_HEADER} does not match the body")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            logger.warning("whatsapp.webhook rejected reason=malformed_json detail=%s", exc)
            return _error(400, f"body is not valid JSON: {exc}")

        parsed = parse_update(payload, phone_number_id=config.phone_number_id)
        if parsed.refused:
            logger.warning("whatsapp.webhook rejected reason=unreadable_body detail=%s", parsed.refused)
            return _error(422, f"not a WhatsApp webhook body: {parsed.refused}")
        failures = refused = 0
        for message in parsed.messages:
            try:
                await sink.accept(message)
                # DEBUG: the pipeline logs every accepted message at INFO (one line per message).
                logger.debug("whatsapp.webhook accepted %s", describe_message(message))
            except InvalidMessage as reason:
                # The body's fault: redelivering it would fail the same way, so acknowledge it.
                refused += 1
                logger.warning("whatsapp.webhook refused %s reason=%s", describe_message(message), reason)
            except Exception:
                failures += 1
                logger.exception("whatsapp.webhook sink_failed %s", describe_message(message))
        # Statuses go together: they share the pipeline's group commit, and one for a message we do
        # not know (yet) waits a moment for it without holding up the others.
        outcomes = await asyncio.gather(*(sink.record_status(u) for u in parsed.statuses), return_exceptions=True)
        unknown = 0
        for update, outcome in zip(parsed.statuses, outcomes):
            if isinstance(outcome, BaseException):
                failures += 1
                logger.error(
                    "whatsapp.webhook sink_failed status id=%s status=%s to=%s",
                    update.provider_id,
                    update.status,
                    mask_phone(update.address),
                    exc_info=outcome,
                )
            elif outcome is False:
                unknown += 1  # the pipeline logged it; acknowledged, as a redelivery would not help
        summary = {
            "messages": len(parsed.messages),
            "statuses": len(parsed.statuses),
            "skipped": len(parsed.problems) + refused,
            "unknown_statuses": unknown,
        }
        if failures:
            # Meta retries non-200 deliveries; dedupe downstream makes the retry safe.
            return JSONResponse(
                {"error": "could not store every item; retry", "failed": failures, **summary}, 500
            )
        return JSONResponse(summary, 200)

    return router


async def _read_capped(request: Request, limit: int) -> bytes:
    """The body, refusing (without buffering it all) anything over `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)
