"""Answers the citizen tells us missed: "مش هاد قصدي" or "بدي موظف" right after an answer.

The dialogue flags what it knows it did not understand as it answers (core.brain.Answer.review_reason).
A wrong answer given with confidence it cannot know about: only the citizen's next message says so.
The pipeline sees both messages in order, so it decides here, and the earlier message goes to the
staff inbox (store.inbound.complete, `earlier_missed`) in the same transaction as the later answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Optional

# The citizen's next message, understood, that says the answer before it missed.
MISS_OF_INTENT = {"deny": "not_what_i_asked", "human_handoff": "handoff"}
# Only a reply this soon after the earlier message is about it.
FOLLOW_UP_WINDOW = timedelta(minutes=10)
# An earlier message of these was not a question a wrong answer could have missed ("مرحبا" then
# "بدي موظف" is a handoff, not a miss).
NOT_QUESTIONS = frozenset({
    "greet", "goodbye", "thank", "affirm", "deny", "human_handoff", "bot_challenge", "complaint",
    "subscribe_alerts", "unsubscribe",
})


def miss_reported_by(intent: Optional[str], flagged: Optional[str]) -> Optional[str]:
    """The inbox reason this message gives its predecessor, or None. A message the dialogue itself
    flagged (a low-confidence "لا") is not understood well enough to speak for another."""
    if flagged is not None or intent is None:
        return None
    return MISS_OF_INTENT.get(intent)


def was_a_question(intent: Optional[str]) -> bool:
    return intent is not None and intent not in NOT_QUESTIONS
