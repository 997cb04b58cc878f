"""The tariff comes from BILLING_* variables, read by bot/settings.py; bad values are refused by name,
and the running router bills at the configured tariff."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.runtime import routing_policy
from bot.settings import Settings, SettingsError
from routing.billing import DEFAULT_TARIFF, BodyType, MessageKind
from routing.policy import Agency
from routing.router import Router


def test_the_default_tariff_is_seed_000s(tmp_path):
    tariff = Settings.from_env({}, cwd=tmp_path).tariff
    assert tariff == DEFAULT_TARIFF
    assert (tariff.sms_segment, tariff.pop_query, tariff.subscription_message) == (
        Decimal("0.006842"), Decimal("0.07"), Decimal("0.05"),
    )


def test_a_configured_tariff_reaches_the_router(tmp_path):
    env = {"BILLING_SMS_SEGMENT_JOD": "0.0075", "BILLING_POP_QUERY_JOD": "0", "BILLING_SUBSCRIPTION_MESSAGE_JOD": "0.04"}
    settings = Settings.from_env(env, cwd=tmp_path)
    router = Router({}, routing_policy(settings))
    billing = router.bill(MessageKind.AWARENESS, Agency("moi", BodyType.GOVERNMENT), "sms", 2)
    assert (billing.unit_cost, billing.amount, billing.agency_share) == (
        Decimal("0.0075"), Decimal("0.0150"), Decimal("0.00750"),
    )


@pytest.mark.parametrize("value, says", [
    ("cheap", "amount in JOD"), ("-0.01", "zero or a positive"), ("0.0068421", "six decimals"), ("NaN", "zero or a positive"),
])
def test_bad_prices_are_refused_by_name(tmp_path, value, says):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"BILLING_SMS_SEGMENT_JOD": value, "BILLING_POP_QUERY_JOD": value}, cwd=tmp_path)
    assert set(refused.value.problems) == {"BILLING_SMS_SEGMENT_JOD", "BILLING_POP_QUERY_JOD"}
    assert says in refused.value.problems["BILLING_SMS_SEGMENT_JOD"]
