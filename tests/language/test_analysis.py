"""analyse(): tokens, offsets, numbers, emoji, mixed scripts, and a printed micro-benchmark."""

import time

import pytest

from language import Analysis, Token, analyse
from language import analysis as analysis_module

MESSAGES = [
    "مرحبا، بدي أجدد جواز السفر تبعي، قديش الرسوم وشو الأوراق المطلوبة؟",
    "bde ajaded jawaz safar, 2desh el rusoom w shu el awra2 el matloobe?",
    "Hello! I want to renew my passport 🙏 how much are the fees?",
    "للpassport رقم الطلب 2024-118734 بتاريخ ١٢/٣ والمبلغ 1.5 دينار، تلفوني ٠٧٩٥٥٥١٢٣٤ 👍😊",
    "\u200fمر\u200cحبا\u00a0\u00a0كتييييير ... شُكْراً!!!",
    "esh-shari3 el-ma7kame 3'ali, wjawaz?",
    "   ",
    "",
]


def norms(text: str) -> list[str]:
    return [token.norm for token in analyse(text).tokens]


def texts(text: str) -> list[str]:
    return [token.text for token in analyse(text).tokens]


@pytest.mark.parametrize("message", MESSAGES)
def test_every_token_points_at_its_text(message: str) -> None:
    previous_end = 0
    for token in analyse(message).tokens:
        assert message[token.start:token.end] == token.text
        assert token.start >= previous_end
        assert token.norm
        previous_end = token.end


def test_arabic_message() -> None:
    analysis = analyse("بدي أجدّد جواز السفر، قديش الرسوم؟")
    assert analysis.language == "ar"
    assert texts("بدي أجدّد جواز السفر، قديش الرسوم؟") == ["بدي", "أجدّد", "جواز", "السفر", "قديش", "الرسوم"]
    assert analysis.normalized == "بدي اجدد جواز السفر قديش الرسوم"


def test_arabizi_message_is_transliterated_and_keeps_english_words() -> None:
    analysis = analyse("bde renew el passport")
    assert analysis.language == "arabizi"
    assert analysis.normalized == "بدي renew ال passport"


def test_standalone_article_joins_the_next_arabizi_word() -> None:
    # So "el hawiye" meets "الهويه" typed in Arabic script; "el" keeps its own token for offsets.
    analysis = analyse("kam rsoom el hawiye")
    assert [t.text for t in analysis.tokens] == ["kam", "rsoom", "el", "hawiye"]
    assert analysis.normalized == "كم رسوم ال الهويه"
    assert norms("ya3tek el 3afye") == ["يعطيك", "ال", "العافيه"]
    assert norms("wein el zarqa") == ["وين", "ال", "الزرقاء"]
    assert norms("kashf ed daman") == ["كشف", "ال", "الضمان"]  # article assimilated to a sun letter


def test_english_message_is_only_lower_cased() -> None:
    analysis = analyse("How much is a PASSPORT?")
    assert analysis.language == "en"
    assert analysis.normalized == "how much is a passport"


def test_arabizi_words_inside_an_arabic_message_are_transliterated() -> None:
    assert norms("مرحبا bde jawaz passport") == ["مرحبا", "بدي", "جواز", "passport"]


@pytest.mark.parametrize(
    ("message", "expected_texts", "expected_norms"),
    [
        ("رقم 2024-118734", ["رقم", "2024-118734"], ["رقم", "2024-118734"]),
        ("12/3", ["12/3"], ["12/3"]),
        ("1.5 دينار", ["1.5", "دينار"], ["1.5", "دينار"]),
        ("٠٧٩٥٥٥١٢٣٤", ["٠٧٩٥٥٥١٢٣٤"], ["0795551234"]),
        ("۱۲۳", ["۱۲۳"], ["123"]),
        ("٣٫٥", ["٣٫٥"], ["3.5"]),
        ("1,000 JD", ["1,000", "JD"], ["1,000", "jd"]),
        ("+962 79 555 1234", ["962", "79", "555", "1234"], ["962", "79", "555", "1234"]),
        ("رقم123", ["رقم", "123"], ["رقم", "123"]),
        ("2024.", ["2024"], ["2024"]),
    ],
)
def test_numbers_are_kept(message: str, expected_texts: list[str], expected_norms: list[str]) -> None:
    assert texts(message) == expected_texts
    assert norms(message) == expected_norms


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("👍", []),
        ("شكرا 🙏🙏", ["شكرا"]),
        ("ok👍", ["ok"]),
        ("😊مرحبا😊", ["مرحبا"]),
        ("🇯🇴 الاردن ❤️", ["الاردن"]),
        ("!!! ؟؟ ... ،", []),
        ("ـــ", []),  # tatweel alone is not a word
        ("ً", []),  # nor a lone diacritic
    ],
)
def test_emoji_and_punctuation_produce_no_token(message: str, expected: list[str]) -> None:
    assert norms(message) == expected


