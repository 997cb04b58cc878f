"""The webhook router: verification, signature, size cap, malformed bodies, hand-over to the sink.

Direct requests go through httpx's ASGI transport; the "as Meta" tests go through the real servers:
the fake Graph API POSTs signed webhooks to our router over HTTP.
"""

from __future__ import annotations

import json

import httpx
import pytest

from core.messages import KIND_CHOICE, KIND_LOCATION, KIND_MEDIA, KIND_TEXT, KIND_UNSUPPORTED, InvalidMessage
from channels.whatsapp.signature import sign
from tests.whatsapp.support import APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN, RecordingSink, webhook_app

PATH = "/webhooks/whatsapp"


def text_body(*senders: str) -> bytes:
    messages = [
        # Ids apart from the numbers (a real wamid does not show the number in clear either).
        {"from": s, "id": f"wamid.m{i}", "timestamp": "1717000000", "type": "text", "text": {"body": "مرحبا"}}
        for i, s in enumerate(senders)
    ]
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "1", "phone_number_id": PHONE_NUMBER_ID},
                            "contacts": [{"profile": {"name": "n"}, "wa_id": s} for s in senders],
                            "messages": messages,
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(payload).encode()


@pytest.fixture
async def client():
    sink = RecordingSink()
    transport = httpx.ASGITransport(app=webhook_app(sink))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        http.sink = sink
        yield http


async def post(client, body: bytes, signature="valid", **headers):
    if signature == "valid":
        headers["X-Hub-Signature-256"] = sign(body, APP_SECRET)
    elif signature:
        headers["X-Hub-Signature-256"] = signature
    return await client.post(PATH, content=body, headers={"Content-Type": "application/json", **headers})


