"""Correctly signed but hostile webhook bodies: a body that cannot be a webhook is refused whole
with 422 and a reason; within a batch, each invalid entry, change, message or status is skipped
with a log line naming it while the valid items beside it go through; statuses for ids we never
sent are acknowledged; bounds on depth, list lengths and text hold."""

from __future__ import annotations

import json
import logging
import time

import httpx
import pytest

from channels.whatsapp.schema import MAX_DEPTH, MAX_ITEMS
from channels.whatsapp.signature import sign
from tests.whatsapp.support import APP_SECRET, PHONE_NUMBER_ID, RecordingSink, webhook_app

PATH = "/webhooks/whatsapp"
WABA = "whatsapp_business_account"


@pytest.fixture
async def client():
    sink = RecordingSink()
    transport = httpx.ASGITransport(app=webhook_app(sink))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        http.sink = sink
        yield http


async def post(client, payload) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"X-Hub-Signature-256": sign(body, APP_SECRET), "Content-Type": "application/json"}
    return await client.post(PATH, content=body, headers=headers)


def text_message(sender: str, wamid: str, body="مرحبا") -> dict:
    return {"from": sender, "id": wamid, "timestamp": "1717000000", "type": "text", "text": {"body": body}}


def status(wamid: str, name="delivered") -> dict:
    return {"id": wamid, "status": name, "timestamp": "1717000100", "recipient_id": "962791234567"}


def change(messages=(), statuses=()) -> dict:
    value = {"metadata": {"phone_number_id": PHONE_NUMBER_ID}, "messages": list(messages), "statuses": list(statuses)}
    return {"field": "messages", "value": value}


def nested(depth: int):
    node: object = "deep"
    for _ in range(depth):
        node = [node]
    return node


@pytest.mark.parametrize(
    "payload, reason",
    [
        ([1, 2], "body is not a JSON object"),
        ("entry", "body is not a JSON object"),
        (None, "body is not a JSON object"),
        ({"entry": []}, "object is null, not whatsapp_business_account"),
        ({"object": "instagram", "entry": []}, "object is 'instagram', not whatsapp_business_account"),
        ({"object": True, "entry": []}, "object is a boolean, not whatsapp_business_account"),
        ({"object": WABA}, "entry is null, not a list"),
        ({"object": WABA, "entry": {"0": {}}}, "entry is an object, not a list"),
        ({"object": WABA, "entry": [{"changes": [{"value": nested(MAX_DEPTH)}]}]}, f"nested deeper than {MAX_DEPTH} levels"),
        ({"object": WABA, "entry": [{}] * (MAX_ITEMS + 1)}, f"body.entry has {MAX_ITEMS + 1} items, more than {MAX_ITEMS}"),
        (
            {"object": WABA, "entry": [{"changes": [change(messages=[{}] * (MAX_ITEMS + 1))]}]},
            f"body.entry[0].changes[0].value.messages has {MAX_ITEMS + 1} items, more than {MAX_ITEMS}",
        ),
    ],
)
async def test_a_body_that_cannot_be_a_webhook_is_422_with_the_reason(client, payload, reason):
    response = await post(client, payload)
    assert response.status_code == 422
    assert response.json()["error"].startswith("not a WhatsApp webhook body: ")
    assert reason in response.json()["error"]
    assert client.sink.messages == [] and client.sink.statuses == []


async def test_json_deeper_than_the_parser_allows_is_400_not_a_crash(client):
    response = await post(client, b"[" * 5000 + b"]" * 5000)
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]


