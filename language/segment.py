"""Find the words and numbers of a message, with their offsets in the original text.

Everything that is not a word or a number (spaces, punctuation, emoji, symbols) separates
spans and produces none. Scripts are split apart ("للpassport" -> "لل", "passport") because each
script is normalised differently; digits inside a Latin word stay in it because in Arabizi they
are letters ("mar7aba"), and a number keeps its inner separators ("2024-118734", "12/3", "1.5").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Span", "ARABIC", "LATIN", "NUMBER", "OTHER", "split_words"]

ARABIC = "arabic"
LATIN = "latin"
NUMBER = "number"
OTHER = "other"  # letters of any other script (Cyrillic, CJK...), kept as they are


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int
    kind: str  # ARABIC | LATIN | NUMBER | OTHER


_AR_LETTER = (
    "\u0621-\u063f\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc\u06ff"
    "\u0750-\u077f\u08a0-\u08c9\ufb50-\ufd3d\ufd50-\ufdfb\ufe70-\ufefc"
)
# Diacritics, Quranic marks and tatweel: part of a word but never a word on their own.
_AR_MARK = "\u0610-\u061a\u0640\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u08ca-\u08ff"
# Invisible formatting characters that may sit inside an Arabic word (ZWNJ, bidi marks...).
_INVISIBLE = "\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_LATIN_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_DIGIT = "0-9\u0660-\u0669\u06f0-\u06f9"
_ARABIC_BLOCKS = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"

_ARABIC_WORD = (
    rf"(?:[{_AR_LETTER}]|[{_AR_MARK}]+(?=[{_AR_LETTER}]))"
    rf"(?:[{_AR_LETTER}{_AR_MARK}]|[{_INVISIBLE}]+(?=[{_AR_LETTER}{_AR_MARK}]))*"
)
# "el-"/"esh-" article joined by a hyphen stays with its word ("esh-shari3").
_HYPHEN_ARTICLE = r"(?:[AaEeIi](?:[Ll]|[Ss][Hh]|[Tt][Hh]|[Dd][Hh]|[TtDdRrZzSsNn6])-(?=[A-Za-z0-9]))"
_LATIN_WORD = (
    rf"{_HYPHEN_ARTICLE}?(?:[0-9]+'?)?[{_LATIN_LETTER}]"
    rf"(?:[{_LATIN_LETTER}0-9]|'(?=[{_LATIN_LETTER}0-9])|(?<=[3679])'(?![{_LATIN_LETTER}0-9]))*"
)
_NUMBER = rf"[{_DIGIT}]+(?:[.,/:\-\u066b\u066c][{_DIGIT}]+)*"
_OTHER_WORD = rf"[^\W_0-9{_LATIN_LETTER}{_ARABIC_BLOCKS}]+"

_SPAN = re.compile(
    rf"(?P<{ARABIC}>{_ARABIC_WORD})|(?P<{LATIN}>{_LATIN_WORD})"
    rf"|(?P<{NUMBER}>{_NUMBER})|(?P<{OTHER}>{_OTHER_WORD})"
)


def split_words(text: str) -> list[Span]:
    """The word and number spans of `text`, in order; `text[s.start:s.end] == s.text`."""
    return [
        Span(match.group(), match.start(), match.end(), match.lastgroup or OTHER)
        for match in _SPAN.finditer(text)
    ]
