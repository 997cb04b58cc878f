"""Transliterate Arabizi (Jordanian Latin-script Arabic, "bde ajaded jawaz") into Arabic script.

No offline transliterator handles Jordanian spelling well, so this is a lexicon of the words
citizens use with government (arabizi_lexicon.tsv) backed by spelling rules for everything else.
Output is normalised Arabic (same folding as `normalize_arabic`), so "jawaz" and "جواز" match.

The rules are deliberately simple and predictable; they get consonant skeletons right and guess
vowels: a short vowel inside a word is dropped, a long one (aa/ee/oo...) becomes its letter.
Citizens often write a long a as one letter, so one "a" is kept where it is usually long: in the
last syllable after a cluster or a non-a vowel ("kitab", "ktab", "e3lan" but "maktab", "talab"),
and in a plural "-at" ("6alabat"). Word endings carry grammar: "-o" after a consonant is "his"
("ra2mo" رقمه), "-et" is the construct taa marbuta ("wazaret" وزاره), and "th/sh/dh/gh" before a
final "-ha/-hom" are two letters ("shahadetha" شهادتها). "2" is the urban qaf (ق) except where
hamza is the usual reading ("mas2ale", "so2al", "ra2ees", a final "-a2" as in "ijra2").
Words the rules spell wrong belong in the lexicon.
"""

from __future__ import annotations

import re
from functools import lru_cache

from language.normalize import fold_latin
from language.wordlists import ARABIZI_WORDS, ARTICLE_WORDS

__all__ = ["arabizi_to_arabic", "lexicon_lookup", "has_arabizi_digits", "join_article"]

_ARTICLE = "ال"

# One spelling unit each: digit letters with an apostrophe, digraphs (not the d+h of "3ndha"),
# long vowels, single characters.
_UNITS = re.compile(r"[3679]'|sh|kh|gh|th|(?<!n)dh|ch|aa|ee|ii|oo|uu|ou|ei|ai|ie|.", re.DOTALL)

