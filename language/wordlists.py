"""Load the word lists shipped beside this module: the Arabizi lexicon and the English words.

Both are read once at import. A malformed lexicon line is a packaging bug, so it fails loudly
(with its line number) instead of silently teaching the bot a wrong word.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from language.normalize import normalize_arabic

__all__ = [
    "ARABIZI_WORDS",
    "ARABIZI_PHRASES",
    "ENGLISH_WORDS",
    "ARTICLE_WORDS",
    "LexiconError",
    "load_arabizi_lexicon",
    "load_english_words",
]

_HERE = Path(__file__).parent
ARABIZI_LEXICON_PATH = _HERE / "arabizi_lexicon.tsv"
ENGLISH_WORDS_PATH = _HERE / "english_words.txt"

# Standalone Arabizi articles: "el 3afye" is written as two words but means one Arabic word.
# The e- forms are the article assimilated to a sun letter ("ed daman", "es sayyara").
ARTICLE_WORDS = frozenset({"el", "al", "il", "ed", "et", "er", "ez", "es", "en"})
_ARTICLE = "ال"

_ARABIZI_KEY = re.compile(r"[a-z0-9']+(?: [a-z0-9']+)*")
_ARABIC_WORDS = re.compile(r"[\u0621-\u064a]+(?: [\u0621-\u064a]+)*")
_ELONGATED = re.compile(r"([a-z])\1\1")


class LexiconError(ValueError):
    """The shipped Arabizi lexicon has a line that cannot be used."""


def _align_phrase(arabizi: str, arabic: str) -> list[tuple[str, str]]:
    """Pair each word of an Arabizi phrase with its Arabic word ("el X" pairs X with "الY" as Y)."""
    targets = arabic.split(" ")
    pairs: list[tuple[str, str]] = []
    position = 0
    after_article = False
    for word in arabizi.split(" "):
        if word in ARTICLE_WORDS:
            after_article = True
            continue
        if position >= len(targets):
            raise LexiconError(f"phrase {arabizi!r} has more words than {arabic!r}")
        target = targets[position]
        position += 1
        if after_article:
            if not target.startswith(_ARTICLE) or len(target) <= len(_ARTICLE):
                raise LexiconError(f"in {arabizi!r} the article needs an ال word, got {target!r}")
            target = target[len(_ARTICLE):]
            after_article = False
        pairs.append((word, target))
    if after_article or position != len(targets):
        raise LexiconError(f"phrase {arabizi!r} does not line up with {arabic!r}")
    return pairs


def load_arabizi_lexicon(path: Path = ARABIZI_LEXICON_PATH) -> tuple[dict[str, str], dict[str, str]]:
    """(words, phrases) from a lexicon file; every phrase's words are also added to `words`."""
    words: dict[str, str] = {}
    phrases: dict[str, str] = {}
    text = path.read_text(encoding="utf-8")
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        where = f"{path.name}:{line_number}"
        if len(fields) != 2:
            raise LexiconError(f"{where}: expected 'arabizi<TAB>arabic', got {line!r}")
        arabizi, arabic = fields
        if not _ARABIZI_KEY.fullmatch(arabizi) or _ELONGATED.search(arabizi):
            raise LexiconError(f"{where}: key {arabizi!r} must be lower-case Latin/digit words")
        if not _ARABIC_WORDS.fullmatch(arabic) or normalize_arabic(arabic) != arabic:
            raise LexiconError(f"{where}: target {arabic!r} must be normalised Arabic words")
        table = phrases if " " in arabizi else words
        if " " not in arabizi and " " in arabic and arabizi not in ARTICLE_WORDS:
            raise LexiconError(f"{where}: one word {arabizi!r} cannot become several {arabic!r}")
        if table.get(arabizi, arabic) != arabic:
            raise LexiconError(f"{where}: {arabizi!r} already means {table[arabizi]!r}")
        table[arabizi] = arabic
    for phrase, arabic in phrases.items():
        for word, target in _align_phrase(phrase, arabic):
            if words.setdefault(word, target) != target:
                raise LexiconError(
                    f"phrase {phrase!r} uses {word!r} as {target!r} but it means {words[word]!r}"
                )
    return words, phrases


def load_english_words(path: Path = ENGLISH_WORDS_PATH) -> frozenset[str]:
    """Common English words, one per line, lower case ('#' lines are comments)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


_words, _phrases = load_arabizi_lexicon()
ARABIZI_WORDS: Mapping[str, str] = MappingProxyType(_words)
ARABIZI_PHRASES: Mapping[str, str] = MappingProxyType(_phrases)
ENGLISH_WORDS: frozenset[str] = load_english_words()
