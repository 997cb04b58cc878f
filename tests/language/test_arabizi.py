"""Arabizi -> Arabic: lexicon words and phrases, spelling rules, and the lexicon file itself."""

from pathlib import Path

import pytest

from language.arabizi import arabizi_to_arabic, has_arabizi_digits
from language.normalize import normalize_arabic
from language.wordlists import (
    ARABIZI_PHRASES,
    ARABIZI_WORDS,
    ENGLISH_WORDS,
    LexiconError,
    load_arabizi_lexicon,
)

LEXICON_CASES = [
    # function words and dialect
    ("bde", "بدي"), ("bdi", "بدي"), ("biddi", "بدي"),
    ("2desh", "قديش"), ("adesh", "قديش"), ("qadeesh", "قديش"), ("kadesh", "قديش"),
    ("wein", "وين"), ("wen", "وين"), ("wain", "وين"),
    ("shu", "شو"), ("sho", "شو"), ("esh", "شو"),
    ("keef", "كيف"), ("kif", "كيف"), ("kef", "كيف"),
    ("b2dar", "بقدر"), ("ba2dar", "بقدر"),
    ("ana", "انا"), ("enta", "انت"), ("hala2", "هلا"), ("la2", "لا"),
    ("ah", "اه"), ("aah", "اه"), ("aywa", "ايوا"),
    ("mar7aba", "مرحبا"), ("marhaba", "مرحبا"), ("shokran", "شكرا"), ("shukran", "شكرا"),
    ("salam", "سلام"), ("emta", "امتي"),
    # government vocabulary
    ("jawaz", "جواز"), ("basbor", "باسبور"),
    ("hawiye", "هويه"), ("hawieh", "هويه"), ("hawya", "هويه"),
    ("rokhsa", "رخصه"), ("ru5sa", "رخصه"),
    ("shahade", "شهاده"), ("tajdeed", "تجديد"), ("ajaded", "اجدد"), ("ajadded", "اجدد"),
    ("rusoom", "رسوم"), ("rsoom", "رسوم"), ("rosoom", "رسوم"),
    ("awra2", "اوراق"), ("awraq", "اوراق"),
    ("ma3amle", "معامله"), ("mo3amala", "معامله"),
    ("mukhalafat", "مخالفات"), ("m5alafat", "مخالفات"),
    ("daman", "ضمان"), ("dhaman", "ضمان"),
    ("tawjihi", "توجيهي"), ("tawjihe", "توجيهي"),
    ("e2ame", "اقامه"), ("iqama", "اقامه"),
    ("ta2mee", "تامين"), ("ta2meen", "تامين"),
    ("sanad", "سند"), ("dareebe", "ضريبه"), ("dareeba", "ضريبه"),
    ("mowazaf", "موظف"), ("shakwa", "شكوي"), ("dawam", "دوام"),
]

PHRASE_CASES = [
    ("jawaz safar", "جواز سفر"),
    ("ya3tek el 3afye", "يعطيك العافيه"),
    ("rokhset swa2a", "رخصه سواقه"),
    ("shahadet meelad", "شهاده ميلاد"),
    ("daftar 3eleh", "دفتر عيله"),
    ("daftar 3a2ele", "دفتر عايله"),
    ("3adam ma7koomiye", "عدم محكوميه"),
    ("tasree7 3amal", "تصريح عمل"),
]