_CONSONANTS = {
    "b": "ب", "p": "ب", "t": "ت", "th": "ث", "j": "ج", "7": "ح", "h": "ه", "kh": "خ", "5": "خ",
    "7'": "خ", "d": "د",
    # "dh" is ض more often than ذ in Jordanian Arabizi ("dhaman", "mareedh", "ardh"); ذ is
    # usually written "th" or "z" ("thimme", "zimme") and sounds like ز in the dialect anyway.
    "dh": "ض", "r": "ر", "z": "ز", "s": "س", "sh": "ش", "ch": "ش",
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

# Digraphs whose h may instead start a pronoun suffix ("shahadet-ha", "nafs-hom").
_SPLITTABLE_DIGRAPHS = frozenset({"th", "sh", "dh", "gh", "kh"})
_PLURAL_PRONOUN_VOWELS = frozenset({"o", "u"})
# Final letters after which an "a" is not read long: "-ah" (ة), "-ak" (your), "-at" (own rule),
# diphthongs "-aw"/"-ay".
_NOT_AFTER_LONG_A = frozenset({"h", "k", "t", "w", "y", "2"})

# Letters that open a present-tense verb (b-, y-, t-, n-): "bidfa3", "yi6la3", "ti3raf".
_VERB_PREFIXES = frozenset({"b", "y", "t", "n"})

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
    # Not "i": "ittisal", "ittijah" are verbal nouns, not an assimilated article; nor "e" + "tti",
    # the same nouns ("ettijah", "ettihad").
    if word[:1] in ("a", "e") and not word.startswith(("atti", "etti")):
        units = _UNITS.findall(word[1:])
        rest = word[1 + len(units[0]):] if units else ""
        doubled = len(units) >= 2 and units[0] == units[1] and units[0] in _SUN_UNITS
        if doubled and len(rest) >= _MIN_REST:
            return join_article(arabizi_to_arabic(rest))
    return None


def _spell(word: str) -> str:
    """Rule-based spelling of a word the lexicon does not know."""
    units = _split_pronoun_suffix(_UNITS.findall(word))
    last = len(units) - 1
    letters: list[str] = []
    for index, unit in enumerate(units):
        previous = units[index - 1] if index else ""
        if unit in _VOWEL_QUALITY:
            letters.append(_vowel(units, index, len(word)))
        elif unit == "2":
            letters.append(_hamza_or_qaf(units, index))
        elif unit in _CONSONANTS:
            if index == last and unit == "t" and _construct_ending(units):
                letters.append("ه")
            elif unit != previous:  # a doubled consonant (shadda) is written once
                letters.append(_CONSONANTS[unit])
        elif unit.isdigit():
            letters.append(unit)
        # anything else (a stray apostrophe) has no sound of its own
    return "".join(letters)


def _is_consonant(unit: str) -> bool:
    return unit in _CONSONANTS or unit == "2"


def _consonants_before(units: list[str], index: int) -> int:
    return sum(1 for unit in units[:index] if _is_consonant(unit))


def _previous_vowel(units: list[str], index: int) -> str:
    """The nearest vowel unit before `index` ("" when only consonants precede it)."""
    for unit in reversed(units[:index]):
        if unit in _VOWEL_QUALITY:
            return unit
    return ""


def _split_pronoun_suffix(units: list[str]) -> list[str]:
    """"shahadetha" is شهادت+ها, not شهادثا: a digraph's h starts a final -ha/-hom/-hon/-hum.

    -hom/-hon/-hum end no Arabic word spelled with th/sh/dh/gh, so they always split. A final
    -ha splits only after a consonant or the construct "e" and with a consonant before the digraph
    ("bintha", "nafsha"), so "hadha", "7aditha", "thalatha" keep their letter; kh never splits
    ("nuskha" is نسخه).
    """
    if len(units) < 3:
        return units
    if units[-2] in _PLURAL_PRONOUN_VOWELS and units[-1] in ("m", "n") and units[-3] in _SPLITTABLE_DIGRAPHS:
        at = len(units) - 3
    elif units[-1] == "a" and units[-2] in _SPLITTABLE_DIGRAPHS and units[-2] != "kh":
        at = len(units) - 2
        before = units[at - 1] if at else ""
        if not (before == "e" or _is_consonant(before)) or _consonants_before(units, at) < 1:
            return units
    else:
        return units
    digraph = units[at]
    return units[:at] + [digraph[0], "h"] + units[at + 1:]


def _construct_ending(units: list[str]) -> bool:
    """A final "-et" on a noun is the construct taa marbuta ("shahadet meelad", "wazaret"): the
    stem has three consonants and ends vowel + consonant, unlike "bet", "zet" or the verb
    "khalset" (خلصت); a past-tense "-et" ("dafa3et") is read wrong, but citizens mostly write
    "dafa3t"."""
    if len(units) < 4 or units[-2] != "e":
        return False
    return units[-4] in _VOWEL_QUALITY and _consonants_before(units, len(units) - 2) >= 3


def _long_a(units: list[str], index: int) -> bool:
    """Whether a single internal "a" is a long vowel written with one letter.

    In the last syllable ("...aC" at the end) it usually is after a consonant cluster or a vowel
    other than a: "kitab", "ktab", "e3lan", "imti7an", "3unwan"; after another "a" it is the short
    a of "talab", "maktab", "moshtarak" (and also "salam": those need the lexicon). Not before
    -h, -k, -t, -w, -y: "madrasah" (ة), "ismak" (your), verbs like "6il3at", diphthongs "shway".
    A plural "-at" ("6alabat", "ma3lomat", "bayanat") is long after a vowel + consonant stem of
    three consonants; verbs ("khalsat", "da3at") are not.
    """
    last = len(units) - 1
    if index != last - 1:
        return False
    final = units[last]
    if final == "t":
        return (
            index >= 2
            and _is_consonant(units[index - 1])
            and units[index - 2] in _VOWEL_QUALITY
            and _consonants_before(units, index) >= 3
        )
    if not _is_consonant(final) or final in _NOT_AFTER_LONG_A:
        return False
    if _consonants_before(units, index) < 2 or _previous_vowel(units, index) == "a":
        return False
    if units[index - 1] == "2" and _is_consonant(units[index - 2]):
        return False  # "is2al": the hamza's alef seat already writes it
    # A cluster before the a in a word opening with a verb prefix is a present-tense verb:
    # "bidfa3" (بدفع), "bi2dar", "bti3raf"; nouns like "e3lan", "3unwan" open otherwise.
    cluster = _is_consonant(units[index - 1]) and _is_consonant(units[index - 2])
    return not (cluster and units[0] in _VERB_PREFIXES)


def _vowel(units: list[str], index: int, word_length: int) -> str:
    unit = units[index]
    last = len(units) - 1
    previous = units[index - 1] if index else ""
    long_letter = "" if unit in _SHORT_VOWELS else _QUALITY_LETTER[_VOWEL_QUALITY[unit]]
    if index == 0:
        # A word-initial vowel sits on an alef; a long one adds its letter ("eid" -> ايد).
        return "ا" if unit == "aa" else "ا" + long_letter
    if index == last:
        if unit == "a":
            if word_length <= 3 or previous in _SUFFIX_BEFORE_FINAL_A:
                return "ا"
            return "ه"  # feminine ending: "sa3a", "madrasa"
        if unit == "e":
            return "ه"  # Levantine feminine ending: "hawiye", "ma3amle"
        if unit == "o" and _is_consonant(previous) and _consonants_before(units, index) >= 2 and units[0] != "y":
            # "his": "ra2mo" -> رقمه, "ismo" -> اسمه ("sho", "ento" are in the lexicon); a verb
            # opening with y- is a plural ("yislamo" -> يسلمو).
            return "ه"
        return _QUALITY_LETTER[_VOWEL_QUALITY[unit]]  # "kursi" -> كرسي, "7ilu" -> حلو
    if unit == "a" and _long_a(units, index):
        return "ا"
    if unit == "a" and last == index + 1 and units[last] == "2" and _consonants_before(units, index) >= 2:
        return "ا"  # "ijra2", "bina2": the alef of the hamza ending (see _hamza_or_qaf)
    return long_letter  # inside a word short vowels are not written


def _hamza_or_qaf(units: list[str], index: int) -> str:
    """The letter a "2" stands for, already normalised (أ -> ا, ئ -> ي, ؤ -> و).

    Urban Jordanians say qaf as a glottal stop and write it 2 ("2adesh", "ra2m", "wara2a",
    "tatbee2"), and an Arabic word has far more qafs than hamzas inside it; the hamza spots are the
    few patterns where a hamza word is the usual reading: after a consonant before a vowel
    ("mas2ale", "mas2ool"), "a2" before i/e ("ra2ees", "nata2ej"), "u2a" ("so2al"), a final "-a2"
    after two consonants ("ijra2" اجراء, "bina2"), and a final 2 after a consonant ("jaz2").
    """
    last = len(units) - 1
    previous = units[index - 1] if index else ""
    following = units[index + 1] if index < last else ""
    if index == 0:
        return "ق"  # "2adeem", "2abl"; hamza-initial words are mostly written without it ("ana")
    if index == last:
        if _is_consonant(previous):
            return "ء"
        if previous == "a" and _consonants_before(units, index - 1) >= 2:
            return "ء"
        return "ق"
    if index in (1, 2) and units[0] == "t" and units[index - 1] in ("t", "a") and _is_consonant(following):
        # "ta2meen", "ta2sheera", "ta2kheer", "ta2keed": the taf'eel of hamza roots, the usual
        # "ta2" + consonant of government words ("ta2deem" loses)
        return "ا"
    if _is_consonant(previous):
        if following in _VOWEL_QUALITY:  # the hamza seat follows the vowel after it
            return _QUALITY_LETTER[_VOWEL_QUALITY[following]]
        return "ق"
    if previous == "a" and following in _VOWEL_QUALITY and _VOWEL_QUALITY[following] == "i":
        if not (index == last - 2 and _construct_ending(units)):  # "be6a2et" is بطاقه
            return "ي"
    if previous in ("o", "u", "oo", "uu", "ou") and following in ("a", "aa"):
        return "و"
    return "ق"
