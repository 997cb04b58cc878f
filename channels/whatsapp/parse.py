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

Shapes and types are checked first (`schema.py`): a body that cannot be a webhook is refused whole
(`ParsedUpdate.refused`), an invalid entry, change, message or status is skipped with a problem line
naming where and why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

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
from channels.whatsapp import schema
from channels.whatsapp.errors import verdict_for_error
from channels.whatsapp.references import reference_from
from channels.whatsapp.schema import Invalid, display_text, validate

logger = logging.getLogger(__name__)

MEDIA_TYPES = schema.MEDIA_TYPES
STATUS_MAP = {
    "sent": STATUS_SENT,
    "delivered": STATUS_DELIVERED,
    "read": STATUS_READ,
    "failed": STATUS_FAILED,
}


@dataclass
class ParsedUpdate:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line per skipped item, for logs and tests
    provider_errors: list[dict[str, Any]] = field(default_factory=list)  # `value.errors`: account-level
    refused: Optional[str] = None  # why the whole body cannot be read (then nothing else is set)


def parse_update(payload: Any, *, phone_number_id: str | None = None) -> ParsedUpdate:
    """Every message and status in a webhook body.

    `phone_number_id`: when given, changes addressed to another business number of the same app are
    skipped (a problem line each) instead of being answered from the wrong number.
    """
    result = ParsedUpdate()
    refusal = schema.refusal(payload)
    if refusal:
        result.refused = refusal
        result.problems.append(refusal)
        return result
    for entry_index, raw_entry in enumerate(payload["entry"]):
        where = f"entry[{entry_index}]"
        try:
            entry = validate(schema.Entry, raw_entry)
        except Invalid as reason:
            result.problems.append(f"{where}: {reason}")
            continue
        for change_index, change in enumerate(entry.changes):
            _parse_change(change, f"{where}.changes[{change_index}]", phone_number_id, result)
    for problem in result.problems:
        logger.warning("whatsapp.parse skipped: %s", problem)
    for error in result.provider_errors:
        logger.error("whatsapp.parse provider_error code=%r title=%r", error.get("code"), error.get("title"))
    return result


def _parse_change(raw: Any, where: str, phone_number_id: str | None, result: ParsedUpdate) -> None:
    try:
        change = validate(schema.Change, raw)
    except Invalid as reason:
        result.problems.append(f"{where}: {reason}")
        return
    if change.field != "messages":
        # Template status, account and quality updates arrive on other fields: not ours to handle.
        logger.info("whatsapp.parse ignored_field field=%r", change.field[:64])
        return
    try:
        value = validate(schema.Value, change.value)
    except Invalid as reason:
        result.problems.append(f"{where}.value: {reason}")
        return
    to_number = value.metadata.phone_number_id if value.metadata else None
    if phone_number_id and to_number and str(to_number) != str(phone_number_id):
        result.problems.append(f"{where} is for phone number id {to_number}, not ours")
        return
    contacts = _Contacts(value.contacts, f"{where}.value", result)
    for index, message in enumerate(value.messages):
        try:
            result.messages.append(parse_message(message, contacts))
        except BadItem as exc:
            result.problems.append(f"{where}.value.messages[{index}]: {exc}")
    for index, status in enumerate(value.statuses):
        try:
            update = parse_status(status)
        except BadItem as exc:
            result.problems.append(f"{where}.value.statuses[{index}]: {exc}")
            continue
        if update is not None:
            result.statuses.append(update)
    # Errors Meta reports about our account or a request (e.g. throughput reached), not tied to a message.
    for error in value.errors:
        try:
            known = validate(schema.StatusError, error)
        except Invalid as reason:
            result.problems.append(f"{where}.value.errors: {reason}")
            continue
        result.provider_errors.append(known.dict())


class BadItem(ValueError):
    """One message or status in a webhook body that we cannot make sense of."""


class _Contacts:
    """`contacts` of one change, found by wa_id or by BSUID (not every contact has both)."""

    def __init__(self, raw: list[Any], where: str, result: ParsedUpdate):
        self._by_id: dict[str, schema.Contact] = {}
        self._only: schema.Contact | None = None
        valid = []
        for index, item in enumerate(raw):
            try:
                valid.append(validate(schema.Contact, item))
            except Invalid as reason:
                # Only a name to show is lost; the message is still read.
                result.problems.append(f"{where}.contacts[{index}]: {reason}")
        for contact in valid:
            for identifier in (contact.wa_id, contact.user_id):
                if identifier:
                    self._by_id[identifier] = contact
        if len(valid) == 1:
            self._only = valid[0]

    def find(self, *ids: str | None) -> schema.Contact | None:
        for identifier in ids:
            if identifier and identifier in self._by_id:
                return self._by_id[identifier]
        return self._only


