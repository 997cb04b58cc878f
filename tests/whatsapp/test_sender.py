"""WhatsAppSender against the fake Graph API over real HTTP: success, error mapping, read receipts."""

from __future__ import annotations

import logging
import socket

import pytest

from core.messages import BotReply, Choice, Verdict
from channels.whatsapp.errors import outcome_for_error, retry_after_from_headers
from channels.whatsapp.render import render_reply
from channels.whatsapp.sender import WhatsAppSender
from tests.whatsapp.support import ACCESS_TOKEN, make_config

CITIZEN = "962791234567"


@pytest.fixture
async def sender(fake_config, catalog):
    async with WhatsAppSender(fake_config, templates=catalog) as s:
        yield s


def render(sender, reply, to=CITIZEN, **options):
    return render_reply(reply, to, templates=sender.templates, **options)


async def send_text(sender, to=CITIZEN, text="مرحبا"):
    [message] = render(sender, BotReply(text=text), to)
    return await sender.send(message)


def inject(fake, code, **spec):
    fake.post("/_fake/errors", json={"to": CITIZEN, "code": code, **spec}).raise_for_status()


async def test_text_send_returns_the_wamid_the_fake_recorded(sender, fake):
    outcome = await send_text(sender, text="تم استلام طلبك")
    assert outcome.ok and outcome.provider_id.startswith("wamid.")
    [stored] = fake.get("/_fake/messages", params={"to": CITIZEN}).json()["messages"]
    assert stored["id"] == outcome.provider_id
    assert stored["body"]["text"]["body"] == "تم استلام طلبك"


async def test_buttons_lists_and_templates_are_accepted_by_the_fake(sender, fake, catalog):
    replies = [
        BotReply(text="نعم أم لا؟", choices=[Choice("/yes", "نعم"), Choice("/no", "لا")]),
        BotReply(
            text="اختر", choices=[Choice(f"/s{i}", f"خدمة رقم {i} للمواطنين الأردنيين") for i in range(14)]
        ),
    ]
    rendered = [m for r in replies for m in render(sender, r)]
    ref = catalog.ref("document_ready", "ar", {"document_name": "جواز السفر", "office": "مكتب العبدلي"})
    rendered += render(sender, BotReply(text="", template=ref), in_window=False)
    outcomes = [await sender.send(m) for m in rendered]
    assert all(o.ok for o in outcomes), outcomes
    waited = fake.get("/_fake/messages/wait", params={"count": len(rendered), "timeout": 2}).json()
    assert [m["type"] for m in waited["messages"]] == [
        "interactive",
        "interactive",
        "interactive",
        "template",
    ]


async def test_131047_outside_the_window_means_fallback(sender, fake):
    inject(fake, 131047)
    outcome = await send_text(sender)
    assert not outcome.ok
    assert (outcome.error_code, outcome.verdict) == ("131047", Verdict.TRY_ANOTHER_CHANNEL)
    assert outcome.error_title == "Re-engagement message"
    assert outcome.retry_after is None
    assert (await send_text(sender)).ok  # injected once only


async def test_131026_not_on_whatsapp_means_fallback_and_remember(sender, fake):
    inject(fake, 131026)
    outcome = await send_text(sender)
    assert (outcome.ok, outcome.verdict, outcome.error_code) == (False, Verdict.NOT_ON_THIS_CHANNEL, "131026")


@pytest.mark.parametrize("code, expected", [(130429, 2.0), (131056, 6.0)])
async def test_rate_limit_codes_mean_retry_after(sender, fake, code, expected):
    inject(fake, code)
    outcome = await send_text(sender)
    assert (outcome.verdict, outcome.error_code, outcome.retry_after) == (Verdict.RETRY_LATER, str(code), expected)


async def test_http_429_uses_the_retry_after_header(sender, fake):
    inject(fake, 4, http_status=429, retry_after=7)
    outcome = await send_text(sender)
    assert (outcome.ok, outcome.retry_after, outcome.error_code) == (False, 7.0, "4")


async def test_http_500_is_retried(sender, fake):
    inject(fake, 131000)
    outcome = await send_text(sender)
    assert (outcome.ok, outcome.error_code, outcome.retry_after) == (False, "131000", 5.0)


async def test_other_4xx_is_a_plain_failure_with_code_and_title(sender, fake):
    inject(fake, 131009, details="Parameter value is not valid")
    outcome = await send_text(sender)
    assert (outcome.ok, outcome.error_code, outcome.error_title) == (
        False,
        "131009",
        "Parameter value is not valid",
    )
    assert outcome.retry_after is None and outcome.verdict is Verdict.FAILED


async def test_invalid_body_gets_metas_validation_error(sender):
    from channels.base import Rendered

    too_long = Rendered(
        channel="whatsapp",
        address=CITIZEN,
        text="x",
        body={
            "messaging_product": "whatsapp",
            "to": CITIZEN,
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "x"},
                "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "t" * 21}}]},
            },
        },
    )
    outcome = await sender.send(too_long)
    assert (outcome.ok, outcome.error_code) == (False, "131009")
    assert outcome.retry_after is None


async def test_unknown_template_is_404_failure(sender):
    from core.messages import TemplateRef

    [message] = render(sender, BotReply(text="", template=TemplateRef("not_approved", "ar")), in_window=False)
    outcome = await sender.send(message)
    assert (outcome.ok, outcome.error_code) == (False, "132001")


