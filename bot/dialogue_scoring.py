"""Judging one turn's replies against its expectation, and summing the verdicts into a table.

What a reply is about is read from its text, the way a citizen reads it:
- it *answers* a service when it carries the beginning of one of that service's catalog answers
  (any aspect, either language);
- it *names* a service when the service's catalog name appears in what is left once catalog
  answers and the bot's own fixed wording (data/replies.yml: "for example: passport renewal") are
  taken out. Choices offered (WhatsApp buttons and list rows, the titles behind SMS menu numbers) are
  offers, not answers, and are not read.
A turn expecting a catalog service is right when that service, and no other, is answered or named.
A turn expecting "not yet" is right when some reply came and no catalog service is answered or
named: an honest "not yet" is recognised by not being another service's answer, since its wording is
not fixed. A turn expecting no service is right when no catalog answer is carried. Texts are
compared on letters and digits only (case, spacing, punctuation, diacritics and emoji ignored), so an
SMS rendering that changes punctuation still matches.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence

from bot.dialogue_set import NO_SERVICE, NOT_YET, Expectation
from catalog.services import ASPECTS, LANGUAGES, Catalog

FINGERPRINT = 40  # leading characters of an answer that identify it (SMS summaries keep the start)
WORDING_CHUNK = 12  # shortest literal piece of a templated bot reply worth taking out
PROMPT_KEYS = {"transaction_number": ("bad_transaction_number", "ask_transaction_number")}
CAVEAT_KEY = "unverified"
ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u0671-\u06D3]")
LATIN_LETTER = re.compile(r"[A-Za-z]")
LEFT_TO_RIGHT = {"L", "LRE", "LRO", "LRI"}

Wording = Callable[[str, str], str]  # (key, language) -> the template text of data/replies.yml


def comparable(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


@dataclass(frozen=True)
class ReplyMessage:
    """One message the citizen received: its readable text, the titles of the choices it offered,
    and, on SMS, the segments it cost."""

    text: str
    choices: tuple[str, ...] = ()
    segments: Optional[int] = None


@dataclass
class TurnResult:
    conversation: str
    kind: str
    channel: str
    turn: int
    say: str
    expect: dict[str, Any]
    replies: list[str] = field(default_factory=list)
    message_id: Optional[int] = None  # the citizen's message in the store
    error: Optional[str] = None  # why the turn got no judged reply (timeout, refused webhook)
    timed_out: bool = False
    outcome: Optional[str] = None  # right | other_service | no_answer (service expectations only)
    answered: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)
    language: Optional[str] = None
    language_right: Optional[bool] = None
    whole: Optional[bool] = None
    caveat_seen: bool = False
    caveat_right: Optional[bool] = None
    prompt_seen: Optional[bool] = None
    ltr_lines: int = 0
    segments: Optional[int] = None
    within_segments: Optional[bool] = None
    emoji: Optional[bool] = None
    stored_for_review: Optional[bool] = None
    understood: dict[str, Any] = field(default_factory=dict)  # intent, service_id, language on the inbound row

    def record(self) -> dict[str, Any]:
        return asdict(self)


class ReplyReader:
    """Knows the catalog's answers and names and the bot's fixed wording, and judges replies."""

    def __init__(self, catalog: Catalog, wording: Wording, wording_keys: Iterable[str]) -> None:
        self.catalog = catalog
        self._answers: list[tuple[str, str]] = []  # (service id, comparable answer), longest first
        owners: dict[str, set[str]] = defaultdict(set)
        for service in catalog.services.values():
            for aspect in ASPECTS:
                for language in LANGUAGES:
                    text = comparable(service.answer(aspect, language))
                    if text:
                        self._answers.append((service.id, text))
                        owners[text[:FINGERPRINT]].add(service.id)
        # A beginning two services share would say nothing about which one answered.
        self._answers = sorted(
            ((sid, text) for sid, text in set(self._answers) if len(owners[text[:FINGERPRINT]]) == 1),
            key=lambda item: -len(item[1]),
        )
        self._names = sorted(
            {
                (service.id, comparable(service.name.get(language)))
                for service in catalog.services.values()
                for language in LANGUAGES
            },
            key=lambda item: -len(item[1]),
        )
        self._wording_chunks = sorted(
            {
                chunk
                for key in wording_keys
                for language in LANGUAGES
                for chunk in _literal_chunks(wording(key, language))
            },
            key=len,
            reverse=True,
        )
        self._prompts = {
            name: [comparable(wording(key, language)) for key in keys for language in LANGUAGES]
            for name, keys in PROMPT_KEYS.items()
        }
        self._caveats = [comparable(wording(CAVEAT_KEY, language)) for language in LANGUAGES]

    def judge(self, result: TurnResult, expect: Expectation, messages: Sequence[ReplyMessage]) -> TurnResult:
        body = "\n".join(_without_choices(m) for m in messages)
        flat = comparable(body)
        answered, remainder = self._take_answers(flat)
        for chunk in self._wording_chunks:
            remainder = remainder.replace(chunk, "|")
        named = self._take_names(remainder)
        result.replies = [m.text for m in messages]
        result.answered, result.named = sorted(answered), sorted(named)
        result.language = _language_of(body)
        result.caveat_seen = any(c and c in flat for c in self._caveats)
        result.ltr_lines = sum(_ltr_led_arabic_lines(m.text) for m in messages)
        if result.channel == "sms":
            result.segments = sum(m.segments or 0 for m in messages)
            result.emoji = any(_is_emoji(ch) for m in messages for ch in m.text)
            if expect.max_segments is not None:
                # "Whole in one or two segments": a cut answer with MORE fits the budget and is not it.
                result.within_segments = bool(messages) and result.segments <= expect.max_segments
        if expect.service is not None:
            result.outcome = _outcome(expect.service, set(answered), set(named), bool(messages))
        if expect.aspect is not None and expect.service is not None:
            service = self.catalog.service(expect.service)
            language = expect.language or result.language or "ar"
            expected_text = comparable(service.answer(expect.aspect, language)) if service else ""
            result.whole = bool(expected_text) and expected_text in flat
            if result.within_segments and not result.whole:
                result.within_segments = False
        if expect.language is not None:
            result.language_right = result.language == expect.language
        if expect.caveat is not None:
            result.caveat_right = result.caveat_seen == expect.caveat
        if expect.no_prompt:
            result.prompt_seen = any(
                prompt and prompt in flat for name in expect.no_prompt for prompt in self._prompts[name]
            )
        return result

    def _take_answers(self, flat: str) -> tuple[set[str], str]:
        """The services whose answers the text carries, and the text with those answers (or the
        part of them an SMS summary kept) taken out."""
        found: set[str] = set()
        for service_id, answer in self._answers:
            start = flat.find(answer[:FINGERPRINT])
            while start >= 0:
                length = 0
                while length < len(answer) and start + length < len(flat) and flat[start + length] == answer[length]:
                    length += 1
                found.add(service_id)
                flat = flat[:start] + "|" + flat[start + length :]
                start = flat.find(answer[:FINGERPRINT])
        return found, flat

    def _take_names(self, remainder: str) -> set[str]:
        found: set[str] = set()
        for service_id, name in self._names:  # longest first: a name inside a longer one is not named
            if name and name in remainder:
                found.add(service_id)
                remainder = remainder.replace(name, "|")
        return found


def _outcome(expected: str, answered: set[str], named: set[str], replied: bool) -> str:
    about = answered | named
    if expected == NO_SERVICE:
        return "other_service" if answered else "right"
    if expected == NOT_YET:
        if about:
            return "other_service"
        return "right" if replied else "no_answer"
    if about - {expected}:
        return "other_service"
    return "right" if expected in about else "no_answer"


def _literal_chunks(template: str) -> list[str]:
    """The fixed pieces of a wording template, placeholders left out."""
    pieces = []
    for literal, *_ in string.Formatter().parse(template):
        piece = comparable(literal or "")
        if len(piece) >= WORDING_CHUNK:
            pieces.append(piece)
    return pieces


def _without_choices(message: ReplyMessage) -> str:
    text = message.text
    for title in message.choices:
        if title:
            text = text.replace(title, " ")
    return text


def _language_of(text: str) -> Optional[str]:
    arabic, latin = len(ARABIC_LETTER.findall(text)), len(LATIN_LETTER.findall(text))
    if not arabic and not latin:
        return None
    return "ar" if arabic >= latin else "en"


def _ltr_led_arabic_lines(text: str) -> int:
    """Arabic lines (more Arabic letters than Latin ones) whose first character is strongly
    left-to-right: a chat app then lays the whole line out left to right. An English line quoting
    one Arabic word ("Send عربي for Arabic") is an English line."""
    count = 0
    for line in text.splitlines():
        line = line.strip()
        if line and _language_of(line) == "ar" and unicodedata.bidirectional(line[0]) in LEFT_TO_RIGHT:
            count += 1
    return count


def _is_emoji(ch: str) -> bool:
    code = ord(ch)
    return unicodedata.category(ch) == "So" or code >= 0x1F000 or code in (0xFE0F, 0x200D)


# --- the table ----------------------------------------------------------------------------------


@dataclass
class Tally:
    """Counts behind one row of the table."""

    conversations: set[tuple[str, str]] = field(default_factory=set)
    turns: int = 0
    timed_out: int = 0
    service: list[int] = field(default_factory=lambda: [0, 0])  # right, judged
    not_yet_other: list[int] = field(default_factory=lambda: [0, 0])  # another service's answer, not_yet turns
    review: list[int] = field(default_factory=lambda: [0, 0])  # stored for review, not_yet turns
    language: list[int] = field(default_factory=lambda: [0, 0])
    whole: list[int] = field(default_factory=lambda: [0, 0])
    caveat: list[int] = field(default_factory=lambda: [0, 0])
    sticky: list[int] = field(default_factory=lambda: [0, 0])  # prompt seen, turns checked
    ltr: list[int] = field(default_factory=lambda: [0, 0])  # turns with an LTR-led Arabic line, turns
    segments: list[int] = field(default_factory=list)  # per SMS turn with a reply
    within: list[int] = field(default_factory=lambda: [0, 0])
    emoji: list[int] = field(default_factory=lambda: [0, 0])

    def add(self, result: TurnResult) -> None:
        self.conversations.add((result.conversation, result.channel))
        self.turns += 1
        self.timed_out += result.timed_out
        if result.outcome is not None:
            _count(self.service, result.outcome == "right")
        if result.expect.get("service") == NOT_YET:
            _count(self.not_yet_other, result.outcome == "other_service")
            if result.stored_for_review is not None:
                _count(self.review, result.stored_for_review)
        for tally, value in (
            (self.language, result.language_right),
            (self.whole, result.whole),
            (self.caveat, result.caveat_right),
            (self.sticky, result.prompt_seen),
            (self.within, result.within_segments),
            (self.emoji, result.emoji),
        ):
            if value is not None:
                _count(tally, value)
        if result.replies:
            _count(self.ltr, result.ltr_lines > 0)
        if result.channel == "sms" and result.replies:
            self.segments.append(result.segments or 0)


def _count(pair: list[int], hit: bool) -> None:
    pair[0] += bool(hit)
    pair[1] += 1


def tally_by(results: Iterable[TurnResult], key: Callable[[TurnResult], Optional[str]]) -> dict[str, Tally]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for result in results:
        name = key(result)
        if name is not None:
            tallies[name].add(result)
    return dict(tallies)


def share(pair: Sequence[int]) -> str:
    hit, total = pair
    return "—" if not total else f"{100 * hit / total:.0f}% {hit}/{total}"


def dialogue_table(rows: dict[str, Tally]) -> str:
    header = [
        "kind", "conv", "turns", "service right", "not_yet→other", "language right", "answer whole",
        "caveat right", "sticky prompt seen", "LTR-led ar", "SMS seg mean", "max", "whole in ≤ max seg", "SMS emoji",
        "timeouts",
    ]
    lines = []
    for name, t in rows.items():
        mean = f"{sum(t.segments) / len(t.segments):.2f}" if t.segments else "—"
        lines.append(
            [
                name, str(len(t.conversations)), str(t.turns), share(t.service), share(t.not_yet_other),
                share(t.language), share(t.whole), share(t.caveat), share(t.sticky), share(t.ltr), mean,
                str(max(t.segments)) if t.segments else "—", share(t.within), share(t.emoji), str(t.timed_out),
            ]
        )
    return _format([header] + lines)


def questions_table(rows: dict[str, Tally]) -> str:
    header = ["channel", "questions", "honest (no other service)", "another service's answer", "stored for review", "language right", "timeouts"]
    lines = [
        [
            name, str(t.turns), share(t.service), share(t.not_yet_other), share(t.review), share(t.language),
            str(t.timed_out),
        ]
        for name, t in rows.items()
    ]
    return _format([header] + lines)


def _format(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rendered = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    rendered.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(rendered)
