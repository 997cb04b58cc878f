"""A guess the model is not sure of is never answered (dialogue/low_confidence.py), on every road."""

from __future__ import annotations

import uuid

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.replies import say
from tests.dialogue.test_conversations import said

pytestmark = pytest.mark.slow

GIBBERISH = "zxqv plmk qwrt"


@pytest.fixture
def citizen() -> str:
    return f"citizen-{uuid.uuid4().hex[:8]}"


async def test_the_model_reports_its_best_guess_and_the_dialogue_declines_it(brain, citizen):
    parse = await brain.parse(GIBBERISH)
    assert parse["intent"]["name"] != "nlu_fallback"
    assert parse["intent"]["confidence"] < 0.40

    answer = await brain.respond(citizen, said(GIBBERISH))
    # Staff see what the model guessed, and why the message needs review.
    assert (answer.intent, answer.review_reason) == (parse["intent"]["name"], "low_confidence")
    assert answer.confidence == pytest.approx(parse["intent"]["confidence"])
    [reply] = answer.replies
    assert reply.text.startswith(say("not_understood", reply.language)[:20])
    assert any(c.id == "/list_services" for c in reply.choices)


async def test_a_confident_question_after_a_fallback_is_answered(brain, citizen):
    await brain.respond(citizen, said(GIBBERISH))
    answer = await brain.respond(citizen, said("قديش رسوم تجديد جواز السفر؟"))
    assert (answer.intent, answer.service_id, answer.review_reason) == ("ask_fees", "cspd.passport_renew", None)
    assert "50" in answer.replies[0].text


async def test_inside_the_form_the_number_is_read_first_and_gibberish_is_declined(brain, citizen):
    ask = await brain.respond(citizen, said("بدي اعرف وين صارت معاملتي"))
    assert "رقم" in ask.replies[0].text
    confused = await brain.respond(citizen, said(GIBBERISH))
    assert confused.review_reason == "low_confidence"
    # The form is still waiting: the number that follows is looked up.
    answer = await brain.respond(citizen, said("2024-118734"))
    assert "2024-118734" in answer.replies[0].text


async def test_stock_rasa_behaves_the_same(brain, citizen):
    """`rasa shell` and `rasa run` hand the text to the agent, which parses it itself."""
    collector = CollectingOutputChannel()
    await brain.agent.handle_message(UserMessage(GIBBERISH, collector, sender_id=citizen))
    texts = [m.get("text") for m in collector.messages if m.get("text")]
    assert len(texts) == 1
    assert any(texts[0].startswith(say("not_understood", language)[:20]) for language in ("ar", "en"))
