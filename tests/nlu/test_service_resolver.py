"""The catalog-driven service matcher: typos, dialect, Arabizi, ambiguity, and new services."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nlu.catalog_names import resolver_for_catalog
from nlu.services import ServiceResolver, _phrase_tokens, stems
from nlu.typos import typo_cost

CATALOG = Path(__file__).resolve().parents[2] / "data" / "catalog"


@pytest.fixture(scope="module")
def resolver() -> ServiceResolver:
    found = resolver_for_catalog(CATALOG)
    assert found is not None
    return found


@pytest.mark.parametrize(
    "text, service_id",
    [
        ("قديش رسوم تجديد جواز السفر؟", "cspd.passport_renew"),
        ("bde ajaded jawaz", "cspd.passport_renew"),
        ("كم رسوم الباسبور", "cspd.passport_new"),
        ("وين بطلع رخصة السواقة", "dvld.driving_license_renew"),
        ("بدي كشف الضمان تبعي", "ssc.insurance_statement"),
        ("شهادة عدم محكومية", "moj.non_conviction"),
        ("How long does a good conduct certificate take?", "moj.non_conviction"),
        ("دفتر العيلة ضاع", "cspd.family_book"),
        ("شهاده ميلاااد لابني", "cspd.birth_certificate"),  # elongation, taa marbuta as ha
        ("تجدبد جواز السفر", "cspd.passport_renew"),  # a typo in a long word
    ],
)
def test_names_services_as_citizens_write_them(resolver, text, service_id):
    assert resolver.resolve(text).service_id == service_id


@pytest.mark.parametrize(
    "text",
    ["مرحبا كيفك", "شو افضل جوال بسعر ٢٠٠ دينار؟", "وكم رسومها؟", "the documents?", "في شرط عمر؟", "بدي اقدم شكوى"],
)
def test_messages_without_a_service_find_none(resolver, text):
    found = resolver.resolve(text)
    assert found.service_id is None and not found.candidates


def test_a_bare_generic_word_asks_instead_of_guessing(resolver):
    found = resolver.resolve("قديش رسوم الرخصة؟")
    assert found.service_id is None
    assert {"dvld.driving_license_renew", "dvld.vehicle_license_renew", "gam.vocational_license"} <= set(found.candidates)
    assert found.ambiguous


def test_the_longest_phrase_wins_over_a_shorter_one(resolver):
    assert resolver.resolve("الجواز").service_id == "cspd.passport_new"
    assert resolver.resolve("تجديد الجواز").service_id == "cspd.passport_renew"


def test_offsets_point_at_the_words_that_named_the_service(resolver):
    text = "مرحبا، بدي اعرف عن شهادة عدم محكومية لو سمحت"
    found = resolver.resolve(text)
    assert "عدم محكومية" in text[found.start : found.end]


def test_stemming_strips_clitics_from_message_words_only():
    assert "هويه" in stems("وهويتي")
    assert "جواز" in stems("بجوازي")
    assert "شرط" not in stems("الشرطه", strip_suffixes=False)


def test_a_service_added_to_the_catalog_is_recognised_without_retraining(tmp_path):
    shutil.copytree(CATALOG, tmp_path / "catalog")
    (tmp_path / "catalog" / "mota.yml").write_text(
        """
agency:
  id: mota
  name: {ar: "وزارة السياحة والآثار", en: "Ministry of Tourism and Antiquities"}
  names: ["وزارة السياحة"]
services:
  - id: mota.tour_guide_license
    name: {ar: "ترخيص الأدلاء السياحيين", en: "Tour guide licence"}
    verified: false
    names: ["دليل سياحي", "رخصة دليل سياحي", "tour guide license", "da2eel seya7i"]
    answers:
      overview: {ar: "ترخيص لمن يعمل دليلاً سياحياً.", en: "A licence to work as a tour guide."}
