"""Shape a channel-neutral BotReply as one SMS.

SMS has no buttons: choices become a numbered menu ("أرسل 1 لـ…" / "Send 1 for …") and the
citizen answers with the number (the pipeline maps it back using the choices it stored). Long
answers are cut at a sentence or line boundary to fit about two segments, with a last line
inviting "MORE"; the rest waits in `Rendered.body["more"]` for the pipeline to send when asked.
"""

from __future__ import annotations

import re
from typing import Optional

from core.messages import SMS, BotReply
from channels.base import Rendered
from channels.sms import segments
from channels.sms.segments import ReferenceCounter

SUMMARY_SEGMENTS = 2

_MORE_LINE = {"ar": 'أرسل "المزيد" للتفاصيل', "en": "Send MORE for details"}
_ELLIPSIS = "…"
# Where a summary may end: after a sentence mark (Latin or Arabic) or at a line break.
_BOUNDARY = re.compile(r"[.!?؟।](?=\s)|\n")
_SENTENCE_END = re.compile(r"[.!?؟।](?=\s|$)")

_default_references = ReferenceCounter()


def _language(reply: BotReply) -> str:
    return "ar" if reply.language == "ar" else "en"


def menu_lines(reply: BotReply) -> list[str]:
    if _language(reply) == "ar":
        return [f"أرسل {n} لـ{choice.title}" for n, choice in enumerate(reply.choices, start=1)]
    return [f"Send {n} for {choice.title}" for n, choice in enumerate(reply.choices, start=1)]


def _compose(text: str, menu: list[str], more_line: Optional[str]) -> str:
    lines = [text.strip()] if text.strip() else []
    lines += menu
    if more_line:
        lines.append(more_line)
    return "\n".join(lines)


def _fits(text: str) -> bool:
    return segments.count(text) <= SUMMARY_SEGMENTS


def _first_sentence_end(text: str) -> int:
    found = _SENTENCE_END.search(text)
    return found.end() if found else len(text)


def _summary_cut(text: str, menu: list[str], more_line: str) -> Optional[int]:
    """Where to cut `text` so the summary, menu and MORE line fit; None when nothing fits.

    Never at a boundary before the first sentence ends (a heading line alone says nothing):
    inside that sentence the cut falls at a word, marked with an ellipsis.
    """
    first_end = _first_sentence_end(text)
    ends = [m.end() for m in _BOUNDARY.finditer(text) if m.end() >= first_end]
    for end in reversed(ends):
        if _fits(_compose(text[:end], menu, more_line)):
            return end
    spaces = [m.start() for m in re.finditer(r"\s", text)]
    for end in reversed(spaces):
        if text[:end].strip() and _fits(_compose(text[:end] + _ELLIPSIS, menu, more_line)):
            return end
    return None


def summarise(reply: BotReply) -> tuple[str, Optional[str]]:
    """(the SMS text, the rest to keep for MORE or None)."""
    menu = menu_lines(reply)
    more_line = _MORE_LINE[_language(reply)]
    if reply.more:
        whole = _compose(reply.text, menu, more_line)
        if _fits(whole):
            return whole, reply.more
    else:
        whole = _compose(reply.text, menu, None)
        if _fits(whole):
            return whole, None

    text = reply.text.strip()
    # Two segments are ~134 Arabic characters and the answer comes first: a menu that would
    # squeeze the first sentence moves to the MORE part (its numbers still work: the choices
    # are stored with this message).
    cut = _summary_cut(text, menu, more_line)
    shown_menu = menu
    if cut is None or cut < _first_sentence_end(text):
        cut, shown_menu = _summary_cut(text, [], more_line), []
    if cut is None:
        # Not even a few words fit: send the whole answer rather than a stub.
        return _compose(reply.text, menu, None), None
    summary = text[:cut].rstrip()
    rest = "\n".join(part for part in [text[cut:].strip(), *([] if shown_menu else menu)] if part)
    if not _BOUNDARY.search(text[cut - 1 : cut + 1] if cut else ""):
        summary += _ELLIPSIS
    return _compose(summary, shown_menu, more_line), reply.more or rest or None


def render(
    reply: BotReply, address: str, references: Optional[ReferenceCounter] = None
) -> list[Rendered]:
    """One Rendered SMS for a reply: `body` holds what `send` needs and what MORE will send."""
    text, more = summarise(reply)
    count = segments.count(text)
    body: dict = {"text": text, "udh_ref": (references or _default_references).next()}
    if more:
        body["more"] = more
    return [
        Rendered(
            channel=SMS,
            address=address,
            text=text,
            body=body,
            segments=count,
        )
    ]
