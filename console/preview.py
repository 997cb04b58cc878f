"""What the bot would answer with a service's form as it is, before saving: the citizen's question
read by the same NLU as the service (for the aspect and the language), the answer composed from the
draft by the same code as the dialogue's, and laid out by this process's own WhatsApp and SMS
channels (so the SMS segments, and their cost at the tariff, are what sending would take)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Awaitable, Callable, Mapping, Optional

from actions.catalog_access import ASPECT_OF_INTENT
from actions.service_answers import compose_answer, follow_up_choices
from catalog.services import Service
from channels.base import Channel
from core.messages import BotReply, Choice
from routing.billing import Tariff, sms_cost

PREVIEW_CHANNELS = ("whatsapp", "sms")
PREVIEW_ADDRESS = "962790000000"  # a made-up number: rendering needs an address, nothing is sent


@dataclass(frozen=True)
class PreviewTools:
    parse: Optional[Callable[[str], Awaitable[dict[str, Any]]]]  # the service's NLU; None: a brain that cannot parse alone
    channels: Callable[[], Mapping[str, Channel]]
    tariff: Tariff


@dataclass(frozen=True)
class ChannelPreview:
    channel: str
    configured: bool
    texts: tuple[str, ...] = ()  # one per provider message
    segments: int = 0
    cost: Optional[Decimal] = None  # SMS only: WhatsApp is billed per conversation


@dataclass
class Preview:
    available: bool
    aspect: str = ""
    language: str = "ar"
    other_service: Optional[str] = None  # the question names another service
    channels: list[ChannelPreview] = field(default_factory=list)


def render_on_channels(tools: PreviewTools, reply: BotReply) -> list[ChannelPreview]:
    """`reply` as this process's WhatsApp and SMS channels would send it: the provider messages,
    SMS segments and their cost at the tariff."""
    channels = tools.channels()
    shown = []
    for name in PREVIEW_CHANNELS:
        channel = channels.get(name)
        if channel is None:
            shown.append(ChannelPreview(name, configured=False))
            continue
        rendered = channel.render(reply, PREVIEW_ADDRESS, free_form=True)
        segments = sum(r.segments for r in rendered)
        cost = sms_cost(segments, tools.tariff) if name == "sms" else None
        shown.append(ChannelPreview(name, True, tuple(r.text for r in rendered), segments, cost))
    return shown


async def preview_answer(tools: PreviewTools, draft: Service, question: str) -> Preview:
    assert tools.parse is not None  # the caller offers no preview without the NLU
    parse = await tools.parse(question)
    intent = (parse.get("intent") or {}).get("name")
    aspect = ASPECT_OF_INTENT.get(intent or "", "overview")
    entities = {e.get("entity"): e.get("value") for e in parse.get("entities") or []}
    language = "en" if entities.get("language") == "en" else "ar"
    named = entities.get("service")
    answer = compose_answer(draft, aspect, language)
    choices = [Choice(id=c["payload"], title=c["title"]) for c in follow_up_choices(draft, aspect, language)]
    reply = BotReply(answer.text, language=language, choices=choices, heading=answer.heading, caveat=answer.caveat)
    shown = render_on_channels(tools, reply)
    return Preview(True, aspect, language, named if named and named != draft.id else None, shown)
