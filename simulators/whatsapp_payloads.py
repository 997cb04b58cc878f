"""Webhook bodies as Meta's Cloud API sends them: inbound messages and message statuses.

Shapes follow Meta's webhook reference (messages, statuses, contacts with `wa_id` and, in newer
payloads, the business-scoped `user_id`). `encode` serialises like Meta does (non-ASCII and "/"
escaped), which is what the signature covers: a receiver that re-serialises before checking the
HMAC fails against it, as it would against Meta.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterable
from typing import Any

WABA_ID = "102290129340398"
DISPLAY_PHONE_NUMBER = "96265000000"
LAYOUTS = ("one_change", "changes", "entries")


def new_wamid() -> str:
    return "wamid." + base64.b64encode(b"\x15\x02\x00\x11\x18\x12" + secrets.token_bytes(18)).decode("ascii")


def bsuid_for(phone: str, country: str = "JO") -> str:
    """A stable business-scoped user id for a phone number (Meta's format: CC.<alphanumerics>)."""
    return f"{country}.{int(hashlib.sha256(phone.encode()).hexdigest()[:15], 16)}"


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def envelope(values: list[dict[str, Any]], layout: str = "one_change") -> dict[str, Any]:
    """Wrap change values (one per item) in one webhook body, batched as Meta may batch them:
    `one_change` merges them into a single change, `changes` gives each its own change of one
    entry, `entries` each its own entry."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    if layout == "one_change":
        merged: dict[str, Any] = {}
        for value in values:
            for key, item in value.items():
                if isinstance(item, list):
                    merged.setdefault(key, [])
                    merged[key].extend(i for i in item if i not in merged[key])
                else:
                    merged.setdefault(key, item)
        changes = [[_change(merged)]]
    elif layout == "changes":
        changes = [[_change(v) for v in values]]
    else:
        changes = [[_change(v)] for v in values]
    return {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": c} for c in changes]}


def _change(value: dict[str, Any]) -> dict[str, Any]:
    return {"value": value, "field": "messages"}


def _metadata(phone_number_id: str) -> dict[str, str]:
    return {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": phone_number_id}


def message_value(
    spec: dict[str, Any], phone_number_id: str, *, include_user_id: bool = True
) -> dict[str, Any]:
    """One inbound message as a change value, from a test's short description.

    `spec`: `from` (digits), optional `name`, `id`, `timestamp`, `context_id`, `omit_from` (a
    username-only user: no phone number anywhere), and the content: `text` (str), `button_reply`,
    `list_reply`, `quick_reply` (a template button: payload/text), `location`, `media` (with
    `type`, `mime_type`, `id`, optional `caption`), `reaction`, or `message` (a raw Meta message
    object with its `type`, for anything else: system, unsupported, contacts...).
    """
    phone = str(spec["from"])
    user_id = spec.get("user_id") or bsuid_for(phone)
    message: dict[str, Any] = {
        "from": phone,
        "id": spec.get("id") or new_wamid(),
        "timestamp": str(int(spec.get("timestamp") or time.time())),
    }
    message.update(_content(spec))
    if spec.get("context_id"):
        message["context"] = {"from": DISPLAY_PHONE_NUMBER, "id": spec["context_id"]}
    contact: dict[str, Any] = {"profile": {"name": spec.get("name", "Citizen")}, "wa_id": phone}
    if include_user_id:
        contact["user_id"] = user_id
        message["from_user_id"] = user_id
    if spec.get("omit_from"):
        message.pop("from")
        contact.pop("wa_id")
        contact["user_id"] = user_id
        message["from_user_id"] = user_id
    value: dict[str, Any] = {"messaging_product": "whatsapp", "metadata": _metadata(phone_number_id)}
    if message.get("type") != "system":  # Meta sends system messages without contacts
        value["contacts"] = [contact]
    value["messages"] = [message]
    return value


def _content(spec: dict[str, Any]) -> dict[str, Any]:
    if "text" in spec:
        return {"type": "text", "text": {"body": spec["text"]}}
    if "button_reply" in spec:
        return {
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": spec["button_reply"]},
        }
    if "list_reply" in spec:
        return {
            "type": "interactive",
            "interactive": {"type": "list_reply", "list_reply": spec["list_reply"]},
        }
    if "quick_reply" in spec:
        return {"type": "button", "button": spec["quick_reply"]}
    if "location" in spec:
        return {"type": "location", "location": spec["location"]}
    if "media" in spec:
        media = dict(spec["media"])
        kind = media.pop("type", "image")
        media.setdefault("sha256", base64.b64encode(secrets.token_bytes(32)).decode())
        if kind == "voice":  # WhatsApp sends voice notes as audio with voice=true
            kind, media["voice"] = "audio", True
        return {"type": kind, kind: media}
    if "reaction" in spec:
        return {"type": "reaction", "reaction": spec["reaction"]}
    if "message" in spec:
        return dict(spec["message"])
    raise ValueError(
        "message spec needs text, button_reply, list_reply, quick_reply, location, media, reaction or message"
    )


def status_value(
    message_id: str,
    status: str,
    recipient: str,
    phone_number_id: str,
    *,
    error: dict[str, Any] | None = None,
    include_user_id: bool = True,
    timestamp: int | None = None,
    callback_data: str | None = None,
) -> dict[str, Any]:
    """One status of a message we sent, as a change value; `callback_data` is the send's
    `biz_opaque_callback_data`, which Meta repeats in every status of the message."""
    item: dict[str, Any] = {
        "id": message_id,
        "status": status,
        "timestamp": str(int(timestamp or time.time())),
        "recipient_id": recipient,
    }
    if callback_data is not None:
        item["biz_opaque_callback_data"] = callback_data
    if status in ("sent", "delivered", "read"):
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}
    if status == "failed" and error:
        item["errors"] = [error]
    contact: dict[str, Any] = {"wa_id": recipient}
    # An undeliverable message's status carries no user id: there may be no such WhatsApp user.
    if include_user_id and status != "failed":
        contact["user_id"] = bsuid_for(recipient)
        item["recipient_user_id"] = contact["user_id"]
    return {
        "messaging_product": "whatsapp",
        "metadata": _metadata(phone_number_id),
        "contacts": [contact],
        "statuses": [item],
    }


def message_ids(bodies: Iterable[dict[str, Any]]) -> list[str]:
    return [
        message["id"]
        for body in bodies
        for entry in body["entry"]
        for change in entry["changes"]
        for message in change["value"].get("messages", [])
    ]
