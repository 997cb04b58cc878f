"""Normalise a piece of Arabic-script text so spelling variants compare equal.

One `str.translate` table does all the character work (it runs on every message, so it must be
cheap). The table starts from CAMeL Tools' `arclean` character map, which already removes the
diacritics that `camel_tools.utils.dediac.dediac_ar` removes, tatweel and Quranic marks, folds
Arabic presentation forms and Persian/Urdu letter variants, and maps Arabic-Indic digits and
odd spaces. On top of it we fold hamza seats, alef maqsura and taa marbuta (the orthographic
variants citizens use interchangeably), and delete invisible formatting characters instead of
turning them into spaces, because a zero-width non-joiner inside a word must not split it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from camel_tools.utils import charmap as camel_charmap

__all__ = ["normalize_arabic", "fold_latin"]

# Letters that people write interchangeably; the target is what the lexicon and training data use.
_LETTER_FOLDS = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ؤ": "و",
    "ئ": "ي",
    "ى": "ي",
    "ة": "ه",
}

# Invisible characters (zero-width space/joiners, bidi marks and isolates, soft hyphen, BOM).
_INVISIBLE = (
    [0x00AD, 0x061C, 0xFEFF]
    + list(range(0x200B, 0x2010))
    + list(range(0x202A, 0x202F))
    + list(range(0x2060, 0x2065))
    + list(range(0x2066, 0x206A))
)

# arclean maps the Arabic decimal and thousands separators to "," and "'"; numbers need "." and ",".
_SEPARATOR_FIXES = {"٫": ".", "٬": ","}

# Blocks where arclean has mappings worth taking; everything else passes through untouched.
_ARCLEAN_BLOCKS = (
    (0x00A0, 0x00FF),
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x08A0, 0x08FF),
    (0x1680, 0x1680),
    (0x180E, 0x180E),
    (0x2000, 0x206F),
    (0x2420, 0x2424),
    (0x3000, 0x3000),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)

_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
_WHITESPACE = re.compile(r"\s+")


def _arclean_mapping() -> dict[str, str]:
    """arclean's explicit mappings, without its default of deleting every unlisted character."""
    map_path = Path(camel_charmap.__file__).parent / "charmaps" / "arclean_map.json"
    charmap = json.loads(map_path.read_text(encoding="utf-8"))["charMap"]
    mapper = camel_charmap.CharMapper(charmap, default=None)
    mapping = {}
    for first, last in _ARCLEAN_BLOCKS:
        for code_point in range(first, last + 1):
            char = chr(code_point)
            mapped = mapper(char)
            if mapped != char:
                mapping[char] = mapped
    return mapping


def _build_table() -> dict[int, str]:
    letter_folds = str.maketrans(_LETTER_FOLDS)
    mapping = {char: mapped.translate(letter_folds) for char, mapped in _arclean_mapping().items()}
    mapping.update(_LETTER_FOLDS)
    mapping.update(_SEPARATOR_FIXES)
    mapping.update({chr(code_point): "" for code_point in _INVISIBLE})
    return str.maketrans(mapping)


_TABLE = _build_table()


def normalize_arabic(text: str) -> str:
    """Normalised form of `text` (a word or a whole message; any script passes through safely).

    Diacritics, tatweel and Quranic marks removed; alef forms, hamza seats, alef maqsura and taa
    marbuta folded; a letter repeated 3+ times kept once; Arabic-Indic and Persian digits made
    ASCII; Arabic punctuation made ASCII; Latin lower-cased; invisible characters removed and
    whitespace runs turned into one space.
    """
    folded = _ELONGATION.sub(r"\1", text.translate(_TABLE).lower())
    return _WHITESPACE.sub(" ", folded).strip()


def fold_latin(word: str) -> str:
    """A Latin-script word lower-cased with elongation collapsed ("Helloooo" -> "hello")."""
    return _ELONGATION.sub(r"\1", word.lower())
