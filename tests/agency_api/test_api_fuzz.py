"""Whatever an agency's system sends, the API answers 2xx or 4xx with a reason, never a 5xx, and a
refused request stores nothing (hypothesis draws the bodies)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.catalog_access import catalog
from api.app import create_api
from coordination import InProcessCoordination
from core.messages import SMS, WHATSAPP
from pipeline.outbox import Outbox
from tests.pipeline.pipeline_doubles import FakeSender

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=80),
    st.sampled_from(["962791234567", "+962791234567", "0791234567", "cspd.passport_renew", "dvld.driving_license_renew",
                     "2026-11-02T09:30:00+03:00", "2026-11-02T09:30:00", "issued", "rejected", "ar", "en", "x" * 2000]),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=5), SCALARS, max_size=2))
TRANSACTION_KEYS = ["number", "service_id", "citizen_phone", "citizen_language", "registered_at",
                    "assigned_employee_phone", "manager_phone", "escalate_after_days", "extra"]
EVENT_KEYS = ["type", "at", "note", "destination", "document_number", "employee_phone"]
NOTIFICATION_KEYS = ["citizen_phone", "category", "text_ar", "text_en", "template"]


def bodies(keys: list[str]):
    return st.one_of(st.dictionaries(st.sampled_from(keys), VALUES, max_size=len(keys)), VALUES)


@pytest.fixture
def client(store):
    if store.db.dialect != "sqlite":
        pytest.skip("one database is enough for drawing bodies")
    store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status")
    store.agencies.add("dvld", name_ar="الترخيص", name_en="Licensing")
    key = store.agencies.issue_key("cspd").key
    outbox = Outbox(store, InProcessCoordination(), {WHATSAPP: FakeSender(WHATSAPP), SMS: FakeSender(SMS)}, {})
    app = FastAPI()
    app.mount("/api/v1", create_api(store=lambda: store, outbox=lambda: outbox, catalog=catalog))
    with TestClient(app, base_url="http://agency.test") as test_client:
        test_client.headers["Authorization"] = f"Bearer {key}"
        yield test_client, store


def _rows(store, table: str) -> int:
    from sqlalchemy import text

    with store.db.engine.connect() as connection:
        return connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(transaction=bodies(TRANSACTION_KEYS), event=bodies(EVENT_KEYS), notification=bodies(NOTIFICATION_KEYS))
def test_any_body_gets_an_answer_with_a_reason_and_refusals_store_nothing(client, transaction, event, notification):
    test_client, store = client
    for path, body in (("/api/v1/transactions", transaction), ("/api/v1/transactions/2026-1/events", event),
                       ("/api/v1/notifications", notification)):
        before = {t: _rows(store, t) for t in ("transactions", "transaction_events", "messages", "idempotency_keys")}
        answer = test_client.post(path, json=body, headers={"Idempotency-Key": "fuzz-" + path})
        assert answer.status_code < 500, (path, body, answer.text)
        if answer.status_code >= 400:
            assert answer.json()["reason"], answer.text
            after = {t: _rows(store, t) for t in before}
            assert after == before, (path, body, answer.text)
