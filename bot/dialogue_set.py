"""The dialogue test set (eval/dialogues/*.yml) and the not-in-catalog questions, read and checked.

The schema is documented in eval/README.md. Loading refuses a malformed file with the file, the
conversation and the field named, so a typo in the data is an error, not a silently skipped check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import yaml

KINDS = ("not_in_catalog", "language", "sms", "caveats", "sticky_prompt", "switch_service", "carry_over")
CHANNELS = ("whatsapp", "sms")
LANGUAGES = ("ar", "en")
ASPECTS = ("overview", "fees", "documents", "steps", "location", "duration", "eligibility")
NOT_YET = "not_yet"  # a service we do not have: an honest "not yet", never another service's answer
NO_SERVICE = "none"  # no service answer expected (greeting, transaction number, keyword...)
PROMPTS = ("transaction_number",)
EXPECT_KEYS = {"service", "aspect", "language", "no_prompt", "max_segments", "caveat", "topic"}
MIN_TURNS, MAX_TURNS = 2, 5


class DialogueSetError(ValueError):
    """A dialogue or question file breaks the schema; the message names where."""


@dataclass(frozen=True)
class Expectation:
    service: Optional[str] = None  # a catalog id, NOT_YET, NO_SERVICE, or None (not checked)
    aspect: Optional[str] = None  # with a catalog id: that answer must come whole
    language: Optional[str] = None
    no_prompt: tuple[str, ...] = ()
    max_segments: Optional[int] = None  # SMS only: segments of everything sent in reply to the turn
    caveat: Optional[bool] = None  # the "agency confirms the final figure" line expected or not
    topic: Optional[str] = None  # for not_yet: what was asked about (reported, not scored)


@dataclass(frozen=True)
class Turn:
    say: str
    expect: Expectation


@dataclass(frozen=True)
class Conversation:
    id: str
    kind: str
    register: str
    channels: tuple[str, ...]
    turns: tuple[Turn, ...]
    source: str = ""


@dataclass(frozen=True)
class Question:
    """One line of eval/not_in_catalog.jsonl."""

    text: str
    topic: str
    language: str  # as written: ar, en or arabizi

    @property
    def reply_language(self) -> str:
        return "en" if self.language == "en" else "ar"  # Arabizi is Arabic, answered in Arabic


@dataclass
class _Where:
    path: Path
    conversation: str = "-"
    details: list[str] = field(default_factory=list)

    def fail(self, message: str) -> DialogueSetError:
        return DialogueSetError(f"{self.path.name}: conversation {self.conversation}: {message}")


def load_dialogues(location: Path, service_ids: Sequence[str]) -> list[Conversation]:
    """Every conversation of a directory of YAML files (or of one file), in file order."""
    files = sorted(location.glob("*.yml")) if location.is_dir() else [location]
    if not files:
        raise DialogueSetError(f"{location}: no dialogue files (*.yml)")
    conversations: list[Conversation] = []
    for path in files:
        conversations += _load_file(path, set(service_ids))
    seen: set[str] = set()
    for conversation in conversations:
        if conversation.id in seen:
            raise DialogueSetError(f"{conversation.source}: conversation id {conversation.id} is used twice")
        seen.add(conversation.id)
    return conversations


def _load_file(path: Path, service_ids: set[str]) -> list[Conversation]:
    where = _Where(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise where.fail(f"not YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("conversations"), list):
        raise where.fail("expected a mapping with `kind` and a list of `conversations`")
    kind = document.get("kind")
    if kind not in KINDS:
        raise where.fail(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    default_channels = _channels(document.get("channels", list(CHANNELS)), where)
    result = []
    for raw in document["conversations"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise where.fail("a conversation without an `id`")
        where.conversation = raw["id"]
        turns = raw.get("turns")
        if not isinstance(turns, list) or not MIN_TURNS <= len(turns) <= MAX_TURNS:
            raise where.fail(f"needs {MIN_TURNS} to {MAX_TURNS} turns")
        result.append(
            Conversation(
                id=raw["id"],
                kind=kind,
                register=str(raw.get("register", "")),
                channels=_channels(raw.get("channels", list(default_channels)), where),
                turns=tuple(_turn(t, where, service_ids) for t in turns),
                source=path.name,
            )
        )
    return result


def _channels(value: Any, where: _Where) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or any(c not in CHANNELS for c in value):
        raise where.fail(f"channels must be a non-empty list of {', '.join(CHANNELS)}")
    return tuple(value)


def _turn(raw: Any, where: _Where, service_ids: set[str]) -> Turn:
    if not isinstance(raw, dict) or not isinstance(raw.get("say"), str) or not raw["say"].strip():
        raise where.fail("a turn needs a non-empty `say`")
    expect = raw.get("expect") or {}
    if not isinstance(expect, dict):
        raise where.fail(f"`expect` of {raw['say']!r} is not a mapping")
    unknown = set(expect) - EXPECT_KEYS
    if unknown:
        raise where.fail(f"unknown expectation {sorted(unknown)} on {raw['say']!r}")
    service = expect.get("service")
    if service is not None and service not in service_ids and service not in (NOT_YET, NO_SERVICE):
        raise where.fail(f"service {service!r} is neither a catalog id nor {NOT_YET}/{NO_SERVICE}")
    aspect = expect.get("aspect")
    if aspect is not None and (aspect not in ASPECTS or service not in service_ids):
        raise where.fail(f"aspect {aspect!r} needs a catalog service and one of {', '.join(ASPECTS)}")
    language = expect.get("language")
    if language is not None and language not in LANGUAGES:
        raise where.fail(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    no_prompt = expect.get("no_prompt", [])
    if not isinstance(no_prompt, list) or any(p not in PROMPTS for p in no_prompt):
        raise where.fail(f"no_prompt must list some of {', '.join(PROMPTS)}")
    max_segments = expect.get("max_segments")
    if max_segments is not None and (not isinstance(max_segments, int) or max_segments < 1):
        raise where.fail("max_segments must be a positive whole number")
    caveat = expect.get("caveat")
    if caveat is not None and not isinstance(caveat, bool):
        raise where.fail("caveat must be true or false")
    return Turn(
        say=raw["say"],
        expect=Expectation(
            service=service,
            aspect=aspect,
            language=language,
            no_prompt=tuple(no_prompt),
            max_segments=max_segments,
            caveat=caveat,
            topic=expect.get("topic"),
        ),
    )


def load_questions(path: Path) -> list[Question]:
    """eval/not_in_catalog.jsonl: one `{"text", "topic", "language"}` object a line."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise DialogueSetError(f"{path.name}:{number}: not JSON: {error}") from error
        if not isinstance(row, dict) or set(row) != {"text", "topic", "language"}:
            raise DialogueSetError(f"{path.name}:{number}: expected exactly text, topic, language")
        if row["language"] not in ("ar", "en", "arabizi") or not str(row["text"]).strip():
            raise DialogueSetError(f"{path.name}:{number}: language must be ar, en or arabizi; text non-empty")
        questions.append(Question(text=row["text"], topic=row["topic"], language=row["language"]))
    return questions


def question_conversations(questions: Sequence[Question], channels: Sequence[str]) -> list[Conversation]:
    """Each not-in-catalog question as a conversation of its own: a new citizen asks it first."""
    return [
        Conversation(
            id=f"q-{number:03d}",
            kind="questions",
            register=question.language,
            channels=tuple(channels),
            turns=(Turn(question.text, Expectation(service=NOT_YET, language=question.reply_language, topic=question.topic)),),
            source="not_in_catalog.jsonl",
        )
        for number, question in enumerate(questions, 1)
    ]
