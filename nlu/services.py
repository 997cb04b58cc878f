"""Find which government service a message is about, from the names in the catalog.

Services are data: staff add one to the catalog and it is recognised at once, without retraining.
So this is not a trained model but a fuzzy phrase matcher over the normalised text:

- every name in the catalog is analysed exactly like a message (normalised, Arabizi transliterated);
- tokens match through light Arabic stemming (clitics "و/ب/ل/ال" and possessive suffixes, so
  "وهويتي" finds "هوية") or within a small edit distance (typos);
- the longest phrase found wins ("تجديد الجواز" beats "الجواز"); a word several services share
  ("رخصة") or an agency's name alone yields candidates to choose from instead of a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Mapping, Optional, Sequence

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from nlu.text.analysis import analyse

# Words that carry no service meaning: dropped from catalog phrases so "renew my passport" also
# matches "renew passport", and skipped inside messages by the gap allowance.
_STOPWORDS = frozenset(
    "ال و في من عن على الى لل ل ب my the a an of for to your el al il w".split()
)
_PREFIXES = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال", "و", "ب", "ل", "ف", "ك")
# Catalog words lose only the article: a one-letter "prefix" there is usually the word's own first
# letter ("باسبور" must not become "اسبور" and meet "اسبوع").
_ARTICLES = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال")
_FEMININE_POSSESSIVE = ("تهم", "تكم", "تها", "تنا", "تي", "تك", "ته")
_SUFFIXES = ("هم", "كم", "ها", "نا", "ات", "ين", "ون", "ي", "ك", "ه")
# Letters people (and Arabizi) confuse by sound: "7awiye" -> حويه still finds هويه.
_SOUND_ALIKE = str.maketrans({"ح": "ه", "ص": "س", "ث": "س", "ط": "ت", "ض": "د", "ظ": "ز", "ذ": "ز", "ق": "ك", "ء": "ا"})
_MAX_GAP = 2  # message tokens allowed between two tokens of a phrase ("ro5sa taba3 el swa2a")


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
    for base in bases if strip_suffixes else ():
        for suffix in _FEMININE_POSSESSIVE:
            if base.endswith(suffix) and len(base) - len(suffix) >= 2:
                forms.add(base[: -len(suffix)] + "ه")  # هويتي -> هويه (taa marbuta is ه here)
        for suffix in _SUFFIXES:
            if base.endswith(suffix) and len(base) - len(suffix) >= 3:
                forms.add(base[: -len(suffix)])
        if base.isascii() and base.endswith("s") and len(base) > 4:
            forms.add(base[:-1])  # licenses -> license
    forms |= {form.translate(_SOUND_ALIKE) for form in forms}
    return frozenset(forms)


def _allowed_edits(core: str) -> int:
    """Typos tolerated in a word without clitics: about one in seven letters. Short words are exact
    or nothing ("اقدم" must not become "اقامه"); "requirement" must not become "retirement"."""
    if len(core) <= 4:
        return 0
    return max(1, int(len(core) * 0.15))


@dataclass(frozen=True)
class Resolution:
    """What the message names: one service, or candidates to ask about, or nothing."""

    service_id: Optional[str] = None
    candidates: tuple[str, ...] = ()
    confidence: float = 0.0
    start: int = 0
    end: int = 0

    @property
    def ambiguous(self) -> bool:
        return self.service_id is None and len(self.candidates) > 1


@dataclass
class _Phrase:
    tokens: tuple[str, ...]
    services: tuple[str, ...]
    specific: bool  # a name of exactly this service (else a generic word or an agency name)


@dataclass
class _Match:
    phrase: _Phrase
    chars: int
    similarity: float
    start: int
    end: int


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
                    resolver.phrases.append(_Phrase(tokens, tuple(sorted(services)), specific=len(services) == 1))
        resolver._index()
        return resolver

    def _index(self) -> None:
        self._by_form: dict[str, set[int]] = {}
        for i, phrase in enumerate(self.phrases):
            for token in phrase.tokens:
                for form in stems(token, strip_suffixes=False):
                    self._by_form.setdefault(form, set()).add(i)
        self._vocabulary = sorted(self._by_form)
        self._fuzzy_cache: dict[str, dict[str, float]] = {}

    # --- matching -------------------------------------------------------------------------------

    def _similar_forms(self, token: str) -> dict[str, float]:
        """Catalog forms this message token may stand for, with a similarity in (0, 1]."""
        cached = self._fuzzy_cache.get(token)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        for form in stems(token):
            if form in self._by_form:
                found[form] = 1.0
        if not found and not token.isdigit():
            # Typos are looked for on the word without its clitics ("للباسبورر" ~ "باسبورت").
            for core in {min(stems(token), key=len), token}:
                edits = _allowed_edits(core)
                if not edits:
                    continue
                for form, distance, _ in process.extract(
                    core, self._vocabulary, scorer=Levenshtein.distance, score_cutoff=edits, limit=20
                ):
                    if abs(len(form) - len(core)) <= edits:
                        found[form] = max(found.get(form, 0.0), 1.0 - distance / max(len(core), len(form)))
        if len(self._fuzzy_cache) > 50_000:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[token] = found
        return found

    def resolve(self, text: str) -> Resolution:
        tokens = [t for t in analyse(text).tokens]
        return self.resolve_tokens([t.norm for t in tokens], [(t.start, t.end) for t in tokens])

    def resolve_tokens(self, norms: Sequence[str], spans: Sequence[tuple[int, int]]) -> Resolution:
        # For every message position: which catalog forms it may be, and how well.
        similar: list[dict[str, float]] = [self._similar_forms(n) for n in norms]
        touched: set[int] = set()
        for forms in similar:
            for form in forms:
                touched |= self._by_form.get(form, set())
        matches = [m for i in touched if (m := self._align(self.phrases[i], similar, spans))]
        return self._decide(matches)

    def _align(
        self, phrase: _Phrase, similar: list[dict[str, float]], spans: Sequence[tuple[int, int]]
    ) -> Optional[_Match]:
        """Best in-order placement of the phrase's tokens in the message (small gaps allowed)."""
        best: Optional[_Match] = None
        first_forms = stems(phrase.tokens[0], strip_suffixes=False)
        for begin, forms in enumerate(similar):
            score = _token_score(first_forms, forms)
            if not score:
                continue
            total, chars, position = score, len(phrase.tokens[0]), begin
            for token in phrase.tokens[1:]:
                token_forms = stems(token, strip_suffixes=False)
                hit = None
                for nxt in range(position + 1, min(position + 2 + _MAX_GAP, len(similar))):
                    s = _token_score(token_forms, similar[nxt])
                    if s:
                        hit = (nxt, s)
                        break
                if hit is None:
                    break
                position, s = hit
                total += s
                chars += len(token)
            else:
                match = _Match(phrase, chars, total / len(phrase.tokens), spans[begin][0], spans[position][1])
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
                return Resolution(None, tuple(sorted(rivals)), best.similarity, best.start, best.end)
            return Resolution(best.phrase.services[0], (), best.similarity, best.start, best.end)
        best = max(matches, key=lambda m: (m.chars * m.similarity, len(m.phrase.services)))
        return Resolution(None, best.phrase.services, best.similarity, best.start, best.end)


def _token_score(phrase_forms: frozenset[str], message_forms: dict[str, float]) -> float:
    return max((message_forms.get(f, 0.0) for f in phrase_forms), default=0.0)


def _overlaps(a: _Match, b: _Match) -> bool:
    return a.start < b.end and b.start < a.end


@lru_cache(maxsize=20_000)
def _phrase_tokens(phrase: str) -> tuple[str, ...]:
    tokens = tuple(t.norm for t in analyse(phrase).tokens if t.norm)
    meaningful = tuple(t for t in tokens if t not in _STOPWORDS)
    return meaningful or tokens