async def test_verification_with_the_right_token_echoes_the_challenge(client):
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    response = await client.get(PATH, params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


async def test_verification_with_a_wrong_token_or_mode_is_refused(client):
    wrong = await client.get(
        PATH, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert wrong.status_code == 403
    assert "verify_token" in wrong.json()["error"]
    assert "1" not in wrong.text.replace('"error"', "")
    no_mode = await client.get(PATH, params={"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"})
    assert no_mode.status_code == 403 and "hub.mode" in no_mode.json()["error"]
    empty = await client.get(PATH, params={"hub.mode": "subscribe", "hub.challenge": "1"})
    assert empty.status_code == 403


async def test_missing_signature_is_401_and_nothing_is_processed(client):
    response = await post(client, text_body("962791234567"), signature=None)
    assert response.status_code == 401
    assert "X-Hub-Signature-256" in response.json()["error"]
    assert client.sink.messages == []


async def test_wrong_signature_is_403_and_nothing_is_processed(client):
    body = text_body("962791234567")
    for bad in (
        "sha256=" + "0" * 64,
        sign(body, "another-secret"),
        "sha1=abc",
        sign(body + b" ", APP_SECRET),
    ):
        response = await post(client, body, signature=bad)
        assert response.status_code == 403, bad
        assert "does not match" in response.json()["error"]
    assert client.sink.messages == []


async def test_valid_signature_hands_the_message_over(client):
    response = await post(client, text_body("962791234567"))
    assert response.status_code == 200
    assert response.json() == {"messages": 1, "statuses": 0, "skipped": 0, "unknown_statuses": 0}
    assert [m.address for m in client.sink.messages] == ["962791234567"]


async def test_signature_header_is_case_insensitive_in_hex(client):
    body = text_body("962791234567")
    response = await post(
        client, body, signature=sign(body, APP_SECRET).upper().replace("SHA256=", "sha256=")
    )
    assert response.status_code == 200


async def test_malformed_json_is_400(client):
    for body in (b'{"object": "whatsapp_business_account", "entry": [', b"\xff\xfe"):
        response = await post(client, body)
        assert response.status_code == 400, body
        assert response.json()["error"]
    assert client.sink.messages == []


async def test_three_megabyte_body_is_413(client):
    body = b'{"pad": "' + b"x" * 3_000_000 + b'"}'
    response = await post(client, body)
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]


def test_three_megabyte_chunked_body_without_length_is_413_over_http(webhook_server, sink):
    """No Content-Length: the cap applies while streaming."""
    sent = 0

    def chunks():
        nonlocal sent
        for _ in range(48):
            sent += 65536
            yield b"x" * 65536

    response = httpx.post(
        webhook_server.url + PATH,
        content=chunks(),
        headers={"X-Hub-Signature-256": "sha256=" + "0" * 64, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413
    assert sink.messages == []


async def test_five_citizens_in_one_body_become_five_messages(client):
    citizens = [f"96279000000{i}" for i in range(5)]
    response = await post(client, text_body(*citizens))
    assert response.status_code == 200
    assert sorted(m.address for m in client.sink.messages) == citizens


async def test_sink_failure_answers_500_so_meta_retries_and_the_rest_still_goes(client):
    client.sink.fail_on = "wamid.m1"
    response = await post(client, text_body("962790000000", "962790000001", "962790000002"))
    assert response.status_code == 500
    assert response.json()["failed"] == 1
    assert [m.address for m in client.sink.messages] == ["962790000000", "962790000002"]


# --- through the fake, acting as Meta over real HTTP ----------------------------------------------


def test_fake_delivers_a_batch_of_five_citizens_in_every_layout(fake, sink):
    citizens = [f"96277000000{i}" for i in range(5)]
    for layout in ("one_change", "changes", "entries", "separate"):
        sink.reset()
        specs = [{"from": c, "name": f"مواطن {i}", "text": f"سؤال رقم {i}"} for i, c in enumerate(citizens)]
        result = fake.post("/_fake/webhooks/messages", json={"messages": specs, "layout": layout}).json()
        assert all(d["status_code"] == 200 for d in result["deliveries"]), result
        assert len(result["deliveries"]) == (5 if layout == "separate" else 1)
        assert sorted(m.address for m in sink.messages) == citizens, layout
        assert {m.text for m in sink.messages} == {f"سؤال رقم {i}" for i in range(5)}
        assert {m.display_name for m in sink.messages} == {f"مواطن {i}" for i in range(5)}


def test_fake_payloads_with_and_without_user_id(fake, sink):
    spec = {"from": "962795555555", "text": "hello"}
    fake.post("/_fake/webhooks/messages", json={"messages": [spec], "include_user_id": True})
    fake.post("/_fake/webhooks/messages", json={"messages": [spec], "include_user_id": False})
    assert [m.address for m in sink.messages] == ["962795555555", "962795555555"]
    assert sink.messages[0].raw["user_id"].startswith("JO.")
    assert "user_id" not in sink.messages[1].raw
    bodies = [d["body"] for d in fake.get("/_fake/webhooks").json()["deliveries"]]
    assert '"user_id"' in bodies[0] and '"user_id"' not in bodies[1]


def test_fake_sends_each_message_type(fake, sink):
    specs = [
        {"from": "962791000001", "text": "نص"},
        {"from": "962791000001", "button_reply": {"id": "/yes", "title": "نعم"}},
        {"from": "962791000001", "list_reply": {"id": "svc:3", "title": "جواز السفر"}},
        {"from": "962791000001", "quick_reply": {"payload": "STOP", "text": "إيقاف"}},
        {"from": "962791000001", "location": {"latitude": 31.9, "longitude": 35.9, "name": "عمان"}},
        {"from": "962791000001", "media": {"type": "image", "mime_type": "image/jpeg"}},
        {"from": "962791000001", "media": {"type": "voice", "mime_type": "audio/ogg; codecs=opus"}},
        {"from": "962791000001", "reaction": {"message_id": "wamid.x", "emoji": "👍"}},
        {"from": "962791000001", "message": {"type": "unsupported", "unsupported": {"type": "poll"}}},
    ]
    fake.post("/_fake/webhooks/messages", json={"messages": specs})
    kinds = [(m.kind, m.payload) for m in sink.messages]
    assert kinds == [
        (KIND_TEXT, None),
        (KIND_CHOICE, "/yes"),
        (KIND_CHOICE, "svc:3"),
        (KIND_CHOICE, "STOP"),
        (KIND_LOCATION, None),
        (KIND_MEDIA, None),
        (KIND_MEDIA, None),
        (KIND_UNSUPPORTED, None),
        (KIND_UNSUPPORTED, None),
    ]
    assert sink.messages[6].raw["voice"] is True


def test_fake_redelivery_is_byte_identical_and_reaches_the_sink_again(fake, sink):
    first = fake.post(
        "/_fake/webhooks/messages", json={"messages": [{"from": "962793333333", "text": "مرة"}]}
    ).json()
    delivery_id = first["deliveries"][0]["id"]
    again = fake.post("/_fake/webhooks/redeliver", json={"delivery_id": delivery_id}).json()
    assert again["deliveries"][0]["status_code"] == 200
    log = fake.get("/_fake/webhooks").json()["deliveries"]
    assert log[-1]["body"] == log[-2]["body"]
    # The webhook passes both on; the pipeline dedupes on the provider id.
    assert [m.provider_id for m in sink.messages] == [first["deliveries"][0]["message_ids"][0]] * 2


def test_fake_signature_controls_reach_our_checks(fake, sink):
    cases = {"missing": 401, "wrong": 403}
    for signature, status in cases.items():
        result = fake.post(
            "/_fake/webhooks/raw",
            json={"body": '{"object":"whatsapp_business_account"}', "signature": signature},
        ).json()
        assert result["deliveries"][0]["status_code"] == status
    malformed = fake.post("/_fake/webhooks/raw", json={"body": "{not json", "signature": "valid"}).json()
    assert malformed["deliveries"][0]["status_code"] == 400
    assert sink.messages == []


def test_fake_status_webhooks_reach_the_sink(fake, sink):
    statuses = [
        {"id": "wamid.OUT1", "status": "sent", "recipient_id": "962791234567"},
        {"id": "wamid.OUT1", "status": "delivered", "recipient_id": "962791234567"},
        {"id": "wamid.OUT1", "status": "read", "recipient_id": "962791234567"},
        {"id": "wamid.OUT2", "status": "failed", "recipient_id": "962791234568", "error": {"code": 131026}},
    ]
    result = fake.post("/_fake/webhooks/statuses", json={"statuses": statuses, "layout": "changes"}).json()
    assert result["deliveries"][0]["status_code"] == 200
    assert [(s.provider_id, s.status) for s in sink.statuses] == [
        ("wamid.OUT1", "sent"),
        ("wamid.OUT1", "delivered"),
        ("wamid.OUT1", "read"),
        ("wamid.OUT2", "failed"),
    ]
    assert (sink.statuses[3].error_code, sink.statuses[3].error_title) == ("131026", "Message Undeliverable")


class RefusingSink(RecordingSink):
    """The pipeline refuses some messages as invalid (a malformed address): the input's fault."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def accept(self, message):
        if message.address == self.refused:
            raise InvalidMessage("address must be 6-20 digits")
        return await super().accept(message)


async def test_a_refused_message_is_acknowledged_and_its_batch_neighbours_still_go_through():
    sink = RefusingSink(refused="12")
    transport = httpx.ASGITransport(app=webhook_app(sink))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await post(http, text_body("962791234567", "12", "962797654321"))
    # 200, not 500: a 5xx makes Meta redeliver the same body for days, and it would fail the same way.
    assert response.status_code == 200, response.text
    assert response.json() == {"messages": 3, "statuses": 0, "skipped": 1, "unknown_statuses": 0}
    assert sorted(m.address for m in sink.messages) == ["962791234567", "962797654321"]
