"""A fake WhatsApp Cloud API (Graph API) for development, tests and benchmarks.

It acts as Meta in both directions:
- toward our sender: `POST /{version}/{phone_number_id}/messages` checks the bearer token, the
  phone number id and the body (text, interactive buttons/lists, templates, read receipts) and
  answers with Meta's success shape or Meta's error envelope and HTTP status; media lookups
  (`GET /{version}/{media_id}`) and downloads work for media it sent inbound;
- toward our webhook: it POSTs signed inbound-message and status webhooks (single or batched),
  exact redeliveries of an earlier body, and, if configured, `sent`/`delivered` statuses after
  each accepted message.

Test controls live under `/_fake/` (see `_control_routes`). Run it alone with
`python -m simulators.whatsapp_graph --port 8089 --webhook-url http://127.0.0.1:8000/webhooks/whatsapp`;
the defaults match the development defaults of `channels.whatsapp.config`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from simulators import whatsapp_payloads as payloads
from simulators.whatsapp_errors import GraphError, unknown_object
from simulators.whatsapp_validation import ApprovedTemplates, validate_message, validate_read_receipt

logger = logging.getLogger(__name__)

DEFAULT_PHONE_NUMBER_ID = "100000000000001"
DEFAULT_ACCESS_TOKEN = "dev-access-token"
DEFAULT_APP_SECRET = "dev-app-secret"
DEFAULT_PORT = 8089
_VERSION = re.compile(r"^v\d+\.\d+$")


@dataclass
class Injection:
    """Make the next `times` sends to one recipient fail with Meta error `code` (or only be slow).

    mode "sync": the send itself gets the error (HTTP error envelope). mode "async": the send
    succeeds with a wamid and a `failed` status webhook follows, as Meta does for 131047/131026.
    `delay`: seconds to wait before answering (timeouts); with `code` None the send then succeeds.
    """

    code: int | None
    times: int = 1
    mode: str = "sync"
    http_status: int | None = None
    retry_after: int | None = None  # seconds, sent as a Retry-After header
    details: str = ""
    delay: float = 0.0


@dataclass
class SentMessage:
    id: str
    to: str
    type: str
    body: dict[str, Any]
    at: float
    statuses: list[str] = field(default_factory=list)


@dataclass
class Delivery:
    id: int
    body: bytes
    signature: str | None
    status_code: int | None = None
    response: str = ""
    error: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status_code": self.status_code,
            "response": self.response,
            "error": self.error,
            "body": self.body.decode("utf-8", "replace"),
        }


class FakeGraph:
    """The fake's state and behaviour; `create_app` puts HTTP around it."""

    def __init__(
        self,
        *,
        app_secret: str,
        phone_number_id: str,
        access_token: str,
        webhook_url: str | None,
        templates: ApprovedTemplates,
        auto_statuses: list[str],
        include_user_id: bool,
    ):
        self.app_secret = app_secret
        self.phone_number_id = phone_number_id
        self.access_token = access_token
        self.webhook_url = webhook_url
        self.templates = templates
        self.auto_statuses = auto_statuses
        self.include_user_id = include_user_id
        self.status_delay = 0.0
        self.messages: list[SentMessage] = []
        # Long-polls wait per recipient: an index keeps each wake-up O(1) under load (bench/e2e).
        self.by_recipient: dict[str, list[SentMessage]] = defaultdict(list)
        self.read_receipts: list[str] = []
        self.injections: dict[str, list[Injection]] = {}
        self.deliveries: list[Delivery] = []
        self.media: dict[str, tuple[str, bytes]] = {}
        self._changed: asyncio.Condition | None = None
        self._tasks: set[asyncio.Task] = set()
        self._http: aiohttp.ClientSession | None = None

    # --- sending side (our sender calls these) -------------------------------------------------

    def check_token(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        token = (
            header[7:].strip()
            if header.lower().startswith("bearer ")
            else request.query_params.get("access_token")
        )
        if not token:
            raise GraphError(
                190,
                "An active access token must be used.",
                message="An active access token must be used to query information about the current user.",
            )
        if not hmac.compare_digest(token.encode(), self.access_token.encode()):
            raise GraphError(
                190,
                "Invalid OAuth access token.",
                message="Invalid OAuth access token - Cannot parse access token",
            )

    async def accept_send(self, phone_number_id: str, body: Any) -> tuple[dict[str, Any], dict[str, str]]:
        """(response JSON, extra headers) for a valid send; raises GraphError like Meta."""
        if phone_number_id != self.phone_number_id:
            raise unknown_object(phone_number_id, "post")
        if not isinstance(body, dict):
            raise GraphError(100, "The request body must be a JSON object.")
        if body.get("status") == "read":
            self.read_receipts.append(validate_read_receipt(body))
            await self._notify()
            return {"success": True}, {}
        to, kind = validate_message(body, self.templates)
        injection = self._take_injection(to)
        if injection is not None and injection.delay:
            await asyncio.sleep(injection.delay)
        if injection is not None and injection.code is None:
            injection = None
        if injection is not None and injection.mode == "sync":
            error = GraphError(injection.code, injection.details, http_status=injection.http_status)
            headers = {"Retry-After": str(injection.retry_after)} if injection.retry_after is not None else {}
            raise _WithHeaders(error, headers)
        message = SentMessage(id=payloads.new_wamid(), to=to, type=kind, body=body, at=time.time())
        recipient = _digits(to) or to
        self.messages.append(message)
        self.by_recipient[recipient].append(message)
        await self._notify()
        if injection is not None:  # async failure: accepted now, failed status later
            error = GraphError(injection.code, injection.details).webhook_error()
            self._spawn(self._send_statuses(message, ["failed"], error=error))
        elif self.auto_statuses and self.webhook_url:
            self._spawn(self._send_statuses(message, self.auto_statuses))
        contact = {"input": to, "wa_id": recipient} if body.get("to") else {"input": to, "user_id": to}
        sent: dict[str, Any] = {"id": message.id}
        if kind == "template":
            sent["message_status"] = "accepted"
        return {"messaging_product": "whatsapp", "contacts": [contact], "messages": [sent]}, {}

    def _take_injection(self, to: str) -> Injection | None:
        for key in (_digits(to) or to, "*"):
            queue = self.injections.get(key)
            if queue:
                injection = queue[0]
                injection.times -= 1
                if injection.times <= 0:
                    queue.pop(0)
                return injection
        return None

    # --- webhook side (the fake acting as Meta toward our service) ------------------------------

    async def deliver(self, body: bytes, *, signature: str = "valid") -> Delivery:
        """POST one webhook body to our service; `signature`: valid, missing or wrong."""
        if not self.webhook_url:
            raise GraphError(100, "No webhook_url configured on the fake.")
        header = None
        if signature == "valid":
            header = "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        elif signature == "wrong":
            header = "sha256=" + hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()
        delivery = Delivery(id=len(self.deliveries) + 1, body=body, signature=header)
        self.deliveries.append(delivery)
        await self._post(delivery)
        return delivery

    async def redeliver(self, delivery_id: int) -> Delivery:
        """The exact bytes and signature of an earlier delivery, as Meta retries."""
        if not 1 <= delivery_id <= len(self.deliveries):
            raise GraphError(100, f"No delivery {delivery_id}.")
        original = self.deliveries[delivery_id - 1]
        delivery = Delivery(id=len(self.deliveries) + 1, body=original.body, signature=original.signature)
        self.deliveries.append(delivery)
        await self._post(delivery)
        return delivery

    async def _post(self, delivery: Delivery) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
        if delivery.signature:
            headers["X-Hub-Signature-256"] = delivery.signature
        try:
            async with self._client().post(self.webhook_url, data=delivery.body, headers=headers) as response:
                delivery.status_code = response.status
                delivery.response = (await response.read()).decode("utf-8", "replace")[:2000]
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"
        await self._notify()

    async def _send_statuses(
        self, message: SentMessage, statuses: list[str], *, error: dict | None = None
    ) -> None:
        recipient = _digits(message.to) or message.to
        for status in statuses:
            if self.status_delay:
                await asyncio.sleep(self.status_delay)
            value = payloads.status_value(
                message.id,
                status,
                recipient,
                self.phone_number_id,
                error=error,
                include_user_id=self.include_user_id,
            )
            message.statuses.append(status)
            await self.deliver(payloads.encode(payloads.envelope([value])))

    def status_values(self, specs: list[dict[str, Any]], include_user_id: bool) -> list[dict[str, Any]]:
        values = []
        for spec in specs:
            sent = next((m for m in self.messages if m.id == spec["id"]), None)
            recipient = spec.get("recipient_id") or (sent and (_digits(sent.to) or sent.to))
            if not recipient:
                raise GraphError(100, f"Unknown message {spec['id']} and no recipient_id given.")
            error = None
            if spec["status"] == "failed":
                raw = spec.get("error") or {"code": 131000}
                error = GraphError(int(raw["code"]), raw.get("details", "")).webhook_error()
                if raw.get("title"):
                    error["title"] = error["message"] = raw["title"]
            if sent is not None:
                sent.statuses.append(spec["status"])
            values.append(
                payloads.status_value(
                    spec["id"],
                    spec["status"],
                    recipient,
                    self.phone_number_id,
                    error=error,
                    include_user_id=include_user_id,
                )
            )
        return values

    # --- bookkeeping ----------------------------------------------------------------------------

    def register_media(self, mime_type: str, content: bytes, media_id: str | None = None) -> str:
        media_id = media_id or str(secrets.randbelow(10**16) + 10**15)
        self.media[media_id] = (mime_type, content)
        return media_id

    async def wait_for(self, predicate, timeout: float) -> bool:
        condition = self._condition()
        async with condition:
            try:
                await asyncio.wait_for(condition.wait_for(predicate), timeout)
                return True
            except asyncio.TimeoutError:
                return False

    def clear_messages(self) -> None:
        self.messages.clear()
        self.by_recipient.clear()
        self.read_receipts.clear()

    def reset(self) -> None:
        self.clear_messages()
        self.injections.clear()
        self.deliveries.clear()

    async def _notify(self) -> None:
        condition = self._condition()
        async with condition:
            condition.notify_all()

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:  # created lazily, inside the server's event loop
            self._changed = asyncio.Condition()
        return self._changed

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None:  # created lazily, inside the server's event loop
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=10.0), cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._http

    def _spawn(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("fake graph background task failed: %r", task.exception())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._http is not None:
            await self._http.close()
            self._http = None


class _WithHeaders(Exception):
    def __init__(self, error: GraphError, headers: dict[str, str]):
        self.error, self.headers = error, headers


def create_app(
    app_secret: str = DEFAULT_APP_SECRET,
    webhook_url: str | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    *,
    access_token: str = DEFAULT_ACCESS_TOKEN,
    templates: ApprovedTemplates = None,
    auto_statuses: list[str] | None = None,
    include_user_id: bool = True,
) -> FastAPI:
    """The fake as an ASGI app; its state is `app.state.fake` (a `FakeGraph`).

    `templates`: approved templates (name -> {"languages", "parameters"}), e.g.
    `TemplateCatalog.load().approved()`; None accepts any template. `auto_statuses`: statuses
    sent back for every accepted message (default ["sent", "delivered"]; [] for none).
    """
    fake = FakeGraph(
        app_secret=app_secret,
        phone_number_id=phone_number_id,
        access_token=access_token,
        webhook_url=webhook_url,
        templates=templates,
        auto_statuses=["sent", "delivered"] if auto_statuses is None else list(auto_statuses),
        include_user_id=include_user_id,
    )
    app = FastAPI(title="Fake WhatsApp Cloud API", docs_url=None, redoc_url=None)
    app.state.fake = fake
    app.router.add_event_handler("shutdown", fake.close)
    _control_routes(app, fake)
    _graph_routes(app, fake)
    return app


def _graph_routes(app: FastAPI, fake: FakeGraph) -> None:
    @app.post("/{version}/{phone_number_id}/messages")
    async def send_message(version: str, phone_number_id: str, request: Request) -> Response:
        try:
            _check_version(version)
            fake.check_token(request)
            try:
                body = json.loads(await request.body())
            except ValueError:
                raise GraphError(100, "The request body is not valid JSON.") from None
            result, headers = await fake.accept_send(phone_number_id, body)
            return JSONResponse(result, headers=headers)
        except _WithHeaders as wrapped:
            return _graph_error(wrapped.error, wrapped.headers)
        except GraphError as error:
            return _graph_error(error)

    @app.get("/whatsapp_business/attachments/")
    async def download_media(request: Request) -> Response:
        try:
            fake.check_token(request)
        except GraphError as error:
            return _graph_error(error)
        media = fake.media.get(request.query_params.get("mid", ""))
        if media is None:
            return Response(status_code=404)
        return Response(content=media[1], media_type=media[0])

    @app.get("/{version}/{media_id}")
    async def media_url(version: str, media_id: str, request: Request) -> Response:
        try:
            _check_version(version)
            fake.check_token(request)
            if media_id not in fake.media:
                raise unknown_object(media_id, "get")
        except GraphError as error:
            return _graph_error(error)
        mime, content = fake.media[media_id]
        base = str(request.base_url).rstrip("/")
        query = f"mid={media_id}&ext={int(time.time())}&hash={secrets.token_urlsafe(8)}"
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": f"{base}/whatsapp_business/attachments/?{query}",
                "mime_type": mime,
                "sha256": hashlib.sha256(content).hexdigest(),
                "file_size": len(content),
                "id": media_id,
            }
        )