# Words deliberately absent from the lexicon: the spelling rules alone must get them right.
RULE_CASES = [
    ("ma3rake", "معركه"),  # 3 -> ع, final e -> ه
    ("kbeer", "كبير"),  # ee -> ي
    ("5ubz", "خبز"),  # 5 -> خ
    ("3arabi", "عربي"),
    ("mas2ooleen", "مسوولين"),  # hamza on waw (مسؤولين, normalised)
    ("ra2ees", "رييس"),  # hamza on yaa (رئيس, normalised)
    ("mas2ale", "مساله"),  # hamza on alef (مسألة, normalised)
    ("jaza2", "جزاء"),  # a final -a2 after two consonants is the hamza ending (اء)
    ("2adeem", "قديم"),  # word-initial 2 -> ق (hamza-initial words are written "ana", "akeed")
    ("3omr", "عمر"),  # 3 -> ع
    ("3'urfe", "غرفه"),  # 3' -> غ
    ("8arbi", "غربي"),  # 8 -> غ
    ("6'arf", "ظرف"),  # 6' -> ظ
    ("ma6ar", "مطر"),  # 6 -> ط
    ("9alb", "قلب"),  # 9 -> ق (Jordanian)
    ("shar6a", "شرطه"),  # sh digraph, final a -> ه
    ("khubz", "خبز"),  # kh digraph
    ("ghareeb", "غريب"),  # gh digraph
    ("thalj", "ثلج"),  # th digraph
    ("mareedh", "مريض"),  # dh digraph (ض in Jordanian Arabizi)
    ("chai", "شي"),  # ch digraph
    ("nour", "نور"),  # ou long vowel
    ("zeit", "زيت"),  # ei long vowel
    ("mashroo3", "مشروع"),  # oo long vowel
    ("ta3meem", "تعميم"),
    ("ba7r", "بحر"),  # 7 -> ح
    ("kursi", "كرسي"),  # final i -> ي
    ("7ilw", "حلو"),
    ("3ndha", "عندها"),  # -ha suffix: final a stays ا, n+d+h is not ذ
    ("moshtarak", "مشترك"),
    ("elmadrase", "المدرسه"),  # glued article
    ("el-ma7kame", "المحكمه"),  # hyphenated article
    ("esh-shams", "الشمس"),  # sun-letter assimilation with a hyphen
    ("eshshams", "الشمس"),  # ... and glued
    ("essa3a", "الساعه"),  # ... onto a lexicon word
    ("esh-shari3", "الشارع"),
    ("wjawaz", "وجواز"),  # w prefix + lexicon word
    ("wel3eleh", "والعيله"),  # w + article + lexicon word
    ("belsayyara", "بالسياره"),  # b + article
    ("lalmaktab", "للمكتب"),  # l + article
    ("Mar7abaaaa", "مرحبا"),  # case and elongation folded before the lexicon lookup
]


# Spelling-rule fixes, each with the look-alikes it must leave alone (none of these is in the lexicon).
RULE_FIX_CASES = [
    # a single "a" in the last syllable is long after a cluster or a non-a vowel ...
    ("imti7an", "امتحان"),
    ("e3lan", "اعلان"),
    ("6alabat", "طلبات"),  # ... and in a plural -at
    ("ma3had", "معهد"),  # but short after another a (maf3al, fa3al)
    ("balad", "بلد"),
    ("bi3raf", "بعرف"),  # or in a present-tense verb
    ("6il3at", "طلعت"),  # a feminine verb's -at is not a plural
    ("ismak", "اسمك"),  # -ak is "your"
    ("madrasah", "مدرسه"),  # -ah is the feminine ending
    # 2 is the urban qaf unless a hamza pattern says otherwise
    ("bi2dar", "بقدر"),
    ("ma2bool", "مقبول"),
    ("i2tira7", "اقتراح"),
    ("ta6bee2", "تطبيق"),
    ("7u2oo2", "حقوق"),
    ("2areeb", "قريب"),
    ("ta2jeelo", "تاجيله"),  # ta2 + consonant: taf'eel of a hamza root
    ("e3fa2", "اعفاء"),
    # a digraph's h can start a pronoun suffix
    ("bintha", "بنتها"),
    ("ukhtha", "اختها"),
    ("nafshom", "نفسهم"),
    ("waladhom", "ولدهم"),
    ("7aditha", "حدثه"),  # not after a vowel: th stays ث
    # -o after a consonant is "his"
    ("ra2mo", "رقمه"),
    ("ismo", "اسمه"),
    ("ibno", "ابنه"),
    ("ma3o", "معه"),
    ("yi3mlo", "يعملو"),  # a y- verb's -o is the plural
    # -et after a noun stem is the construct taa marbuta
    ("ma7kamet", "محكمه"),
    ("wathee2et", "وثيقه"),
    ("bet", "بت"),  # too short to be a construct: ت stays (the vowel is the lexicon's job)
    ("khalset", "خلست"),  # a verb: cluster before -et
    # dh is ض
    ("ardh", "ارض"),
    ("rafadh", "رفض"),
    # e + tti is a verbal noun, not the assimilated article
    ("ettijah", "اتجه"),
]


@pytest.mark.parametrize(("arabizi", "arabic"), RULE_FIX_CASES)
def test_spelling_rule_fixes(arabizi: str, arabic: str) -> None:
    assert arabizi.lower() not in ARABIZI_WORDS
    assert arabizi_to_arabic(arabizi) == arabic


