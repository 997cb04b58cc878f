"""Property tests of the webhook parser: whatever a correctly signed body holds, parsing never raises,
and what it hands the pipeline has the types the store binds (an object or a boolean where Meta sends
a string used to reach the store and fail the whole webhook with a 500)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.whatsapp.parse import parse_update

LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30))
ANY_JSON = st.recursive(
    LEAF,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=12), children, max_size=4)),
    max_leaves=20,
)


def either(value):
    """Meta's value, or anything at all in its place."""
    return st.one_of(st.just(value), ANY_JSON)


MESSAGE = st.fixed_dictionaries(
    {
        "from": either("962791234567"),
        "from_user_id": ANY_JSON,
        "id": either("wamid.X"),
        "timestamp": either("1700000000"),
        "type": st.one_of(st.sampled_from(["text", "interactive", "button", "location", "image", "reaction"]), ANY_JSON),
        "text": st.one_of(st.fixed_dictionaries({"body": either("مرحبا")}), ANY_JSON),
        "interactive": ANY_JSON,
        "context": ANY_JSON,
        "button": ANY_JSON,
        "location": ANY_JSON,
        "image": ANY_JSON,
    }
)
STATUS = st.fixed_dictionaries(
    {
        "id": either("wamid.Y"),
        "status": st.one_of(st.sampled_from(["sent", "delivered", "read", "failed"]), ANY_JSON),
        "timestamp": either("1700000000"),
        "recipient_id": either("962791234567"),
        "errors": st.one_of(
            st.lists(st.fixed_dictionaries({"code": either(131026), "title": either("t"), "message": ANY_JSON}), max_size=2),
            ANY_JSON,
        ),
    }
)
CONTACT = st.fixed_dictionaries(
    {"wa_id": either("962791234567"), "user_id": ANY_JSON, "profile": st.one_of(st.fixed_dictionaries({"name": either("n")}), ANY_JSON)}
)
VALUE = st.fixed_dictionaries(
    {
        "messaging_product": either("whatsapp"),
        "metadata": ANY_JSON,
        "contacts": st.one_of(st.lists(CONTACT, max_size=2), ANY_JSON),
        "messages": st.one_of(st.lists(MESSAGE, max_size=3), ANY_JSON),
        "statuses": st.one_of(st.lists(STATUS, max_size=2), ANY_JSON),
    }
)
CHANGE = st.fixed_dictionaries({"field": either("messages"), "value": st.one_of(VALUE, ANY_JSON)})
BODY = st.fixed_dictionaries(
    {
        "object": either("whatsapp_business_account"),
        "entry": st.one_of(
            st.lists(st.fixed_dictionaries({"id": ANY_JSON, "changes": st.one_of(st.lists(CHANGE, max_size=2), ANY_JSON)}), max_size=2),
            ANY_JSON,
        ),
    }
)


def optional_text(value) -> bool:
    return value is None or isinstance(value, str)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(BODY)
def test_any_body_parses_into_storable_messages_and_statuses(body):
    parsed = parse_update(body)
    for message in parsed.messages:
        assert isinstance(message.provider_id, str) and message.provider_id
        assert isinstance(message.address, str) and message.address
        assert isinstance(message.text, str)
        assert optional_text(message.payload) and optional_text(message.display_name)
        json.dumps(message.raw)  # stored as JSON
    for status in parsed.statuses:
        assert isinstance(status.provider_id, str)
        assert optional_text(status.address) and optional_text(status.error_code) and optional_text(status.error_title)


def test_a_boolean_error_title_becomes_no_title():
    """The case the property test found (it failed the webhook with a 500 before)."""
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"changes": [{"field": "messages", "value": {"statuses": [
            {"id": "wamid.Y", "status": "failed", "timestamp": "1", "errors": [{"code": 131000, "title": True}]}
        ]}}]}],
    }
    [status] = parse_update(body).statuses
    assert (status.error_code, status.error_title) == ("131000", None)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(BODY, ANY_JSON))
def test_any_signed_body_gets_an_answer_under_500_from_the_webhook(body):
    """Through the real router: whatever is signed, the answer is 200 or a 4xx with a reason."""
    from starlette.testclient import TestClient

    from channels.whatsapp.signature import sign
    from tests.whatsapp.support import APP_SECRET, RecordingSink, webhook_app

    raw = json.dumps(body).encode()
    with TestClient(webhook_app(RecordingSink())) as client:
        response = client.post("/webhooks/whatsapp", content=raw, headers={"X-Hub-Signature-256": sign(raw, APP_SECRET)})
    assert response.status_code in (200, 400, 422), response.text
    if response.status_code == 400:  # Python writes infinities JSON has no words for
        assert "Infinity" in raw.decode() and "not valid JSON" in response.json()["error"]
    elif response.status_code == 422:
        assert response.json()["error"].startswith("not a WhatsApp webhook body: ")
    else:
        assert set(response.json()) == {"messages", "statuses", "skipped", "unknown_statuses"}
