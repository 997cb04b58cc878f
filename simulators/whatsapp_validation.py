"""Checks a `POST /{phone_number_id}/messages` body the way the Cloud API does, for the message types
Tawasol sends: text, interactive reply buttons and lists, templates, and read receipts.

Raises `GraphError` with Meta's code for the first problem found. Other message types (media,
location, reaction, contacts) only need their object present: we do not send them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.whatsapp_errors import GraphError

TEXT_BODY_MAX = 4096
BUTTON_BODY_MAX = 1024
LIST_BODY_MAX = 4096
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
LIST_BUTTON_MAX = 20
SECTION_TITLE_MAX = 24
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
HEADER_FOOTER_MAX = 60
OTHER_TYPES = {"image", "audio", "video", "document", "sticker", "location", "reaction", "contacts"}

# name -> {"languages": [...], "parameters": n}; None accepts any template.
ApprovedTemplates = Mapping[str, Mapping[str, Any]] | None


def validate_read_receipt(body: Mapping[str, Any]) -> str:
    message_id = body.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        raise GraphError(131008, "The parameter message_id is required.")
    return message_id


def validate_message(body: Mapping[str, Any], templates: ApprovedTemplates = None) -> tuple[str, str]:
    """(recipient as given, message type) of a valid send body."""
    if body.get("messaging_product") != "whatsapp":
        raise GraphError(
            100,
            "The parameter messaging_product is required.",
            message="(#100) The parameter messaging_product is required.",
        )
    recipient_type = body.get("recipient_type", "individual")
    if recipient_type not in ("individual", "group"):
        raise GraphError(100, f"Invalid recipient_type {recipient_type!r}.")
    to = body.get("to") or body.get("recipient")
    if not isinstance(to, str) or not to:
        raise GraphError(131008, "The parameter to is required.")
    if body.get("to") and not to.lstrip("+").replace(" ", "").replace("-", "").isdigit():
        raise GraphError(131009, "Recipient phone number is not a valid phone number.")
    kind = body.get("type", "text")
    content = body.get(kind)
    if not isinstance(content, dict):
        if kind not in ("text", "interactive", "template") and kind not in OTHER_TYPES:
            raise GraphError(131051, f"Message type {kind!r} is not supported.")
        raise GraphError(131008, f"The parameter {kind} is required.")
    if kind == "text":
        _text(content)
    elif kind == "interactive":
        _interactive(content)
    elif kind == "template":
        _template(content, templates)
    elif kind not in OTHER_TYPES:
        raise GraphError(131051, f"Message type {kind!r} is not supported.")
    return to, kind


def _text(content: Mapping[str, Any]) -> None:
    body = content.get("body")
    if not isinstance(body, str) or not body.strip():
        raise GraphError(131008, "The parameter text['body'] is required.")
    _max(body, TEXT_BODY_MAX, "text['body']")


def _interactive(content: Mapping[str, Any]) -> None:
    kind = content.get("type")
    body = (content.get("body") or {}).get("text")
    if not isinstance(body, str) or not body.strip():
        raise GraphError(131008, "The parameter interactive['body']['text'] is required.")
    for part in ("header", "footer"):
        text = (content.get(part) or {}).get("text")
        if isinstance(text, str):
            _max(text, HEADER_FOOTER_MAX, f"interactive['{part}']['text']")
    action = content.get("action")
    if not isinstance(action, dict):
        raise GraphError(131008, "The parameter interactive['action'] is required.")
    if kind == "button":
        _max(body, BUTTON_BODY_MAX, "interactive['body']['text']")
        _buttons(action.get("buttons"))
    elif kind == "list":
        _max(body, LIST_BODY_MAX, "interactive['body']['text']")
        _list(action)
    elif kind in ("cta_url", "flow", "product", "product_list", "location_request_message"):
        return
    else:
        raise GraphError(100, f"Invalid interactive type {kind!r}.")


def _buttons(buttons: Any) -> None:
    if not isinstance(buttons, list) or not buttons:
        raise GraphError(131008, "The parameter interactive['action']['buttons'] is required.")
    if len(buttons) > 3:
        raise GraphError(131009, "Too many buttons. Max allowed: 3")
    titles, ids = set(), set()
    for button in buttons:
        reply = button.get("reply") if isinstance(button, dict) else None
        if not isinstance(button, dict) or button.get("type") != "reply" or not isinstance(reply, dict):
            raise GraphError(100, "Each button must be of type 'reply' with a 'reply' object.")
        title, button_id = reply.get("title"), reply.get("id")
        if not isinstance(title, str) or not 1 <= len(title) <= BUTTON_TITLE_MAX:
            raise GraphError(
                131009, f"Button title length invalid. Min length: 1, Max length: {BUTTON_TITLE_MAX}"
            )
        if not isinstance(button_id, str) or not 1 <= len(button_id) <= BUTTON_ID_MAX:
            raise GraphError(131009, f"Button id length invalid. Min length: 1, Max length: {BUTTON_ID_MAX}")
        if title in titles:
            raise GraphError(131009, "Buttons titles must be unique.")
        if button_id in ids:
            raise GraphError(131009, "Buttons ids must be unique.")
        titles.add(title)
        ids.add(button_id)


def _list(action: Mapping[str, Any]) -> None:
    label = action.get("button")
    if not isinstance(label, str) or not 1 <= len(label) <= LIST_BUTTON_MAX:
        raise GraphError(131009, f"Button label length invalid. Min length: 1, Max length: {LIST_BUTTON_MAX}")
    sections = action.get("sections")
    if not isinstance(sections, list) or not sections:
        raise GraphError(131008, "The parameter interactive['action']['sections'] is required.")
    if len(sections) > 10:
        raise GraphError(131009, "Too many sections. Max allowed: 10")
    ids, total = set(), 0
    for section in sections:
        if not isinstance(section, dict):
            raise GraphError(100, "Each section must be an object.")
        title = section.get("title")
        if len(sections) > 1 and not title:
            raise GraphError(131009, "Section title is required when there is more than one section.")
        if isinstance(title, str):
            _max(title, SECTION_TITLE_MAX, "section title")
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            raise GraphError(131009, "Each section needs at least one row.")
        for row in rows:
            total += 1
            if not isinstance(row, dict):
                raise GraphError(100, "Each row must be an object.")
            row_id, row_title = row.get("id"), row.get("title")
            if not isinstance(row_title, str) or not 1 <= len(row_title) <= ROW_TITLE_MAX:
                raise GraphError(
                    131009, f"Row title length invalid. Min length: 1, Max length: {ROW_TITLE_MAX}"
                )
            if not isinstance(row_id, str) or not 1 <= len(row_id) <= ROW_ID_MAX:
                raise GraphError(131009, f"Row id length invalid. Min length: 1, Max length: {ROW_ID_MAX}")
            description = row.get("description")
            if description is not None and (
                not isinstance(description, str) or len(description) > ROW_DESCRIPTION_MAX
            ):
                raise GraphError(131009, f"Row description length invalid. Max length: {ROW_DESCRIPTION_MAX}")
            if row_id in ids:
                raise GraphError(131009, "Row ids must be unique.")
            ids.add(row_id)
    if total > 10:
        raise GraphError(131009, "Total row count exceed max allowed count: 10")


def _template(content: Mapping[str, Any], templates: ApprovedTemplates) -> None:
    name = content.get("name")
    language = (content.get("language") or {}).get("code")
    if not isinstance(name, str) or not name:
        raise GraphError(131008, "The parameter template['name'] is required.")
    if not isinstance(language, str) or not language:
        raise GraphError(131008, "The parameter template['language']['code'] is required.")
    params = []
    for component in content.get("components") or []:
        if isinstance(component, dict) and component.get("type") == "body":
            params = component.get("parameters") or []
    for param in params:
        text = param.get("text") if isinstance(param, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise GraphError(131008, "Template body parameters need a non-empty 'text'.")
        if "\n" in text or "\t" in text or "    " in text:
            raise GraphError(
                132018, "Param text cannot have new-line/tab characters or more than 4 consecutive spaces."
            )
    if templates is None:
        return
    approved = templates.get(name)
    if approved is None or language not in approved.get("languages", []):
        raise GraphError(132001, f"template name ({name}) does not exist in {language}")
    expected = int(approved.get("parameters", 0))
    if len(params) != expected:
        raise GraphError(
            132000,
            f"body: number of localizable_params ({len(params)}) does not match "
            f"the expected number of params ({expected})",
        )


def _max(text: str, limit: int, where: str) -> None:
    if len(text) > limit:
        raise GraphError(100, f"Param {where} must be at most {limit} characters long.")
