"""The retrieval stage beside the phrase matcher (nlu/service_index.py, nlu/service_finder.py).

Most tests build the index without the sentence encoder (names, agencies, verb forms only): fast,
no model. The ones that read descriptions load the shipped encoder and are marked slow.
"""

from __future__ import annotations

import pytest

from catalog.services import Agency, Catalog, LocalizedText, Service
from language.analysis import analyse
from nlu.catalog_names import resolver_from_catalog
from nlu.service_finder import ServiceFinder
from nlu.service_index import Ranked, ServiceIndex
from nlu.services import Resolution
from nlu.verb_forms import noun_forms


def _catalog() -> Catalog:
    """Titles only, as an agency's spreadsheet gives them: no hand-written names."""
    catalog = Catalog()
    rows = [
        ("gam", "أمانة عمّان الكبرى", "Greater Amman Municipality", ("الامانه",), [
            ("gam.building_permit", "رخصة البناء", "Building permit", "ترخيص بناء منزل او طابق اضافي على قطعة ارض"),
            ("gam.street_light", "الإبلاغ عن إنارة الشوارع المعطلة", "Reporting broken street lights", "بلاغ عن عمود انارة لا يعمل"),
        ]),
        ("cspd", "دائرة الأحوال المدنية والجوازات", "Civil Status and Passports Department", ("الاحوال",), [
            ("cspd.passport_renew", "تجديد جواز السفر", "Passport renewal", "تجديد جواز السفر الاردني المنتهي"),
            ("cspd.birth_registration", "تسجيل المواليد", "Birth registration", "تسجيل طفل حديث الولادة وشهادة ميلاده"),
            ("cspd.name_change", "تغيير الاسم في السجل المدني", "Name change in the civil register", "تصحيح او تغيير الاسم"),
        ]),
        ("dvld", "دائرة ترخيص السواقين والمركبات", "Driver and Vehicle Licensing Department", ("ترخيص السواقين",), [
            ("dvld.driving_license_renew", "تجديد رخصة القيادة", "Driving licence renewal", "تجديد رخصة السواقة المنتهية"),
            ("dvld.vehicle_license_renew", "تجديد ترخيص المركبة", "Vehicle licence renewal", "ترخيص السيارة السنوي والفحص الفني"),
        ]),
    ]
    for agency_id, ar, en, nicknames, services in rows:
        agency = Agency(agency_id, LocalizedText(ar, en), nicknames)
        catalog.agencies[agency_id] = agency
        for service_id, name_ar, name_en, description in services:
            service = Service(service_id, LocalizedText(name_ar, name_en), agency, (), (), False,
                              {"overview": LocalizedText(description, "")})
            agency.services.append(service)
            catalog.services[service_id] = service
    return catalog


def _find(finder: ServiceFinder, text: str, intent: str = "ask_overview"):
    tokens = analyse(text).tokens
    return finder.find([t.norm for t in tokens], [(t.start, t.end) for t in tokens], text, intent)


@pytest.fixture(scope="module")
def finder() -> ServiceFinder:
    catalog = _catalog()
    return ServiceFinder(resolver_from_catalog(catalog), ServiceIndex(catalog, encoder=None))


@pytest.mark.parametrize(
    "verb, noun",
    [("ارخص", "ترخيص"), ("اجدد", "تجديد"), ("بسجل", "تسجيل"), ("اجدده", "تجديد"), ("استخرج", "استخراج"), ("نجدد", "تجديد")],
)
def test_a_verb_form_gives_its_verbal_noun(verb: str, noun: str) -> None:
    assert noun in noun_forms(verb)


def test_verb_forms_of_a_noun_or_a_latin_word_are_none_of_ours() -> None:
    assert noun_forms("passport") == frozenset()
    assert "ترخيص" not in noun_forms("ترخيص")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("بدي ارخص بناء", "gam.building_permit"),  # a verb form of the title's noun
        ("جوازي بدو تجديد", "cspd.passport_renew"),  # a possessive on the noun
        ("تجدييد جواز السفر", "cspd.passport_renew"),  # a doubled key
        ("renew my passport", "cspd.passport_renew"),
        ("بدي اسجل مولود", "cspd.birth_registration"),
    ],
)
def test_titles_alone_rank_the_service_first(finder: ServiceFinder, text: str, expected: str) -> None:
    norms = [t.norm for t in analyse(text).tokens]
    content = [norms[i] for i in finder.content_positions(norms)]
    ranked = finder.index.rank(content, text)
    assert ranked[0].service_id == expected, ranked
    assert ranked[0].score > ranked[1].score


