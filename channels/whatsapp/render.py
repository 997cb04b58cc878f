"""A channel-neutral `BotReply` → WhatsApp Cloud API message payloads (`Rendered`).

- Text: one message per 4096 characters, split at a paragraph, line, sentence or word.
- 1–3 choices: reply buttons (title ≤ 20, id ≤ 256, body ≤ 1024; longer text goes first as text).
- 4–10 choices: a list message (button label ≤ 20, row title ≤ 24, description ≤ 72, id ≤ 200).
- More than 10 choices: several list messages of up to 10 rows each ("More options (2/3)"). We
  split rather than show 9 + a "more" row because a "more" row needs the dialogue to page, while
  split lists work with any choice id and the citizen sees every option at once.
- A choice id over Meta's limit cannot be shortened (it is what comes back), so those choices go
  as a numbered text list instead, with a warning in the log.
- Outside the 24-hour window (`in_window=False`): only a template — `reply.template`, else the
  catalogue's template for `reply.notice`'s kind (channels/whatsapp/templates.py). Without one we return
  `[]` and log why: an empty list means "WhatsApp cannot carry this now; use another channel".

pywa does not check Meta's limits; Meta rejects a whole message for one long title, so we enforce
them here (truncating titles with "…" without splitting Arabic letters from their marks).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from core.messages import WHATSAPP, BotReply, Choice, TemplateRef
from core.privacy import mask_phone
from channels.base import Rendered
from channels.whatsapp.templates import TemplateCatalog
from channels.whatsapp.textfit import split_tail, split_text, truncate

logger = logging.getLogger(__name__)

TEXT_MAX = 4096
BUTTONS_MAX = 3
BUTTON_BODY_MAX = 1024
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
LIST_ROWS_MAX = 10
LIST_BODY_MAX = 4096
LIST_BUTTON_MAX = 20
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
TEMPLATE_PARAMETER_MAX = 1024

_WORDS = {
    "ar": {"choose": "اختر من الخيارات:", "options": "الخيارات", "more": "خيارات أخرى ({n}/{total})"},
    "en": {"choose": "Please choose:", "options": "Options", "more": "More options ({n}/{total})"},
}


def render_reply(
    reply: BotReply,
    address: str,
    *,
    in_window: bool = True,
    templates: TemplateCatalog | None = None,
) -> list[Rendered]:
    if not in_window:
        template = session_template(reply, templates)
        if template is None:
            logger.info(
                "whatsapp.render nothing_to_send to=%s reason=outside_24h_window_without_template",
                mask_phone(address),
            )
            return []
        return [_template(template, address, templates)]
    # A WhatsApp message costs the same whatever its length: heading, answer and caveat all go.
    reply = dataclasses.replace(reply, text=reply.whole_text(), heading=None, caveat=None)
    if not reply.choices:
        if not reply.text.strip():
            logger.warning("whatsapp.render nothing_to_send to=%s reason=empty_reply", mask_phone(address))
        return [_text(piece, address) for piece in split_text(reply.text, TEXT_MAX)]
    too_long = [c.id for c in reply.choices if not c.id or len(c.id) > _id_limit(reply.choices)]
    if too_long:
        logger.warning(
            "whatsapp.render choice_ids_unusable count=%d longest=%d (sent as a numbered list)",
            len(too_long),
            max(len(i) for i in too_long),
        )
        return _numbered_text(reply, address)
    if len(reply.choices) <= BUTTONS_MAX:
        return _buttons(reply, address)
    return _lists(reply, address)


def session_template(reply: BotReply, templates: TemplateCatalog | None) -> TemplateRef | None:
    """The template a reply goes as outside the window: the one it names, else the catalogue's
    template for its notice's kind; None when neither fits."""
    if reply.template is not None:
        return reply.template
    if reply.notice is None or templates is None:
        return None
    return templates.for_notice(reply.notice, reply.language)


def recipient_fields(address: str) -> dict[str, str]:
    """Phone numbers go in `to`; a business-scoped user id (a username-only user) in `recipient`."""
    return {"to": address} if address.isdigit() else {"recipient": address}


def _envelope(address: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        **recipient_fields(address),
        "type": kind,
        kind: content,
    }


def _text(text: str, address: str) -> Rendered:
    content = {"body": text, "preview_url": "https://" in text or "http://" in text}
    return Rendered(channel=WHATSAPP, address=address, text=text, body=_envelope(address, "text", content))


