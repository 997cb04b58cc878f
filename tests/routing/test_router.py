"""The router's decisions, table-driven: which channel first, where to fall back, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Optional

import pytest

from routing.billing import BodyType, MessageKind
from routing.policy import DEFAULT_ROUTING, MINISTRY, Agency, RoutingPolicy
from routing.router import OPTED_OUT, UNREACHABLE, Router, RouteStep
from store.citizens import Identity
from store.outbound import Billing

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
NUMBER = "962791234567"
OTHER_NUMBER = "962780000000"
IN_WINDOW = NOW - timedelta(hours=2)
OUT_OF_WINDOW = NOW - timedelta(days=2)


@dataclass
class SessionChannel:
    """A channel that allows free text only within `window` of the citizen's last message (as
    WhatsApp does); with no window, free text always goes (as SMS)."""

    name: str
    window: Optional[timedelta] = None
    asked: list = field(default_factory=list)

    def free_form_open(self, last_inbound_at: Optional[datetime], now: datetime) -> bool:
        self.asked.append((last_inbound_at, now))
        if self.window is None:
            return True
        return last_inbound_at is not None and now - last_inbound_at < self.window


def channels(*names: str) -> dict[str, SessionChannel]:
    made = {"whatsapp": SessionChannel("whatsapp", timedelta(hours=24)), "sms": SessionChannel("sms")}
    return {name: made[name] for name in names}


def whatsapp(last_inbound_at=IN_WINDOW, unreachable: bool = False, address: str = NUMBER) -> Identity:
    return Identity(1, "whatsapp", address, last_inbound_at, NOW if unreachable else None)


def sms(address: str = NUMBER, last_inbound_at=IN_WINDOW) -> Identity:
    return Identity(1, "sms", address, last_inbound_at, None)


def router(*names: str, policy: RoutingPolicy = DEFAULT_ROUTING) -> Router:
    return Router(channels(*names), policy, clock=lambda: NOW)


def route(step: Optional[RouteStep]) -> Optional[tuple]:
    return None if step is None else (step.channel, step.address, step.free_form, step.reason)


BOTH = ("whatsapp", "sms")


@pytest.mark.parametrize(
    "case, configured, channel, identities, has_template, first, fallback",
    [
        ("in the window: where the citizen wrote, SMS if it fails",
         BOTH, "whatsapp", [whatsapp()], False,
         ("whatsapp", NUMBER, True, "reply_on_inbound_channel"), ("sms", NUMBER, True, "fallback_after_failure")),
        ("a reply recovered after the window closed, no template: SMS at once",
         BOTH, "whatsapp", [whatsapp(OUT_OF_WINDOW)], False,
         ("sms", NUMBER, True, "whatsapp_window_closed"), None),
        ("after the window with a template: the template where they wrote",
         BOTH, "whatsapp", [whatsapp(OUT_OF_WINDOW)], True,
         ("whatsapp", NUMBER, False, "reply_on_inbound_channel"), ("sms", NUMBER, True, "fallback_after_failure")),
        ("an SMS is answered by SMS, with nowhere else to go",
         BOTH, "sms", [whatsapp(), sms()], False,
         ("sms", NUMBER, True, "reply_on_inbound_channel"), None),
        ("the number was found not on WhatsApp since it wrote: SMS",
         BOTH, "whatsapp", [whatsapp(unreachable=True)], False,
         ("sms", NUMBER, True, "not_on_whatsapp"), None),
        ("SMS not configured: WhatsApp, and no fallback",
         ("whatsapp",), "whatsapp", [whatsapp()], False,
         ("whatsapp", NUMBER, True, "reply_on_inbound_channel"), None),
        ("the channel it came on is not configured (any more): SMS",
         ("sms",), "whatsapp", [whatsapp()], False,
         ("sms", NUMBER, True, "whatsapp_not_configured"), None),
    ],
)
def test_replies(case, configured, channel, identities, has_template, first, fallback):
    plan = router(*configured).for_reply(channel=channel, address=NUMBER, identities=identities, has_template=has_template)
    assert (route(plan.first), route(plan.fallback)) == (first, fallback), case
    assert plan.category is MessageKind.REPLY and plan.agency == MINISTRY and plan.skipped is None


def test_a_reply_with_nowhere_to_go_says_why():
    plan = router("whatsapp").for_reply(
        channel="whatsapp", address=NUMBER, identities=[whatsapp(OUT_OF_WINDOW)], has_template=False
    )
    assert (plan.steps, plan.skipped, plan.passed_over) == ((), UNREACHABLE, ("whatsapp_window_closed", "sms_not_configured"))


@pytest.mark.parametrize(
    "case, configured, identities, has_template, first, fallback",
    [
        ("in the window: WhatsApp as free text",
         BOTH, [whatsapp()], False,
         ("whatsapp", NUMBER, True, "whatsapp_window_open"), ("sms", NUMBER, True, "fallback_after_failure")),
        ("outside the window with a template: the template",
         BOTH, [whatsapp(OUT_OF_WINDOW)], True,
         ("whatsapp", NUMBER, False, "template_outside_window"), ("sms", NUMBER, True, "fallback_after_failure")),
        ("outside the window without a template: SMS to the WhatsApp number",
         BOTH, [whatsapp(OUT_OF_WINDOW)], False,
         ("sms", NUMBER, True, "whatsapp_window_closed"), None),
        ("never wrote on WhatsApp: no window, no template, SMS",
         BOTH, [whatsapp(None)], False,
         ("sms", NUMBER, True, "whatsapp_window_closed"), None),
        ("not on WhatsApp: SMS, even in the window",
         BOTH, [whatsapp(unreachable=True)], True,
         ("sms", NUMBER, True, "not_on_whatsapp"), None),
        ("known only by SMS: SMS at that number",
         BOTH, [sms(OTHER_NUMBER)], True,
         ("sms", OTHER_NUMBER, True, "no_whatsapp_identity"), None),
        ("an SMS identity is preferred to the WhatsApp number for SMS",
         BOTH, [whatsapp(OUT_OF_WINDOW), sms(OTHER_NUMBER)], False,
         ("sms", OTHER_NUMBER, True, "whatsapp_window_closed"), None),
        ("WhatsApp not configured: SMS",
         ("sms",), [whatsapp()], False,
         ("sms", NUMBER, True, "whatsapp_not_configured"), None),
        ("SMS not configured: WhatsApp with no fallback",
         ("whatsapp",), [whatsapp()], False,
         ("whatsapp", NUMBER, True, "whatsapp_window_open"), None),
    ],
)
def test_pushes(case, configured, identities, has_template, first, fallback):
    plan = router(*configured).for_push(
        opted_out=False, identities=identities, has_template=has_template, category=MessageKind.AWARENESS
    )
    assert (route(plan.first), route(plan.fallback)) == (first, fallback), case
    assert plan.skipped is None and plan.category is MessageKind.AWARENESS


@pytest.mark.parametrize(
    "case, configured, identities, opted_out, skipped, passed_over",
    [
        ("opted out: nothing, whatever the channels", BOTH, [whatsapp()], True, OPTED_OUT, ()),
        ("no identity at all", BOTH, [], False, UNREACHABLE, ("no_whatsapp_identity", "no_sms_identity")),
        ("SMS not configured and outside the window", ("whatsapp",), [whatsapp(OUT_OF_WINDOW)], False, UNREACHABLE,
         ("whatsapp_window_closed", "sms_not_configured")),
        ("known only by SMS, and no SMS", ("whatsapp",), [sms()], False, UNREACHABLE,
         ("no_whatsapp_identity", "sms_not_configured")),
    ],
)
def test_pushes_that_cannot_go(case, configured, identities, opted_out, skipped, passed_over):
    plan = router(*configured).for_push(
        opted_out=opted_out, identities=identities, has_template=False, category=MessageKind.TRANSACTION_STATUS
    )
    assert (plan.steps, plan.skipped, plan.passed_over) == ((), skipped, passed_over), case


def test_the_window_is_the_channels_answer_at_the_routers_clock():
    configured = channels(*BOTH)
    Router(configured, clock=lambda: NOW).for_push(
        opted_out=False, identities=[whatsapp(IN_WINDOW)], has_template=False, category=MessageKind.AWARENESS
    )
    assert (IN_WINDOW, NOW) in configured["whatsapp"].asked


def test_the_order_is_data():
    sms_first = RoutingPolicy(push_order=("sms", "whatsapp"), fallback={"sms": "whatsapp"})
    plan = router(*BOTH, policy=sms_first).for_push(
        opted_out=False, identities=[whatsapp()], has_template=False, category=MessageKind.AWARENESS
    )
    assert (route(plan.first), route(plan.fallback)) == (
        ("sms", NUMBER, True, "preferred_channel"), ("whatsapp", NUMBER, True, "fallback_after_failure"),
    )
    # A fallback chain loops back nowhere: each channel once.
    looping = RoutingPolicy(fallback={"whatsapp": "sms", "sms": "whatsapp"})
    reply = router(*BOTH, policy=looping).for_reply(channel="whatsapp", address=NUMBER, identities=[whatsapp()])
    assert [s.channel for s in reply.steps] == ["whatsapp", "sms"]


def test_senders_come_from_the_agency_then_the_table():
    policy = RoutingPolicy(senders={"sms": "94444"})
    moi = Agency(id="moi", body_type=BodyType.GOVERNMENT, sender_ids={"sms": "MOI"})
    for agency, expected in ((MINISTRY, "94444"), (moi, "MOI")):
        plan = router(*BOTH, policy=policy).for_push(
            opted_out=False, identities=[sms()], has_template=False, category=MessageKind.AWARENESS, agency=agency
        )
        assert (plan.first.channel, plan.first.sender) == ("sms", expected)
    whatsapp_push = router(*BOTH, policy=policy).for_push(
        opted_out=False, identities=[whatsapp()], has_template=False, category=MessageKind.AWARENESS, agency=moi
    )
    assert whatsapp_push.first.sender is None  # the channel's own number


@pytest.mark.parametrize(
    "case, configured, failed, identities, has_template, expected",
    [
        ("not on WhatsApp: SMS, saying why", BOTH, "whatsapp", [whatsapp(unreachable=True)], False,
         ("sms", NUMBER, "fallback_after_failure", "not_on_this_channel")),
        ("SMS failed: nowhere else", BOTH, "sms", [whatsapp(), sms()], False, None),
        ("no SMS configured", ("whatsapp",), "whatsapp", [whatsapp()], False, None),
    ],
)
def test_after_a_failure(case, configured, failed, identities, has_template, expected):
    step = router(*configured).after_failure(
        failed_channel=failed, address=NUMBER, identities=identities, has_template=has_template,
        cause="not_on_this_channel",
    )
    got = None if step is None else (step.channel, step.address, step.reason, step.cause)
    assert got == expected, case


def test_a_fallback_to_a_session_channel_respects_its_window():
    sms_first = RoutingPolicy(push_order=("sms", "whatsapp"), fallback={"sms": "whatsapp"})
    closed = router(*BOTH, policy=sms_first).after_failure(
        failed_channel="sms", address=NUMBER, identities=[whatsapp(OUT_OF_WINDOW)], has_template=False, cause="failed"
    )
    templated = router(*BOTH, policy=sms_first).after_failure(
        failed_channel="sms", address=NUMBER, identities=[whatsapp(OUT_OF_WINDOW)], has_template=True, cause="failed"
    )
    assert closed is None
    assert (templated.channel, templated.free_form) == ("whatsapp", False)


def test_push_kinds_map_to_billing_categories():
    assert DEFAULT_ROUTING.category_of_push("status_update") is MessageKind.TRANSACTION_STATUS
    assert DEFAULT_ROUTING.category_of_push("alert") is MessageKind.AWARENESS  # free to the citizen, shared
    assert DEFAULT_ROUTING.category_of_push("promotional") is MessageKind.PROMOTIONAL
    for not_a_push in ("reply", "pop_reply", "newsletter"):
        with pytest.raises(ValueError, match=not_a_push):
            DEFAULT_ROUTING.category_of_push(not_a_push)


# Seed 000: 0.006842 JOD a message; independent bodies pay 100%; other bodies 50% of awareness and
# transaction status (the ministry the rest), 100% of internal and promotional. Checked by hand.
@pytest.mark.parametrize(
    "category, agency, channel, segments, expected",
    [
        (MessageKind.REPLY, MINISTRY, "sms", 2,
         Billing("reply", None, "government", Decimal("0.006842"), Decimal("0.013684"),
                 Decimal("0"), Decimal("0.013684"), Decimal("0"))),
        (MessageKind.AWARENESS, Agency("jtrc", BodyType.INDEPENDENT), "sms", 1,
         Billing("awareness", "jtrc", "independent", Decimal("0.006842"), Decimal("0.006842"),
                 Decimal("0.006842"), Decimal("0"), Decimal("0"))),
        (MessageKind.AWARENESS, Agency("moi", BodyType.GOVERNMENT), "sms", 3,
         Billing("awareness", "moi", "government", Decimal("0.006842"), Decimal("0.020526"),
                 Decimal("0.010263"), Decimal("0.010263"), Decimal("0"))),
        (MessageKind.PROMOTIONAL, Agency("moi", BodyType.GOVERNMENT), "sms", 1,
         Billing("promotional", "moi", "government", Decimal("0.006842"), Decimal("0.006842"),
                 Decimal("0.006842"), Decimal("0"), Decimal("0"))),
        (MessageKind.AWARENESS, Agency("moi", BodyType.GOVERNMENT), "whatsapp", 1,
         Billing("awareness", "moi", "government")),  # Meta bills WhatsApp; these rules price SMS only
    ],
)
def test_bills(category, agency, channel, segments, expected):
    assert router(*BOTH).bill(category, agency, channel, segments) == expected
