"""Nouns a verb form may stand for: "بدي ارخص بناء" asks for a building *permit* (ترخيص).

Citizens say what they want to do ("اجدد", "بسجل", "نستخرج"); catalogs name the service by its
verbal noun ("تجديد", "تسجيل", "استخراج"). Both come from one root through a handful of regular
patterns, so the nouns are derived, not listed per service: strip the person prefix of the
imperfect (ا/ن/ي/ت, with the Levantine ب before it) or the past's subject suffix, and an object
suffix; a three-letter root then gives the verbal nouns of forms I, II and IV and the noun فعلة,
and "ست" + root gives form X. Over-generation is harmless: callers keep only nouns some service
name really contains (see nlu/service_index.py).

Spelling is the folded one tokens reach us in (ة -> ه, أ/إ/آ -> ا, ى -> ي).
"""

from __future__ import annotations

from functools import lru_cache

# Longest first: "بن" before "ب", so "بنجدد" loses both letters.
_PERSON_PREFIXES = ("بن", "بي", "بت", "با", "ا", "ن", "ي", "ت", "ب")
_OBJECT_SUFFIXES = ("هم", "ها", "كم", "ه", "ك")
_PAST_SUFFIXES = ("نا", "ت")
_WEAK = "يوا"


def _patterns(root: str) -> set[str]:
    """Verbal nouns and the فعلة noun of a three-letter root."""
    r1, r2, r3 = root
    nouns = {root, root + "ه"}  # form I masdar is often the bare root (نقل، دفع), فعلة (رخصه)
    if r3 in _WEAK:
        nouns |= {"ا" + r1 + r2 + "اء", "ت" + r1 + r2 + "يه"}  # الغاء، تسويه
    else:
        nouns |= {"ت" + r1 + r2 + "ي" + r3, "ا" + r1 + r2 + "ا" + r3}  # تجديد، اصدار
    if r2 in _WEAK:
        nouns.add(r1 + r3 + "ه")  # اقامه <- اقيم: the hollow verb's noun keeps two radicals
        nouns.add("ا" + r1 + "ا" + r3 + "ه")
    return nouns


@lru_cache(maxsize=20_000)
def noun_forms(token: str) -> frozenset[str]:
    """Nouns `token` may be a verb form of (not including `token` itself); Arabic letters only."""
    if len(token) < 3 or not ("\u0600" <= token[0] <= "\u06ff"):
        return frozenset()
    bases = {token}
    for suffix in _OBJECT_SUFFIXES + _PAST_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            bases.add(token[: -len(suffix)])
    stems = set()
    for base in bases:
        for prefix in _PERSON_PREFIXES:
            if base.startswith(prefix) and len(base) - len(prefix) >= 3:
                stems.add(base[len(prefix):])
        stems.add(base)  # the past tense has no prefix: "جددت" -> "جدد"
    nouns: set[str] = set()
    for stem in stems:
        if len(stem) == 3:
            nouns |= _patterns(stem)
        elif len(stem) == 5 and stem.startswith("ست"):
            r1, r2, r3 = stem[2:]
            nouns.add("است" + r1 + r2 + "ا" + r3)  # استخراج <- استخرج / بستخرج
        elif len(stem) == 4 and stem[1] in _WEAK:
            nouns |= _patterns(stem[0] + stem[2:])  # اطلع-like long vowels written out: "بطيلع"
    nouns.discard(token)
    return frozenset(nouns)
