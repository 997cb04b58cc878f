"""Tell Arabic, English and Arabizi messages apart.

Arabic script anywhere wins: citizens mix English words into Arabic ("بدي renew passport") far
more often than the reverse, and a message with no letters at all goes to the default audience.
For Latin-script text each word votes. Arabizi evidence (a lexicon word, letters written as
digits) outweighs English evidence because Arabizi writers borrow English words freely
("bde renew el passport") while English writers almost never use Arabizi function words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from language.arabizi import has_arabizi_digits, lexicon_lookup
from language.normalize import fold_latin
from language.segment import ARABIC, LATIN, Span, split_words
from language.wordlists import ENGLISH_WORDS

__all__ = ["detect_language", "language_of", "ARABIC_LANGUAGE", "ENGLISH", "ARABIZI"]

ARABIC_LANGUAGE = "ar"
ENGLISH = "en"
ARABIZI = "arabizi"

# Votes per word, (arabizi, english).
_DIGIT_LETTERS_VOTE = (1.5, 0.0)
_ARABIZI_WORD_VOTE = (1.0, 0.0)
_BOTH_VOTE = (0.4, 0.4)  # "law", "men": a word in both lists
_ENGLISH_WORD_VOTE = (0.0, 0.6)
_UNKNOWN_ENGLISH_LOOKING_VOTE = (0.0, 0.3)
_UNKNOWN_VOTE = (0.3, 0.0)  # misspelled Arabizi is more common than rare English here
# A longer word one slip from an English word is English with a typo ("renwal", "requird",
# "documants"): English writers slip as often as anyone. An Arabizi lexicon word that is an English
# word with one letter dropped ("pasport") is both.
_ENGLISH_TYPO_VOTE = (0.0, 0.5)
_MIN_TYPO_LENGTH = 6
_NO_VOTE = (0.0, 0.0)
# A longer Latin "word" is a link or pasted junk, not evidence of a language.
_LONGEST_WORD = 64

# Letters and endings Arabizi rarely uses, to guess at a word neither list knows.
_ENGLISH_LOOKING = re.compile(r"[pvx]|c(?!h)|(?:tion|sion|ing|ment|ness|ful|less|ly|ous|ive|able|ible)$")


def detect_language(text: str) -> str:
    """"ar", "en" or "arabizi" for a message."""
    return language_of(split_words(text))


def language_of(spans: Iterable[Span]) -> str:
    """The language of a message already split by `split_words`."""
    arabizi_score = english_score = 0.0
    for span in spans:
        if span.kind == ARABIC:
            return ARABIC_LANGUAGE
        if span.kind == LATIN and len(span.text) <= _LONGEST_WORD:
            arabizi_vote, english_vote = _word_vote(span.text)
            arabizi_score += arabizi_vote
            english_score += english_vote
    if arabizi_score == english_score == 0.0:
        return ARABIC_LANGUAGE
    # A tie is a lone word both lists claim, such as a service name ("tawjihi", "sanad").
    return ENGLISH if english_score > arabizi_score else ARABIZI


@lru_cache(maxsize=65536)
def _word_vote(text: str) -> tuple[float, float]:
    word = fold_latin(text)
    in_english = word in ENGLISH_WORDS
    in_lexicon = lexicon_lookup(word) is not None
    if in_english:
        return _BOTH_VOTE if in_lexicon else _ENGLISH_WORD_VOTE
    if has_arabizi_digits(word):
        return _DIGIT_LETTERS_VOTE
    if in_lexicon:
        return _BOTH_VOTE if word in _english_with_a_letter_dropped() else _ARABIZI_WORD_VOTE
    if any(char.isdigit() for char in word):
        return _NO_VOTE  # "10am", "2nd", "covid19": a number with letters, no language
    if len(word) >= _MIN_TYPO_LENGTH and _one_slip_from_english(word):
        return _ENGLISH_TYPO_VOTE
    if _ENGLISH_LOOKING.search(word):
        return _UNKNOWN_ENGLISH_LOOKING_VOTE
    return _UNKNOWN_VOTE


@lru_cache(maxsize=1)
def _english_with_a_letter_dropped() -> frozenset[str]:
    return frozenset(
        w[:i] + w[i + 1 :] for w in ENGLISH_WORDS if len(w) > _MIN_TYPO_LENGTH for i in range(len(w))
    )


@lru_cache(maxsize=1)
def _english_slip_keys() -> frozenset[str]:
    """Every English word (5+ letters) with one letter deleted, and the word itself: two words one
    letter dropped, added, changed or swapped apart share a key."""
    return frozenset(
        key
        for w in ENGLISH_WORDS
        if len(w) >= _MIN_TYPO_LENGTH
        for key in {w} | {w[:i] + w[i + 1 :] for i in range(len(w))}
    )


def _one_slip_from_english(word: str) -> bool:
    keys = _english_slip_keys()
    return any(key in keys for key in {word} | {word[:i] + word[i + 1 :] for i in range(len(word))})