def _control_routes(app: FastAPI, fake: FakeGraph) -> None:
    """`/_fake/...`: what tests and benchmarks use to inspect and steer the fake."""

    @app.get("/_fake/messages")
    async def list_messages(to: str | None = None) -> dict:
        return {"messages": [asdict(m) for m in _filtered(fake, to)]}

    @app.delete("/_fake/messages")
    async def clear_messages() -> dict:
        fake.clear_messages()
        return {"cleared": True}

    @app.get("/_fake/messages/wait")
    async def wait_for_messages(count: int = 1, timeout: float = 5.0, to: str | None = None) -> Response:
        """Long-poll until at least `count` messages (to `to`, if given) were accepted."""
        done = await fake.wait_for(lambda: len(_filtered(fake, to)) >= count, timeout)
        found = [asdict(m) for m in _filtered(fake, to)]
        if not done:
            return JSONResponse(
                {"error": f"timeout: {len(found)} of {count} messages", "messages": found}, 408
            )
        return JSONResponse({"messages": found})

    @app.get("/_fake/read_receipts")
    async def list_read_receipts() -> dict:
        return {"message_ids": list(fake.read_receipts)}

    @app.post("/_fake/errors")
    async def inject_error(request: Request) -> dict:
        spec = await request.json()
        injection = Injection(
            code=int(spec["code"]) if spec.get("code") is not None else None,
            times=int(spec.get("times", 1)),
            mode=spec.get("mode", "sync"),
            http_status=spec.get("http_status"),
            retry_after=spec.get("retry_after"),
            details=spec.get("details", ""),
            delay=float(spec.get("delay", 0)),
        )
        key = _digits(str(spec.get("to", "*"))) or str(spec.get("to", "*"))
        fake.injections.setdefault(key, []).append(injection)
        return {"to": key, **asdict(injection)}

    @app.delete("/_fake/errors")
    async def clear_errors() -> dict:
        fake.injections.clear()
        return {"cleared": True}

    @app.post("/_fake/config")
    async def configure(request: Request) -> dict:
        spec = await request.json()
        if "webhook_url" in spec:
            fake.webhook_url = spec["webhook_url"]
        if "auto_statuses" in spec:
            fake.auto_statuses = list(spec["auto_statuses"])
        if "status_delay" in spec:
            fake.status_delay = float(spec["status_delay"])
        if "include_user_id" in spec:
            fake.include_user_id = bool(spec["include_user_id"])
        return {
            "webhook_url": fake.webhook_url,
            "auto_statuses": fake.auto_statuses,
            "status_delay": fake.status_delay,
            "include_user_id": fake.include_user_id,
        }

    @app.post("/_fake/reset")
    async def reset() -> dict:
        fake.reset()
        return {"reset": True}

    @app.post("/_fake/webhooks/messages")
    async def send_inbound(request: Request) -> Response:
        """Body: {"messages": [spec, ...], "layout": one_change|changes|entries|separate,
        "include_user_id": bool}. See `whatsapp_payloads.message_value` for a spec."""
        spec = await request.json()
        include_user_id = spec.get("include_user_id", fake.include_user_id)
        try:
            values = []
            for item in spec["messages"]:
                media = item.get("media")
                if media is not None and "id" not in media:
                    content = base64.b64decode(media.pop("content_base64", "")) or secrets.token_bytes(64)
                    media["id"] = fake.register_media(
                        media.get("mime_type", "application/octet-stream"), content
                    )
                values.append(
                    payloads.message_value(item, fake.phone_number_id, include_user_id=include_user_id)
                )
            return await _deliver_values(fake, values, spec.get("layout", "one_change"))
        except (KeyError, ValueError, TypeError) as exc:
            return JSONResponse({"error": f"bad spec: {exc}"}, 400)
        except GraphError as error:
            return JSONResponse({"error": error.details}, 409)

    @app.post("/_fake/webhooks/statuses")
    async def send_statuses(request: Request) -> Response:
        """Body: {"statuses": [{"id", "status", "recipient_id"?, "error"?: {"code", "title"?}}],
        "layout": ..., "include_user_id": bool}."""
        spec = await request.json()
        try:
            values = fake.status_values(spec["statuses"], spec.get("include_user_id", fake.include_user_id))
            return await _deliver_values(fake, values, spec.get("layout", "one_change"))
        except (KeyError, ValueError, TypeError) as exc:
            return JSONResponse({"error": f"bad spec: {exc}"}, 400)
        except GraphError as error:
            return JSONResponse({"error": error.details or error.message}, 409)

    @app.post("/_fake/webhooks/redeliver")
    async def redeliver(request: Request) -> Response:
        spec = await request.json()
        try:
            delivery = await fake.redeliver(int(spec["delivery_id"]))
        except GraphError as error:
            return JSONResponse({"error": error.details}, 404)
        return JSONResponse({"deliveries": [_delivery_result(delivery)]})

    @app.post("/_fake/webhooks/raw")
    async def send_raw(request: Request) -> Response:
        """Body: {"body": "<any text>", "signature": valid|missing|wrong}: for malformed cases."""
        spec = await request.json()
        try:
            delivery = await fake.deliver(
                spec["body"].encode("utf-8"), signature=spec.get("signature", "valid")
            )
        except GraphError as error:
            return JSONResponse({"error": error.details}, 409)
        return JSONResponse({"deliveries": [_delivery_result(delivery)]})

    @app.get("/_fake/webhooks")
    async def list_deliveries() -> dict:
        return {"deliveries": [d.summary() for d in fake.deliveries]}

    @app.get("/_fake/webhooks/wait")
    async def wait_for_deliveries(count: int = 1, timeout: float = 5.0) -> Response:
        """Long-poll until at least `count` webhook POSTs have been answered (or failed)."""

        def answered() -> bool:
            return sum(1 for d in fake.deliveries if d.status_code or d.error) >= count

        done = await fake.wait_for(answered, timeout)
        found = [d.summary() for d in fake.deliveries]
        return JSONResponse(
            {"deliveries": found} if done else {"error": "timeout", "deliveries": found}, 200 if done else 408
        )

    @app.post("/_fake/media")
    async def add_media(request: Request) -> dict:
        spec = await request.json()
        content = base64.b64decode(spec.get("content_base64", "")) or secrets.token_bytes(64)
        return {"id": fake.register_media(spec.get("mime_type", "application/octet-stream"), content)}


