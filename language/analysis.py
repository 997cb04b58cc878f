"""The one entry point: split a message into tokens and give each a normalised form.

Training data and live messages both go through `analyse`, so "جواز", "جَواز", "jawaz" and
"JAWAZ" all reach the model as جواز while each token keeps its original text and offsets (entity
positions stay valid).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from language.arabizi import arabizi_to_arabic, has_arabizi_digits, join_article, lexicon_lookup
from language.language import ARABIZI, ENGLISH, language_of
from language.normalize import fold_latin, normalize_arabic
from language.segment import LATIN, Span, split_words
from language.wordlists import ARTICLE_WORDS, ENGLISH_WORDS

__all__ = ["Token", "Analysis", "analyse"]

# Longer "words" (pasted junk) are normalised but not cached, so the caches stay small.
_CACHEABLE_LENGTH = 64


@dataclass(frozen=True)
class Token:
    text: str  # as written
    start: int  # offsets into the original message: message[start:end] == text
    end: int
    norm: str  # normalised (Arabizi transliterated to Arabic script); never empty


@dataclass(frozen=True)
class Analysis:
    language: str  # "ar" | "en" | "arabizi"
    tokens: tuple[Token, ...]

    @property
    def normalized(self) -> str:
        return " ".join(token.norm for token in self.tokens)


def analyse(text: str) -> Analysis:
    """Language and normalised tokens of a message. Emoji and punctuation produce no token."""
    if not isinstance(text, str):
        raise TypeError(f"analyse() needs a str, got {type(text).__name__}")
    spans = split_words(text)
    language = language_of(spans)
    norms = [_norm(span, language) for span in spans]
    _join_articles(spans, norms)
    tokens = tuple(
        Token(span.text, span.start, span.end, norm)
        for span, (norm, _) in zip(spans, norms)
        if norm
    )
    return Analysis(language, tokens)


def _norm(span: Span, language: str) -> tuple[str, bool]:
    """(normalised form, whether it was transliterated from Arabizi)."""
    cacheable = len(span.text) <= _CACHEABLE_LENGTH
    if span.kind == LATIN:
        return _cached_latin_norm(span.text, language) if cacheable else _latin_norm(span.text, language)
    return (_cached_normalize(span.text) if cacheable else normalize_arabic(span.text)), False


def _latin_norm(word: str, language: str) -> tuple[str, bool]:
    folded = fold_latin(word)
    if language == ENGLISH:
        return folded, False
    in_english = folded in ENGLISH_WORDS
    known_arabizi = lexicon_lookup(folded)
    if language == ARABIZI:
        if known_arabizi is not None:
            return known_arabizi, True
        if in_english:  # "bde renew el passport": passport stays English
            return folded, False
        return arabizi_to_arabic(folded), True
    # A Latin word inside an Arabic message is English unless it is unmistakably Arabizi.
    if in_english:
        return folded, False
    if known_arabizi is not None:
        return known_arabizi, True
    if has_arabizi_digits(folded):
        return arabizi_to_arabic(folded), True
    return folded, False


_cached_latin_norm = lru_cache(maxsize=65536)(_latin_norm)
_cached_normalize = lru_cache(maxsize=65536)(normalize_arabic)


def _join_articles(spans: list[Span], norms: list[tuple[str, bool]]) -> None:
    """"el hawiye" -> ال الهويه: the noun gets its article as Arabic writers attach it, so it
    matches "الهويه" typed in Arabic script; the article token itself stays for the offsets."""
    for index in range(len(spans) - 1):
        _, article_transliterated = norms[index]
        noun_norm, noun_transliterated = norms[index + 1]
        is_article = (
            spans[index].kind == LATIN
            and article_transliterated
            and fold_latin(spans[index].text) in ARTICLE_WORDS
        )
        if is_article and noun_transliterated and spans[index + 1].kind == LATIN:
            norms[index + 1] = (join_article(noun_norm), True)