def test_a_clear_fit_is_the_answer(finder: ServiceFinder) -> None:
    found = _find(finder, "بدي ارخص بناء")
    assert found.service_id == "gam.building_permit", found


def test_services_that_fit_about_equally_are_offered_as_a_choice(finder: ServiceFinder) -> None:
    ranked = [Ranked("a.one", 0.62, 0, 0, 0), Ranked("a.two", 0.58, 0, 0, 0), Ranked("b.three", 0.55, 0, 0, 0),
              Ranked("b.four", 0.1, 0, 0, 0)]
    found = finder.decide(Resolution(), ranked, [0], [(0, 5)])
    assert found.service_id is None and found.ambiguous
    assert found.candidates == ("a.one", "a.two", "b.three")


def test_one_clear_fit_is_taken_and_a_weak_one_is_not(finder: ServiceFinder) -> None:
    clear = finder.decide(Resolution(), [Ranked("a.one", 0.9, 0, 0, 0), Ranked("a.two", 0.2, 0, 0, 0)], [0], [(0, 5)])
    assert clear.service_id == "a.one"
    weak = finder.decide(Resolution(), [Ranked("a.one", 0.3, 0, 0, 0), Ranked("a.two", 0.28, 0, 0, 0)], [0], [(0, 5)])
    assert weak.service_id is None and not weak.candidates


def test_the_phrase_matchers_choice_stays_unless_the_index_is_sure(finder: ServiceFinder) -> None:
    offered = Resolution(None, ("a.one", "a.two"), 1.0)
    unsure = finder.decide(offered, [Ranked("a.one", 0.7, 0, 0, 0), Ranked("a.two", 0.2, 0, 0, 0)], [0], [(0, 5)])
    assert unsure.candidates == ("a.one", "a.two")
    sure = finder.decide(offered, [Ranked("a.one", 0.95, 0, 0, 0), Ranked("a.two", 0.2, 0, 0, 0)], [0], [(0, 5)])
    assert sure.service_id == "a.one"


def test_nothing_fits_so_nothing_is_guessed(finder: ServiceFinder) -> None:
    found = _find(finder, "بدي اشتري بيتكوين")
    assert found.service_id is None and not found.candidates


def test_a_follow_up_made_of_question_words_looks_nothing_up(finder: ServiceFinder) -> None:
    found = _find(finder, "وكم الرسوم؟", "ask_fees")
    assert found.service_id is None and not found.candidates


def test_a_greeting_or_hand_off_is_never_read_as_a_description(finder: ServiceFinder) -> None:
    assert _find(finder, "بدي اجدد جوازي", "human_handoff").service_id is None


def test_an_agency_nickname_favours_its_services(finder: ServiceFinder) -> None:
    ranked = finder.index.rank(["ترخيص", "السواقين", "تجديد"], "")
    assert {r.service_id for r in ranked[:2]} == {"dvld.driving_license_renew", "dvld.vehicle_license_renew"}
    assert ranked[0].agency > 0.5


def test_a_phrase_matcher_hit_stays() -> None:
    catalog = _catalog()
    catalog.services["cspd.passport_renew"].names = ("باسبور",)
    finder = ServiceFinder(resolver_from_catalog(catalog), ServiceIndex(catalog, encoder=None))
    found = _find(finder, "شو بدو الباسبور")
    assert found.service_id == "cspd.passport_renew" and found.confidence == pytest.approx(1.0)


def test_scores_are_probabilities_best_first(finder: ServiceFinder) -> None:
    ranked = finder.index.rank(["تجديد", "جواز", "السفر"], "")
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)
    assert ranked[0].service_id == "cspd.passport_renew" and ranked[0].score > 0.5


@pytest.mark.slow
def test_a_description_instead_of_a_name_is_found_through_its_meaning() -> None:
    from nlu.embeddings import USE

    catalog = _catalog()
    index = ServiceIndex(catalog, encoder=USE)
    text = "عمود الضو بشارعنا طافي من اسبوع"
    tokens = analyse(text).tokens
    ranked = index.rank([t.norm for t in tokens], text)
    assert ranked[0].service_id == "gam.street_light"
    assert ranked[0].meaning > ranked[1].meaning
