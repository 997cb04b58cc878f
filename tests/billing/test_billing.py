"""Government SMS billing rules as a pure function of (kind, body type, segments)."""

from decimal import Decimal

import pytest

from routing.billing import BodyType, Charge, MessageKind, channel_charge, charge, sms_cost, unit_cost

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
        (MessageKind.POP_REPLY, BodyType.GOVERNMENT, 2, 0, 0, Decimal("0.07")),
        (MessageKind.POP_NO_INFORMATION, BodyType.GOVERNMENT, 1, 0, 0, 0),
        (MessageKind.SUBSCRIPTION, BodyType.INDEPENDENT, 1, 0, 0, Decimal("0.05")),
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
