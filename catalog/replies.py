"""The bot's own wording (data/replies.yml), in the citizen's language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

from core.messages import BotReply

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_REPLIES = REPOSITORY / "data" / "replies.yml"
_replies_file = DEFAULT_REPLIES


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


def say(key: str, language: Optional[str], **params: object) -> str:
    """The reply `key` in the citizen's language, placeholders filled."""
    entry = _replies()[key]
    text = entry.get(reply_language(language)) or entry["ar"]
    return text.format(**params) if params else text


def reply(key: str, language: Optional[str], **params: object) -> BotReply:
    """A fixed reply as a BotReply (keyword confirmations, apologies)."""
    lang = reply_language(language)
    return BotReply(text=say(key, lang, **params), language=lang)
