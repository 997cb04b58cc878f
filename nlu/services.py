"""Find which government service a message is about, from the names in the catalog.

Services are data: staff add one to the catalog and it is recognised at once, without retraining.
So this is not a trained model but a fuzzy phrase matcher over the normalised text:

- every name in the catalog is analysed exactly like a message (normalised, Arabizi transliterated);
- tokens match through light Arabic stemming (clitics "و/ب/ل/ال" and possessive suffixes, so
  "وهويتي" finds "هوية") or as a plausible typo: a slip that real typing makes (a neighbouring key,
  a missing dot, a sound-alike letter, a doubled, dropped or swapped letter), never a common word
  ("الجوية", "الهواية" and "hobby" are words of their own, not typos of "الهوية");
- a typo is considered even where the word also matches some catalog word exactly, so adding a name
  to the catalog cannot hide a typo of another; the exact reading still scores higher;
- a two-word phrase may come backwards, as Arabic fronts the object ("الجواز بدي اجدده");
- the longest phrase found wins ("تجديد الجواز" beats "الجواز"); a word several services share
  ("رخصة") or an agency's name alone yields candidates to choose from instead of a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable, Iterable, Mapping, Optional, Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA

from language.analysis import analyse
from language.wordlists import ENGLISH_WORDS
from nlu.typos import deletions, typo_cost

# Words that carry no service meaning: dropped from catalog phrases so "renew my passport" also
# matches "renew passport", skipped inside messages by the gap allowance, and never read as a slip
# for a catalog word ("بسجل على" is "I register on", not "السجل العدلي"). In folded spelling (على ->
# علي), as tokens reach us.
STOPWORDS = frozenset(
    "ال و في من عن علي الي لل ل ب my the a an of for to your el al il w".split()
)
# "و/ف" before another clitic too: "وللهوية؟" (and for the ID?) must find "هويه" like "للهوية" does.
_PREFIXES = (
    "وبال", "وال", "بال", "فال", "كال", "ولل", "فلل", "لل", "ال", "وب", "ول", "فب", "فل", "و", "ب", "ل", "ف", "ك"
)
# Catalog words lose only the article: a one-letter "prefix" there is usually the word's own first
# letter ("باسبور" must not become "اسبور" and meet "اسبوع").
_ARTICLES = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال")
_FEMININE_POSSESSIVE = ("تهم", "تكم", "تها", "تنا", "تي", "تك", "ته")
_POSSESSIVES = ("هم", "كم", "ها", "نا", "ي", "ك", "ه")
_PLURALS = ("ات", "ين", "ون")
# Letters people (and Arabizi) confuse by sound: "7awiye" -> حويه still finds هويه.
_SOUND_ALIKE = str.maketrans({"ح": "ه", "ص": "س", "ث": "س", "ط": "ت", "ض": "د", "ظ": "ز", "ذ": "ز", "ق": "ك", "ء": "ا"})
_DOUBLED = re.compile(r"(.)\1")
_MAX_GAP = 2  # message tokens allowed between two tokens of a phrase ("ro5sa taba3 el swa2a")
_BACKWARDS = 0.95  # similarity of a two-word phrase found in reverse order (always without typos)


def _shortest_first(token: str) -> Callable[[str], tuple[int, bool, str]]:
    """Order of a token's forms: shortest first; among equals, the one written with the token's own
    letters before a sound-alike folding of it ("طلبت" before "تلبت"), then spelling order."""
    return lambda form: (len(form), form not in token, form)


@lru_cache(maxsize=50_000)
def stems(token: str, strip_suffixes: bool = True) -> frozenset[str]:
    """The token and its forms without clitics: a deliberately small, predictable stemmer.

    Suffixes and one-letter prefixes are stripped from the citizen's words only ("وجوازه" finds
    "جواز"), never from catalog phrases, where they are usually the word's own letters ("الشرطه"
    must not become "شرط"); catalog words lose only the article.
    """
    forms = {token}
    bases = {token}
    for prefix in _PREFIXES if strip_suffixes else _ARTICLES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 3:
            bases.add(token[len(prefix):])
    forms |= bases
    # A noun with the article takes no possessive: "الضمانه" is "the guarantee", not "his ضمان".
    possessive = not token.startswith(_ARTICLES)
    for base in bases if strip_suffixes else ():
        for suffix in _FEMININE_POSSESSIVE if possessive else ():
            if base.endswith(suffix) and len(base) - len(suffix) >= 2:
                forms.add(base[: -len(suffix)] + "ه")  # هويتي -> هويه (taa marbuta is ه here)
        for suffix in _POSSESSIVES + _PLURALS if possessive else _PLURALS:
            if base.endswith(suffix) and len(base) - len(suffix) >= 3:
                forms.add(base[: -len(suffix)])
        if base.isascii():
            forms |= _english_stems(base)
    # A key pressed twice is the commonest slip ("تجدييد", "جوااز"); three times is elongation,
    # which normalisation already removed.
    forms |= {_DOUBLED.sub(r"\1", form) for form in forms} if strip_suffixes else set()
    forms |= {form.translate(_SOUND_ALIKE) for form in forms}
    return frozenset(forms)


def _english_stems(word: str) -> set[str]:
    """licenses -> license, renewed -> renew, licensing -> license: inflections, not typos."""
    forms = set()
    if word.endswith("s") and len(word) > 4:
        forms.add(word[:-1])
    if word.endswith("ed") and len(word) > 5:
        forms |= {word[:-2], word[:-1]}
    if word.endswith("ing") and len(word) > 6:
        forms |= {word[:-3], word[:-3] + "e"}
    return forms


def _allowed_edits(core: str) -> int:
    """Typos tolerated in a word without clitics: about one in seven letters. Short words are exact
    or nothing ("اقدم" must not become "اقامه"); "requirement" must not become "retirement"."""
    if len(core) <= 4:
        return 0
    return max(1, int(len(core) * 0.15))


# Real words a letter away from catalog words are meant as themselves ("hobby", "passion"), so they
# are not read as typos. (No Arabic word list ships here; the Arabizi lexicon's words are spellings
# of catalog words too, "باسبور", so the weighted slips of nlu.typos guard Arabic instead.)
_COMMON_WORDS = ENGLISH_WORDS
# Everyday Arabic words one letter from a catalog word: read as that word only beside exact words
# of its phrase ("عدم حكومية" is a slip for "عدم محكومية"; "الخدمات الحكومية" is not).
_COMMON_ARABIC_LOOKALIKES = frozenset({"حكومي", "حكوميه", "حكومه", "حكومات"})


@dataclass(frozen=True)
class Resolution:
    """What the message names: one service, or candidates to ask about, or nothing."""

    service_id: Optional[str] = None
    candidates: tuple[str, ...] = ()
    confidence: float = 0.0
    start: int = 0
    end: int = 0
    # Which message tokens the name's words were found in (a name may skip a word or two inside it).
    positions: tuple[int, ...] = ()
    by_agency: bool = False  # found by an agency's name ("دائرة الأراضي"): it says where, not which service

    @property
    def ambiguous(self) -> bool:
        return self.service_id is None and len(self.candidates) > 1


@dataclass
class _Phrase:
    tokens: tuple[str, ...]
    services: tuple[str, ...]
    specific: bool  # a name of exactly this service (else a generic word or an agency name)
    agency: bool = False  # an agency's name (specific when the agency has one service)


@dataclass
class _Match:
    phrase: _Phrase
    chars: int
    similarity: float
    start: int
    end: int
    positions: tuple[int, ...] = ()


@dataclass
class ServiceResolver:
    """Built once from the catalog's phrases; `resolve` is called on every message."""

    phrases: list[_Phrase] = field(default_factory=list)

    @classmethod
    def from_names(
        cls,
        names: Mapping[str, Iterable[str]],
        generic_names: Mapping[str, Iterable[str]] = {},
        group_names: Mapping[tuple[str, ...], Iterable[str]] = {},
    ) -> "ServiceResolver":
        """`names`: service id -> phrases naming only it; `generic_names`: service id -> words it
        shares with siblings; `group_names`: (service ids) -> phrases naming the group (an agency)."""
        grouped: dict[tuple[str, ...], dict[tuple[str, ...], bool]] = {}

        def add(phrase: str, services: tuple[str, ...], specific: bool) -> None:
            tokens = _phrase_tokens(phrase)
            if tokens:
                grouped.setdefault(tokens, {})[services] = specific

        for service_id, phrases in names.items():
            for phrase in phrases:
                add(phrase, (service_id,), True)
        generic_owners: dict[tuple[str, ...], set[str]] = {}
        for service_id, phrases in generic_names.items():
            for phrase in phrases:
                tokens = _phrase_tokens(phrase)
                if tokens:
                    generic_owners.setdefault(tokens, set()).add(service_id)
        resolver = cls()
        for tokens, owners in grouped.items():
            # The same phrase listed under two services is a generic word in disguise: ask.
            services = tuple(sorted({s for group in owners for s in group}))
            resolver.phrases.append(_Phrase(tokens, services, specific=len(services) == 1))
        for tokens, owners in generic_owners.items():
            if tokens not in grouped:
                resolver.phrases.append(_Phrase(tokens, tuple(sorted(owners)), specific=len(owners) == 1))
        for services, phrases in group_names.items():
            for phrase in phrases:
                tokens = _phrase_tokens(phrase)
                if tokens and tokens not in grouped and tokens not in generic_owners:
                    # An agency with one service names that service.
                    resolver.phrases.append(
                        _Phrase(tokens, tuple(sorted(services)), specific=len(services) == 1, agency=True)
                    )
        resolver._index()
        return resolver

    def _index(self) -> None:
        self._by_form: dict[str, set[int]] = {}
        for i, phrase in enumerate(self.phrases):
            for token in phrase.tokens:
                for form in stems(token, strip_suffixes=False):
                    self._by_form.setdefault(form, set()).add(i)
        self._forms = [tuple(stems(t, strip_suffixes=False) for t in p.tokens) for p in self.phrases]
        self._vocabulary = sorted(self._by_form)
        # One-typo neighbours found by lookup instead of a scan: two words one edit (or one swap)
        # apart share a form with one letter deleted.
        self.deletions: dict[str, set[str]] = {}
        for form in self._vocabulary:
            for key in deletions(form):
                self.deletions.setdefault(key, set()).add(form)
        self._fuzzy_cache: dict[str, tuple[dict[str, float], dict[str, float]]] = {}

    # --- matching -------------------------------------------------------------------------------

    def _typos(self, typed: str, edits: int) -> dict[str, float]:
        """Catalog forms `typed` may be a slip for, within `edits` weighted edits."""
        if edits == 1:
            candidates = {f for key in deletions(typed) for f in self.deletions.get(key, ())}
        else:
            candidates = {f for f, _, _ in process.extract(
                typed, self._vocabulary, scorer=OSA.distance, score_cutoff=edits, limit=20)}
        found = {}
        for form in candidates:
            if abs(len(form) - len(typed)) > edits:
                continue
            # The unweighted distance is a cheap lower bound of the weighted one.
            if OSA.distance(typed, form, score_cutoff=edits) > edits:
                continue
            cost = typo_cost(typed, form)
            if 0 < cost <= edits:
                found[form] = 1.0 - cost / max(len(typed), len(form))
        return found

    def _similar_forms(self, token: str) -> tuple[dict[str, float], dict[str, float]]:
        """Catalog forms this message token may stand for, with a similarity in (0, 1]; and, apart,
        one-slip readings of a short word, which count only beside exact words of the same phrase
        ("ذفتر العيلة", "wrok permit") because alone they are too often another word."""
        cached = self._fuzzy_cache.get(token)
        if cached is not None:
            return cached
        forms = stems(token)
        found = {form: 1.0 for form in forms if form in self._by_form}
        weak: dict[str, float] = {}
        # A common word is meant as itself; it may only be a catalog word's inflection ("broke").
        inflection_only = token in _COMMON_WORDS
        lookalike = not forms.isdisjoint(_COMMON_ARABIC_LOOKALIKES)
        if not token.isdigit() and token not in STOPWORDS:
            # Typos are looked for on the word without its clitics ("للباسبورر" ~ "باسبورت"), and
            # even when it is some catalog word already: that one keeps the higher score.
            # The budget is the bare word's: "الجويه" is a short word with an article, not a long word.
            # Ties between forms of one length go to the first in spelling order, never to the set's
            # iteration order: that follows Python's hash seed, and one text resolved differently
            # from one process to the next ("الهوية اللي طلبتها جهزت؟": the ID card, or the lost one).
            bare = min((form for form in forms if token.endswith(form)), key=_shortest_first(token))
            for typed in sorted({min(forms, key=_shortest_first(token)), token}):
                edits = _allowed_edits(bare if typed == token else typed)
                short = not edits
                if short and len(bare) < 3:
                    continue
                for form, score in self._typos(typed, edits or 1).items():
                    # A short word's slip is a wrong, swapped or forgotten letter, but not the first
                    # one: "رخيص" (cheap) is no "ترخيص", while "ملاد" is "ميلاد".
                    if short and not (len(form) == len(typed) or form[0] == typed[0] and len(form) > len(typed)):
                        continue
                    if form not in forms and (not inflection_only or form.startswith(typed)):
                        target = weak if short or lookalike else found
                        target[form] = max(target.get(form, 0.0), score)
        if len(self._fuzzy_cache) > 50_000:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[token] = found, weak
        return found, weak

    def has_word(self, token: str) -> bool:
        """Whether some name has this word as written (its clitics aside), not only as a slip."""
        return not stems(token).isdisjoint(self._by_form)

    def resolve(self, text: str) -> Resolution:
        tokens = [t for t in analyse(text).tokens]
        return self.resolve_tokens([t.norm for t in tokens], [(t.start, t.end) for t in tokens])

    def resolve_tokens(self, norms: Sequence[str], spans: Sequence[tuple[int, int]]) -> Resolution:
        # For every message position: which catalog forms it may be, and how well.
        readings = [self._similar_forms(n) for n in norms]
        touched: set[int] = set()
        for forms, _ in readings:
            for form in forms:
                touched |= self._by_form.get(form, set())
        matches = [m for i in touched if (m := self._align(i, readings, spans))]
        return self._decide(matches)

    def _align(
        self, index: int, readings: list[tuple[dict[str, float], dict[str, float]]], spans: Sequence[tuple[int, int]]
    ) -> Optional[_Match]:
        """Best placement of the phrase's tokens in the message, in order with small gaps; a two-word
        phrase may also come backwards, since Arabic fronts the object ("الجواز بدي اجدده" is
        "تجديد الجواز"), at a small discount so the phrase's own order wins a tie, and only with both
        words as written: a slip as well as a swap is too loose ("car insurance" is no "insurance card")."""
        phrase, forms = self.phrases[index], self._forms[index]
        best = self._place(phrase, phrase.tokens, forms, readings, spans)
        if len(phrase.tokens) == 2 and (best is None or best.similarity < _BACKWARDS):
            backwards = self._place(phrase, phrase.tokens[::-1], forms[::-1], readings, spans, exact_only=True)
            if backwards:
                best = replace(backwards, similarity=_BACKWARDS)
        return best

    @staticmethod
    def _place(
        phrase: _Phrase,
        tokens: tuple[str, ...],
        forms: tuple[frozenset[str], ...],
        readings: list[tuple[dict[str, float], dict[str, float]]],
        spans: Sequence[tuple[int, int]],
        exact_only: bool = False,
    ) -> Optional[_Match]:
        """Best placement of `tokens` in this order; short-word slips may not outnumber exact words,
        and with `exact_only` there may be no typo at all."""
        best: Optional[_Match] = None
        for begin in range(len(readings)):
            score, weak = _token_score(forms[0], readings[begin], len(tokens) > 1)
            if not score or exact_only and score < 1.0:
                continue
            total, chars, position = score, len(tokens[0]), begin
            exact, slips = int(score == 1.0), int(weak)
            placed = [begin]
            for token, token_forms in zip(tokens[1:], forms[1:]):
                score = 0.0
                for nxt in range(position + 1, min(position + 2 + _MAX_GAP, len(readings))):
                    score, weak = _token_score(token_forms, readings[nxt], True)
                    if score:
                        break
                if not score or exact_only and score < 1.0:
                    break
                position = nxt
                placed.append(nxt)
                total += score
                chars += len(token)
                exact += score == 1.0
                slips += weak
            else:
                if slips > exact:
                    continue
                match = _Match(
                    phrase, chars, total / len(tokens), spans[begin][0], spans[position][1], tuple(sorted(placed))
                )
                if best is None or (match.similarity, -match.end) > (best.similarity, -best.end):
                    best = match
        return best

    @staticmethod
    def _decide(matches: list[_Match]) -> Resolution:
        if not matches:
            return Resolution()
        specific = [m for m in matches if m.phrase.specific]
        if specific:
            best = max(specific, key=lambda m: (m.chars * m.similarity, m.similarity))
            top = best.chars * best.similarity
            rivals = {
                m.phrase.services[0]
                for m in specific
                if m.chars * m.similarity >= top - 1e-9 and _overlaps(m, best)
            }
            if len(rivals) > 1:
                return Resolution(None, tuple(sorted(rivals)), best.similarity, best.start, best.end, best.positions)
            return Resolution(
                best.phrase.services[0], (), best.similarity, best.start, best.end, best.positions, best.phrase.agency
            )
        best = max(matches, key=lambda m: (m.chars * m.similarity, len(m.phrase.services)))
        return Resolution(None, best.phrase.services, best.similarity, best.start, best.end, best.positions)


def _token_score(
    phrase_forms: frozenset[str], reading: tuple[dict[str, float], dict[str, float]], slips_allowed: bool
) -> tuple[float, bool]:
    """How well one message token stands for a phrase token, and whether only as a short-word slip."""
    forms, weak = reading
    score = max([forms[f] for f in phrase_forms if f in forms], default=0.0)
    if score or not slips_allowed or not weak:
        return score, False
    score = max([weak[f] for f in phrase_forms if f in weak], default=0.0)
    return score, bool(score)


def _overlaps(a: _Match, b: _Match) -> bool:
    return a.start < b.end and b.start < a.end


@lru_cache(maxsize=20_000)
def _phrase_tokens(phrase: str) -> tuple[str, ...]:
    tokens = tuple(t.norm for t in analyse(phrase).tokens if t.norm)
    meaningful = tuple(t for t in tokens if t not in STOPWORDS)
    return meaningful or tokens
