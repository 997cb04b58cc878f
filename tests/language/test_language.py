"""Language identification: Arabic script, English, Arabizi; short messages included."""

import pytest

from language import analyse
from language.language import detect_language

CASES = [
    # the cases the brief names
    ("bde ajaded jawaz", "arabizi"),
    ("hi", "en"),
    ("hello", "en"),
    ("thanks", "en"),
    ("how much is a passport", "en"),
    ("mar7aba", "arabizi"),
    ("shukran", "arabizi"),
    ("salam", "arabizi"),
    ("ok", "en"),
    ("kam rsoom el hawiye", "arabizi"),
    ("I want to renew my passport", "en"),
    ("where is the office", "en"),
    ("wein el maktab", "arabizi"),
    # more Arabizi, short and long
    ("2desh", "arabizi"),
    ("shu", "arabizi"),
    ("keef", "arabizi"),
    ("la2", "arabizi"),
    ("aywa", "arabizi"),
    ("ya3tek el 3afye", "arabizi"),
    ("shu el awra2 el matloobe", "arabizi"),
    ("emta el dawam", "arabizi"),
    ("bde a3mel rokhset swa2a", "arabizi"),
    ("kif ajaded el hawiye", "arabizi"),
    ("ma3amalti wein wasalat", "arabizi"),
    ("3adam ma7koomiye", "arabizi"),
    ("bde renew el passport", "arabizi"),
    ("momken tsa3edni bl tajdeed", "arabizi"),
    ("ana bdi ashteki 3ala mowazaf", "arabizi"),
    ("wen a7sal shahadet meelad", "arabizi"),
    ("MAR7ABA", "arabizi"),
    ("Salam 3alaykom", "arabizi"),
    ("shokran ktir", "arabizi"),
    ("tawjihi", "arabizi"),  # a lone service name both lists claim
    ("elhawiye", "arabizi"),
    ("adam mahkomia", "arabizi"),  # "adam" is also an English name
    ("kashf ed daman", "arabizi"),
    # English, short and long
    ("hey", "en"),
    ("yes", "en"),
    ("no", "en"),
    ("okay thanks", "en"),
    ("thank you", "en"),
    ("help", "en"),
    ("stop", "en"),
    ("good morning", "en"),
    ("What documents do I need for a birth certificate?", "en"),
    ("My driving licence expired last week", "en"),
    ("Can I pay traffic fines online", "en"),
    ("what is sanad", "en"),
    ("tawjihi results", "en"),
    ("How long does the non-conviction certificate take?", "en"),
    ("I lost my ID card", "en"),
    ("when does the office open on saturday", "en"),
    ("the employee was rude, I want to complain", "en"),
    ("unsubscribe", "en"),
    ("Helloooo", "en"),
    ("10am", "ar"),  # a time, not a language
    # Arabic script, alone or mixed with Latin
    ("مرحبا", "ar"),
    ("بدي اجدد جواز السفر", "ar"),
    ("كم رسوم الهوية؟", "ar"),
    ("بدي renew لل passport", "ar"),
    ("للpassport", "ar"),
    ("hello مرحبا", "ar"),
    ("I need a جواز", "ar"),
    # nothing to go on: the default audience
    ("", "ar"),
    ("   ", "ar"),
    ("123", "ar"),
    ("2024-118734", "ar"),
    ("👍", "ar"),
    ("😊😊 !!", "ar"),
    ("?", "ar"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_analyse_reports_the_same_language(text: str, expected: str) -> None:
    assert analyse(text).language == expected
