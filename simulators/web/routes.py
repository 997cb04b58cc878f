"""The simulator page and its SMS endpoints, for the development server only.

WhatsApp in the simulator takes the real road: the page asks the local fake of Meta's Graph API
(mounted at /fake-graph by the development server) to POST a signed webhook to /webhooks/whatsapp,
and reads the replies the fake received. SMS is handed to the pipeline here, as the SMPP receiver
would, and replies are read back from the store.

Anyone who can reach these endpoints can speak as, and read the SMS of, any number: they exist
only in development mode, which refuses to start beside a real channel (simulators/dev_server.py).
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any, Callable

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from core.messages import SMS, InboundMessage

PAGE = Path(__file__).with_name("simulator.html")


class SmsIn(BaseModel):
    address: str = Field(..., regex=r"^\+?[0-9]{6,20}$")
    text: str = Field(..., min_length=1, max_length=1600)


def build_router(pipeline: Callable[[], Any], store: Callable[[], Any]) -> APIRouter:
    """`pipeline` and `store` are looked up per request: they exist only once the app has started."""
    router = APIRouter()

    @router.get("/simulator", response_class=HTMLResponse)
    async def page() -> str:
        return PAGE.read_text(encoding="utf-8")

    @router.post("/simulator/sms")
    async def send_sms(message: SmsIn) -> dict[str, Any]:
        inbound = InboundMessage(
            channel=SMS, provider_id=f"sim-{uuid.uuid4().hex}", address=message.address.lstrip("+"), text=message.text
        )
        result = await pipeline().accept(inbound)
        return {"message_id": result.message_id}

    @router.get("/simulator/sms")
    async def sms_replies(address: str, after: int = 0) -> dict[str, Any]:
        rows = await asyncio.to_thread(store().outbound.for_address, SMS, address.lstrip("+"), after)
        return {
            "messages": [
                {"id": r.id, "text": r.text, "segments": r.segments, "cost": str(r.cost or ""), "status": r.status}
                for r in rows
            ]
        }

    return router
