"""The development server's SMS channel: rendered exactly as for SMS, delivered to the page.

Rendering is the real SMS renderer (numbered menus, summaries with MORE, segments); only the
hand-over differs: the message is already in the store, which is where the page reads it, and the
page's own messages come in through the simulator's routes, not through `start`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Optional

from core.messages import SMS, BotReply, Verdict
from channels.base import InboundSink, Rendered, SendOutcome
from channels.sms.render import render


class SimulatedSmsChannel:
    name = SMS
    rate = None
    numbered_menus = True
    description = "simulated, read by the simulator page"

    async def start(self, sink: InboundSink) -> None:
        pass

    async def stop(self) -> None:
        pass

    def health(self) -> dict[str, Any]:
        return {"simulated": True}

    def render(self, reply: BotReply, address: str, *, free_form: bool = True) -> list[Rendered]:
        return render(reply, address)

    async def send(self, message: Rendered) -> SendOutcome:
        return SendOutcome(Verdict.SENT, provider_id=f"sim-{uuid.uuid4().hex}")

    def free_form_open(self, last_inbound_at: Optional[datetime], now: datetime) -> bool:
        return True
