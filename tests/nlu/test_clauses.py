"""Which clause of a message asks (nlu/clauses.py), without a model."""

from __future__ import annotations

import pytest

from language.analysis import analyse
from nlu.clauses import asked_as_required, asking_clauses, clause_indexes


def _tokens(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    tokens = analyse(text).tokens
    return [t.norm for t in tokens], [(t.start, t.end) for t in tokens]


@pytest.mark.parametrize(
    "text, clauses",
    [
        ("بنتي جابت 90 بالتوجيهي، كيف تقدم على طب بالجامعة؟", [0, 0, 0, 0, 1, 1, 1, 1, 1]),
        ("الجواز بدي اجدده", [0, 1, 1]),  # a request word opens a clause
        ("بدي اعرف رسوم الجواز", [0, 0, 0, 0]),  # ... but not after another one
        ("I renewed my passport. How do I register a company", [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]),
    ],
)
def test_clauses_end_at_punctuation_or_where_a_question_begins(text, clauses):
    norms, spans = _tokens(text)
    assert clause_indexes(text, spans, norms) == clauses


@pytest.mark.parametrize(
    "text, asking",
    [
        ("بنتي جابت 90 بالتوجيهي، كيف تقدم على طب بالجامعة؟", {1}),
        ("رسوم جواز السفر، وبدي اسجل شركة", {0, 1}),  # an aspect word asks
        ("الجامعة الاردنية، متى التقديم؟", {1}),
        ("my son passed the tawjihi. medicine at the university?", {1}),  # a question mark asks
        ("عدم محكومية، للوظيفة الحكومية", set()),
    ],
)
def test_a_clause_asks_with_a_question_or_request_word_or_a_question_mark(text, asking):
    norms, spans = _tokens(text)
    assert asking_clauses(text, spans, norms) == asking


@pytest.mark.parametrize(
    "text, name, required",
    [
        ("الهوية ضاعت، بدهم مني كتاب من المخفر؟", "المخفر", True),
        ("do I need a police report for my lost ID?", "police", True),
        ("ترخيص التكسي من هيئة النقل شو بدو؟", "هيئة", False),  # what it needs is asked after the name
        ("كيف اقدم على الجامعة؟", "الجامعة", False),
    ],
)
def test_a_name_after_a_word_of_requiring_is_asked_as_a_requirement(text, name, required):
    norms, spans = _tokens(text)
    start = text.index(name)
    positions = [i for i, (a, _) in enumerate(spans) if a == start]
    assert asked_as_required(text, spans, norms, positions) is required
