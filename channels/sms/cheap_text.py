"""Text as the cheapest SMS encoding can carry it, without losing what it says.

One character outside GSM-7 turns a whole message into UCS-2: 70 characters a segment instead of
160, so an English answer with an em dash or an emoji costs two to three times as much. Many
feature phones show an emoji as a box anyway. So, for SMS only:
- pictographs (emoji, dingbats, ℹ️) carry no meaning the words do not: they are dropped, with the
  variation selectors, joiners and skin tones that build them;
- typographic punctuation has a GSM-7 twin that says the same: — → -, ’ → ', “ ” → ", … → ...
Arabic is UCS-2 whatever we do; there the dropped pictographs still save their units (an emoji
beyond the BMP takes two), and the punctuation twins cost the same.
"""

from __future__ import annotations

import re
import unicodedata

_TWINS = str.maketrans(
    {
        "\u2014": "-", "\u2013": "-", "\u2012": "-", "\u2015": "-", "\u2212": "-",  # dashes, minus
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
        "\u2026": "...",
        "\u2022": "-", "\u00b7": "-", "\u25aa": "-", "\u25cf": "-",  # bullets
        "\u2192": "->", "\u2190": "<-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ",  # no-break and thin spaces
        "\u00ad": None,  # soft hyphen: invisible unless a line breaks there
    }
)

# Symbols that say something words would otherwise have to: kept although GSM-7 lacks them.
_MEANINGFUL_SYMBOLS = frozenset("°©®№")
# What emoji are built of besides the pictograph: variation selectors, the zero-width joiner,
# the keycap mark, skin tones, tag characters (subdivision flags).
_EMOJI_PARTS = re.compile("[\ufe0e\ufe0f\u200d\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]")
_INFORMATION_SOURCE = "\u2139"  # ℹ: a letter to Unicode (category Ll), a pictograph to readers
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_MARK = re.compile(r" +(?=[.,;:!?؟،؛]|$)", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")


def _is_pictograph(char: str) -> bool:
    if char == _INFORMATION_SOURCE:
        return True
    return unicodedata.category(char) == "So" and char not in _MEANINGFUL_SYMBOLS


def cheap_text(text: str) -> str:
    """`text` without pictographs and with GSM-7 twins for typographic punctuation."""
    plain = _EMOJI_PARTS.sub("", text.translate(_TWINS))
    plain = "".join(char for char in plain if not _is_pictograph(char))
    if plain == text:
        return text
    # A dropped emoji leaves its spaces behind ("assistant 👋 Ask", "figure. ℹ️").
    lines = [_SPACES.sub(" ", line).strip() for line in plain.split("\n")]
    plain = _SPACE_BEFORE_MARK.sub("", "\n".join(lines))
    return _BLANK_LINES.sub("\n\n", plain).strip()