""",
        encoding="utf-8",
    )
    resolver = resolver_for_catalog(tmp_path / "catalog")
    assert resolver.resolve("كيف بطلع رخصة دليل سياحي؟").service_id == "mota.tour_guide_license"
    assert resolver.resolve("how much is a tour guide license").service_id == "mota.tour_guide_license"


def test_a_broken_catalog_file_is_skipped_not_fatal(tmp_path):
    shutil.copytree(CATALOG, tmp_path / "catalog")
    (tmp_path / "catalog" / "zzz.yml").write_text("agency: [this is not an agency", encoding="utf-8")
    resolver = resolver_for_catalog(tmp_path / "catalog")
    assert resolver.resolve("تجديد الجواز").service_id == "cspd.passport_renew"


@pytest.mark.parametrize(
    "text, service_id",
    [
        ("تجديد البطاقة الشحصية", "cspd.id_card"),  # ح for خ: the same letter without its dot
        ("البطاقة الشخصبة خلصت", "cspd.id_card"),  # ب for ي
        ("تجدييد جواز السفر", "cspd.passport_renew"),  # a key pressed twice
        ("تخريص السيارة", "dvld.vehicle_license_renew"),  # two letters swapped
        ("how do I get a pasport", "cspd.passport_new"),
        ("driving lisence", "dvld.driving_license_renew"),  # s/c sound alike
        ("birth certficate", "cspd.birth_certificate"),
        ("retirment", "ssc.retirement"),
    ],
)
def test_plausible_typos_of_long_words_are_recognised(resolver, text, service_id):
    assert resolver.resolve(text).service_id == service_id


@pytest.mark.parametrize(
    "text, service_id",
    [
        ("تجديد الهوبة", "cspd.id_card"),
        ("ذفتر العيلة", "cspd.family_book"),
        ("wrok permit", "mol.work_permit"),
        ("شهاده الملاد", "cspd.birth_certificate"),
    ],
)
def test_a_short_word_typo_counts_beside_an_exact_word_of_the_phrase(resolver, text, service_id):
    assert resolver.resolve(text).service_id == service_id


@pytest.mark.parametrize(
    "text",
    [
        "الخطوط الجوية الملكية",  # الجوية (air) is a word, not a typo of الهوية
        "الارصاد الجوية بتقول في مطر",
        "القوات الجوية",
        "الهواية المفضلة عندي القراءة",  # hobby: an extra long vowel makes another word
        "عندي هواية جديدة",
        "شو هوايتك",
        "السيارة رخيصه",  # cheap, not رخصة
        "في محلات رخيصة بعمان؟",
        "الضمانة على الجهاز سنة",  # guarantee: with the article it cannot be "his ضمان"
        "كم الضريبة على الجوال",  # الجوال (mobile) is not الجواز
        "الجوائز",
        "الشخصية القوية",
        "my passion is music",  # a common English word is not a typo of "pension"
    ],
)
def test_real_words_near_catalog_words_are_not_typos(resolver, text):
    found = resolver.resolve(text)
    assert found.service_id is None
    assert not set(found.candidates) - {"istd.income_tax_return", "istd.tax_clearance"}


@pytest.mark.parametrize(
    "text, service_id",
    [
        ("كيف بسجل على تطبيق سند", "modee.sanad_digital_id"),  # على is no slip for العدلي
        ("kif bsajjel 3ala tatbee2 sanad?", "modee.sanad_digital_id"),
    ],
)
def test_function_words_are_never_slips_for_catalog_words(resolver, text, service_id):
    assert resolver.resolve(text).service_id == service_id


def test_folded_function_words_are_dropped_from_catalog_phrases():
    # Tokens arrive folded (على -> علي): the stopword list must be in that spelling to apply.
    assert _phrase_tokens("شهادة عدم محكومية على الانترنت") == _phrase_tokens("شهادة عدم محكومية الانترنت")


@pytest.mark.parametrize(
    "text, service_id",
    [
        ("نبهوني قبل ما يخلص الجواز عشان اجدده", "cspd.passport_renew"),
        ("الجواز بدي اجدده", "cspd.passport_renew"),
        ("jawazi 5ilis bdi ajaddedo", "cspd.passport_renew"),
    ],
)
def test_a_two_word_name_is_found_with_its_object_fronted(resolver, text, service_id):
    assert resolver.resolve(text).service_id == service_id


def test_a_backwards_name_needs_both_words_as_written(resolver):
    # "car" is one slip from "card": with the words swapped as well, that is too loose to claim.
    assert resolver.resolve("car insurance price").service_id is None


def test_a_backwards_name_is_less_certain_than_the_same_name_in_order(resolver):
    # The discount is what lets a phrase in its own order win where both readings are possible.
    backwards, in_order = resolver.resolve("الجواز بدي اجدده"), resolver.resolve("بدي اجدد الجواز")
    assert backwards.service_id == in_order.service_id == "cspd.passport_renew"
    assert backwards.confidence < in_order.confidence == 1.0


def test_english_inflections_are_not_typos(resolver):
    assert resolver.resolve("renewing my passport").service_id == "cspd.passport_renew"
    assert resolver.resolve("my ID card broke").service_id == "cspd.id_card_lost"


def test_the_article_rules_out_a_possessive_suffix():
    assert "ضمان" not in stems("الضمانه")  # the guarantee
    assert "ضمان" in stems("ضماني")  # my social security
    assert "جواز" in stems("الجوازات")  # plurals keep their article


def test_typo_costs_follow_how_people_slip():
    assert typo_cost("الهوبه", "الهويه") == 1  # a dot
    assert typo_cost("تخريص", "ترخيص") == 1  # a swap
    assert typo_cost("جوااز", "جواز") == 1  # a doubled key
    assert typo_cost("الجويه", "الهويه") == 2  # unrelated letters
    assert typo_cost("الهوايه", "الهويه") == 2  # an extra long vowel: another word


def test_a_new_catalog_name_does_not_hide_a_typo_of_another_service():
    names = {"cspd.passport_renew": ["passport renewal", "تجديد البطاقة الشخصية"]}
    before = ServiceResolver.from_names(names)
    assert before.resolve("passport renewel").service_id == "cspd.passport_renew"
    assert before.resolve("تجديد البطاقة الشخصبة").service_id == "cspd.passport_renew"
    # Staff add a service whose names happen to be exactly those misspellings.
    after = ServiceResolver.from_names({**names, "x.portal": ["renewel", "الشخصبة"]})
    assert after.resolve("passport renewel").service_id == "cspd.passport_renew"
    assert after.resolve("تجديد البطاقة الشخصبة").service_id == "cspd.passport_renew"
    assert after.resolve("renewel").service_id == "x.portal"  # the exact name still wins alone


@pytest.mark.parametrize("text", ["بدي اعرف عن الخدمات الحكومية", "الرسائل الحكومية", "الحكومه"])
def test_an_everyday_word_a_letter_from_a_catalog_word_is_meant_as_itself(resolver, text):
    assert resolver.resolve(text).service_id != "moj.non_conviction"


def test_the_same_word_beside_its_phrase_is_still_read_as_a_slip(resolver):
    assert resolver.resolve("شهادة عدم حكومية").service_id == "moj.non_conviction"
