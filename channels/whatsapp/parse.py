"""A WhatsApp Cloud API webhook body → our `InboundMessage`s and `StatusUpdate`s.

We parse the raw update ourselves instead of using pywa's typed handlers: pywa 4.5 builds one update
per POST from `entry[0].changes[0].messages[0]` (its issue #229), so the rest of a batched body is
dropped, and its `User.from_contact` raises on contacts without `user_id` (older payloads, and
statuses of undeliverable messages), which drops the whole update. Meta batches under load, so we
walk every entry, every change, every message and every status; a garbled item is skipped with a
log line and the rest of the body still goes through.

Address: the sender's phone number (`from`, digits). Users who adopt a WhatsApp username may come
with only a business-scoped user id (BSUID, `from_user_id` / `contacts[].user_id`); then the BSUID is
the address (the sender sends to it with `recipient` instead of `to`) rather than losing the message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from core.messages import (
    KIND_CHOICE,
    KIND_LOCATION,
    KIND_MEDIA,
    KIND_TEXT,
    KIND_UNSUPPORTED,
    STATUS_DELIVERED,
    STATUS_FAILED,
    STATUS_READ,
    STATUS_SENT,
    WHATSAPP,
    InboundMessage,
    StatusUpdate,
    utcnow,
)
from core.privacy import mask_phone
from channels.whatsapp.errors import verdict_for_error
from channels.whatsapp.references import reference_from

logger = logging.getLogger(__name__)

MEDIA_TYPES = ("image", "audio", "voice", "video", "document", "sticker")
STATUS_MAP = {
    "sent": STATUS_SENT,
    "delivered": STATUS_DELIVERED,
    "read": STATUS_READ,
    "failed": STATUS_FAILED,
}


class BadItem(ValueError):
    """One message or status in a webhook body that we cannot make sense of."""


@dataclass
class ParsedUpdate:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line per skipped item, for logs and tests
    provider_errors: list[dict[str, Any]] = field(default_factory=list)  # `value.errors`: account-level


def parse_update(payload: Any, *, phone_number_id: str | None = None) -> ParsedUpdate:
    """Every message and status in a webhook body.

    `phone_number_id`: when given, changes addressed to another business number of the same app are
    skipped (a problem line each) instead of being answered from the wrong number.
    """
    result = ParsedUpdate()
    if not isinstance(payload, dict):
        result.problems.append("body is not a JSON object")
        return result
    if payload.get("object") != "whatsapp_business_account":
        result.problems.append(f"object is {payload.get('object')!r}, not whatsapp_business_account")
        return result
    for entry_index, entry in enumerate(_as_list(payload.get("entry"))):
        changes = _as_list(entry.get("changes")) if isinstance(entry, dict) else []
        if not changes:
            result.problems.append(f"entry[{entry_index}] has no changes")
        for change_index, change in enumerate(changes):
            where = f"entry[{entry_index}].changes[{change_index}]"
            _parse_change(change, where, phone_number_id, result)
    for problem in result.problems:
        logger.warning("whatsapp.parse skipped: %s", problem)
    for error in result.provider_errors:
        logger.error("whatsapp.parse provider_error code=%s title=%s", error.get("code"), error.get("title"))
    return result


def _parse_change(change: Any, where: str, phone_number_id: str | None, result: ParsedUpdate) -> None:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        result.problems.append(f"{where} is not an object with a value")
        return
    if change.get("field") != "messages":
        # Template status, account and quality updates arrive on other fields: not ours to handle.
        logger.info("whatsapp.parse ignored_field field=%s", change.get("field"))
        return
    value = change["value"]
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    to_number = metadata.get("phone_number_id")
    if phone_number_id and to_number and str(to_number) != str(phone_number_id):
        result.problems.append(f"{where} is for phone number id {to_number}, not ours")
        return
    contacts = _Contacts(_as_list(value.get("contacts")))
    for index, message in enumerate(_as_list(value.get("messages"))):
        try:
            result.messages.append(parse_message(message, contacts))
        except (BadItem, KeyError, TypeError, ValueError, AttributeError) as exc:
            result.problems.append(f"{where}.messages[{index}]: {_describe(exc)}")
    for index, status in enumerate(_as_list(value.get("statuses"))):
        try:
            update = parse_status(status)
        except (BadItem, KeyError, TypeError, ValueError, AttributeError) as exc:
            result.problems.append(f"{where}.statuses[{index}]: {_describe(exc)}")
            continue
        if update is not None:
            result.statuses.append(update)
    # Errors Meta reports about our account or a request (e.g. throughput reached), not tied to a message.
    result.provider_errors.extend(e for e in _as_list(value.get("errors")) if isinstance(e, dict))


class _Contacts:
    """`contacts` of one change, found by wa_id or by BSUID (not every contact has both)."""

    def __init__(self, contacts: list[Any]):
        self._by_id: dict[str, dict] = {}
        self._only: dict | None = None
        valid = [c for c in contacts if isinstance(c, dict)]
        for contact in valid:
            for key in ("wa_id", "user_id"):
                if contact.get(key):
                    self._by_id[str(contact[key])] = contact
        if len(valid) == 1:
            self._only = valid[0]

    def find(self, *ids: str | None) -> dict | None:
        for identifier in ids:
            if identifier and identifier in self._by_id:
                return self._by_id[identifier]
        return self._only


def parse_message(message: Any, contacts: _Contacts) -> InboundMessage:
    if not isinstance(message, dict):
        raise BadItem("message is not an object")
    provider_id = message.get("id")
    if not provider_id or not isinstance(provider_id, str):
        raise BadItem("message has no id")
    sender = _digits(message.get("from"))
    bsuid = message.get("from_user_id")
    contact = contacts.find(sender, bsuid) or {}
    sender = sender or _digits(contact.get("wa_id"))
    bsuid = bsuid or contact.get("user_id")
    address = sender or bsuid
    if not address:
        raise BadItem(f"message {provider_id} has neither a phone number nor a user id")
    profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}

    msg_type = str(message.get("type") or "")
    kind, text, payload, raw = _content(msg_type, message)
    raw["type"] = msg_type
    context = message.get("context")
    if isinstance(context, dict) and context.get("id"):
        raw["context_id"] = context["id"]
    if bsuid:
        raw["user_id"] = bsuid
    if not isinstance(address, str):
        raise BadItem("message's user id is not a string")
    return InboundMessage(
        channel=WHATSAPP,
        provider_id=provider_id,
        address=address,
        kind=kind,
        text=text,
        payload=payload,
        display_name=_text(profile.get("name"), 256),
        received_at=_timestamp(message.get("timestamp"), provider_id),
        raw=raw,
    )


def _content(msg_type: str, message: dict) -> tuple[str, str, str | None, dict[str, Any]]:
    """(kind, text, payload, raw extras) for one message by its type."""
    if msg_type == "text":
        body = message["text"]["body"]
        if not isinstance(body, str):
            raise BadItem("text.body is not a string")
        return KIND_TEXT, body, None, {}
    if msg_type == "interactive":
        interactive = message.get("interactive") or {}
        reply_type = interactive.get("type")
        if reply_type in ("button_reply", "list_reply"):
            reply = interactive[reply_type]
            return KIND_CHOICE, str(reply.get("title") or ""), str(reply["id"]), {"reply": reply_type}
        return KIND_UNSUPPORTED, "", None, {"interactive": str(reply_type)}
    if msg_type == "button":  # a template's quick-reply button
        button = message["button"]
        return (
            KIND_CHOICE,
            str(button.get("text") or ""),
            str(button["payload"]),
            {"reply": "template_button"},
        )
    if msg_type == "location":
        location = message.get("location") or {}
        words = [str(location[k]) for k in ("name", "address") if location.get(k)]
        raw = {k: location[k] for k in ("latitude", "longitude") if k in location}
        return KIND_LOCATION, " - ".join(words), None, raw
    if msg_type in MEDIA_TYPES:
        media = message.get(msg_type) or {}
        raw = {k: media[k] for k in ("id", "mime_type") if media.get(k)}
        if "id" in raw:
            raw["media_id"] = raw.pop("id")
        if media.get("voice"):
            raw["voice"] = True
        return KIND_MEDIA, str(media.get("caption") or ""), None, raw
    # reaction, unsupported, system, contacts, order, request_welcome and types not yet invented
    return KIND_UNSUPPORTED, "", None, {}


def parse_status(status: Any) -> StatusUpdate | None:
    """A status webhook item; None for statuses we do not track (e.g. 'deleted', 'warning')."""
    if not isinstance(status, dict):
        raise BadItem("status is not an object")
    provider_id = status.get("id")
    if not provider_id or not isinstance(provider_id, str):
        raise BadItem("status has no id")
    ours = STATUS_MAP.get(str(status.get("status")))
    if ours is None:
        logger.info("whatsapp.parse ignored_status status=%s id=%s", status.get("status"), provider_id)
        return None
    error_code = error_title = verdict = None
    errors = _as_list(status.get("errors"))
    if ours == STATUS_FAILED:
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        code = first.get("code")
        error_code = _text(code, 32) if code is not None else None
        error_title = _text(first.get("title") or first.get("message"), 300)
        verdict = verdict_for_error(int(code) if str(code).isdigit() else None)
    return StatusUpdate(
        channel=WHATSAPP,
        provider_id=provider_id,
        status=ours,
        at=_timestamp(status.get("timestamp"), provider_id),
        error_code=error_code,
        error_title=error_title,
        address=_digits(status.get("recipient_id")) or status.get("recipient_user_id"),
        verdict=verdict,
        reference=reference_from(status),
    )


def _timestamp(value: Any, provider_id: str) -> datetime:
    """Meta sends Unix seconds as a string; a bad one must not lose the message."""
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        logger.warning("whatsapp.parse bad_timestamp id=%s value=%r (using now)", provider_id, value)
        return utcnow()


def _text(value: Any, limit: int) -> str | None:
    """A display field (a name, an error title) as bounded text; None for empty, boolean or compound
    values (a hostile body may put them where Meta puts a string; PostgreSQL refuses a boolean or an
    object for a text column, which failed the whole webhook with a 500)."""
    if value is None or isinstance(value, (bool, dict, list)) or value == "":
        return None
    return str(value)[:limit]


def _digits(value: Any) -> str | None:
    """wa_ids are digits; be lenient about a leading '+' or spaces, strict about anything else."""
    if value is None:
        return None
    cleaned = str(value).strip().lstrip("+").replace(" ", "")
    return cleaned if cleaned.isdigit() and cleaned.isascii() else None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    return str(exc) or type(exc).__name__


def describe_message(message: InboundMessage) -> str:
    """A log-safe one-liner for a parsed message."""
    return f"id={message.provider_id} from={mask_phone(message.address)} kind={message.kind}"
