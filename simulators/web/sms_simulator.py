"""The development server's SMS channel: rendered exactly as for SMS, delivered to the page.

Rendering is the real SMS renderer (numbered menus, summaries with MORE, segments and cost); only
the hand-over differs: the message is already in the store, which is where the page reads it.
"""

from __future__ import annotations

import uuid

from core.messages import SMS, BotReply
from channels.base import Rendered, SendOutcome
from channels.sms.render import render


class SimulatedSmsSender:
    name = SMS
    description = "simulated, read by the simulator page"

    def render(self, reply: BotReply, address: str, *, in_window: bool = True) -> list[Rendered]:
        return render(reply, address)

    async def send(self, message: Rendered) -> SendOutcome:
        return SendOutcome(ok=True, provider_id=f"sim-{uuid.uuid4().hex}")
