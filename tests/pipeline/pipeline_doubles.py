"""Deterministic brains and channel senders for the pipeline tests (the real ones live elsewhere)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, Optional

from core.brain import Answer
from core.messages import KIND_CHOICE, SMS, WHATSAPP, BotReply, Choice, InboundMessage, Verdict
from channels.base import Rendered, SendOutcome


@dataclass
class BrainCall:
    conversation_key: str
    message: InboundMessage
    language: Optional[str]


class EchoBrain:
    """Answers "echo: <text>" (or "picked: <payload>" for a choice); records every call."""

    def __init__(self, *, delay: Callable[[InboundMessage], float] = lambda m: 0.0) -> None:
        self.calls: list[BrainCall] = []
        self._delay = delay

    async def respond(
        self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None
    ) -> Answer:
        self.calls.append(BrainCall(conversation_key, message, language))
        await asyncio.sleep(self._delay(message))
        text = f"picked: {message.payload}" if message.kind == KIND_CHOICE else f"echo: {message.text}"
        return Answer(
            replies=[BotReply(text=text, language=language or "ar")],
            intent="echo",
            confidence=0.99,
            service_id="echo_service",
            language="en",
        )


class MenuBrain(EchoBrain):
    """Offers three services for any text; answers a picked one."""

    CHOICES = [
        Choice(id="/ask{\"service\":\"passport_renewal\"}", title="تجديد جواز السفر"),
        Choice(id="/ask{\"service\":\"id_card\"}", title="البطاقة الشخصية"),
        Choice(id="/ask{\"service\":\"driving_licence\"}", title="رخصة القيادة"),
    ]

    async def respond(
        self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None
    ) -> Answer:
        if message.kind == KIND_CHOICE:
            return await super().respond(conversation_key, message, language=language)
        self.calls.append(BrainCall(conversation_key, message, language))
        return Answer(replies=[BotReply(text="اختر الخدمة:", choices=list(self.CHOICES))], intent="ask_service")


class UnsureBrain(EchoBrain):
    async def respond(
        self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None
    ) -> Answer:
        self.calls.append(BrainCall(conversation_key, message, language))
        return Answer(
            replies=[BotReply(text="لم أفهم سؤالك")], intent="nlu_fallback", confidence=0.21, language="ar",
            review_reason="low_confidence",
        )


class FailingBrain(EchoBrain):
    async def respond(
        self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None
    ) -> Answer:
        self.calls.append(BrainCall(conversation_key, message, language))
        raise RuntimeError("rasa agent not loaded")


class SleepingBrain(EchoBrain):
    async def respond(
        self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None
    ) -> Answer:
        self.calls.append(BrainCall(conversation_key, message, language))
        await asyncio.sleep(3600)
        raise AssertionError("should have timed out")


@dataclass
class FakeSender:
    """A channel (channels.base.Channel) that records what it sends and fails on cue.

    `script` holds outcomes to return first (in order), then every send succeeds. `hang` makes
    send() wait forever (a process killed mid-send); `delay` makes it slow. WhatsApp-like senders refuse free text outside
    the window; SMS-like ones keep `reply.more` in body["more"] as the SMS renderer does.
    """

    name: str
    script: list[SendOutcome] = field(default_factory=list)
    hang: bool = False
    delay: float = 0.0  # seconds each send takes (a slow provider)
    sent: list[Rendered] = field(default_factory=list)
    attempts: int = 0
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))

    async def start(self, sink) -> None:
        pass

    async def stop(self) -> None:
        pass

    def health(self) -> dict:
        return {}

    def free_form_open(self, last_inbound_at, now) -> bool:
        # The WhatsApp-like double keeps WhatsApp's 24-hour session; the others have none.
        return self.name != "whatsapp" or (last_inbound_at is not None and now - last_inbound_at < timedelta(hours=24))

    def render(self, reply: BotReply, address: str, *, free_form: bool = True) -> list[Rendered]:
        if self.name == "whatsapp" and not free_form:
            if reply.template is None:
                return []
            return [Rendered(self.name, address, reply.text, body={"template": reply.template.name})]
        text = reply.text
        if reply.choices:
            text += "\n" + "\n".join(f"{n}. {c.title}" for n, c in enumerate(reply.choices, 1))
        body = {"text": text}
        if self.name == "sms" and reply.more:
            body["more"] = reply.more
        return [Rendered(self.name, address, text, body=body, segments=1)]

    async def send(self, message: Rendered) -> SendOutcome:
        self.attempts += 1
        if self.hang:
            await asyncio.Event().wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.script:
            return self.script.pop(0)
        self.sent.append(message)
        return SendOutcome(Verdict.SENT, provider_id=f"{self.name}-{next(self._ids)}")

    @property
    def numbered_menus(self) -> bool:
        return self.name == "sms"  # as the real SMS channel: choices are a numbered menu

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.sent]


def retry_later(seconds: float = 0.01, code: str = "130429") -> SendOutcome:
    return SendOutcome(Verdict.RETRY_LATER, error_code=code, error_title="rate limit hit", retry_after=seconds)


def not_on_whatsapp() -> SendOutcome:
    return SendOutcome(Verdict.NOT_ON_THIS_CHANNEL, error_code="131026", error_title="Message undeliverable")


def outside_window() -> SendOutcome:
    return SendOutcome(Verdict.TRY_ANOTHER_CHANNEL, error_code="131047", error_title="Re-engagement message")


RATES = {WHATSAPP: 1000.0, SMS: 1000.0}  # messages a second: high enough never to slow a test down
