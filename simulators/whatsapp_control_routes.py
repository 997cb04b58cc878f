"""The fake's control routes, `/_fake/...`: what tests, benchmarks and the simulator use to inspect
and steer it (read what was sent, program failures, post inbound messages and statuses to our
webhook, redeliver, add media). Meta has nothing like them."""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from simulators import whatsapp_payloads as payloads
from simulators.whatsapp_errors import GraphError
from simulators.whatsapp_fake_state import (
    OUTAGE_KINDS,
    Delivery,
    DeliveryBehaviour,
    FakeGraph,
    Injection,
    Outage,
    SentMessage,
    recipient_key,
)


def add_control_routes(app: FastAPI, fake: FakeGraph) -> None:
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
        key = recipient_key(str(spec.get("to", "*")))
        fake.injections.setdefault(key, []).append(injection)
        return {"to": key, **asdict(injection)}

    @app.delete("/_fake/errors")
    async def clear_errors() -> dict:
        fake.injections.clear()
        return {"cleared": True}

    @app.post("/_fake/delivery")
    async def set_delivery(request: Request) -> Response:
        """Body: {"to": number or "*", "behaviour": deliver|fail|never, "code"?: 131026, "details"?}:
        what becomes of every message accepted for that recipient from now on."""
        spec = await request.json()
        try:
            behaviour = DeliveryBehaviour(
                behaviour=str(spec.get("behaviour", "deliver")),
                code=int(spec.get("code", 131026)),
                details=str(spec.get("details", "")),
            )
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": f"bad spec: {exc}"}, 400)
        key = recipient_key(str(spec.get("to", "*")))
        fake.delivery[key] = behaviour
        return JSONResponse({"to": key, **asdict(behaviour)})

    @app.delete("/_fake/delivery")
    async def clear_delivery() -> dict:
        fake.delivery.clear()
        return {"cleared": True}

    @app.post("/_fake/outage")
    async def start_outage(request: Request) -> Response:
        """Body: {"kind": "500"|"429"|"hang", "seconds": n, "retry_after"?: s, "hang_s"?: s}: every
        send (and read receipt) fails that way for `seconds`, whoever it is for."""
        spec = await request.json()
        if spec.get("kind") not in OUTAGE_KINDS:
            return JSONResponse({"error": f"kind must be one of {', '.join(OUTAGE_KINDS)}"}, 400)
        fake.outage = Outage(
            kind=spec["kind"],
            until=time.time() + float(spec.get("seconds", 60)),
            retry_after=int(spec.get("retry_after", 5)),
            hang_s=float(spec.get("hang_s", 60)),
        )
        return JSONResponse({"kind": fake.outage.kind, "until": fake.outage.until})

    @app.get("/_fake/outage")
    async def outage_state() -> dict:
        outage = fake.outage
        if outage is None:
            return {"active": False, "refused": 0}
        return {"active": outage.active(), "kind": outage.kind, "until": outage.until, "refused": outage.refused}

    @app.delete("/_fake/outage")
    async def end_outage() -> dict:
        if fake.outage is not None:
            fake.outage.until = 0.0
        return {"ended": True}

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
    return list(fake.by_recipient.get(recipient_key(to), ()))
