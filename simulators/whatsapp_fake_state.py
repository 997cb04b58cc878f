"""The fake Graph API's state and behaviour, without HTTP: what was sent to it, what it was told to
fail, the media it holds, and the webhooks it posts to our service (signed as Meta signs them).

`whatsapp_graph_routes` answers our sender with it; `whatsapp_control_routes` lets tests steer it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from fastapi import Request

from simulators import whatsapp_payloads as payloads
from simulators.whatsapp_errors import GraphError, unknown_object
from simulators.whatsapp_validation import ApprovedTemplates, validate_message, validate_read_receipt

logger = logging.getLogger("simulators.whatsapp_graph")


def recipient_key(address: str) -> str:
    """Who a message is for, as the fake indexes it: the digits of a phone number, else the address
    as given (a BSUID)."""
    cleaned = address.strip().lstrip("+").replace(" ", "").replace("-", "")
    return cleaned if cleaned.isdigit() else address


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


DELIVER, FAIL, NEVER = "deliver", "fail", "never"
DELIVERY_BEHAVIOURS = (DELIVER, FAIL, NEVER)


@dataclass
class DeliveryBehaviour:
    """What happens to every accepted message to one recipient (or "*", anyone), until changed:
    "deliver": the fake's auto statuses (sent, delivered); "fail": a `failed` status webhook with
    Meta error `code` (131026: the number is not on WhatsApp), as Meta reports it minutes after the
    send returned a wamid; "never": "sent" and then nothing (a phone that is off, a lost receipt)."""

    behaviour: str = DELIVER
    code: int = 131026
    details: str = ""

    def __post_init__(self) -> None:
        if self.behaviour not in DELIVERY_BEHAVIOURS:
            raise ValueError(f"behaviour must be one of {', '.join(DELIVERY_BEHAVIOURS)}, got {self.behaviour!r}")


OUTAGE_KINDS = ("500", "429", "hang")


@dataclass
class Outage:
    """Every send fails the same way until `until` (time.time()), as when Meta has an incident.

    "500": HTTP 500 with code 131000; "429": HTTP 429 with code 130429 and a `Retry-After` header
    of `retry_after` seconds; "hang": no answer for `hang_s` seconds (past any client timeout), then
    a 503 — the message is never accepted, so a client that gives up and sends again doubles nothing.
    """

    kind: str
    until: float
    retry_after: int = 5
    hang_s: float = 60.0
    refused: int = 0

    def active(self) -> bool:
        return time.time() < self.until


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
        self.delivery: dict[str, DeliveryBehaviour] = {}  # recipient key or "*" -> what becomes of its messages
        self.outage: Outage | None = None
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
        await self._fail_if_down()
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
            raise WithHeaders(error, headers)
        message = SentMessage(id=payloads.new_wamid(), to=to, type=kind, body=body, at=time.time())
        recipient = recipient_key(to)
        self.messages.append(message)
        self.by_recipient[recipient].append(message)
        await self._notify()
        behaviour = self.delivery.get(recipient) or self.delivery.get("*")
        if injection is not None:  # async failure: accepted now, failed status later
            error = GraphError(injection.code, injection.details).webhook_error()
            self._spawn(self._send_statuses(message, ["failed"], error=error))
        elif behaviour is not None and behaviour.behaviour != DELIVER:
            if self.webhook_url and behaviour.behaviour == NEVER:
                self._spawn(self._send_statuses(message, ["sent"]))
            elif self.webhook_url:
                error = GraphError(behaviour.code, behaviour.details).webhook_error()
                self._spawn(self._send_statuses(message, ["failed"], error=error))
        elif self.auto_statuses and self.webhook_url:
            self._spawn(self._send_statuses(message, self.auto_statuses))
        contact = {"input": to, "wa_id": recipient} if body.get("to") else {"input": to, "user_id": to}
        sent: dict[str, Any] = {"id": message.id}
        if kind == "template":
            sent["message_status"] = "accepted"
        return {"messaging_product": "whatsapp", "contacts": [contact], "messages": [sent]}, {}

    async def _fail_if_down(self) -> None:
        outage = self.outage
        if outage is None or not outage.active():
            return
        outage.refused += 1
        if outage.kind == "hang":
            await asyncio.sleep(outage.hang_s)
            raise GraphError(2, "Service temporarily unavailable.", http_status=503)
        if outage.kind == "429":
            raise WithHeaders(GraphError(130429, http_status=429), {"Retry-After": str(outage.retry_after)})
        raise GraphError(131000, http_status=500)

    def _take_injection(self, to: str) -> Injection | None:
        for key in (recipient_key(to), "*"):
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
        recipient = recipient_key(message.to)
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
                callback_data=message.body.get("biz_opaque_callback_data"),
            )
            message.statuses.append(status)
            await self.deliver(payloads.encode(payloads.envelope([value])))

    def status_values(self, specs: list[dict[str, Any]], include_user_id: bool) -> list[dict[str, Any]]:
        values = []
        for spec in specs:
            sent = next((m for m in self.messages if m.id == spec["id"]), None)
            recipient = spec.get("recipient_id") or (sent and recipient_key(sent.to))
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
        self.delivery.clear()
        self.deliveries.clear()
        self.outage = None

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


class WithHeaders(Exception):
    """A Graph error answered with extra HTTP headers (Retry-After)."""

    def __init__(self, error: GraphError, headers: dict[str, str]):
        self.error, self.headers = error, headers
