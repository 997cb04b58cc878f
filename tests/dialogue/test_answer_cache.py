"""The answer cache (brain/answer_cache.py): a replayed turn gives what Rasa would have given.

Each conversation runs once through a brain without the cache (the slow path) and several times
through one with it, from new citizens, so the later runs are answered from the cache. Every turn
must match: the replies, what was understood, the slots and form afterwards, and the events the
turn left in the tracker (kinds, and the user message's text and parse).
"""

from __future__ import annotations

import itertools
import time
import uuid

import pytest

from brain.answer_cache import AnswerCache
from core.brain import Answer
from core.messages import KIND_CHOICE, KIND_TEXT, WHATSAPP, InboundMessage
from brain.rasa_brain import RasaBrain

_ids = itertools.count()

# (text, payload) turns; a payload is a tapped button.
CONVERSATIONS = [
    [("السلام عليكم", None), ("قديش رسوم تجديد جواز السفر؟", None), ("وشو الاوراق المطلوبة؟", None), ("شكرا", None)],
    [("قديش رسوم الرخصة؟", None), ("", "dvld.driving_license_renew")],
    [("how long does a non-conviction certificate take?", None), ("and the fees?", None)],
    [("2desh rsoom shahadet el meelad?", None), ("wein bade aroo7?", None)],
    [("شو الاوراق المطلوبة؟", None), ("الهوية", None)],
    [("zxqv plmk qwrt", None), ("مين انت؟", None), ("مع السلامة", None)],
    # The same follow-ups as above in another context: only the dialogue state tells them apart.
    [("كم رسوم شهادة الميلاد؟", None), ("وشو الاوراق المطلوبة؟", None)],
    [("how do I renew my driving licence?", None), ("and the fees?", None)],
]


def said(text: str, payload: str | None = None) -> InboundMessage:
    kind = KIND_CHOICE if payload else KIND_TEXT
    return InboundMessage(WHATSAPP, f"cache-{next(_ids)}", "962790000000", kind=kind, text=text, payload=payload)


def citizen() -> str:
    return f"cache-citizen-{uuid.uuid4().hex[:8]}"


def outcome(answer: Answer) -> tuple:
    replies = [(r.text, r.language, [(c.id, c.title) for c in r.choices]) for r in answer.replies]
    return (replies, answer.intent, answer.confidence, answer.service_id, answer.language, answer.review_reason)


async def dialogue(brain: RasaBrain, key: str, events_before: int) -> tuple:
    tracker = await brain.agent.processor.get_tracker(key)
    shapes = [
        (e.type_name, getattr(e, "action_name", None), getattr(e, "text", None), _without_id(getattr(e, "parse_data", None)))
        for e in list(tracker.events)[events_before:]
    ]
    return tracker.current_slot_values(), tracker.active_loop_name, shapes, len(tracker.events)


def _without_id(parse: dict | None) -> dict | None:
    """A parse without its message id: every message gets a new random one."""
    return None if parse is None else {k: v for k, v in parse.items() if k != "message_id"}


async def run(brain: RasaBrain, turns, language=None) -> list[tuple]:
    key, seen, results = citizen(), 0, []
    for text, payload in turns:
        answer = await brain.respond(key, said(text, payload), language=language)
        slots, loop, shapes, seen = await dialogue(brain, key, seen)
        results.append((outcome(answer), slots, loop, shapes))
    return results


@pytest.mark.slow
@pytest.mark.parametrize("language", [None, "en"])
async def test_a_cached_turn_equals_the_slow_turn(brain, language):
    slow = RasaBrain(brain.agent)
    fast = RasaBrain(brain.agent, AnswerCache())
    for turns in CONVERSATIONS:
        expected = await run(slow, turns, language)
        for _ in range(3):
            assert await run(fast, turns, language) == expected
    turns = sum(len(turns) for turns in CONVERSATIONS)
    # The first run of each conversation fills the caches; the later two are answered from them.
    assert fast.cache.turns.hits >= 2 * turns and fast.cache.parses.hits >= 2 * turns
    assert fast.cache.turns.hits + fast.cache.turns.misses == 3 * turns


@pytest.mark.slow
async def test_other_wordings_of_an_understood_question_reuse_the_turn(brain):
    slow = RasaBrain(brain.agent)
    fast = RasaBrain(brain.agent, AnswerCache())
    wordings = ["قديش رسوم تجديد جواز السفر؟", "كم رسوم تجديد الجواز", "بدي اجدد جوازي قديش بكلف"]
    for text in wordings:
        assert await run(fast, [(text, None)]) == await run(slow, [(text, None)])
    understood = {(await brain.parse(t))["intent"]["name"] for t in wordings}
    assert understood == {"ask_fees"}
    assert fast.cache.parses.hits == 0 and fast.cache.turns.hits == len(wordings) - 1


@pytest.mark.slow
async def test_an_unsure_guess_never_reuses_the_turn_of_a_sure_one(brain):
    """Same intent, same entities, same state: only the confidence differs, and with it the turn."""
    fast = RasaBrain(brain.agent, AnswerCache())
    sure = await brain.parse("hello")
    assert sure["intent"]["name"] == "greet" and sure["intent"]["confidence"] >= 0.40
    unsure = {**sure, "intent": {**sure["intent"], "confidence": 0.1}}

    async def parse(text, metadata=None):
        return sure if text == "hello" else unsure

    fast.parse = parse
    greeted = await fast.respond(citizen(), said("hello"))
    declined = await fast.respond(citizen(), said("hello??"))
    assert greeted.review_reason is None and declined.review_reason == "low_confidence"
    assert greeted.replies[0].text != declined.replies[0].text


@pytest.mark.slow
async def test_turns_that_write_records_or_ask_a_backend_always_run_through_rasa(brain):
    fast = RasaBrain(brain.agent, AnswerCache())
    for _ in range(3):
        await run(fast, [("بدي اقدم شكوى على الموظف", None)])
        await run(fast, [("بدي اعرف وين وصلت معاملتي", None), ("12345678", None)])
        await run(fast, [("بدي اشترك بتنبيهات انتهاء الوثائق", None)])
    assert (fast.cache.turns.hits, len(fast.cache.turns)) == (0, 0)


def test_entries_expire_and_the_oldest_go_first():
    cache = AnswerCache(max_entries=2, ttl_s=60)
    for key in ("a", "b", "c"):
        cache.keep_turn(key, [{"text": key}], [])
    assert cache.turn("a") is None  # pushed out by "c"
    assert cache.turn("b").outputs == ({"text": "b"},)
    cache.keep_turn("d", [{"text": "d"}], [])  # "c" is now the least recently used
    assert cache.turn("c") is None and cache.turn("d") is not None

    stale = AnswerCache(ttl_s=0.05)
    stale.keep_parse("a", {"intent": {"name": "greet"}})
    time.sleep(0.06)
    assert stale.parse("a") is None and len(stale.parses) == 0