def _id_limit(choices: list[Choice]) -> int:
    return BUTTON_ID_MAX if len(choices) <= BUTTONS_MAX else ROW_ID_MAX


def _body_and_lead(reply: BotReply, body_max: int) -> tuple[str, list[str]]:
    """The interactive body, and the text that does not fit in it (sent first as plain messages)."""
    head, body = split_tail(reply.text, body_max)
    return body or _word(reply, "choose"), split_text(head, TEXT_MAX) if head else []


def _buttons(reply: BotReply, address: str) -> list[Rendered]:
    body, lead = _body_and_lead(reply, BUTTON_BODY_MAX)
    titles = _unique_titles([c.title for c in reply.choices], BUTTON_TITLE_MAX)
    buttons = [
        {"type": "reply", "reply": {"id": choice.id, "title": title}}
        for choice, title in zip(reply.choices, titles, strict=True)
    ]
    content = {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}
    shown = body + "\n" + "\n".join(f"[{t}]" for t in titles)
    return [_text(piece, address) for piece in lead] + [
        Rendered(
            channel=WHATSAPP, address=address, text=shown, body=_envelope(address, "interactive", content)
        )
    ]


def _lists(reply: BotReply, address: str) -> list[Rendered]:
    body, lead = _body_and_lead(reply, LIST_BODY_MAX)
    label = truncate(reply.choices_title or _word(reply, "options"), LIST_BUTTON_MAX)
    pages = [reply.choices[i : i + LIST_ROWS_MAX] for i in range(0, len(reply.choices), LIST_ROWS_MAX)]
    rendered = [_text(piece, address) for piece in lead]
    for number, page in enumerate(pages, start=1):
        page_body = body if number == 1 else _word(reply, "more").format(n=number, total=len(pages))
        titles = _unique_titles([c.title for c in page], ROW_TITLE_MAX)
        rows = []
        for choice, title in zip(page, titles, strict=True):
            row = {"id": choice.id, "title": title}
            if choice.description:
                row["description"] = truncate(choice.description, ROW_DESCRIPTION_MAX)
            rows.append(row)
        content = {
            "type": "list",
            "body": {"text": page_body},
            "action": {"button": label, "sections": [{"rows": rows}]},
        }
        shown = page_body + "\n" + "\n".join(f"• {t}" for t in titles)
        rendered.append(
            Rendered(
                channel=WHATSAPP, address=address, text=shown, body=_envelope(address, "interactive", content)
            )
        )
    return rendered


def _numbered_text(reply: BotReply, address: str) -> list[Rendered]:
    lines = [reply.text.strip()] if reply.text.strip() else []
    lines += [f"{n}. {c.title}" for n, c in enumerate(reply.choices, start=1)]
    return [_text(piece, address) for piece in split_text("\n".join(lines), TEXT_MAX)]


def _template(ref: TemplateRef, address: str, templates: TemplateCatalog | None) -> Rendered:
    values = [_template_value(v) for v in ref.parameters]
    content: dict[str, Any] = {"name": ref.name, "language": {"code": ref.language}}
    if values:
        content["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": v} for v in values]}
        ]
    shown = templates.preview(TemplateRef(ref.name, ref.language, values)) if templates else None
    if shown is None:
        shown = f"[template {ref.name}] " + " | ".join(values)
    return Rendered(
        channel=WHATSAPP, address=address, text=shown, body=_envelope(address, "template", content)
    )


def _template_value(value: str) -> str:
    """Meta rejects template parameters with new lines, tabs or runs of spaces, and empty ones."""
    cleaned = " ".join(str(value).split())
    return truncate(cleaned, TEMPLATE_PARAMETER_MAX) if cleaned else "-"


def _unique_titles(titles: list[str], limit: int) -> list[str]:
    """Truncated titles, made distinct (Meta rejects duplicate button titles)."""
    result: list[str] = []
    for title in titles:
        candidate = truncate(title, limit) or "-"
        number = 2
        while candidate in result:
            suffix = f" {number}"
            candidate = truncate(title, limit - len(suffix)) + suffix
            number += 1
        result.append(candidate)
    return result


def _word(reply: BotReply, key: str) -> str:
    return _WORDS.get(reply.language, _WORDS["ar"])[key]
