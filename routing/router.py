"""Which channel, which address, which sender, and who pays: for every outbound message.

The outbox asks; the router answers from the routing table (routing/policy.py), the citizen's
channel identities and what each configured channel says of its session (`Channel.free_form_open`),
and gives a reason for each choice, short and machine-readable, which the outbox stores on the
message:

    reply_on_inbound_channel   an answer goes where the citizen wrote
    <channel>_window_open      a push as free text inside the channel's session (WhatsApp's 24 hours)
    template_outside_window    a push outside the session, as an approved template
    preferred_channel          the policy's first choice, a channel with no session (SMS)
    not_on_<channel>           the provider said the number is not on the channel: the next one
    no_<channel>_identity      the citizen has no address on the channel: the next one
    <channel>_window_closed    free text the session no longer allows, and no template: the next one
    <channel>_not_configured   this deployment has no such channel: the next one
    fallback_after_failure     the channel before failed it, or did not deliver it in time (the
                               message's route_cause says which: a verdict such as
                               not_on_this_channel / try_another_channel / failed, render_failed,
                               no_channel, or not_delivered_in_time)

`<channel>_window_closed` on an SMS push means: outside WhatsApp's window, and no approved template
fits the push's kind (or its values are incomplete).

Nothing here names a channel: the names are data in the policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Callable, Mapping, Optional, Sequence, Union

from channels.base import Channel
from core.messages import utcnow
from routing.billing import CitizenCharge, MessageKind, channel_charge, citizen_charge_applies, unit_cost
from routing.policy import DEFAULT_ROUTING, MINISTRY, Agency, RoutingPolicy
from store.citizens import Identity
from store.outbound import Billing

logger = logging.getLogger(__name__)

REPLY_ON_INBOUND_CHANNEL = "reply_on_inbound_channel"
TEMPLATE_OUTSIDE_WINDOW = "template_outside_window"
PREFERRED_CHANNEL = "preferred_channel"
FALLBACK_AFTER_FAILURE = "fallback_after_failure"
NOT_DELIVERED_IN_TIME = "not_delivered_in_time"  # a route cause: the channel before did not confirm delivery in time
# Why nothing could be planned (PushResult.skipped).
OPTED_OUT = "opted_out"
UNREACHABLE = "unreachable"


# Whether a message has a form its channel's closed session allows (a WhatsApp template): one
# answer for every channel, or asked per channel name.
HasTemplate = Union[bool, Callable[[str], bool]]


def _template_test(has_template: HasTemplate) -> Callable[[str], bool]:
    return has_template if callable(has_template) else (lambda channel: bool(has_template))


@dataclass(frozen=True)
class RouteStep:
    """One channel to try: where, as whom, whether free text may go, and why this channel."""

    channel: str
    address: str
    sender: Optional[str]  # None: the channel's own (its configured short code or number)
    free_form: bool  # False: only a template may go (the channel's session is closed)
    reason: str
    cause: Optional[str] = None  # for a step after a failure: what failed before


@dataclass(frozen=True)
class RoutePlan:
    """The channels to try for one outbound message, in order, and who pays for it."""

    category: MessageKind
    agency: Agency
    steps: tuple[RouteStep, ...]
    skipped: Optional[str] = None  # when there are no steps: why (OPTED_OUT, UNREACHABLE)
    passed_over: tuple[str, ...] = ()  # the reasons channels before the first step were not taken

    @property
    def first(self) -> Optional[RouteStep]:
        return self.steps[0] if self.steps else None

    @property
    def fallback(self) -> Optional[RouteStep]:
        return self.steps[1] if len(self.steps) > 1 else None


class Router:
    def __init__(
        self,
        channels: Mapping[str, Channel],
        policy: RoutingPolicy = DEFAULT_ROUTING,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._channels = channels
        self.policy = policy
        self._clock = clock

    # --- plans ------------------------------------------------------------------------------------

    def for_reply(
        self, *, channel: str, address: str, identities: Sequence[Identity], has_template: HasTemplate = False
    ) -> RoutePlan:
        """An answer to the citizen's message that came on (`channel`, `address`): that channel
        first, then the policy's fallback. Sent even to a citizen who opted out: they asked."""
        candidates = [channel, *self._fallbacks_after(channel)]
        return self._plan(
            MessageKind.REPLY, MINISTRY, candidates, identities, has_template,
            first_reason=lambda step_channel, free_form: REPLY_ON_INBOUND_CHANNEL,
            home_address=address,
        )

    def for_push(
        self,
        *,
        opted_out: bool,
        identities: Sequence[Identity],
        has_template: HasTemplate,
        category: MessageKind,
        agency: Agency = MINISTRY,
        only: Optional[Sequence[str]] = None,
    ) -> RoutePlan:
        """An agency's push: the policy's channels in order (those in `only`, when given), the
        first that can carry it now."""
        if opted_out:
            return RoutePlan(category, agency, (), skipped=OPTED_OUT)
        candidates = [c for c in self.policy.push_order if only is None or c in only]
        return self._plan(category, agency, candidates, identities, has_template, first_reason=self._push_reason)

    def after_failure(
        self,
        *,
        failed_channel: str,
        address: str,
        identities: Sequence[Identity],
        has_template: HasTemplate,
        cause: str,
        agency: Agency = MINISTRY,
    ) -> Optional[RouteStep]:
        """Where a message goes after `failed_channel` failed it (`cause`: the verdict, or
        "render_failed" / "no_channel"); None when the policy has nowhere to go (logged)."""
        for candidate in self._fallbacks_after(failed_channel):
            step, passed = self._step(candidate, identities, has_template, agency, home_address=address)
            if step is not None:
                return RouteStep(step.channel, step.address, step.sender, step.free_form, FALLBACK_AFTER_FAILURE, cause)
            logger.info("no fallback on %s after %s failed (%s): %s", candidate, failed_channel, cause, passed)
        return None

    def has_fallback(self, channel: str) -> bool:
        """Whether the policy names anywhere to go after `channel`."""
        return bool(self._fallbacks_after(channel))

    # --- who pays ---------------------------------------------------------------------------------

    def bill(
        self,
        category: MessageKind,
        agency: Agency,
        channel: str,
        segments: int,
        *,
        citizen: CitizenCharge = CitizenCharge.NONE,
    ) -> Billing:
        """The ledger entry of one outbound message (routing/billing.py's rules, at the policy's
        tariff); `citizen`: the POP price the message carries, if any (`citizen_charge`)."""
        tariff = self.policy.tariff
        charge = channel_charge(category, agency.body_type, channel, segments, citizen=citizen, tariff=tariff)
        if charge is None:
            return Billing(category.value, agency.id, agency.body_type.value)
        if agency.id is None:
            # The ministry's own messages (its answers, its notices to agencies): no body shares them.
            return Billing(
                category.value, None, agency.body_type.value, unit_cost(channel, tariff), charge.sms_cost,
                agency_share=Decimal("0"), ministry_share=charge.sms_cost, citizen_share=charge.citizen_pays,
            )
        return Billing(
            category=category.value,
            agency_id=agency.id,
            body_type=agency.body_type.value,
            unit_cost=unit_cost(channel, tariff),
            amount=charge.sms_cost,
            agency_share=charge.body_pays,
            ministry_share=charge.ministry_pays,
            citizen_share=charge.citizen_pays,
        )

    def citizen_charge(
        self, *, kind: str, channel: str, asked_on: Optional[str] = None, supplies_information: bool = False
    ) -> CitizenCharge:
        """The POP price the first message of a reply or push carries (routing/billing.py says when):
        a reply (`kind` "reply") to a question asked on `asked_on` that `supplies_information`, or a
        push of one of the policy's subscription kinds."""
        if kind == "reply":
            wanted = CitizenCharge.POP_QUERY if supplies_information else CitizenCharge.NONE
        elif kind in self.policy.subscription_kinds:
            wanted = CitizenCharge.SUBSCRIPTION_MESSAGE
        else:
            wanted = CitizenCharge.NONE
        if wanted is CitizenCharge.NONE or not citizen_charge_applies(wanted, asked_on=asked_on, answered_on=channel):
            return CitizenCharge.NONE
        return wanted

    # --- the rules --------------------------------------------------------------------------------

    def _plan(
        self,
        category: MessageKind,
        agency: Agency,
        candidates: list[str],
        identities: Sequence[Identity],
        has_template: HasTemplate,
        *,
        first_reason: Callable[[str, bool], str],
        home_address: Optional[str] = None,
    ) -> RoutePlan:
        steps: list[RouteStep] = []
        passed_over: list[str] = []
        for candidate in dict.fromkeys(candidates):  # each channel once, in order
            step, passed = self._step(candidate, identities, has_template, agency, home_address=home_address)
            if step is None:
                if not steps:
                    passed_over.append(passed)
                continue
            if steps:
                reason = FALLBACK_AFTER_FAILURE
            elif passed_over:
                reason = passed_over[-1]  # taken because the one before could not be
            else:
                reason = first_reason(step.channel, step.free_form)
            steps.append(RouteStep(step.channel, step.address, step.sender, step.free_form, reason))
        if not steps:
            logger.info("no route category=%s passed_over=%s", category.value, passed_over)
            return RoutePlan(category, agency, (), skipped=UNREACHABLE, passed_over=tuple(passed_over))
        return RoutePlan(category, agency, tuple(steps), passed_over=tuple(passed_over))

    def _step(
        self,
        channel: str,
        identities: Sequence[Identity],
        has_template: HasTemplate,
        agency: Agency,
        *,
        home_address: Optional[str] = None,
    ) -> tuple[Optional[RouteStep], str]:
        """(a step on `channel`, "") if it can carry the message now, else (None, why not)."""
        found = self._channels.get(channel)
        if found is None:
            return None, f"{channel}_not_configured"
        on_channel = [i for i in identities if i.channel == channel]
        identity = next((i for i in on_channel if i.address == home_address), None) or next(
            (i for i in on_channel if i.unreachable_at is None), None
        )
        if identity is not None and identity.unreachable_at is not None:
            return None, f"not_on_{channel}"
        if identity is None and on_channel:
            return None, f"not_on_{channel}"
        if identity is not None:
            address = identity.address
        elif channel in self.policy.reaches_any_phone and (home_address or identities):
            address = home_address or identities[0].address
        else:
            return None, f"no_{channel}_identity"
        free_form = found.free_form_open(identity.last_inbound_at if identity else None, self._clock())
        if not free_form and not _template_test(has_template)(channel):
            return None, f"{channel}_window_closed"
        return RouteStep(channel, address, self._sender(channel, agency), free_form, ""), ""

    def _push_reason(self, channel: str, free_form: bool) -> str:
        if not free_form:
            return TEMPLATE_OUTSIDE_WINDOW
        # A channel that would refuse free text to someone who never wrote has a session (a window).
        has_session = not self._channels[channel].free_form_open(None, self._clock())
        return f"{channel}_window_open" if has_session else PREFERRED_CHANNEL

    def _fallbacks_after(self, channel: str) -> list[str]:
        """The policy's fallback chain from `channel` (each channel once)."""
        chain: list[str] = []
        current = channel
        while current in self.policy.fallback and self.policy.fallback[current] not in (channel, *chain):
            current = self.policy.fallback[current]
            chain.append(current)
        return chain

    def _sender(self, channel: str, agency: Agency) -> Optional[str]:
        return agency.sender_ids.get(channel) or self.policy.senders.get(channel)
