"""Transliterate Arabizi (Jordanian Latin-script Arabic, "bde ajaded jawaz") into Arabic script.

No offline transliterator handles Jordanian spelling well, so this is a lexicon of the words
citizens use with government (arabizi_lexicon.tsv) backed by spelling rules for everything else.
Output is normalised Arabic (same folding as `normalize_arabic`), so "jawaz" and "جواز" match.

The rules are deliberately simple and predictable; they get consonant skeletons right and guess
vowels: a short vowel inside a word is dropped, a long one (aa/ee/oo...) becomes its letter.
Words the rules spell wrong belong in the lexicon.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nlu.text.normalize import fold_latin
from nlu.text.wordlists import ARABIZI_WORDS, ARTICLE_WORDS

__all__ = ["arabizi_to_arabic", "lexicon_lookup", "has_arabizi_digits", "join_article"]

_ARTICLE = "ال"

# One spelling unit each: digit letters with an apostrophe, digraphs (not the d+h of "3ndha"),
# long vowels, single characters.
_UNITS = re.compile(r"[3679]'|sh|kh|gh|th|(?<!n)dh|ch|aa|ee|ii|oo|uu|ou|ei|ai|ie|.", re.DOTALL)

_CONSONANTS = {
    "b": "ب", "p": "ب", "t": "ت", "th": "ث", "j": "ج", "7": "ح", "h": "ه", "kh": "خ", "5": "خ",
    "7'": "خ", "d": "د", "dh": "ذ", "r": "ر", "z": "ز", "s": "س", "sh": "ش", "ch": "ش",
    "6": "ط", "6'": "ظ", "3": "ع", "3'": "غ", "gh": "غ", "8": "غ", "f": "ف", "v": "ف",
    # Jordanian Arabizi writes the q sound as q, 9 or (Bedouin/rural gaf) g.
    "q": "ق", "9": "ق", "g": "ق", "9'": "ض", "k": "ك", "c": "ك", "l": "ل", "m": "م",
    "n": "ن", "w": "و", "y": "ي", "x": "كس",
}

# The vowel quality of each vowel unit: a (alef), i (yaa) or u (waw).
_VOWEL_QUALITY = {
    "a": "a", "aa": "a", "e": "i", "i": "i", "ee": "i", "ii": "i", "ie": "i", "ei": "i",
    "ai": "i", "o": "u", "u": "u", "oo": "u", "uu": "u", "ou": "u",
}
_SHORT_VOWELS = frozenset("aeiou")
_QUALITY_LETTER = {"a": "ا", "i": "ي", "u": "و"}

# Letters after which a final "a" is a pronoun suffix (-na "our", -ha "her"), not a feminine ending.
_SUFFIX_BEFORE_FINAL_A = frozenset({"n", "h"})

# Sun letters: the article's l assimilates to them ("esh-shari3", "essa3a").
_SUN_UNITS = frozenset({"t", "th", "d", "dh", "r", "z", "s", "sh", "6", "6'", "l", "n"})

_HYPHEN_ARTICLE = re.compile(r"[aei](?:l|sh|th|dh|6'|[tdrzsn6])")
_ARABIZI_DIGITS = re.compile(r"[a-z][235679]|[235679]'?[a-z]")
_NUMBER_WITH_UNIT = re.compile(
    r"\d+(?:st|nd|rd|th|am|pm|k|km|kg|g|gb|mb|jd|jod|h|hr|hrs|min|mins|x|d|m|s)"
)
_GLUED_PREFIXES = (
    ("wel", "وال"), ("wil", "وال"), ("wal", "وال"),
    ("bel", "بال"), ("bil", "بال"), ("bal", "بال"),
    ("lel", "لل"), ("lil", "لل"), ("lal", "لل"),
    ("fel", "فال"), ("fil", "فال"),
    ("el", _ARTICLE), ("il", _ARTICLE), ("al", _ARTICLE),
    ("wa", "و"), ("w", "و"), ("u", "و"),
)
# Prefixes common enough as article that an unknown rest is still read as a definite noun.
_ARTICLE_ALONE = frozenset({"el", "il"})
_MIN_REST = 3
# Longer "words" are pasted junk: handled, but kept out of the caches.
_CACHEABLE_LENGTH = 64


def join_article(arabic: str) -> str:
    """`arabic` with the definite article in front, unless it already has one."""
    return arabic if arabic.startswith(_ARTICLE) else _ARTICLE + arabic


def has_arabizi_digits(word: str) -> bool:
    """True when digits in a folded Latin word stand for Arabic letters ("mar7aba", "2desh").

    "2nd", "10am" or "5g" are numbers with a unit, not Arabizi.
    """
    if _NUMBER_WITH_UNIT.fullmatch(word):
        return False
    return _ARABIZI_DIGITS.search(word) is not None


def lexicon_lookup(word: str) -> str | None:
    """Arabic for a folded Arabizi word found in the lexicon, directly or after a prefix
    ("w", "el", "bel"...); None when the lexicon does not know it."""
    if len(word) > _CACHEABLE_LENGTH:  # no Arabizi word is that long; keeps the cache small
        return None
    return _cached_lexicon_lookup(word)


@lru_cache(maxsize=65536)
def _cached_lexicon_lookup(word: str) -> str | None:
    hit = ARABIZI_WORDS.get(word)
    if hit is not None:
        return hit
    for prefix, arabic_prefix in _GLUED_PREFIXES:
        if not word.startswith(prefix):
            continue
        rest = word[len(prefix):]
        shortest = 2 if arabic_prefix == "و" else _MIN_REST
        rest_hit = ARABIZI_WORDS.get(rest) if len(rest) >= shortest else None
        if rest_hit is not None and rest not in ARTICLE_WORDS:
            return _attach(arabic_prefix, rest_hit)
    return None


def _attach(arabic_prefix: str, arabic: str) -> str:
    """"وال" + "الزرقاء" -> "والزرقاء": a prefix that carries the article absorbs the word's own."""
    carries_article = arabic_prefix.endswith(_ARTICLE) or arabic_prefix == "لل"
    if carries_article and arabic.startswith(_ARTICLE):
        return arabic_prefix + arabic[len(_ARTICLE):]
    return arabic_prefix + arabic


