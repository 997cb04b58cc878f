"""A guess the model is not sure of is never answered (dialogue/low_confidence.py), on every road."""

from __future__ import annotations

import uuid

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from catalog.replies import say
from tests.dialogue.test_conversations import said

pytestmark = pytest.mark.slow

# Keyboard mashes: how sure the model is of each depends on the training data, but a model that is
# sure of all of them has lost the ability to say "I don't know".
MASHES = ["zxqv plmk qwrt", "qwpoe zmxn", "ktrwz vbnm plq", "فقثصق ضصثق", "asdfgh jkl"]


@pytest.fixture
def citizen() -> str:
    return f"citizen-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def gibberish(brain) -> str:
    """The mash the model is least sure of; it must be under the threshold."""
    confidence = {text: (await brain.parse(text))["intent"]["confidence"] for text in MASHES}
    text = min(confidence, key=confidence.get)
    assert confidence[text] < 0.40, confidence
    return text


async def test_the_model_reports_its_best_guess_and_the_dialogue_declines_it(brain, citizen, gibberish):
    parse = await brain.parse(gibberish)
    assert parse["intent"]["name"] != "nlu_fallback"

    answer = await brain.respond(citizen, said(gibberish))
    # Staff see what the model guessed, and why the message needs review.
    assert (answer.intent, answer.review_reason) == (parse["intent"]["name"], "low_confidence")
    assert answer.confidence == pytest.approx(parse["intent"]["confidence"])
    [reply] = answer.replies
    assert reply.text.startswith(say("not_understood", reply.language)[:20])
    assert any(c.id == "/list_services" for c in reply.choices)


async def test_a_confident_question_after_a_fallback_is_answered(brain, citizen, gibberish):
    await brain.respond(citizen, said(gibberish))
    answer = await brain.respond(citizen, said("قديش رسوم تجديد جواز السفر؟"))
    assert (answer.intent, answer.service_id, answer.review_reason) == ("ask_fees", "cspd.passport_renew", None)
    assert "50" in answer.replies[0].text


async def test_inside_the_form_the_number_is_read_first_and_gibberish_is_declined(brain, citizen, gibberish):
    ask = await brain.respond(citizen, said("بدي اعرف وين صارت معاملتي"))
    assert "رقم" in ask.replies[0].text
    confused = await brain.respond(citizen, said(gibberish))
    assert confused.review_reason == "low_confidence"
    # The form is still waiting: the number that follows is looked up.
    answer = await brain.respond(citizen, said("2024-118734"))
    assert "2024-118734" in answer.replies[0].text


async def test_stock_rasa_behaves_the_same(brain, citizen, gibberish):
    """`rasa shell` and `rasa run` hand the text to the agent, which parses it itself."""
    collector = CollectingOutputChannel()
    await brain.agent.handle_message(UserMessage(gibberish, collector, sender_id=citizen))
    texts = [m.get("text") for m in collector.messages if m.get("text")]
    assert len(texts) == 1
    assert any(texts[0].startswith(say("not_understood", language)[:20]) for language in ("ar", "en"))
