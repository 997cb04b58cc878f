"""No Arabic line the bot sends starts with a character that turns it left-to-right.

A chat app sets each line's direction from its first strongly directional character: a leading
Latin word, or ℹ️ (a letter to the bidi algorithm), renders the whole Arabic line left-to-right,
punctuation on the wrong side. Digits and punctuation are weak and may lead ("50 دينارًا", "- الهوية").
Pictographs are refused at a line's start too: most are neutral, but not all (ℹ️), and apps do
not agree on them. Scanned: every Arabic reply in data/replies.yml, every Arabic catalog answer,
heading and caveat, and what WhatsApp and SMS make of each answer.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

import pytest
import yaml

from actions.service_answers import compose_answer, follow_up_choices
from catalog.replies import DEFAULT_REPLIES
from catalog.services import ASPECTS, Catalog
from channels.sms.render import render
from core.messages import BotReply, Choice

PLACEHOLDER = re.compile(r"\{[^}]*\}")
REPLIES: dict[str, dict[str, str]] = yaml.safe_load(DEFAULT_REPLIES.read_text(encoding="utf-8"))


def direction_breaker(line: str) -> Optional[str]:
    """The character that would set this Arabic line left-to-right, or None when Arabic leads."""
    for char in PLACEHOLDER.sub("", line):  # a placeholder's value is what decides, not its name
        if unicodedata.bidirectional(char) in ("R", "AL"):
            return None
        if unicodedata.bidirectional(char) == "L" or unicodedata.category(char) == "So":
            return char
    return None


def breaking_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if direction_breaker(line)]


def test_the_check_catches_latin_letters_and_pictographs_but_not_digits_or_marks():
    assert direction_breaker("ℹ️ هذه معلومات إرشادية") == "ℹ"
    assert direction_breaker("👋 أهلاً") == "👋"
    assert direction_breaker("Sanad تطبيق سند") == "S"
    assert direction_breaker("2 copies من الهوية") == "c"  # digit-led English
    assert direction_breaker("50 دينارًا") is None
    assert direction_breaker("- البطاقة الشخصية") is None
    assert direction_breaker("(تجديد جواز السفر - دائرة الأحوال المدنية)") is None
    assert direction_breaker("{ticket} رقم طلبك") is None
    assert direction_breaker("") is None


@pytest.mark.parametrize("key", sorted(REPLIES))
def test_every_arabic_reply_line_starts_right_to_left(key: str) -> None:
    assert breaking_lines(REPLIES[key]["ar"]) == [], key


def _arabic_answers() -> list[tuple[str, BotReply]]:
    answers = []
    for service in Catalog.load().services.values():
        for aspect in ASPECTS:
            composed = compose_answer(service, aspect, "ar")
            choices = [Choice(c["payload"], c["title"]) for c in follow_up_choices(service, aspect, "ar")]
            reply = BotReply(composed.text, "ar", choices, heading=composed.heading, caveat=composed.caveat)
            answers.append((f"{service.id}/{aspect}", reply))
    return answers


def test_every_arabic_catalog_answer_starts_each_line_right_to_left_on_every_channel() -> None:
    found = []
    for where, reply in _arabic_answers():
        texts = [reply.whole_text()]  # as WhatsApp shows it: heading, answer, caveat
        sms_reply = reply
        for _ in range(5):  # the SMS, then each MORE the citizen may ask for
            [sms] = render(sms_reply, "962790000000")
            texts.append(sms.text)
            if not sms.body.get("more"):
                break
            sms_reply = BotReply(text=sms.body["more"], language="ar")
        found += [(where, line) for text in texts for line in breaking_lines(text)]
    assert found == []