@pytest.mark.parametrize(
    ("message", "expected_texts", "expected_norms"),
    [
        ("للpassport", ["لل", "passport"], ["لل", "passport"]),
        ("passportلل", ["passport", "لل"], ["passport", "لل"]),
        ("الـpassport", ["الـ", "passport"], ["ال", "passport"]),
    ],
)
def test_arabic_glued_to_latin_is_split(message: str, expected_texts: list[str], expected_norms: list[str]) -> None:
    assert texts(message) == expected_texts
    assert norms(message) == expected_norms


def test_digits_inside_a_latin_word_stay_in_it() -> None:
    assert texts("mar7aba 3'ali 2desh") == ["mar7aba", "3'ali", "2desh"]


def test_hyphenated_arabizi_article_is_one_token() -> None:
    analysis = analyse("esh-shari3 w el-ma7kame")
    assert [t.text for t in analysis.tokens] == ["esh-shari3", "w", "el-ma7kame"]
    assert analysis.normalized == "الشارع و المحكمه"


def test_english_hyphenated_words_split() -> None:
    assert texts("non-conviction certificate") == ["non", "conviction", "certificate"]


def test_invisible_characters_do_not_split_or_leak() -> None:
    analysis = analyse("\u200fمر\u200cحبا\u00a0\u00a0بك")
    assert [t.norm for t in analysis.tokens] == ["مرحبا", "بك"]
    assert analysis.tokens[0].text == "مر\u200cحبا"


def test_normalized_joins_token_norms() -> None:
    analysis = Analysis("ar", (Token("جَواز", 0, 5, "جواز"), Token("سفر", 6, 9, "سفر")))
    assert analysis.normalized == "جواز سفر"
    assert analyse("").normalized == ""
    assert analyse("").tokens == ()


def test_same_meaning_in_three_scripts_meets() -> None:
    assert analyse("جَوَاز").normalized == analyse("jawaz").normalized == analyse("JAWAZ").normalized


def test_non_string_input_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="needs a str"):
        analyse(None)  # type: ignore[arg-type]


def test_long_junk_input_is_handled() -> None:
    junk = "a" * 5000 + " " + "1" * 5000 + " " + "ب" * 5000 + " x7" * 2000
    analysis = analyse(junk)
    assert analysis.tokens[0].norm == "a"
    assert analysis.tokens[1].norm == "1" * 5000
    assert analysis.tokens[2].norm == "ب"
    for token in analysis.tokens:
        assert junk[token.start:token.end] == token.text


# Every message, and every training line, goes through analyse(): its target is under 0.2 ms a
# message, which it meets because a running bot sees the same words again and again and each word's
# normal form is cached (measured here 0.04-0.15 ms warm, depending on what else runs; 0.08-0.3 ms
# with the caches gone). The best of many short rounds is what the code costs; slower rounds measure
# whatever else shares the machine.
BUDGET_MS = 0.2


def _word_cache_hits() -> int:
    caches = (analysis_module._cached_latin_norm, analysis_module._cached_normalize)
    return sum(cache.cache_info().hits for cache in caches)


def test_analyse_stays_within_its_budget_on_warm_caches(capsys: pytest.CaptureFixture[str]) -> None:
    rounds, repeats = 50, 20
    for message in MESSAGES[:4]:
        cold = analyse(message)
        hits = _word_cache_hits()
        assert analyse(message) == cold  # the cached forms are the ones the cold path computed
        assert _word_cache_hits() - hits >= len(cold.tokens), "a repeated message computed its words again"
        best_ms = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            for _ in range(rounds):
                analyse(message)
            best_ms = min(best_ms, (time.perf_counter() - started) / rounds * 1000)
        with capsys.disabled():
            print(f"\nanalyse(): {best_ms:.4f} ms/message, {len(message.split())} words: {message[:40]!r}")
        assert best_ms < BUDGET_MS, f"analyse() took {best_ms:.3f} ms for {message[:40]!r} (budget {BUDGET_MS} ms)"
