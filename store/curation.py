"""Curated training data: the examples staff give (missed messages labelled in the inbox, examples
written on the intents page) and their changes to intents (an example moved, an intent renamed or
merged), kept as a log applied in order when a training snapshot is built:

    examples = CuratedExamples(db).apply_to(nlu_examples())   # data/nlu/ with every curated change
    CuratedExamples(db).held_out()                             # (text, intent, service_id): never trained on

A fixed tenth of labelled messages is held out (chosen by a hash of the normalised text, so the
same text always falls on the same side and never leaks from training into the comparison).
The checks that need the NLU's normalisation (duplicates, examples of another intent) are made by
the caller, which passes normalised texts in: the store sits below the NLU.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Optional

from sqlalchemy import func, select

from store.audit import Actor, record
from store.database import Database
from store.inbox import LABELLED, MissedMessage, resolve_in
from store.models import IntentChange, TrainingExample

ADD, HOLD, MOVE, RENAME, MERGE = "add", "hold", "move", "rename", "merge"
HELD_OUT_ONE_IN = 10
INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
MAX_EXAMPLE_CHARS = 500


class CurationRefused(ValueError):
    """A change that would break the training data; the message says why (shown to staff)."""


def is_held_out(normalized: str) -> bool:
    """One labelled text in HELD_OUT_ONE_IN, the same one every time."""
    digest = hashlib.sha256(normalized.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % HELD_OUT_ONE_IN == 0


@dataclass
class LabelOutcome:
    resolved: int = 0  # missed messages taken out of the inbox
    added: int = 0  # new training examples
    held_out: int = 0  # kept aside for the comparison
    duplicates: list[str] = field(default_factory=list)  # already an example of this intent (normalised)
    elsewhere: list[tuple[str, str]] = field(default_factory=list)  # (text, the other intent it is an example of)


@dataclass(frozen=True)
class Change:
    id: int
    kind: str
    text: Optional[str]
    from_intent: Optional[str]
    to_intent: str


def _replay(changes: Iterable[Change], base: Mapping[str, Iterable[str]]) -> tuple[dict[str, list[str]], dict[int, str]]:
    """The examples after every change, and each held-out example's intent (renames follow it)."""
    state = {intent: list(dict.fromkeys(texts)) for intent, texts in base.items()}
    held: dict[int, str] = {}
    held_text: dict[int, str] = {}
    for change in changes:
        if change.kind in (ADD, HOLD, MOVE) and not change.text:
            continue  # its citizen's data was erased on request (store/redaction.py)
        if change.kind == ADD:
            texts = state.setdefault(change.to_intent, [])
            if change.text not in texts:
                texts.append(change.text or "")
        elif change.kind == HOLD:
            held[change.id] = change.to_intent
            held_text[change.id] = change.text or ""
        elif change.kind == MOVE:
            if change.from_intent in state and change.text in state[change.from_intent]:
                state[change.from_intent].remove(change.text)
            texts = state.setdefault(change.to_intent, [])
            if change.text not in texts:
                texts.append(change.text or "")
            for key, intent in held.items():
                if intent == change.from_intent and held_text[key] == change.text:
                    held[key] = change.to_intent
        elif change.kind in (RENAME, MERGE):
            moved = state.pop(change.from_intent or "", [])
            texts = state.setdefault(change.to_intent, [])
            texts.extend(t for t in moved if t not in texts)
            for key, intent in held.items():
                if intent == change.from_intent:
                    held[key] = change.to_intent
    return {intent: texts for intent, texts in state.items() if texts}, held


