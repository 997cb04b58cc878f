"""Government SMS billing rules as a pure function of (kind, body type, segments, citizen charge, tariff)."""

from decimal import Decimal

import pytest

from routing.billing import (
    BodyType, Charge, CitizenCharge, MessageKind, Tariff, channel_charge, charge, citizen_charge_applies, sms_cost,
    unit_cost,
)

RATE = Decimal("0.006842")


@pytest.mark.parametrize(
    "kind, body, segments, body_pays, ministry_pays, citizen_pays",
    [
        (MessageKind.INTERNAL, BodyType.GOVERNMENT, 1, RATE, 0, 0),
        (MessageKind.PROMOTIONAL, BodyType.GOVERNMENT, 2, 2 * RATE, 0, 0),
        (MessageKind.AWARENESS, BodyType.GOVERNMENT, 2, RATE, RATE, 0),
        (MessageKind.TRANSACTION_STATUS, BodyType.GOVERNMENT, 1, RATE / 2, RATE / 2, 0),
        (MessageKind.AWARENESS, BodyType.INDEPENDENT, 3, 3 * RATE, 0, 0),
        (MessageKind.TRANSACTION_STATUS, BodyType.INDEPENDENT, 1, RATE, 0, 0),
        # Our answers on the ministry's unified account: the ministry pays, whichever body's service.
        (MessageKind.REPLY, BodyType.INDEPENDENT, 2, 0, 2 * RATE, 0),
        (MessageKind.REPLY, BodyType.GOVERNMENT, 1, 0, RATE, 0),
    ],
)
def test_who_pays(kind, body, segments, body_pays, ministry_pays, citizen_pays):
    result = charge(kind, body, segments)
    assert result == Charge(RATE * segments, Decimal(body_pays), Decimal(ministry_pays), Decimal(citizen_pays))


def test_shares_add_up_to_the_sms_cost_for_body_paid_kinds():
    for kind in (
        MessageKind.INTERNAL, MessageKind.PROMOTIONAL, MessageKind.AWARENESS, MessageKind.TRANSACTION_STATUS, MessageKind.REPLY,
    ):
        for body in BodyType:
            for segments in (1, 2, 7):
                result = charge(kind, body, segments)
                assert result.body_pays + result.ministry_pays == result.sms_cost == sms_cost(segments)


def test_plain_strings_are_accepted_and_nonsense_refused():
    assert charge("awareness", "government", 1).ministry_pays == RATE / 2
    with pytest.raises(ValueError):
        charge("spam", "government", 1)
    with pytest.raises(ValueError):
        sms_cost(-1)


def test_only_sms_is_priced_by_these_rules():
    assert unit_cost("sms") == RATE
    assert channel_charge("awareness", "government", "sms", 2) == charge("awareness", "government", 2)
    # WhatsApp is billed by Meta per conversation: no amount here, whoever would pay.
    assert unit_cost("whatsapp") is None and channel_charge("reply", "government", "whatsapp", 1) is None


@pytest.mark.parametrize(
    "kind, body, citizen, body_pays, ministry_pays, citizen_pays",
    [
        # A POP query answered by SMS: the ministry still carries the SMS (answers are its), and the
        # citizen is charged 7 piasters beside it.
        (MessageKind.REPLY, BodyType.GOVERNMENT, CitizenCharge.POP_QUERY, 0, RATE, Decimal("0.07")),
        # A subscription message: the cost is split by its category as any push, plus 5 piasters.
        (MessageKind.TRANSACTION_STATUS, BodyType.GOVERNMENT, CitizenCharge.SUBSCRIPTION_MESSAGE,
         RATE / 2, RATE / 2, Decimal("0.05")),
        (MessageKind.AWARENESS, BodyType.INDEPENDENT, CitizenCharge.SUBSCRIPTION_MESSAGE, RATE, 0, Decimal("0.05")),
    ],
)
def test_citizen_charges_are_recorded_beside_the_split(kind, body, citizen, body_pays, ministry_pays, citizen_pays):
    result = charge(kind, body, 1, citizen=citizen)
    assert result == Charge(RATE, Decimal(body_pays), Decimal(ministry_pays), citizen_pays)


def test_pop_prices_belong_to_the_sms_service():
    assert citizen_charge_applies(CitizenCharge.POP_QUERY, asked_on="sms", answered_on="sms")
    # Asked on WhatsApp (free), or answered on WhatsApp: no POP query price.
    assert not citizen_charge_applies(CitizenCharge.POP_QUERY, asked_on="whatsapp", answered_on="sms")
    assert not citizen_charge_applies(CitizenCharge.POP_QUERY, asked_on="sms", answered_on="whatsapp")
    assert citizen_charge_applies(CitizenCharge.SUBSCRIPTION_MESSAGE, asked_on=None, answered_on="sms")
    assert not citizen_charge_applies(CitizenCharge.SUBSCRIPTION_MESSAGE, asked_on=None, answered_on="whatsapp")
    assert not citizen_charge_applies(CitizenCharge.NONE, asked_on="sms", answered_on="sms")


def test_the_tariff_is_configurable_and_refuses_negative_prices():
    tariff = Tariff(sms_segment=Decimal("0.008"), pop_query=Decimal("0"), subscription_message=Decimal("0.04"))
    assert charge("awareness", "government", 3, tariff=tariff) == Charge(
        Decimal("0.024"), Decimal("0.012"), Decimal("0.012"), Decimal("0")
    )
    assert charge("reply", "government", 1, citizen="pop_query", tariff=tariff).citizen_pays == 0
    assert unit_cost("sms", tariff) == Decimal("0.008")
    with pytest.raises(ValueError, match="sms_segment"):
        Tariff(sms_segment=Decimal("-0.001"))


def test_the_category_names_are_the_issues():
    assert [k.value for k in MessageKind] == [
        "reply", "internal", "promotional", "awareness", "transaction_status",
    ]
