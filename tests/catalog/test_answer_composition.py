"""A catalog answer's parts: the answer itself, the service and agency it is about, and the caveat
only on the answers it qualifies (figures the agency sets: fees and durations)."""

from __future__ import annotations

import pytest

from actions.service_answers import CAVEATED_ASPECTS, compose_answer
from catalog.replies import say
from catalog.services import ASPECTS, Catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def test_the_answer_is_the_catalog_text_and_the_heading_names_service_and_agency(catalog: Catalog) -> None:
    service = catalog.service("cspd.passport_renew")
    composed = compose_answer(service, "fees", "en")
    assert composed.text == service.answer("fees", "en")
    assert composed.heading == "Passport renewal — Civil Status and Passports Department"
    arabic = compose_answer(service, "fees", "ar")
    assert arabic.heading.startswith("تجديد جواز السفر — ") and arabic.text == service.answer("fees", "ar")


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_caveat_qualifies_fees_and_durations_of_unverified_services_only(catalog: Catalog, language: str) -> None:
    assert CAVEATED_ASPECTS == {"fees", "duration"}
    unverified = [s for s in catalog.services.values() if not s.verified]
    verified = [s for s in catalog.services.values() if s.verified]
    assert unverified and verified
    for service in unverified:
        for aspect in ASPECTS:
            expected = say("unverified", language) if aspect in ("fees", "duration") else None
            assert compose_answer(service, aspect, language).caveat == expected, (service.id, aspect)
    for service in verified:  # the agency confirmed these figures: nothing to qualify
        assert all(compose_answer(service, a, language).caveat is None for a in ASPECTS)


def test_documents_and_opening_hours_carry_no_disclaimer(catalog: Catalog) -> None:
    service = catalog.service("cspd.passport_renew")
    for aspect in ("documents", "location"):
        whole = "\n".join(filter(None, vars(compose_answer(service, aspect, "en")).values()))
        assert "final figure" not in whole


def test_on_sms_every_answer_that_fits_two_segments_comes_first_and_whole(catalog: Catalog) -> None:
    from actions.service_answers import follow_up_choices
    from channels.sms import segments
    from channels.sms.cheap_text import cheap_text
    from channels.sms.render import render
    from core.messages import BotReply, Choice

    checked = 0
    for service in catalog.services.values():
        for aspect in ASPECTS:
            for language in ("ar", "en"):
                composed = compose_answer(service, aspect, language)
                menu = [Choice(c["payload"], c["title"]) for c in follow_up_choices(service, aspect, language)]
                reply = BotReply(composed.text, language, menu, heading=composed.heading, caveat=composed.caveat)
                [sms] = render(reply, "962790000000")
                where = (service.id, aspect, language)
                assert sms.segments <= 2, where
                if language == "en":  # the catalog's English is GSM-7: nothing we add may spoil it
                    assert segments.is_gsm7(sms.text), where
                answer = cheap_text(composed.text)
                if segments.count(answer) <= 2:
                    assert sms.text.startswith(answer), where
                    checked += 1
    assert checked >= len(catalog.services) * len(ASPECTS)  # most answers fit; the check ran on them