def parse_message(raw: Any, contacts: _Contacts) -> InboundMessage:
    try:
        message = validate(schema.message_model(raw), raw)
    except Invalid as reason:
        raise BadItem(str(reason)) from None
    provider_id = message.id
    sender = _digits(message.from_)
    bsuid = message.from_user_id
    contact = contacts.find(sender, bsuid)
    if contact is not None:
        sender = sender or _digits(contact.wa_id)
        bsuid = bsuid or contact.user_id
    address = sender or bsuid
    if not address:
        raise BadItem(f"message {provider_id[:80]} has neither a phone number nor a user id")
    name = contact.profile.name if contact is not None and contact.profile is not None else None

    kind, text, payload, raw_extras = _content(message)
    raw_extras["type"] = message.type[:64]
    if message.context is not None and message.context.id:
        raw_extras["context_id"] = message.context.id
    if bsuid:
        raw_extras["user_id"] = bsuid
    return InboundMessage(
        channel=WHATSAPP,
        provider_id=provider_id,
        address=address,
        kind=kind,
        text=text,
        payload=payload,
        display_name=name,
        received_at=_timestamp(message.timestamp, provider_id),
        raw=raw_extras,
    )


def _content(message: schema.Message) -> tuple[str, str, str | None, dict[str, Any]]:
    """(kind, text, payload, raw extras) for one validated message by its type."""
    if isinstance(message, schema.TextMessage):
        return KIND_TEXT, message.text.body, None, {}
    if isinstance(message, schema.InteractiveMessage):
        interactive = message.interactive
        reply = interactive.button_reply if interactive.type == "button_reply" else interactive.list_reply
        if interactive.type in ("button_reply", "list_reply") and reply is not None:
            return KIND_CHOICE, reply.title or "", reply.id, {"reply": interactive.type}
        return KIND_UNSUPPORTED, "", None, {"interactive": interactive.type[:64]}
    if isinstance(message, schema.ButtonMessage):  # a template's quick-reply button
        return KIND_CHOICE, message.button.text or "", message.button.payload, {"reply": "template_button"}
    if isinstance(message, schema.LocationMessage):
        location = message.location
        words = [w for w in (location.name, location.address) if w]
        raw = {k: v for k, v in (("latitude", location.latitude), ("longitude", location.longitude)) if v is not None}
        return KIND_LOCATION, " - ".join(words), None, raw
    if message.type in MEDIA_TYPES:
        media: schema.Media = getattr(message, message.type)
        raw: dict[str, Any] = {}
        if media.id:
            raw["media_id"] = media.id
        if media.mime_type:
            raw["mime_type"] = media.mime_type
        if media.voice:
            raw["voice"] = True
        return KIND_MEDIA, media.caption or "", None, raw
    # reaction, unsupported, system, contacts, order, request_welcome and types not yet invented
    return KIND_UNSUPPORTED, "", None, {}


def parse_status(raw: Any) -> StatusUpdate | None:
    """A status webhook item; None for statuses we do not track (e.g. 'deleted', 'warning')."""
    try:
        status = validate(schema.Status, raw)
    except Invalid as reason:
        raise BadItem(str(reason)) from None
    provider_id = status.id
    ours = STATUS_MAP.get(status.status)
    if ours is None:
        logger.info("whatsapp.parse ignored_status status=%r id=%s", status.status[:32], provider_id)
        return None
    error_code = error_title = verdict = None
    if ours == STATUS_FAILED:
        first = status.first_error()
        error_code = display_text(first.code, 32) if first.code is not None else None
        error_title = first.title or first.message
        verdict = verdict_for_error(int(error_code) if error_code and error_code.isdecimal() and error_code.isascii() else None)
    return StatusUpdate(
        channel=WHATSAPP,
        provider_id=provider_id,
        status=ours,
        at=_timestamp(status.timestamp, provider_id),
        error_code=error_code,
        error_title=error_title,
        address=_digits(status.recipient_id) or status.recipient_user_id,
        verdict=verdict,
        reference=reference_from(status.biz_opaque_callback_data),
    )


def _timestamp(value: Any, provider_id: str) -> datetime:
    """Meta sends Unix seconds as a string; a bad one must not lose the message."""
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        logger.warning("whatsapp.parse bad_timestamp id=%s (using now)", provider_id)
        return utcnow()


def _digits(value: Any) -> str | None:
    """wa_ids are digits; be lenient about a leading '+' or spaces, strict about anything else."""
    if not isinstance(value, str):
        return None
    cleaned = value.strip().lstrip("+").replace(" ", "")
    return cleaned if cleaned.isdigit() and cleaned.isascii() else None


def describe_message(message: InboundMessage) -> str:
    """A log-safe one-liner for a parsed message."""
    return f"id={message.provider_id} from={mask_phone(message.address)} kind={message.kind}"