class CuratedExamples:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- reading: what a training snapshot and a comparison use --------------------------------

    def _changes(self) -> list[Change]:
        with self._db.session() as s:
            return [Change(c.id, c.kind, c.text, c.from_intent, c.to_intent)
                    for c in s.execute(select(IntentChange).order_by(IntentChange.id)).scalars()]

    def apply_to(self, nlu_examples: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
        """`nlu_examples` (intent -> examples, as data/nlu/ has them) with every curated addition,
        move, rename and merge applied in the order staff made them. Held-out texts are never in it."""
        state, _ = _replay(self._changes(), nlu_examples)
        aside = {text for text, _, _ in self.held_out()}
        return {intent: [t for t in texts if t not in aside] for intent, texts in state.items()
                if any(t not in aside for t in texts)}

    def for_training(self) -> list[tuple[str, str]]:
        """(intent, text) of every curated example to train on, under its intent after later renames,
        merges and moves; never a held-out one."""
        state = self.apply_to({})
        return [(intent, text) for intent, texts in state.items() for text in texts]

    def held_out(self) -> list[tuple[str, str, Optional[str]]]:
        """(text, intent, service_id) of the labelled messages kept aside for comparing models."""
        changes = self._changes()
        _, held = _replay(changes, {})
        example_of = {}
        with self._db.session() as s:
            for change_id, example_id in s.execute(
                select(IntentChange.id, IntentChange.example_id).where(IntentChange.kind == HOLD)
            ):
                example_of[change_id] = example_id
            rows = {e.id: e for e in s.execute(select(TrainingExample).where(TrainingExample.held_out.is_(True))).scalars()}
        return [(rows[example_of[key]].text, intent, rows[example_of[key]].service_id)
                for key, intent in sorted(held.items()) if example_of.get(key) in rows]

    def held_out_normalized(self) -> set[str]:
        with self._db.session() as s:
            return set(s.execute(select(TrainingExample.normalized).where(TrainingExample.held_out.is_(True))).scalars())

    def recent_changes(self, limit: int = 50) -> list[Change]:
        with self._db.session() as s:
            return [Change(c.id, c.kind, c.text, c.from_intent, c.to_intent)
                    for c in s.execute(select(IntentChange).where(IntentChange.kind.in_((MOVE, RENAME, MERGE)))
                                       .order_by(IntentChange.id.desc()).limit(limit)).scalars()]

    def count(self) -> int:
        with self._db.session() as s:
            return int(s.execute(select(func.count()).select_from(TrainingExample)).scalar_one())

    # --- writing: each change audited in its own transaction ----------------------------------

    def label(
        self, items: list[MissedMessage], intent: str, service_id: Optional[str], actor: Actor,
        normalize: Callable[[str], str], intent_of: Mapping[str, str],
    ) -> LabelOutcome:
        """Missed messages are examples of `intent` (about `service_id`): each becomes a training
        example (one in ten held out) unless its normalised text is one already; all leave the inbox.
        `intent_of`: normalised text -> intent, of every example the training data has now."""
        _check_intent_name(intent)
        outcome = LabelOutcome()
        aside = self.held_out_normalized()
        with self._db.session() as s:
            # Curated examples count even if the caller's map predates them (labelled a moment ago).
            seen = dict(s.execute(select(TrainingExample.normalized, TrainingExample.intent)
                                  .where(TrainingExample.held_out.is_(False))).all())
            seen.update(intent_of)
            for item in sorted(items, key=lambda i: i.id):  # oldest first: the first asked is the example
                norm = normalize(item.text)
                if not norm or norm in aside or seen.get(norm) == intent:
                    outcome.duplicates.append(item.text)
                    continue
                if norm in seen:
                    outcome.elsewhere.append((item.text, seen[norm]))
                held = is_held_out(norm)
                example = TrainingExample(intent=intent, text=item.text, normalized=norm, service_id=service_id,
                                          source="inbox", message_id=item.message_id, created_by=actor.staff_id,
                                          held_out=held)
                s.add(example)
                s.flush()
                s.add(IntentChange(kind=HOLD if held else ADD, example_id=example.id, text=item.text,
                                   to_intent=intent, created_by=actor.staff_id))
                if held:
                    aside.add(norm)
                    outcome.held_out += 1
                else:
                    seen[norm] = intent
                    outcome.added += 1
            outcome.resolved = resolve_in(s, items, LABELLED, actor, {"intent": intent, "service_id": service_id})
        return outcome

    def add_example(self, intent: str, text: str, normalized: str, actor: Actor) -> int:
        """An example written on the intents page (the caller has checked it is not a duplicate)."""
        _check_intent_name(intent)
        text = " ".join((text or "").split())
        if not text or not normalized:
            raise CurationRefused("empty_example")
        if len(text) > MAX_EXAMPLE_CHARS:
            raise CurationRefused("example_too_long")
        with self._db.session() as s:
            example = TrainingExample(intent=intent, text=text, normalized=normalized, source="console",
                                      created_by=actor.staff_id, held_out=False)
            s.add(example)
            s.flush()
            s.add(IntentChange(kind=ADD, example_id=example.id, text=text, to_intent=intent, created_by=actor.staff_id))
            record(s, actor, "intent.add_example", "intent", intent, after={"text": text})
            return example.id

    def move_example(self, text: str, from_intent: str, to_intent: str, actor: Actor) -> None:
        _check_intent_name(to_intent)
        if from_intent == to_intent:
            raise CurationRefused("same_intent")
        with self._db.session() as s:
            s.add(IntentChange(kind=MOVE, text=text, from_intent=from_intent, to_intent=to_intent,
                               created_by=actor.staff_id))
            record(s, actor, "intent.move_example", "intent", from_intent, before={"intent": from_intent, "text": text},
                   after={"intent": to_intent, "text": text})

    def rename_intent(self, from_intent: str, to_intent: str, actor: Actor, *, merge: bool) -> None:
        """Rename (`merge` False: to a new name) or merge into an existing intent; the caller checks
        which names exist."""
        _check_intent_name(to_intent)
        if from_intent == to_intent:
            raise CurationRefused("same_intent")
        kind = MERGE if merge else RENAME
        with self._db.session() as s:
            s.add(IntentChange(kind=kind, from_intent=from_intent, to_intent=to_intent, created_by=actor.staff_id))
            record(s, actor, f"intent.{kind}", "intent", from_intent, before={"intent": from_intent},
                   after={"intent": to_intent})


def _check_intent_name(intent: str) -> None:
    if not INTENT_NAME.match(intent or ""):
        raise CurationRefused("bad_intent_name")
