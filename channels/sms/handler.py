"""The SMS channel assembled: the SMPP thread, the inbound path to the pipeline, and the sender.

    channel = SmsChannel(SmsConfig.from_env(), pipeline)   # pipeline: accept() + record_status()
    await channel.start()                                   # inside the running event loop
    senders["sms"] = channel.sender
    ...
    channel.status                                          # for /health
    await channel.stop()

Inbound deliver_sm cross from the SMPP thread to the event loop through a queue and are handled
one at a time (inbound.py); answers go back to the SMPP thread, which alone writes the socket.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

from channels.sms.config import SmsConfig
from channels.sms.deliver_sm import AckToken, DeliverSm
from channels.sms.delivery_tracking import DeliveryTracker
from channels.sms.inbound import InboundProcessor, PipelineSink
from channels.sms.mo_identity import RedeliveryMemory
from channels.sms.sender import SmsSender
from channels.sms.smpp_client import SmppClient

logger = logging.getLogger("channels.sms")

_SWEEP_S = 1.0


class SmsChannel:
    def __init__(self, config: SmsConfig, sink: PipelineSink) -> None:
        self.config = config
        self.redelivery = RedeliveryMemory()
        self.tracker = DeliveryTracker()
        self.client = SmppClient(config, self._from_smpp_thread, self.redelivery)
        self.inbound = InboundProcessor(config, sink, self.client.acknowledge, self.tracker, self.redelivery)
        self.sender = SmsSender(config, self.client, self.tracker)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._queue: "asyncio.Queue[tuple[DeliverSm, AckToken]]" = asyncio.Queue()
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
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

    @property
    def status(self) -> dict[str, Any]:
        connection = self.client.status()
        return {
            "bound": connection.bound,
            "bound_since": connection.bound_since.isoformat() if connection.bound_since else None,
            "queue_depth": connection.queue_depth,
            "in_flight": connection.in_flight,
            "inbound_waiting": self._queue.qsize() + self.inbound.waiting,
            "binds": connection.binds,
            "reconnects": connection.reconnects,
            "resubmitted_parts": connection.resubmitted_parts,
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
            await self.inbound.handle(deliver, token)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(min(_SWEEP_S, self.config.reassembly_timeout_s / 4))
            try:
                await self.inbound.sweep()
            except Exception:
                logger.exception("sms reassembly sweep failed")