async def test_wrong_token_fails_without_retry_and_without_logging_the_token(fake_server, fake, caplog):
    wrong = "EAAG-wrong-token-value"
    caplog.set_level(logging.DEBUG)
    async with WhatsAppSender(make_config(fake_server.url, access_token=wrong)) as sender:
        outcome = await send_text(sender)
    assert (outcome.ok, outcome.error_code, outcome.retry_after) == (False, "190", None)
    assert wrong not in caplog.text and ACCESS_TOKEN not in caplog.text
    assert CITIZEN not in caplog.text  # numbers are masked


async def test_network_error_when_the_fake_is_down_means_retry():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with WhatsAppSender(make_config(f"http://127.0.0.1:{port}")) as sender:
        outcome = await send_text(sender)
    assert (outcome.ok, outcome.error_code, outcome.retry_after) == (False, "network", 5.0)


async def test_read_timeout_means_retry(fake_config, fake):
    import aiohttp

    inject(fake, None, delay=0.5)
    async with WhatsAppSender(fake_config, timeout=aiohttp.ClientTimeout(total=0.2)) as slow:
        outcome = await send_text(slow)
    assert (outcome.ok, outcome.error_code, outcome.retry_after) == (False, "timeout", 5.0)
    # The slow send did go through: why a retry after a read timeout can duplicate a message.
    late = fake.get("/_fake/messages/wait", params={"count": 1, "timeout": 3})
    assert late.status_code == 200


async def test_async_failure_arrives_as_a_failed_status_webhook(sender, fake, sink):
    """Meta usually reports 131047/131026 after accepting the send: a `failed` status follows."""
    inject(fake, 131047, mode="async")
    outcome = await send_text(sender)
    assert outcome.ok
    fake.get("/_fake/webhooks/wait", params={"count": 1, "timeout": 5}).raise_for_status()
    [status] = sink.statuses
    assert (status.provider_id, status.status, status.error_code) == (outcome.provider_id, "failed", "131047")
    assert status.verdict is Verdict.TRY_ANOTHER_CHANNEL  # the same meaning as at send time


async def test_auto_statuses_come_back_through_the_webhook(sender, fake, sink):
    fake.post("/_fake/config", json={"auto_statuses": ["sent", "delivered", "read"]})
    outcome = await send_text(sender)
    fake.get("/_fake/webhooks/wait", params={"count": 3, "timeout": 5}).raise_for_status()
    assert [(s.provider_id, s.status) for s in sink.statuses] == [
        (outcome.provider_id, "sent"),
        (outcome.provider_id, "delivered"),
        (outcome.provider_id, "read"),
    ]
    assert all(s.address == CITIZEN for s in sink.statuses)


async def test_mark_read(sender, fake):
    assert await sender.mark_read("wamid.INBOUND1") is True
    assert fake.get("/_fake/read_receipts").json()["message_ids"] == ["wamid.INBOUND1"]
    assert await sender.mark_read("") is False  # Meta answers 131008


async def test_bsuid_recipient_is_accepted(sender, fake):
    [message] = render(sender, BotReply(text="hi"), "JO.123456789")
    outcome = await sender.send(message)
    assert outcome.ok
    assert (
        fake.get("/_fake/messages", params={"to": "JO.123456789"}).json()["messages"][0]["body"]["recipient"]
        == "JO.123456789"
    )


def test_sender_exposes_its_rate():
    assert WhatsAppSender(make_config(rate=25)).rate == 25


def test_outcome_mapping_table():
    assert outcome_for_error(131047).verdict is Verdict.TRY_ANOTHER_CHANNEL
    assert outcome_for_error(131026).verdict is Verdict.NOT_ON_THIS_CHANNEL
    assert outcome_for_error(100, "Invalid parameter").verdict is Verdict.FAILED
    assert outcome_for_error(None, http_status=503).retry_after == 5.0
    assert outcome_for_error(None, http_status=429).retry_after == 30.0
    assert outcome_for_error(80007, retry_after=120).retry_after == 120
    assert outcome_for_error(100, "Invalid parameter").retry_after is None
    assert retry_after_from_headers({"retry-after": "12"}) == 12.0
    usage = '{"123": [{"type": "whatsapp", "call_count": 100, "estimated_time_to_regain_access": 3}]}'
    assert retry_after_from_headers({"x-business-use-case-usage": usage}) == 180.0
    assert retry_after_from_headers({}) is None


async def test_our_reference_goes_with_the_send_and_comes_back_in_its_statuses(sender, fake, sink):
    # What lets a status name a message whose sender died before writing its wamid down.
    import asyncio
    import dataclasses

    fake.post("/_fake/config", json={"auto_statuses": ["sent", "delivered"]})
    [message] = render(sender, BotReply(text="مرحبا"))
    outcome = await sender.send(dataclasses.replace(message, reference=4242))
    assert outcome.ok
    [stored] = fake.get("/_fake/messages", params={"to": CITIZEN}).json()["messages"]
    assert stored["body"]["biz_opaque_callback_data"] == "tawasol:4242"
    for _ in range(100):
        if len(sink.statuses) == 2:
            break
        await asyncio.sleep(0.05)
    assert [(s.provider_id, s.status, s.reference) for s in sink.statuses] == [
        (outcome.provider_id, "sent", 4242), (outcome.provider_id, "delivered", 4242)
    ]
