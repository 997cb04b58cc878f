"""The bot's own wording in the store (greetings, menus, fallbacks, notifications): one row per key,
an Arabic and an English text. data/replies.yml seeds the keys missing here (catalog/replies.py
reads it; this module does not know that package). An edit writes its audit entry and bumps the
catalog's generation in the same transaction, so a process that sees the new generation reloads the
wording with the catalog (actions/catalog_access.py) and its answer cache, keyed by that
generation, never serves a turn composed with the old text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.messages import utcnow
from store.audit import Actor, record
from store.catalog import bump_generation
from store.database import Database
from store.models import BotReplyText

LANGUAGES = ("ar", "en")


class ReplyStoreError(LookupError):
    """No reply has this key."""


@dataclass(frozen=True)
class StoredReply:
    key: str
    ar: str
    en: str
    updated_by: Optional[str]
    updated_at: datetime

    def texts(self) -> dict[str, str]:
        return {"ar": self.ar, "en": self.en}


def _stored(row: BotReplyText) -> StoredReply:
    return StoredReply(row.key, row.text_ar, row.text_en, row.updated_by, row.updated_at)


class ReplyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def texts(self) -> dict[str, dict[str, str]]:
        """Every key's texts, {"ar": ..., "en": ...}: what the bot says."""
        with self._db.session() as s:
            return {row.key: {"ar": row.text_ar, "en": row.text_en} for row in s.execute(select(BotReplyText)).scalars()}

    def all(self) -> list[StoredReply]:
        with self._db.session() as s:
            return [_stored(row) for row in s.execute(select(BotReplyText).order_by(BotReplyText.key)).scalars()]

    def get(self, key: str) -> Optional[StoredReply]:
        with self._db.session() as s:
            row = s.get(BotReplyText, key)
            return _stored(row) if row is not None else None

    def seed(self, entries: Mapping[str, Mapping[str, str]]) -> list[str]:
        """Add the keys of `entries` the store does not have yet (a first start, or a release that
        brings new wording); stored texts are never overwritten (staff may have edited them). No
        audit entry: no one's change. The keys added, in order."""
        try:
            with self._db.session() as s:
                have = set(s.execute(select(BotReplyText.key)).scalars())
                added = [key for key in entries if key not in have]
                for key in added:
                    texts = entries[key]
                    s.add(BotReplyText(key=key, text_ar=texts.get("ar") or "", text_en=texts.get("en") or ""))
                if added:
                    bump_generation(s)
                return added
        except IntegrityError:
            return []  # another process seeded the same keys meanwhile

    def update(self, key: str, texts: Mapping[str, str], actor: Actor) -> tuple[dict[str, str], dict[str, str]]:
        """Change a key's texts (a console edit); (before, after). ReplyStoreError for an unknown key.
        Nothing changes, and no generation moves, when the texts are those stored."""
        with self._db.session() as s:
            row = s.get(BotReplyText, key, with_for_update=True)
            if row is None:
                raise ReplyStoreError(key)
            before = {"ar": row.text_ar, "en": row.text_en}
            after = {lang: texts.get(lang, before[lang]) for lang in LANGUAGES}
            if after == before:
                return before, after
            row.text_ar, row.text_en = after["ar"], after["en"]
            row.updated_by, row.updated_at = actor.label, utcnow()
            changed = [lang for lang in LANGUAGES if after[lang] != before[lang]]
            record(s, actor, "reply.change", "reply", key,
                   before={lang: before[lang] for lang in changed}, after={lang: after[lang] for lang in changed})
            bump_generation(s)
            return before, after
