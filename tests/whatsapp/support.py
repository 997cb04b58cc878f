"""Shared pieces of the WhatsApp tests: the test configuration and a recording sink."""

from __future__ import annotations

import asyncio
import threading

from fastapi import FastAPI

from core.messages import InboundMessage, StatusUpdate
from channels.whatsapp.config import WhatsAppConfig
from channels.whatsapp.webhook import build_router

PHONE_NUMBER_ID = "106540352242922"
ACCESS_TOKEN = "EAAGtest-token-0123456789"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"


class RecordingSink:
    """Stands in for the pipeline: records what the webhook hands over (thread-safe)."""

    def __init__(self) -> None:
        self.messages: list[InboundMessage] = []
        self.statuses: list[StatusUpdate] = []
        self.fail_on: str | None = None  # a provider_id whose accept raises (a DB outage)
        self.known_statuses: set[str] | None = None  # when set, statuses of other ids are unknown
        self.unknown_status_delay = 0.0  # how long the pipeline waits before calling a status unknown
        self._lock = threading.Lock()

    async def accept(self, message: InboundMessage) -> dict:
        if self.fail_on and message.provider_id == self.fail_on:
            raise RuntimeError("database unavailable")
        with self._lock:
            self.messages.append(message)
        return {"message_id": len(self.messages), "duplicate": False}

    async def record_status(self, update: StatusUpdate) -> bool:
        if self.known_statuses is not None and update.provider_id not in self.known_statuses:
            await asyncio.sleep(self.unknown_status_delay)
            return False
        with self._lock:
            self.statuses.append(update)
        return True

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.statuses.clear()
            self.fail_on = None
            self.known_statuses = None
            self.unknown_status_delay = 0.0


def make_config(base_url: str = "http://127.0.0.1:9", **overrides) -> WhatsAppConfig:
    values = dict(
        phone_number_id=PHONE_NUMBER_ID,
        access_token=ACCESS_TOKEN,
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        api_base_url=base_url,
        api_version="v21.0",
    )
    values.update(overrides)
    return WhatsAppConfig(**values)


def webhook_app(sink, config: WhatsAppConfig | None = None) -> FastAPI:
    app = FastAPI()
    app.include_router(build_router(config or make_config(), sink))
    return app
