"""The SMS channel assembled (a `channels.base.Channel`): the SMPP thread, the inbound path to the
pipeline, rendering and the sender.

    channel = SmsChannel(config)
    await channel.start(sink)        # inside the running event loop; sink: the pipeline
    channel.render(reply, address) / await channel.send(rendered)
    channel.health()                 # for /health
    await channel.stop()

Inbound deliver_sm cross from the SMPP thread to the event loop through a queue and are handled
one at a time (inbound.py); answers go back to the SMPP thread, which alone writes the socket.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any, Optional

from core.messages import SMS, BotReply
from channels.base import InboundSink, Rendered, SendOutcome
from channels.sms import render as sms_render
from channels.sms.config import SmsConfig
from channels.sms.deliver_sm import AckToken, DeliverSm
from channels.sms.delivery_tracking import DeliveryTracker
from channels.sms.inbound import InboundProcessor
from channels.sms.mo_identity import RedeliveryMemory
from channels.sms.sender import SmsSender
from channels.sms.smpp_client import SmppClient

logger = logging.getLogger("channels.sms")

_SWEEP_S = 1.0


class SmsChannel:
    name = SMS
    numbered_menus = True

    def __init__(self, config: SmsConfig) -> None:
        self.config = config
        self.redelivery = RedeliveryMemory()
        self.tracker = DeliveryTracker()
        self.client = SmppClient(config, self._from_smpp_thread, self.redelivery)
        self.sender = SmsSender(config, self.client, self.tracker)
        self.inbound: Optional[InboundProcessor] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._queue: "asyncio.Queue[tuple[DeliverSm, AckToken]]" = asyncio.Queue()
        self._tasks: list[asyncio.Task] = []

    @property
    def rate(self) -> Optional[float]:
        return self.config.tps  # None: no cap of our own (SMPP_TPS=0); the SMSC's throttling still paces us

    def render(self, reply: BotReply, address: str, *, free_form: bool = True) -> list[Rendered]:
        return sms_render.render(reply, address, self.sender.references)

    async def send(self, message: Rendered) -> SendOutcome:
        return await self.sender.send(message)

    def free_form_open(self, last_inbound_at: Optional[datetime], now: datetime) -> bool:
        return True  # SMS has no session: any text may go at any time

    async def start(self, sink: InboundSink) -> None:
        self.inbound = InboundProcessor(self.config, sink, self.client.acknowledge, self.tracker, self.redelivery)
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._tasks = [
            asyncio.create_task(self._consume(), name="sms-inbound"),
            asyncio.create_task(self._sweep(), name="sms-reassembly-sweep"),
        ]
        for problem in self.config.warnings():
            logger.warning("sms config problem: %s", problem)
        self.client.start()
        logger.info("sms channel started %r", self.config)

    async def stop(self) -> None:
        await asyncio.to_thread(self.client.stop)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        logger.info("sms channel stopped")

    def health(self) -> dict[str, Any]:
        connection = self.client.status()
        return {
            "bound": connection.bound,
            "bound_since": connection.bound_since.isoformat() if connection.bound_since else None,
            "queue_depth": connection.queue_depth,
            "in_flight": connection.in_flight,
            "inbound_waiting": self._queue.qsize() + (self.inbound.waiting if self.inbound else 0),
            "binds": connection.binds,
            "reconnects": connection.reconnects,
            "resubmitted_parts": connection.resubmitted_parts,
            "salvaged_answers": connection.salvaged_answers,
            "throttled": connection.throttled,
            "last_error": connection.last_error,
        }

    def _from_smpp_thread(self, deliver: DeliverSm, token: AckToken) -> None:
        # Runs on the SMPP thread: only hand over. If the loop is gone this raises, and the SMPP
        # thread answers "temporary error" so the SMSC delivers the message again later.
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (deliver, token))

    async def _consume(self) -> None:
        while True:
            deliver, token = await self._queue.get()
            assert self.inbound is not None  # created in start(), before the SMPP thread runs
            await self.inbound.handle(deliver, token)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(min(_SWEEP_S, self.config.reassembly_timeout_s / 4))
            try:
                assert self.inbound is not None
                await self.inbound.sweep()
            except Exception:
                logger.exception("sms reassembly sweep failed")
