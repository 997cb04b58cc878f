"""Levantine wording mapped onto MSA for the intent classifier (language/levantine.py)."""

from __future__ import annotations

import pytest

from language import analyse
from language.levantine import levantine_to_msa


@pytest.mark.parametrize(
    "levantine, msa",
    [
        ("بدي اشحن الكرت", "اريد اشحن البطاقه"),
        ("الكرت الجديد امتى بيوصل", "البطاقه الجديد متي يوصل"),  # the b- imperfect prefix goes
        ("شو لازم", "ماذا يجب"),
        # the Palestinian words added from a public set's training file
        ("لهسا ما وصلت المصاري", "حتي الان ما وصلت المال"),
        ("حطيت رقم غلط", "وضعت رقم خطا"),
    ],
)
def test_dialect_words_become_their_msa_counterparts(levantine, msa):
    assert levantine_to_msa(analyse(levantine).normalized) == msa


def test_msa_and_english_are_left_alone():
    for text in ("كم رسوم تجديد جواز السفر", "how much is the passport renewal"):
        normalized = analyse(text).normalized
        assert levantine_to_msa(normalized) == normalized
