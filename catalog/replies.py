"""The bot's own wording, in the citizen's language.

data/replies.yml (TAWASOL_REPLIES) is the seed: a serving process copies its keys into the store,
where staff edit them in the console, and answers with the store's texts, which the live catalog
reloads with the services whenever the catalog's generation moves (catalog/live.py). A process with
no store (training, stock Rasa, unit tests) reads the file alone.
"""

from __future__ import annotations

import logging
import re
import string
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional

import yaml

from catalog.live import live_catalog
from catalog.validation import text_problem
from core.messages import BotReply

logger = logging.getLogger(__name__)

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_REPLIES = REPOSITORY / "data" / "replies.yml"
_replies_file = DEFAULT_REPLIES
# A reply is one message: about seven SMS segments in Arabic at most (a greeting is ~200 characters).
MAX_REPLY_CHARS = 1000
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def reply_language(language: Optional[str]) -> str:
    """Arabic and Arabizi writers are answered in Arabic; English writers in English."""
    return "en" if language == "en" else "ar"


def use_replies_file(path: Path) -> None:
    """The wording file to read: set once at start-up from the process's settings (TAWASOL_REPLIES)."""
    global _replies_file
    _replies_file = Path(path)
    _replies.cache_clear()


@lru_cache(maxsize=1)
def _replies() -> dict[str, dict[str, str]]:
    with _replies_file.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def seed_wording() -> dict[str, dict[str, str]]:
    """The wording file's texts by key: what the store starts from."""
    return {key: {"ar": entry.get("ar") or "", "en": entry.get("en") or ""} for key, entry in _replies().items()}


def seed_texts(key: str) -> Mapping[str, str]:
    """One key's texts as the wording file has them (KeyError for a key it lacks)."""
    return _replies()[key]


def _entry(key: str) -> tuple[Mapping[str, str], bool]:
    """The texts of `key`, and whether they are the store's (else the file's)."""
    live = live_catalog()
    if live is not None:
        stored = live.current().wording.get(key)
        if stored is not None:
            return stored, True
    return _replies()[key], False


def say(key: str, language: Optional[str], **params: object) -> str:
    """The reply `key` in the citizen's language, placeholders filled."""
    entry, stored = _entry(key)
    lang = reply_language(language)
    text = entry.get(lang) or entry.get("ar") or ""
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError) as error:
        if not stored:
            raise
        # A stored text that no longer fits the code (a placeholder renamed in a later release):
        # the citizen gets the file's wording rather than nothing, and the log says which key.
        logger.warning("stored reply does not fit its placeholders key=%s problem=%s", key, type(error).__name__)
        fallback = _replies()[key]
        return (fallback.get(lang) or fallback["ar"]).format(**params)


def reply(key: str, language: Optional[str], **params: object) -> BotReply:
    """A fixed reply as a BotReply (keyword confirmations, apologies)."""
    lang = reply_language(language)
    return BotReply(text=say(key, lang, **params), language=lang)


def placeholders(text: str) -> list[str]:
    """The {names} a text uses, in order of first use. ValueError for braces that do not parse."""
    names: list[str] = []
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None and name not in names:
            names.append(name)
    return names


def wording_problem(key: str, text: str) -> Optional[str]:
    """Why `text` cannot be the wording of `key` (in either language), or None. It must be there,
    fit in a message, be plain text, and keep exactly the placeholders the bot fills in for it."""
    if not text.strip():
        return "missing text: write what the bot says"
    problem = text_problem(text, MAX_REPLY_CHARS)
    if problem:
        return problem
    seed = _replies().get(key) or {}
    expected = placeholders(seed.get("ar") or seed.get("en") or "")
    # Only bare {name}s: a format spec ({ticket:>9999999}), an attribute ({agency.__class__}) or a
    # stray brace would make the bot's formatting fail, or do what no one meant.
    if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
        return "has a { or } that is not a placeholder: use only " + (", ".join("{%s}" % n for n in expected) or "no braces")
    used = placeholders(text)
    unknown = [name for name in used if name not in expected]
    if unknown:
        allowed = ", ".join("{%s}" % n for n in expected) or "none"
        return f"unknown placeholder {{{unknown[0]}}}: the bot fills in only {allowed}"
    missing = [name for name in expected if name not in used]
    if missing:
        return f"keep {{{missing[0]}}}: the bot fills it in"
    return None
