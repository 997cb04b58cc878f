"""The fake Graph API answers like Meta: auth, unknown phone number ids, body checks, media, waits."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.whatsapp.support import ACCESS_TOKEN, PHONE_NUMBER_ID

TO = "962791234567"


@pytest.fixture
def graph(fake_server, fake):
    with httpx.Client(
        base_url=fake_server.url, headers={"Authorization": f"Bearer {ACCESS_TOKEN}"}, timeout=10
    ) as client:
        yield client


def send(graph, body, phone_id=PHONE_NUMBER_ID, version="v21.0"):
    return graph.post(f"/{version}/{phone_id}/messages", json=body)


def text(body="hi", **extra):
    return {"messaging_product": "whatsapp", "to": TO, "type": "text", "text": {"body": body}, **extra}


def assert_meta_error(response, status, code):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["type"] and error["fbtrace_id"]
    assert error["error_data"]["messaging_product"] == "whatsapp"
    return error


def test_success_shape(graph):
    response = send(graph, text())
    assert response.status_code == 200
    data = response.json()
    assert data["messaging_product"] == "whatsapp"
    assert data["contacts"] == [{"input": TO, "wa_id": TO}]
    assert data["messages"][0]["id"].startswith("wamid.")


def test_token_is_required_and_checked(fake_server, fake):
    missing = httpx.post(f"{fake_server.url}/v21.0/{PHONE_NUMBER_ID}/messages", json=text())
    assert_meta_error(missing, 401, 190)
    wrong = httpx.post(
        f"{fake_server.url}/v21.0/{PHONE_NUMBER_ID}/messages",
        json=text(),
        headers={"Authorization": "Bearer nope"},
    )
    assert wrong.json()["error"]["type"] == "OAuthException"
    assert_meta_error(wrong, 401, 190)


def test_unknown_phone_number_id_and_bad_version(graph):
    error = assert_meta_error(send(graph, text(), phone_id="999"), 400, 100)
    assert error["error_subcode"] == 33 and error["type"] == "GraphMethodException"
    assert_meta_error(send(graph, text(), version="latest"), 400, 2500)


@pytest.mark.parametrize(
    "body, code",
    [
        ({"to": TO, "type": "text", "text": {"body": "x"}}, 100),  # no messaging_product
        ({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}, 131008),  # no to
        (text("x" * 4097), 100),
        (text(""), 131008),
        ({"messaging_product": "whatsapp", "to": TO, "type": "hologram", "hologram": {}}, 131051),
        (
            {"messaging_product": "whatsapp", "to": "not-a-number", "type": "text", "text": {"body": "x"}},
            131009,
        ),
    ],
)
def test_text_and_envelope_checks(graph, body, code):
    assert_meta_error(send(graph, body), 400, code)


def interactive(content):
    return {"messaging_product": "whatsapp", "to": TO, "type": "interactive", "interactive": content}


def buttons(*titles, body="اختر"):
    return interactive(
        {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": f"id{i}", "title": t}} for i, t in enumerate(titles)
                ]
            },
        }
    )


def a_list(rows, button="الخيارات", sections=None):
    return interactive(
        {
            "type": "list",
            "body": {"text": "اختر"},
            "action": {"button": button, "sections": sections or [{"rows": rows}]},
        }
    )


def row(i, title="خدمة", **extra):
    return {"id": f"r{i}", "title": f"{title} {i}", **extra}


def test_interactive_checks(graph):
    assert send(graph, buttons("نعم", "لا")).status_code == 200
    assert_meta_error(send(graph, buttons("a", "b", "c", "d")), 400, 131009)
    assert_meta_error(send(graph, buttons("عنوان طويل جدا جدا جدا")), 400, 131009)
    assert_meta_error(send(graph, buttons("نعم", "نعم")), 400, 131009)
    assert_meta_error(send(graph, buttons("نعم", body="x" * 1025)), 400, 100)
    assert send(graph, a_list([row(i) for i in range(10)])).status_code == 200
    assert_meta_error(send(graph, a_list([row(i) for i in range(11)])), 400, 131009)
    assert_meta_error(send(graph, a_list([row(1, title="x" * 30)])), 400, 131009)
    assert_meta_error(send(graph, a_list([row(1, description="x" * 73)])), 400, 131009)
    assert_meta_error(send(graph, a_list([row(1)], button="x" * 21)), 400, 131009)
    two_sections_untitled = [{"rows": [row(1)]}, {"rows": [row(2)]}]
    assert_meta_error(send(graph, a_list([], sections=two_sections_untitled)), 400, 131009)


def template(name, language="ar", params=()):
    content = {"name": name, "language": {"code": language}}
    if params:
        content["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
        ]
    return {"messaging_product": "whatsapp", "to": TO, "type": "template", "template": content}


def test_template_checks_against_the_approved_catalogue(graph):
    ok = send(graph, template("tawasol_document_ready", params=["جواز", "العبدلي"]))
    assert ok.status_code == 200 and ok.json()["messages"][0]["message_status"] == "accepted"
    assert_meta_error(send(graph, template("unknown")), 404, 132001)
    assert_meta_error(
        send(graph, template("tawasol_document_ready", language="fr", params=["a", "b"])), 404, 132001
    )
    assert_meta_error(send(graph, template("tawasol_document_ready", params=["only one"])), 400, 132000)
    assert_meta_error(send(graph, template("tawasol_document_ready", params=["a\nb", "c"])), 400, 132018)


def test_injected_errors_count_down_and_can_target_everyone(graph, fake):
    fake.post("/_fake/errors", json={"to": "+962 79 123 4567", "code": 130429, "times": 2})
    assert send(graph, text()).json()["error"]["code"] == 130429
    assert send(graph, text()).json()["error"]["code"] == 130429
    assert send(graph, text()).status_code == 200
    fake.post("/_fake/errors", json={"to": "*", "code": 131000})
    other = send(graph, {**text(), "to": "962700000000"})
    assert_meta_error(other, 500, 131000)


def test_wait_long_polls_and_times_out(graph, fake):
    timeout = fake.get("/_fake/messages/wait", params={"count": 1, "timeout": 0.2})
    assert timeout.status_code == 408
    send(graph, text("one"))
    done = fake.get("/_fake/messages/wait", params={"count": 1, "timeout": 2})
    assert done.status_code == 200 and done.json()["messages"][0]["body"]["text"]["body"] == "one"
    fake.delete("/_fake/messages")
    assert fake.get("/_fake/messages").json()["messages"] == []


def test_media_lookup_and_download(graph, fake):
    content = b"\x89PNG fake image bytes"
    media_id = fake.post(
        "/_fake/media", json={"mime_type": "image/png", "content_base64": base64.b64encode(content).decode()}
    ).json()["id"]
    info = graph.get(f"/v21.0/{media_id}").json()
    assert info["mime_type"] == "image/png" and info["file_size"] == len(content) and info["id"] == media_id
    download = graph.get(info["url"])
    assert download.status_code == 200 and download.content == content
    assert httpx.get(info["url"]).status_code == 401  # the download needs the token too
    assert_meta_error(graph.get("/v21.0/000111"), 400, 100)


def test_inbound_media_is_downloadable(graph, fake, sink):
    fake.post(
        "/_fake/webhooks/messages",
        json={
            "messages": [
                {
                    "from": TO,
                    "media": {"type": "document", "mime_type": "application/pdf", "filename": "f.pdf"},
                }
            ]
        },
    )
    [message] = sink.messages
    info = graph.get(f"/v21.0/{message.raw['media_id']}").json()
    assert info["mime_type"] == "application/pdf"
    assert graph.get(info["url"]).status_code == 200


def test_webhook_bodies_are_escaped_like_metas(fake, sink):
    fake.post("/_fake/webhooks/messages", json={"messages": [{"from": TO, "text": "مرحبا https://x.jo/a"}]})
    body = fake.get("/_fake/webhooks").json()["deliveries"][-1]["body"]
    assert "\\u0645" in body and "https:\\/\\/x.jo\\/a" in body
    assert sink.messages[0].text == "مرحبا https://x.jo/a"
