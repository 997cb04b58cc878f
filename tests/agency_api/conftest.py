"""The agency API over a real store (SQLite and PostgreSQL), with recording channels standing in
for WhatsApp and SMS (the end-to-end test uses the fake Graph API through the real app)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import httpx
from fastapi import FastAPI
import pytest

from actions.catalog_access import catalog
from api.app import create_api
from billing.credit import CreditKeeper
from coordination import InProcessCoordination
from core.messages import SMS, WHATSAPP, utcnow
from pipeline.outbox import Outbox
from store import Store
from store.citizens import resolve_identity
from tests.pipeline.pipeline_doubles import FakeSender

ON_WHATSAPP = "962791110001"  # wrote to us on WhatsApp a minute ago: the window is open
SMS_ONLY = "962791110002"  # never wrote: SMS it is
EMPLOYEE = "962791110009"
MANAGER = "962791110008"


@dataclass
class World:
    store: Store
    client: httpx.AsyncClient
    outbox: Outbox
    whatsapp: FakeSender
    sms: FakeSender
    key: str  # cspd's
    other_key: str  # dvld's

    def headers(self, key: Optional[str] = None, idempotency: Optional[str] = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {key or self.key}"}
        if idempotency:
            headers["Idempotency-Key"] = idempotency
        return headers

    def sent_to(self, phone: str) -> list:
        return [m for m in self.whatsapp.sent + self.sms.sent if m.address == phone]

    def wrote_on_whatsapp(self, phone: str, at: Optional[datetime] = None) -> None:
        with self.store.db.session() as s:
            resolve_identity(s, WHATSAPP, phone, inbound_at=at or utcnow())

    def count(self, table: str) -> int:
        from sqlalchemy import text

        with self.store.db.engine.connect() as connection:
            return connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


@pytest.fixture
async def world(store):
    store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status", sms_sender_ids=["CSPD"])
    store.agencies.add("dvld", name_ar="ترخيص السواقين والمركبات", name_en="Licensing", independent=True)
    key = store.agencies.issue_key("cspd").key
    other_key = store.agencies.issue_key("dvld").key
    whatsapp, sms = FakeSender(WHATSAPP), FakeSender(SMS)
    outbox = Outbox(store, InProcessCoordination(), {WHATSAPP: whatsapp, SMS: sms}, {WHATSAPP: 1000.0, SMS: 1000.0})
    app = FastAPI()
    keeper = CreditKeeper(store, outbox)
    app.mount(  # as bot/app.py does
        "/api/v1", create_api(store=lambda: store, outbox=lambda: outbox, catalog=catalog, credit=lambda: keeper)
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://agency.test/api/v1") as client:
        yield World(store, client, outbox, whatsapp, sms, key, other_key)