@pytest.mark.parametrize(("arabizi", "arabic"), LEXICON_CASES)
def test_lexicon_words(arabizi: str, arabic: str) -> None:
    assert arabizi in ARABIZI_WORDS
    assert arabizi_to_arabic(arabizi) == arabic


@pytest.mark.parametrize(("arabizi", "arabic"), PHRASE_CASES)
def test_lexicon_phrases(arabizi: str, arabic: str) -> None:
    assert ARABIZI_PHRASES[arabizi] == arabic
    assert arabizi_to_arabic(arabizi) == arabic


@pytest.mark.parametrize(("arabizi", "arabic"), RULE_CASES)
def test_spelling_rules(arabizi: str, arabic: str) -> None:
    assert arabizi.lower() not in ARABIZI_WORDS
    assert arabizi_to_arabic(arabizi) == arabic


@pytest.mark.parametrize("number", ["2024", "0795551234", "3"])
def test_pure_numbers_stay_numbers(number: str) -> None:
    assert arabizi_to_arabic(number) == number


def test_output_is_always_normalised_arabic() -> None:
    words = [w for w, _ in LEXICON_CASES + RULE_CASES] + ["ta2sheera", "3a2ele", "so2al", "mustashfa"]
    for word in words:
        arabic = arabizi_to_arabic(word)
        assert arabic and normalize_arabic(arabic) == arabic, word
        assert not any("a" <= char <= "z" for char in arabic), word


@pytest.mark.parametrize("word", ["mar7aba", "2desh", "3adam", "la2", "ta2meen", "3'ali", "sa3a"])
def test_digits_as_letters_are_arabizi(word: str) -> None:
    assert has_arabizi_digits(word)


@pytest.mark.parametrize("word", ["2nd", "3rd", "10am", "5pm", "5g", "2024", "hello"])
def test_numbers_with_units_are_not_arabizi(word: str) -> None:
    assert not has_arabizi_digits(word)


def test_shipped_lexicon_is_large_and_covers_every_phrase_word() -> None:
    assert len(ARABIZI_WORDS) >= 400
    for phrase in ARABIZI_PHRASES:
        for word in phrase.split():
            assert word in ARABIZI_WORDS, (phrase, word)


def test_every_phrase_transliterates_to_its_lexicon_target() -> None:
    mismatches = {p: arabizi_to_arabic(p) for p, a in ARABIZI_PHRASES.items() if arabizi_to_arabic(p) != a}
    assert mismatches == {}


def test_english_list_leaves_arabizi_function_words_out() -> None:
    for arabizi in ("bde", "el", "ya", "ana", "la", "shu", "wein", "salam", "mar7aba"):
        assert arabizi not in ENGLISH_WORDS
    for english in ("the", "passport", "renew", "fees", "hello", "ok", "thanks"):
        assert english in ENGLISH_WORDS
    assert 5000 <= len(ENGLISH_WORDS) <= 20000


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("jawaz جواز", "expected 'arabizi<TAB>arabic'"),
        ("Jawaz\tجواز", "must be lower-case"),
        ("jawaaaz\tجواز", "must be lower-case"),
        ("hawiye\tهوية", "must be normalised"),
        ("hawiye\thawiye", "must be normalised"),
        ("jawaz\tجواز سفر", "cannot become several"),
        ("jawaz safar jdeed\tجواز سفر", "more words than"),
        ("jawaz safar\tجواز سفر جديد", "does not line up"),
        ("ya3tek el 3afye\tيعطيك عافيه", "needs an ال word"),
    ],
)
def test_bad_lexicon_lines_fail_loudly(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "lexicon.tsv"
    path.write_text(f"# comment\n\n{line}\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=message):
        load_arabizi_lexicon(path)


def test_conflicting_meanings_fail_loudly(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.tsv"
    path.write_text("safar\tسفر\njawaz safar\tجواز سافر\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="safar"):
        load_arabizi_lexicon(path)
    path.write_text("jawaz\tجواز\njawaz\tباسبور\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="already means"):
        load_arabizi_lexicon(path)


def test_phrases_teach_their_words(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.tsv"
    path.write_text("ya3tek el 3afye\tيعطيك العافيه\n", encoding="utf-8")
    words, phrases = load_arabizi_lexicon(path)
    assert phrases == {"ya3tek el 3afye": "يعطيك العافيه"}
    assert words == {"ya3tek": "يعطيك", "3afye": "عافيه"}