async def test_every_kind_of_invalid_item_is_skipped_beside_valid_ones(client, caplog):
    """One body, as Meta batches: what is valid goes through, each invalid item is named in the log."""
    payload = {
        "object": WABA,
        "entry": [
            {"changes": [change([text_message("962790000001", "wamid.A"), text_message("962790000002", "wamid.B")])]},
            {"changes": "not a list"},
            {"id": "e2", "changes": []},
            7,
            {
                "changes": [
                    {"field": "messages", "value": "not an object"},
                    {"field": "messages", "value": {"messages": {"0": "not a list"}}},
                    {"field": ["messages"], "value": {}},
                    change(
                        messages=[
                            text_message("962790000003", "wamid.C"),
                            {"from": "962790000004", "id": 12345, "type": "text", "text": {"body": "id is a number"}},
                            {"from": "962790000005", "id": "wamid.E", "type": "text", "text": {"body": ["a", "list"]}},
                            {"from": "962790000006", "id": "wamid.F", "type": "interactive", "interactive": {"type": "list_reply"}},
                            {"from": "962790000007", "id": "wamid.G", "type": "button", "button": {"payload": None}},
                            {"from": "962790000008", "id": "wamid.H", "type": "image", "image": "not an object"},
                            {"from": "962790000009", "id": "wamid.I", "type": "hologram", "hologram": {}},
                        ],
                        statuses=[status("wamid.OUT1"), {"id": "wamid.OUT2", "status": 3}, "sent", status("wamid.OUT3", "read")],
                    ),
                ]
            },
        ],
    }
    with caplog.at_level(logging.WARNING, logger="channels.whatsapp.parse"):
        response = await post(client, payload)

    assert response.status_code == 200
    sink = client.sink
    assert [(m.provider_id, m.text) for m in sink.messages] == [
        ("wamid.A", "مرحبا"),
        ("wamid.B", "مرحبا"),
        ("wamid.C", "مرحبا"),
        ("wamid.I", ""),  # a type we do not know is kept, as unsupported: the citizen gets a polite reply
    ]
    assert sink.messages[-1].kind == "unsupported"
    assert [(s.provider_id, s.status) for s in sink.statuses] == [("wamid.OUT1", "delivered"), ("wamid.OUT3", "read")]
    skipped = [r.getMessage().removeprefix("whatsapp.parse skipped: ") for r in caplog.records if "skipped" in r.getMessage()]
    assert skipped == [
        "entry[1]: changes: value is not a valid list",
        "entry[2]: changes: ensure this value has at least 1 items",
        "entry[3]: not an object (a number)",
        "entry[4].changes[0]: value: value is not a valid dict",
        "entry[4].changes[1].value: messages: value is not a valid list",
        "entry[4].changes[2]: field: str type expected",
        "entry[4].changes[3].value.messages[1]: id: str type expected",
        "entry[4].changes[3].value.messages[2]: text.body: str type expected",
        "entry[4].changes[3].value.messages[3]: interactive.__root__: an interactive list_reply without its list_reply",
        "entry[4].changes[3].value.messages[4]: button.payload: none is not an allowed value",
        "entry[4].changes[3].value.messages[5]: image: value is not a valid dict",
        "entry[4].changes[3].value.statuses[1]: status: str type expected",
        "entry[4].changes[3].value.statuses[2]: not an object (a string)",
    ]
    assert response.json() == {"messages": 4, "statuses": 2, "skipped": 13, "unknown_statuses": 0}


async def test_statuses_for_unknown_ids_are_acknowledged_together_not_one_after_another(client):
    """The pipeline waits a moment before calling a status unknown (the provider can be faster than
    our commit); fifty such waits must not add up in one request."""
    client.sink.known_statuses = {"wamid.KNOWN"}
    client.sink.unknown_status_delay = 0.3
    statuses = [status(f"wamid.never-sent-{i}") for i in range(50)] + [status("wamid.KNOWN")]
    started = time.monotonic()
    response = await post(client, {"object": WABA, "entry": [{"changes": [change(statuses=statuses)]}]})
    took = time.monotonic() - started

    assert response.status_code == 200
    assert response.json() == {"messages": 0, "statuses": 51, "skipped": 0, "unknown_statuses": 50}
    assert [s.provider_id for s in client.sink.statuses] == ["wamid.KNOWN"]
    assert took < 0.3 * 5  # together: one wait, not fifty


async def test_huge_and_odd_strings_are_bounded_or_refused(client):
    huge = "ا" * 70_000
    odd = "\u202e\x00\ud7ff\ufeff" * 10
    messages = [
        text_message("962790000001", "wamid.huge", huge),
        text_message("962790000002", "wamid.odd", odd),
        text_message("962790000003", "w" * 5000, "an id longer than any wamid"),
        {"from": "962790000004", "id": "wamid.btn", "type": "button", "button": {"payload": "p" * 300, "text": "x"}},
        {"from": "962790000005", "id": "wamid.cap", "type": "image", "image": {"id": "m1", "caption": huge}},
    ]
    contacts = [{"wa_id": "962790000001", "profile": {"name": "ن" * 10_000}}]
    payload = {"object": WABA, "entry": [{"changes": [change(messages)]}]}
    payload["entry"][0]["changes"][0]["value"]["contacts"] = contacts
    started = time.monotonic()
    response = await post(client, payload)
    assert time.monotonic() - started < 1.0
    assert response.status_code == 200 and response.json()["skipped"] == 2
    by_id = {m.provider_id: m for m in client.sink.messages}
    assert sorted(by_id) == ["wamid.cap", "wamid.huge", "wamid.odd"]
    # The webhook hands the text over whole; the pipeline cuts it to 4,096 before storing it
    # (tests/pipeline/test_pipeline_accept.py). Display fields are bounded here.
    assert by_id["wamid.huge"].text == huge and by_id["wamid.odd"].text == odd
    assert len(by_id["wamid.huge"].display_name) == 256
    assert len(by_id["wamid.cap"].text) == 4096


async def test_an_id_with_control_characters_is_refused_so_no_log_line_can_be_forged(client, caplog):
    forged = "wamid.X\n2026-12-07 10:00:00,000 INFO pipeline.pipeline answered message_id=1"
    payload = {"object": WABA, "entry": [{"changes": [change([text_message("962790000001", forged)], [status(forged)])]}]}
    with caplog.at_level(logging.INFO):
        response = await post(client, payload)
    assert response.json() == {"messages": 0, "statuses": 0, "skipped": 2, "unknown_statuses": 0}
    assert all("\n" not in record.getMessage() for record in caplog.records)
