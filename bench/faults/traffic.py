"""Citizens' messages into the rig, and what reached them, counted where a citizen would see it.

WhatsApp messages go in as Meta sends them (the fake Graph API posts signed webhooks) and, like
Meta, the sender posts the same body again every second until our service answers 200. SMS
messages go in as MO deliver_sm from the SMSC, which keeps each until a deliver_sm_resp. Every
message comes from its own citizen, so what that citizen received answers that message.

An answer is counted once per identity (WhatsApp: the request body; SMS: the part's text and its
concatenation header): a citizen who got an identity twice got that answer twice.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Optional

import httpx

WHATSAPP_TEXTS = (
    "قديش رسوم تجديد جواز السفر؟",
    "What documents do I need for a birth certificate?",
    "kam rsoom shahadet el meelad?",
    "ما الأوراق المطلوبة لشهادة عدم المحكومية؟",
)
SMS_TEXTS = (
    "How long does a non-conviction certificate take?",
    "passport renewal fees",
    "HELP",
)
REDELIVER_EVERY_S = 1.0


@dataclass
class Sent:
    phone: str
    text: str
    channel: str
    at: float
    accepted_at: Optional[float] = None  # WhatsApp: when our webhook first answered 200
    attempts: int = 0


@dataclass
class Received:
    """What one citizen got: answer identity → how many times, and when each first arrived."""

    counts: Counter = field(default_factory=Counter)
    first_at: dict = field(default_factory=dict)


class Traffic:
    def __init__(self, fake_url: str, smsc_control: str) -> None:
        self.fake_url = fake_url
        self.smsc_control = smsc_control
        self.client = httpx.AsyncClient(timeout=30)
        self._next_citizen = 0

    def phone(self) -> str:
        self._next_citizen += 1
        return f"96279{self._next_citizen:07d}"

    async def send(self, channel: str, text: str, deadline: "Callable[[], float]") -> Sent:
        """`deadline()`: until when a WhatsApp body is redelivered (asked each time, as it moves
        once the fault's end is known)."""
        sent = Sent(self.phone(), text, channel, time.time())
        if channel == "sms":
            await self.client.post(f"{self.smsc_control}/mo", json={"source": sent.phone, "text": text})
            sent.attempts = 1
            return sent
        delivery = await self._post("/_fake/webhooks/messages", {"messages": [{"from": sent.phone, "text": text}]})
        sent.attempts = 1
        while not _answered(delivery) and time.time() < deadline():
            await asyncio.sleep(REDELIVER_EVERY_S)
            delivery = await self._post("/_fake/webhooks/redeliver", {"delivery_id": delivery["id"]})
            sent.attempts += 1
        if _answered(delivery):
            sent.accepted_at = time.time()
        return sent

    async def _post(self, path: str, body: dict) -> dict:
        response = await self.client.post(self.fake_url + path, json=body)
        return response.json()["deliveries"][0]

    async def received(self, phones: set[str]) -> dict[str, Received]:
        """Per citizen, the answers that reached them (fake Graph API and SMSC records)."""
        found = {phone: Received() for phone in phones}
        messages = (await self.client.get(f"{self.fake_url}/_fake/messages")).json()["messages"]
        for message in messages:
            if message["to"] in found:
                _count(found[message["to"]], json.dumps(message["body"], sort_keys=True, ensure_ascii=False), message["at"])
        submits = (await self.client.get(f"{self.smsc_control}/submits")).json()["submits"]
        for submit in submits:
            if submit["destination_addr"] in found:
                _count(found[submit["destination_addr"]], f"{submit['udh']}|{submit['text']}", submit["at"])
        return found

    async def aclose(self) -> None:
        await self.client.aclose()


def _answered(delivery: dict) -> bool:
    return delivery.get("status_code") == 200


def _count(received: Received, identity: str, at: float) -> None:
    received.counts[identity] += 1
    received.first_at.setdefault(identity, at)
