"""A model's held-out scorecard and the comparison of a new model with the active one."""

from __future__ import annotations

import pytest

from brain.scorecard import UNLABELLED, NotComparable, Parsed, compare, scorecard
from tests.brain.scorecards import card


def test_the_scorecard_counts_accuracies_f1_and_the_wrong_messages():
    parsed = [
        Parsed("a:1", "x", "ask_fees", "ask_fees", "s1", "s1", 10.0),
        Parsed("a:2", "y", "ask_fees", "ask_steps", "s1", "s1", 30.0),
        Parsed("a:3", "z", "ask_steps", "ask_steps", None, "s2", 20.0),
        Parsed("a:4", "w", "greet", "greet", UNLABELLED, None, 40.0),
    ]
    result = scorecard(parsed, "h", ["a.jsonl"])
    assert result["intent_accuracy"] == 0.75
    assert (result["service_n"], result["service_accuracy"]) == (3, 2 / 3)  # the unlabelled line is not counted
    assert result["per_intent"]["ask_fees"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert result["per_intent"]["ask_steps"]["precision"] == 0.5
    assert set(result["wrong"]) == {"a:2", "a:3"}
    assert result["median_parse_ms"] == 25.0


def test_a_worse_model_is_flagged_and_an_equal_one_is_not():
    active = card(wrong_fees=1)
    same = compare(card(wrong_fees=1), active)
    assert not same.regresses and same.newly_wrong == [] and same.newly_right == 0
    worse = compare(card(wrong_fees=9), active)
    assert worse.regresses and worse.intent_accuracy.regressed
    assert [r.intent for r in worse.intents if r.regressed] == ["ask_documents", "ask_fees"]
    assert len(worse.newly_wrong) == 8 and worse.newly_wrong[0]["gold_intent"] == "ask_fees"
    better = compare(card(wrong_fees=0), active)
    assert not better.regresses and better.newly_right == 1


def test_only_a_much_slower_model_counts_as_a_speed_regression():
    assert not compare(card(ms=24.0), card(ms=20.0)).regresses  # the machine's load moves it this much
    slow = compare(card(ms=45.0), card(ms=20.0))
    assert slow.median_parse_ms.regressed and "median parse time" in slow.regressions[0]


def test_scores_of_different_held_out_files_or_none_are_not_compared():
    other = dict(card(), heldout_hash="other")
    with pytest.raises(NotComparable):
        compare(card(), other)
    with pytest.raises(NotComparable):
        compare(card(), None)