async def _deliver_values(fake: FakeGraph, values: list[dict[str, Any]], layout: str) -> Response:
    if layout == "separate":
        bodies = [payloads.envelope([v]) for v in values]
    else:
        bodies = [payloads.envelope(values, layout)]
    results = []
    for body in bodies:
        delivery = await fake.deliver(payloads.encode(body))
        results.append({**_delivery_result(delivery), "message_ids": payloads.message_ids([body])})
    return JSONResponse({"deliveries": results})


def _delivery_result(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "status_code": delivery.status_code,
        "response": delivery.response,
        "error": delivery.error,
    }


def _filtered(fake: FakeGraph, to: str | None) -> list[SentMessage]:
    if not to:
        return list(fake.messages)
    return list(fake.by_recipient.get(_digits(to) or to, ()))


def _check_version(version: str) -> None:
    if not _VERSION.match(version):
        raise GraphError(2500, message=f"Unknown path components: /{version}", error_type="OAuthException")


def _graph_error(error: GraphError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error.envelope(), status_code=error.status, headers=headers or {})


def _digits(value: str) -> str | None:
    cleaned = value.strip().lstrip("+").replace(" ", "").replace("-", "")
    return cleaned if cleaned.isdigit() else None


def run(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    app_secret: str = DEFAULT_APP_SECRET,
    webhook_url: str | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    access_token: str = DEFAULT_ACCESS_TOKEN,
    templates: ApprovedTemplates = None,
    auto_statuses: list[str] | None = None,
) -> None:
    """Serve the fake until interrupted."""
    import uvicorn

    app = create_app(
        app_secret,
        webhook_url,
        phone_number_id,
        access_token=access_token,
        templates=templates,
        auto_statuses=auto_statuses,
    )
    uvicorn.run(app, host=host, port=port, log_level="info", ws="none")  # see background_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake WhatsApp Cloud API (Graph API) server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--app-secret", default=DEFAULT_APP_SECRET)
    parser.add_argument("--access-token", default=DEFAULT_ACCESS_TOKEN)
    parser.add_argument("--phone-number-id", default=DEFAULT_PHONE_NUMBER_ID)
    parser.add_argument("--webhook-url", default=None, help="our service's /webhooks/whatsapp URL")
    parser.add_argument("--templates", default=None, help="whatsapp_templates.yml: only these are approved")
    parser.add_argument("--auto-statuses", default="sent,delivered", help="comma-separated; empty for none")
    args = parser.parse_args(argv)
    templates = None
    if args.templates:
        from channels.whatsapp.templates import TemplateCatalog

        templates = TemplateCatalog.load(args.templates).approved()
    run(
        args.host,
        args.port,
        app_secret=args.app_secret,
        webhook_url=args.webhook_url,
        phone_number_id=args.phone_number_id,
        access_token=args.access_token,
        templates=templates,
        auto_statuses=[s for s in args.auto_statuses.split(",") if s],
    )


if __name__ == "__main__":
    main()
