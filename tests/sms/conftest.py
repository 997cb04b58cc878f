"""Fixtures for the SMS tests: a recording pipeline sink, a real local SMSC, a channel bound to it."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Optional

import pytest

from core.messages import InboundMessage, StatusUpdate
from channels.sms.config import SmsConfig
from channels.sms.handler import SmsChannel
from tests.sms.smsc import LocalSmsc, eventually


@dataclasses.dataclass
class AcceptResult:
    message_id: int
    duplicate: bool


class RecordingSink:
    """Stands in for pipeline.pipeline: remembers what it was given, dedupes on provider_id like it does.

    `fail_next` makes the next accept calls raise (the pipeline's database is down);
    `known_ids` limits which provider ids record_status recognises (None = all).
    """

    def __init__(self, accept_delay: float = 0.0) -> None:
        self.accepted: list[InboundMessage] = []
        self.statuses: list[StatusUpdate] = []
        self.status_calls: list[str] = []
        self.accept_delay = accept_delay
        self.fail_next = 0
        self.known_ids: Optional[set[str]] = None
        self._seen: dict[str, int] = {}

    async def accept(self, message: InboundMessage) -> AcceptResult:
        if self.accept_delay:
            await asyncio.sleep(self.accept_delay)
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("database unavailable")
        if message.provider_id in self._seen:
            return AcceptResult(self._seen[message.provider_id], True)
        self.accepted.append(message)
        self._seen[message.provider_id] = len(self.accepted)
        return AcceptResult(len(self.accepted), False)

    async def record_status(self, update: StatusUpdate) -> bool:
        """Known under any of its spellings, as the pipeline matches them."""
        self.status_calls.append(update.provider_id)
        if self.known_ids is not None and not self.known_ids & {update.provider_id, *update.aliases}:
            return False
        self.statuses.append(dataclasses.replace(update))
        return True


def fast_config(port: int, **overrides) -> SmsConfig:
    """Production logic, test-sized timers."""
    values = dict(
        host="127.0.0.1",
        port=port,
        system_id="tawasol",
        password="secret",
        tps=None,
        connect_timeout_s=1.0,
        reconnect_initial_s=0.05,
        reconnect_max_s=0.5,
        bad_credentials_retry_s=1.0,
        enquire_link_interval_s=5.0,
        enquire_link_timeout_s=2.0,
        response_timeout_s=5.0,
        send_bind_wait_s=2.0,
        send_timeout_s=20.0,
        retry_after_s=1.0,
        accept_timeout_s=2.0,
        reassembly_timeout_s=60.0,
        throttle_initial_s=0.05,
        throttle_max_s=0.5,
    )
    values.update(overrides)
    return SmsConfig(**values)


@pytest.fixture
async def smsc():
    server = await LocalSmsc().start()
    yield server
    await server.stop()


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
async def channel_factory():
    """make(port, sink, **config overrides) -> a started SmsChannel; all stopped at teardown."""
    channels: list[SmsChannel] = []

    async def make(port: int, sink: RecordingSink, wait_bound: bool = True, **overrides) -> SmsChannel:
        channel = SmsChannel(fast_config(port, **overrides))
        await channel.start(sink)
        channels.append(channel)
        if wait_bound:
            await eventually(lambda: channel.client.bound, timeout=5)
        return channel

    yield make
    for channel in channels:
        await channel.stop()


@pytest.fixture
async def channel(smsc, sink, channel_factory) -> SmsChannel:
    return await channel_factory(smsc.port, sink)