def arabizi_to_arabic(word: str) -> str:
    """Arabic script for one Latin-script word: lexicon first, then spelling rules.

    "jawaz" -> جواز, "mar7aba" -> مرحبا, "elhawiye" -> الهويه, "esh-shari3" -> الشارع,
    "ma7kame" (not in the lexicon) -> محكمه. Pure numbers are returned unchanged. Given several
    words it transliterates each and attaches a standalone article to the next word
    ("ya3tek el 3afye" -> يعطيك العافيه).
    """
    if len(word) > _CACHEABLE_LENGTH:
        return _transliterate(word)
    return _cached_transliterate(word)


def _transliterate(word: str) -> str:
    folded = fold_latin(word.strip())
    if not folded or folded.isdigit():
        return folded
    if " " in folded:
        return _phrase(folded.split())
    hit = lexicon_lookup(folded)
    if hit is not None:
        return hit
    if "-" in folded:
        return _hyphenated(folded)
    definite = _glued_article(folded)
    if definite is not None:
        return definite
    return _spell(folded)


_cached_transliterate = lru_cache(maxsize=32768)(_transliterate)


def _phrase(words: list[str]) -> str:
    arabic: list[str] = []
    after_article = False
    for word in words:
        if word in ARTICLE_WORDS:
            after_article = True
            continue
        transliterated = arabizi_to_arabic(word)
        arabic.append(join_article(transliterated) if after_article else transliterated)
        after_article = False
    if after_article:
        arabic.append(_ARTICLE)
    return " ".join(arabic)


def _hyphenated(word: str) -> str:
    head, _, rest = word.partition("-")
    if rest and _HYPHEN_ARTICLE.fullmatch(head):
        return join_article(arabizi_to_arabic(rest))
    return "".join(arabizi_to_arabic(part) for part in word.split("-") if part)


def _glued_article(word: str) -> str | None:
    """"elmaktab" -> المكتب; "essa3a" (article assimilated to a sun letter) -> الساعه."""
    for prefix in _ARTICLE_ALONE:
        rest = word[len(prefix):]
        if word.startswith(prefix) and len(rest) >= _MIN_REST:
            return join_article(arabizi_to_arabic(rest))
    # Not "i": "ittisal", "ittijah" are verbal nouns, not an assimilated article.
    if word[:1] in ("a", "e"):
        units = _UNITS.findall(word[1:])
        rest = word[1 + len(units[0]):] if units else ""
        doubled = len(units) >= 2 and units[0] == units[1] and units[0] in _SUN_UNITS
        if doubled and len(rest) >= _MIN_REST:
            return join_article(arabizi_to_arabic(rest))
    return None


def _spell(word: str) -> str:
    """Rule-based spelling of a word the lexicon does not know."""
    units = _UNITS.findall(word)
    last = len(units) - 1
    letters: list[str] = []
    for index, unit in enumerate(units):
        previous = units[index - 1] if index else ""
        following = units[index + 1] if index < last else ""
        if unit in _VOWEL_QUALITY:
            letters.append(_vowel(unit, index, last, previous, len(word)))
        elif unit == "2":
            letters.append(_hamza(index, last, previous, following))
        elif unit in _CONSONANTS:
            if unit != previous:  # a doubled consonant (shadda) is written once
                letters.append(_CONSONANTS[unit])
        elif unit.isdigit():
            letters.append(unit)
        # anything else (a stray apostrophe) has no sound of its own
    return "".join(letters)


def _vowel(unit: str, index: int, last: int, previous: str, word_length: int) -> str:
    long_letter = "" if unit in _SHORT_VOWELS else _QUALITY_LETTER[_VOWEL_QUALITY[unit]]
    if index == 0:
        # A word-initial vowel sits on an alef; a long one adds its letter ("eid" -> ايد).
        return "ا" if unit == "aa" else "ا" + long_letter
    if index == 1 and previous == "2":
        return long_letter  # the word-initial hamza already wrote the alef
    if index == last:
        if unit == "a":
            if word_length <= 3 or previous in _SUFFIX_BEFORE_FINAL_A:
                return "ا"
            return "ه"  # feminine ending: "sa3a", "madrasa"
        if unit == "e":
            return "ه"  # Levantine feminine ending: "hawiye", "ma3amle"
        return _QUALITY_LETTER[_VOWEL_QUALITY[unit]]  # "kursi" -> كرسي, "ismo" -> اسمو
    return long_letter  # inside a word short vowels are not written


def _hamza(index: int, last: int, previous: str, following: str) -> str:
    """The letter a "2" (hamza) is written with, already normalised (أ -> ا, ئ -> ي, ؤ -> و)."""
    if index == 0:
        return "ا"
    if index == last and previous in _VOWEL_QUALITY and previous not in _SHORT_VOWELS:
        return "ء"  # after a long vowel at the end: "shee2" -> شيء
    qualities = set()
    if previous in _SHORT_VOWELS:
        qualities.add(_VOWEL_QUALITY[previous])
    if following in _VOWEL_QUALITY:
        qualities.add(_VOWEL_QUALITY[following])
    for quality in ("i", "u", "a"):  # the strongest neighbouring vowel decides the seat
        if quality in qualities:
            return _QUALITY_LETTER[quality]
    return "ء"  # between consonants
