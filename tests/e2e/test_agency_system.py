"""An agency's system drives the real app over HTTP (uvicorn): it registers transactions for
citizens on WhatsApp, on SMS only, and on a WhatsApp number that turns out not to be on WhatsApp,
moves them through their steps (every POST sent twice with its Idempotency-Key), and reads them
back. Counted at the fake Graph API and at the SMS sender: exactly one message per step, on the
right channel, in the citizen's language, with the number and dates."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bot.settings import Settings
from channels.base import Rendered, SendOutcome
from core.messages import SMS
from simulators.background_server import BackgroundServer
from simulators.web.sms_simulator import SimulatedSmsChannel
from simulators.whatsapp_graph import create_app as create_fake_graph
from tests.pipeline.pipeline_doubles import EchoBrain

SECRET, TOKEN, PHONE_ID = "x-secret", "x-token", "100000000000777"
ON_WHATSAPP, SMS_ONLY, NOT_ON_WHATSAPP, ENGLISH = "962795550001", "962795550002", "962795550003", "962795550004"
OUTSIDE_WINDOW = "962795550005"
STEPS = [
    {"type": "payment_received", "at": "2026-11-02T09:31:00+03:00"},
    {"type": "documents_received", "at": "2026-11-02T11:05:00+03:00"},
    {"type": "issued", "at": "2026-11-04T10:00:00+03:00", "document_number": "P7788991", "destination": "مكتب إربد"},
    {"type": "completed", "at": "2026-11-05T12:00:00+03:00"},
]


class RecordingSms(SimulatedSmsChannel):
    """The SMS channel as the development server has it (the real SMS renderer), counting sends."""

    def __init__(self) -> None:
        self.sent: list[Rendered] = []

    async def send(self, message: Rendered) -> SendOutcome:
        self.sent.append(message)
        return await super().send(message)


def _whatsapp_texts(messages: list[dict[str, Any]], number: str) -> list[str]:
    texts = [m["body"].get("text", {}).get("body", "") for m in messages]
    return [t for t in texts if number in t]


async def test_an_agency_system_moves_transactions_and_each_citizen_hears_each_step_once(tmp_path):
    from bot.app import create_app

    fake = BackgroundServer(create_fake_graph(app_secret=SECRET, phone_number_id=PHONE_ID, access_token=TOKEN)).start()
    sms = RecordingSms()
    values = {
        "WHATSAPP_API_BASE_URL": fake.url,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "WHATSAPP_ACCESS_TOKEN": TOKEN,
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_VERIFY_TOKEN": "x-verify",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tawasol.db'}",
    }
    app = create_app(Settings.from_env(values), brain=EchoBrain(), stand_ins={SMS: sms})
    server = BackgroundServer(app)
    try:
        await asyncio.to_thread(server.start, 60)
        store = app.state.runtime.require_store()
        store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status", sms_sender_ids=["CSPD"])
        store.agencies.add("dvld", name_ar="الترخيص", name_en="Licensing")
        key = store.agencies.issue_key("cspd").key
        other = store.agencies.issue_key("dvld").key
        async with httpx.AsyncClient(timeout=30) as client:
            await client.post(f"{fake.url}/_fake/config", json={"webhook_url": server.url + "/webhooks/whatsapp"})
            # Two citizens write on WhatsApp first (their window opens); one of them is then found
            # not to be on WhatsApp any more (131026) when we write back.
            for phone in (ON_WHATSAPP, NOT_ON_WHATSAPP):
                await client.post(f"{fake.url}/_fake/webhooks/messages", json={"messages": [{"from": phone, "text": "مرحبا"}]})
                waited = await client.get(f"{fake.url}/_fake/messages/wait", params={"to": phone, "timeout": 20})
                assert waited.status_code == 200  # the echo answer: the conversation exists
            await client.post(f"{fake.url}/_fake/errors", json={"to": NOT_ON_WHATSAPP, "code": 131026, "times": 100})

            api = server.url + "/api/v1"
            headers = {"Authorization": f"Bearer {key}"}
            # A citizen whose WhatsApp window closed a day ago: the step's approved template goes.
            from datetime import timedelta

            from core.messages import WHATSAPP, utcnow
            from store.citizens import resolve_identity

            with store.db.session() as s:
                resolve_identity(s, WHATSAPP, OUTSIDE_WINDOW, inbound_at=utcnow() - timedelta(hours=25))
            outside = {"number": "2026-T-5", "service_id": "cspd.passport_renew", "citizen_phone": OUTSIDE_WINDOW,
                       "registered_at": "2026-11-02T09:30:00+03:00"}
            assert (await client.post(f"{api}/transactions", json=outside, headers=headers)).status_code == 201
            sent = (await client.get(f"{fake.url}/_fake/messages", params={"to": OUTSIDE_WINDOW})).json()["messages"]
            [template] = [m for m in sent if m["type"] == "template"]
            assert template["body"]["template"]["name"] == "tawasol_transaction_registered"
            assert not [m for m in sms.sent if m.address == OUTSIDE_WINDOW]
            numbers = {ON_WHATSAPP: "2026-W-1", SMS_ONLY: "2026-S-2", NOT_ON_WHATSAPP: "2026-F-3", ENGLISH: "2026-E-4"}
            started = time.perf_counter()
            for phone, number in numbers.items():
                body = {"number": number, "service_id": "cspd.passport_renew", "citizen_phone": "+" + phone,
                        "registered_at": "2026-11-02T09:30:00+03:00"}
                if phone == ENGLISH:
                    body["citizen_language"] = "en"
                for attempt in range(2):  # the agency's system retries every request once
                    answer = await client.post(f"{api}/transactions", json=body,
                                               headers={**headers, "Idempotency-Key": f"reg-{number}"})
                    assert answer.status_code == 201, answer.text
                for position, step in enumerate(STEPS):
                    for attempt in range(2):
                        answer = await client.post(f"{api}/transactions/{number}/events", json=step,
                                                   headers={**headers, "Idempotency-Key": f"{number}-{position}"})
                        assert answer.status_code == 201, answer.text
            elapsed = time.perf_counter() - started

            sent = (await client.get(f"{fake.url}/_fake/messages")).json()["messages"]
            on_whatsapp = _whatsapp_texts([m for m in sent if m["to"] == ON_WHATSAPP], numbers[ON_WHATSAPP])
            assert len(on_whatsapp) == 5 and "2026-11-04" in on_whatsapp[3] and "P7788991" in on_whatsapp[3]
            assert not [m for m in sms.sent if m.address == ON_WHATSAPP]  # never both for one step
            for phone in (SMS_ONLY, NOT_ON_WHATSAPP, ENGLISH):
                texts = [m.text for m in sms.sent if m.address == phone]
                assert len(texts) == 5, (phone, texts)
                assert all(numbers[phone] in t for t in texts)
            assert not _whatsapp_texts([m for m in sent if m["to"] == NOT_ON_WHATSAPP], numbers[NOT_ON_WHATSAPP])
            english = [m.text for m in sms.sent if m.address == ENGLISH]
            assert english[0].startswith("Civil Status: your transaction 2026-E-4") and "STOP CSPD" in english[0]
            assert "09:31" in english[1] and "11:05" in english[2]
            assert "ايقاف CSPD" in [m.text for m in sms.sent if m.address == SMS_ONLY][0]

            record = (await client.get(f"{api}/transactions/{numbers[NOT_ON_WHATSAPP]}", headers=headers)).json()
            first = [n for n in record["notifications"] if n["event_id"] == record["events"][0]["id"]]
            assert [(n["channel"], n["status"]) for n in first] == [("whatsapp", "failed"), ("sms", "sent")]
            assert first[1]["route_reason"] == "fallback_after_failure" and first[1]["route_cause"] == "not_on_this_channel"
            assert (await client.get(f"{api}/transactions/{numbers[SMS_ONLY]}", headers={"Authorization": f"Bearer {other}"})).status_code == 404
            assert (await client.get(f"{api}/docs")).status_code == 200
            assert "/transactions" in (await client.get(f"{api}/openapi.json")).json()["paths"]
        print(f"\n{len(numbers) * (1 + len(STEPS)) * 2} API calls in {elapsed:.2f}s")
    finally:
        await asyncio.to_thread(server.stop)
        fake.stop()
