"""Fitting text into WhatsApp's length limits without breaking Arabic (or emoji).

Two operations: `truncate` (a title that must fit: cut at a word if one is near, end with "…") and
`split_text` (a long answer sent as several messages: cut at a paragraph, line, sentence or word).
Neither ever cuts between a letter and its marks: Arabic harakat and shadda, the superscript alef,
emoji skin tones, variation selectors and zero-width joiners stay with the character before them.
Lengths are counted in code points, as Python's `len` does.
"""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"

# Characters that belong to the one before them (besides combining marks, found by category).
_JOIN_PREVIOUS = {"\u200d", "\ufe0e", "\ufe0f"} | {chr(c) for c in range(0x1F3FB, 0x1F400)}
_JOIN_NEXT = {"\u200d"}
# Bidi controls and separators that must not be left dangling at the end of a cut.
_TRAILING_JUNK = " \t\n\r\u200c\u200d\u200e\u200f\u061c\u2066\u2067\u2068\u2069،,;:؛-–—"
_SENTENCE_END = re.compile(r"[.!?؟۔…]+[\"'”’»)]*\s+")


def joins_previous(ch: str) -> bool:
    return ch in _JOIN_PREVIOUS or unicodedata.category(ch) in ("Mn", "Mc", "Me")


def safe_cut(text: str, index: int) -> int:
    """The nearest index ≤ `index` that falls between two whole characters (grapheme-ish)."""
    index = max(0, min(index, len(text)))
    while 0 < index < len(text) and (joins_previous(text[index]) or text[index - 1] in _JOIN_NEXT):
        index -= 1
    return index


def truncate(text: str, limit: int) -> str:
    """`text` if it fits in `limit`, else a cut at a word boundary (if one is near) plus "…"."""
    text = " ".join(text.split())  # titles are one line
    if len(text) <= limit:
        return text
    if limit <= 1:
        return text[: safe_cut(text, limit)]
    cut = safe_cut(text, limit - len(ELLIPSIS))
    space = text.rfind(" ", 0, cut + 1)
    if space >= cut * 0.6:  # a word boundary not too far back keeps most of the title readable
        cut = space
    head = text[:cut].rstrip(_TRAILING_JUNK)
    if not head:  # no room for a whole character and "…": keep what fits, without the "…"
        return text[: safe_cut(text, limit)] or text[:limit]
    return head + ELLIPSIS


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut where a reader expects a break."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _best_break(rest, limit)
        piece, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if piece:
            pieces.append(piece)
    if rest:
        pieces.append(rest)
    return pieces


def split_tail(text: str, limit: int) -> tuple[str, str]:
    """(head, tail) with `tail` ≤ `limit` characters, cut at a good break; head may be empty."""
    text = text.strip()
    if len(text) <= limit:
        return "", text
    start = len(text) - limit  # the tail must begin at or after this index
    for pattern in (r"\n\s*\n", r"\n", None, r" "):
        if pattern is None:
            positions = [m.end() for m in _SENTENCE_END.finditer(text, start)]
        else:
            positions = [m.end() for m in re.finditer(pattern, text[start:])]
            positions = [start + p for p in positions]
        positions = [p for p in positions if p - start <= limit // 2]
        if positions:
            cut = positions[0]
            break
    else:
        cut = start
        while cut < len(text) and joins_previous(text[cut]):
            cut += 1
    return text[:cut].rstrip(), text[cut:].strip()


def _best_break(text: str, limit: int) -> int:
    """Where to end the first piece: the last paragraph, line, sentence or word break within
    `limit` that still leaves the piece at least half full; else a safe hard cut."""
    window = text[: limit + 1]  # a break right at `limit` (the separator itself is dropped) is fine
    half = limit // 2
    for finder in (_last_paragraph, _last_line, _last_sentence, _last_space):
        cut = finder(window)
        if cut is not None and half <= cut <= limit:
            return cut
    return safe_cut(text, limit) or limit


def _last_paragraph(window: str):
    matches = list(re.finditer(r"\n\s*\n", window))
    return matches[-1].start() if matches else None


def _last_line(window: str):
    index = window.rfind("\n")
    return index if index > 0 else None


def _last_sentence(window: str):
    ends = [m.end() for m in _SENTENCE_END.finditer(window)]
    return ends[-1] if ends else None


def _last_space(window: str):
    index = window.rfind(" ")
    return index if index > 0 else None
