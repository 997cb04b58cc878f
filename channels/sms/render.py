"""Shape a channel-neutral BotReply as one SMS.

SMS has no buttons: choices become a numbered menu ("أرسل 1 لـ…" / "Send 1 for …") and the
citizen answers with the number (the pipeline maps it back using the choices it stored).

Every segment is paid for, so the answer itself comes first and whole when it fits in two
segments, and everything else yields to it, in this order: the heading ("service - agency") is
shown only when it costs no extra segment; the menu moves to the MORE part; then the caveat. Only
an answer longer than two segments is cut (at a sentence or line boundary, else at a word), with a
last line inviting "MORE"; the rest waits in `Rendered.body["more"]` for the pipeline to send when
asked. Pictographs and typographic punctuation are flattened first (`cheap_text`), so an English
reply stays GSM-7.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence

from core.messages import SMS, BotReply
from channels.base import Rendered
from channels.sms import segments
from channels.sms.cheap_text import cheap_text
from channels.sms.segments import ReferenceCounter

SUMMARY_SEGMENTS = 2

_MORE_LINE = {"ar": 'أرسل "المزيد" للتفاصيل', "en": "Send MORE for details"}
_MORE_OPTIONS_LINE = {"ar": 'أرسل "المزيد" للخيارات', "en": "Send MORE for options"}
_ELLIPSIS = "..."  # not "…": GSM-7 lacks it, and one would make an English summary UCS-2
# Where a summary may end: after a sentence mark (Latin or Arabic) or at a line break.
_BOUNDARY = re.compile(r"[.!?؟।](?=\s)|\n")
_SENTENCE_END = re.compile(r"[.!?؟।](?=\s|$)")

_default_references = ReferenceCounter()


def _language(reply: BotReply) -> str:
    return "ar" if reply.language == "ar" else "en"


def menu_lines(reply: BotReply) -> list[str]:
    if _language(reply) == "ar":
        lines = [f"أرسل {n} لـ{choice.title}" for n, choice in enumerate(reply.choices, start=1)]
    else:
        lines = [f"Send {n} for {choice.title}" for n, choice in enumerate(reply.choices, start=1)]
    return [cheap_text(line) for line in lines]


def _compose(blocks: Sequence[str], menu: Sequence[str] = (), more_line: Optional[str] = None) -> str:
    lines = [block.strip() for block in blocks if block and block.strip()]
    lines += menu
    if more_line:
        lines.append(more_line)
    return "\n".join(lines)


def _fits(text: str) -> bool:
    return segments.count(text) <= SUMMARY_SEGMENTS


def _first_sentence_end(text: str) -> int:
    found = _SENTENCE_END.search(text)
    return found.end() if found else len(text)


def _summary_cut(text: str, more_line: str) -> Optional[int]:
    """Where to cut `text` so the summary and the MORE line fit; None when nothing fits.

    Never at a boundary before the first sentence ends (a heading line alone says nothing):
    inside that sentence the cut falls at a word, marked with an ellipsis.
    """
    first_end = _first_sentence_end(text)
    ends = [m.end() for m in _BOUNDARY.finditer(text) if m.end() >= first_end]
    for end in reversed(ends):
        if _fits(_compose([text[:end]], [], more_line)):
            return end
    spaces = [m.start() for m in re.finditer(r"\s", text)]
    for end in reversed(spaces):
        if text[:end].strip() and _fits(_compose([text[:end] + _ELLIPSIS], [], more_line)):
            return end
    return None


def _with_heading(blocks: list[str], heading: str, menu: list[str], more_line: Optional[str]) -> str:
    """The message, with the heading after the answer only when it adds no segment: it says what
    the answer is about, which the citizen who asked mostly knows."""
    without = _compose(blocks, menu, more_line)
    if not heading:
        return without
    with_heading = _compose([*blocks, f"({heading})"], menu, more_line)
    return with_heading if segments.count(with_heading) == segments.count(without) else without


def summarise(reply: BotReply) -> tuple[str, Optional[str]]:
    """(the SMS text, the rest to keep for MORE or None)."""
    language = _language(reply)
    details, options = _MORE_LINE[language], _MORE_OPTIONS_LINE[language]
    answer = cheap_text(reply.text).strip()
    caveat = cheap_text(reply.caveat or "")
    heading = cheap_text(reply.heading or "")
    menu = menu_lines(reply)
    given = cheap_text(reply.more) if reply.more else None  # `text` is the brain's summary of it

    # (what is shown, the menu shown, the MORE line, what waits for MORE), cheapest loss first.
    # The menu's numbers still work from the MORE part: the choices are stored with this message.
    layouts: list[tuple[list[str], list[str], Optional[str], Optional[str]]]
    if given is not None:
        layouts = [
            ([answer, caveat], menu, details, given),
            ([answer, caveat], [], details, _compose([given], menu)),
            ([answer], [], details, _compose([given, caveat], menu)),
        ]
    elif _fits(answer):
        layouts = [
            ([answer, caveat], menu, None, None),
            ([answer, caveat], [], options, _compose([], menu)),
            ([answer], [], details, _compose([caveat], menu)),
            # No room even for the invitation: the answer still goes whole, and MORE still works.
            ([answer], [], None, _compose([caveat], menu)),
        ]
    else:
        layouts = []
    for blocks, shown_menu, more_line, rest in layouts:
        if _fits(_compose(blocks, shown_menu, more_line)):
            return _with_heading(blocks, heading, shown_menu, more_line), rest or None

    # The answer alone needs more than two segments: it is cut, and everything else waits.
    cut = _summary_cut(answer, details)
    if cut is None:
        # Not even a few words fit: send the whole answer rather than a stub.
        return _compose([answer, caveat], menu), given
    summary = answer[:cut].rstrip()
    if not _BOUNDARY.search(answer[cut - 1 : cut + 1] if cut else ""):
        summary += _ELLIPSIS
    rest = _compose([given or answer[cut:], caveat], menu)
    return _compose([summary], [], details), rest or None


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
