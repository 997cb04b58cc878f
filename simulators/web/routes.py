"""The simulator page and its SMS endpoints.

WhatsApp in the simulator takes the real road: the page asks the local fake of Meta's Graph API
(mounted at /fake-graph when no WhatsApp account is configured) to POST a signed webhook to
/webhooks/whatsapp, and reads the replies the fake received. SMS without an SMSC is handed to the
pipeline here, as the SMPP receiver would, and replies are read back from the store.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any, Callable

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from core.messages import SMS, InboundMessage

PAGE = Path(__file__).with_name("simulator.html")


class SmsIn(BaseModel):
    address: str = Field(..., regex=r"^\+?[0-9]{6,20}$")
    text: str = Field(..., min_length=1, max_length=1600)


def build_router(pipeline: Callable[[], Any], store: Callable[[], Any], *, whatsapp_simulated: bool, sms_simulated: bool) -> APIRouter:
    """`pipeline` and `store` are looked up per request: they exist only once the app has started."""
    router = APIRouter()

    @router.get("/simulator", response_class=HTMLResponse)
    async def page() -> str:
        html = PAGE.read_text(encoding="utf-8")
        return html.replace("__WHATSAPP_SIMULATED__", "true" if whatsapp_simulated else "false").replace(
            "__SMS_SIMULATED__", "true" if sms_simulated else "false"
        )

    @router.post("/simulator/sms")
    async def send_sms(message: SmsIn) -> dict[str, Any]:
        if not sms_simulated:
            raise HTTPException(409, "an SMSC is configured: text the short code instead")
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
