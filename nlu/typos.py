"""How plausible it is that a citizen typing one word meant another: a weighted edit distance.

A slip that real typing makes (a neighbouring key, a missing dot, a sound-alike letter, a doubled,
dropped or swapped letter) costs 1; any other change costs 2, because it usually makes another real
word ("الجوية" is not a typo of "الهوية"). The service matcher uses this to accept typos of catalog
names without accepting neighbouring words.
"""

from __future__ import annotations

from rapidfuzz.distance import OSA

from language.normalize import normalize_arabic

__all__ = ["typo_cost", "deletions"]


def _confusable_pairs() -> frozenset[frozenset[str]]:
    """Letter pairs one typing slip apart: keys side by side or above each other, letters that
    differ by their dots, letters that sound alike, and (Latin) vowels, which spelling varies."""
    pairs: set[frozenset[str]] = set()
    for layout in (
        # Arabic keyboard; "_" marks لا and the keys of ئ ؤ ى ة, which normalisation folds into
        # other letters (a slip onto ة is no slip onto ه).
        ("ضصثقفغعهخحجد", "شسيبلاتنمكط", "_ء_ر___وزظ"),
        ("qwertyuiop", "asdfghjkl", "zxcvbnm"),
    ):
        layout = tuple(normalize_arabic(row) for row in layout)
        for row, below in zip(layout, layout[1:] + ("",)):
            pairs |= {frozenset(row[i : i + 2]) for i in range(len(row) - 1)}
            # Staggered rows: a key touches the two keys above it.
            pairs |= {frozenset((below[i], row[j])) for i in range(len(below)) for j in (i, i + 1) if j < len(row)}
    for group in ("بتثني", "جحخ", "دذ", "رز", "سش", "صض", "طظ", "عغ", "فق",  # same letter, other dots
                  "سصث", "تط", "دض", "زذظ", "ضظ", "كق", "هح", "اء",  # sound alike
                  "يه", "اه",  # ى typed beside ة, and ة said as alif ("الاقامى", "العيلا")
                  "aeiouy", "csk", "kq", "sz"):
        letters = normalize_arabic(group)
        pairs |= {frozenset((a, b)) for a in letters for b in letters if a != b}
    return frozenset(p for p in pairs if len(p) == 2 and "_" not in p)


_CONFUSABLE = _confusable_pairs()
_LONG_VOWELS = frozenset("اوي")


def typo_cost(typed: str, meant: str) -> float:
    """Edit distance weighted by how plausible each slip is (optimal string alignment).

    A confusable substitution, a dropped letter, an extra letter and a swap of neighbours cost 1;
    any other substitution costs 2, and so does an extra long vowel or final ه that doubles no
    neighbour, because that makes another word rather than a slip ("الجوية", "الهواية" are not
    "الهوية", "الضمانة" is not "الضمان").
    """
    if typed == meant:
        return 0.0
    if OSA.distance(typed, meant, score_cutoff=1) <= 1:
        return _one_slip_cost(typed, meant)
    rows = [[float(j) for j in range(len(meant) + 1)]]
    for i, t in enumerate(typed, 1):
        extra = _extra_letter_cost(typed, i - 1)
        row = [rows[-1][0] + extra]
        for j, m in enumerate(meant, 1):
            substitution = 0.0 if t == m else 1.0 if frozenset((t, m)) in _CONFUSABLE else 2.0
            cost = min(rows[-1][j] + extra, row[j - 1] + 1, rows[-1][j - 1] + substitution)
            if i > 1 and j > 1 and t == meant[j - 2] and typed[i - 2] == m:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]


def _one_slip_cost(typed: str, meant: str) -> float:
    """`typo_cost` of two words one edit or swap apart, without the table."""
    i = next((i for i, (t, m) in enumerate(zip(typed, meant)) if t != m), min(len(typed), len(meant)))
    if len(typed) == len(meant):
        if typed[i + 1 :] == meant[i + 1 :]:
            return 1.0 if frozenset((typed[i], meant[i])) in _CONFUSABLE else 2.0
        return 1.0  # two neighbours swapped
    return _extra_letter_cost(typed, i) if len(typed) > len(meant) else 1.0


def _extra_letter_cost(typed: str, i: int) -> float:
    """An extra long vowel, or a feminine ending, builds another word ("هواية", "ضمانة"), unless it
    only doubles its neighbour."""
    letter = typed[i]
    if letter in typed[max(0, i - 1) : i] + typed[i + 1 : i + 2]:
        return 1.0
    return 2.0 if letter in _LONG_VOWELS or (letter == "ه" and i == len(typed) - 1) else 1.0


def deletions(word: str) -> set[str]:
    """The word and every form of it with one letter deleted."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}
