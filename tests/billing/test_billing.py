"""Government SMS billing rules as a pure function of (kind, body type, segments)."""

from decimal import Decimal

import pytest

from routing.billing import BodyType, Charge, MessageKind, charge, sms_cost

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
    ],
)
def test_who_pays(kind, body, segments, body_pays, ministry_pays, citizen_pays):
    result = charge(kind, body, segments)
    assert result == Charge(RATE * segments, Decimal(body_pays), Decimal(ministry_pays), Decimal(citizen_pays))


def test_shares_add_up_to_the_sms_cost_for_body_paid_kinds():
    for kind in (MessageKind.INTERNAL, MessageKind.PROMOTIONAL, MessageKind.AWARENESS, MessageKind.TRANSACTION_STATUS):
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
