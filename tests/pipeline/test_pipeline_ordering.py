"""Per-citizen order with several workers (two processes on Redis, two workers in one process
in-process): each citizen's messages reach the brain, and the replies go out, in arrival order."""

from __future__ import annotations

import random

from core.messages import InboundMessage
from pipeline_doubles import EchoBrain, FakeSender
from pipeline_helpers import eventually, running

CITIZENS = ["962790000001", "962790000002", "962790000003"]
PER_CITIZEN = 8


async def test_each_citizens_messages_are_answered_in_arrival_order(make_pipeline, coordination_factory):
    jitter = random.Random(42)
    delays = {f"{a}:{n}": jitter.uniform(0.0, 0.03) for a in CITIZENS for n in range(PER_CITIZEN)}
    brain = EchoBrain(delay=lambda m: delays[m.text])  # uneven thinking time tempts reordering
    sender = FakeSender("sms")
    first = make_pipeline(brain, {"sms": sender}, coordination=coordination_factory())
    second = make_pipeline(brain, {"sms": sender}, coordination=coordination_factory())

    async with running(first, workers=1), running(second, workers=1):
        for n in range(PER_CITIZEN):
            for address in CITIZENS:
                await first.accept(InboundMessage(channel="sms", provider_id=f"{address}-{n}", address=address,
                                                  text=f"{address}:{n}"))
        total = len(CITIZENS) * PER_CITIZEN
        await eventually(lambda: len(sender.sent) == total)

    for address in CITIZENS:
        asked = [c.message.text for c in brain.calls if c.message.address == address]
        answered = [m.text for m in sender.sent if m.address == address]
        expected = [f"{address}:{n}" for n in range(PER_CITIZEN)]
        assert asked == expected
        assert answered == [f"echo: {t}" for t in expected]
    assert len(brain.calls) == len(CITIZENS) * PER_CITIZEN  # nobody answered twice
