"""Scorecards for tests that need models with scores but not the parsing: built by the real
`brain.scorecard.scorecard` from parses a test describes."""

from __future__ import annotations

from brain.scorecard import Parsed, scorecard

HELDOUT = "test-heldout"


def card(wrong_fees: int = 0, ms: float = 20.0, total_per_intent: int = 20) -> dict:
    """Two intents, `total_per_intent` messages each; `wrong_fees` of the fee questions answered
    as documents questions."""
    parsed = []
    for intent in ("ask_fees", "ask_documents"):
        for n in range(total_per_intent):
            predicted = "ask_documents" if intent == "ask_fees" and n < wrong_fees else intent
            parsed.append(Parsed(f"set:{intent}:{n}", f"{intent} question {n}", intent, predicted,
                                 "cspd.passport_new", "cspd.passport_new", ms))
    return scorecard(parsed, HELDOUT, ["set.jsonl"])
