"""Webhook bodies (written out by hand in Meta's documented shapes) → InboundMessage / StatusUpdate."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

from core.messages import (
    KIND_CHOICE,
    KIND_LOCATION,
    KIND_MEDIA,
    KIND_TEXT,
    KIND_UNSUPPORTED,
    STATUS_DELIVERED,
    STATUS_FAILED,
    STATUS_READ,
    STATUS_SENT,
)
from channels.whatsapp.parse import parse_update

PHONE_ID = "106540352242922"


def body(*values, entries: int = 1):
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "102290129340398", "changes": [{"field": "messages", "value": v} for v in values]}
            for _ in range(entries)
        ],
    }


def value(messages=(), statuses=(), contacts=None, phone_id=PHONE_ID):
    v = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "96265000000", "phone_number_id": phone_id},
    }
    if contacts is not None:
        v["contacts"] = contacts
    if messages:
        v["messages"] = list(messages)
    if statuses:
        v["statuses"] = list(statuses)
    return v


def contact(wa_id, name="Citizen", user_id=None):
    c = {"profile": {"name": name}, "wa_id": wa_id}
    if user_id:
        c["user_id"] = user_id
    return c


def msg(sender, wamid, kind, content, timestamp="1717000000", **extra):
    m = {"from": sender, "id": wamid, "timestamp": timestamp, "type": kind, kind: content}
    m.update(extra)
    return m


def one(message, **contact_kwargs):
    parsed = parse_update(
        body(value([message], contacts=[contact(message.get("from", ""), **contact_kwargs)]))
    )
    assert parsed.problems == []
    assert len(parsed.messages) == 1
    return parsed.messages[0]


def test_text_message_fields():
    m = one(msg("962791234567", "wamid.A1", "text", {"body": "بدي أجدد جواز السفر"}), name="أحمد")
    assert m.channel == "whatsapp"
    assert m.provider_id == "wamid.A1"
    assert m.address == "962791234567"
    assert m.kind == KIND_TEXT
    assert m.text == "بدي أجدد جواز السفر"
    assert m.display_name == "أحمد"
    assert m.received_at == datetime.fromtimestamp(1717000000, tz=timezone.utc)
    assert m.raw == {"type": "text"}


def test_button_reply_is_a_choice_with_our_id():
    m = one(
        msg(
            "962791234567",
            "wamid.B1",
            "interactive",
            {"type": "button_reply", "button_reply": {"id": "/renew_passport", "title": "تجديد"}},
            context={"from": "96265000000", "id": "wamid.OURS"},
        )
    )
    assert (m.kind, m.payload, m.text) == (KIND_CHOICE, "/renew_passport", "تجديد")
    assert m.raw["context_id"] == "wamid.OURS"


def test_list_reply_is_a_choice():
    m = one(
        msg(
            "962791234567",
            "wamid.L1",
            "interactive",
            {
                "type": "list_reply",
                "list_reply": {"id": "svc:17", "title": "رخصة القيادة", "description": "تجديد"},
            },
        )
    )
    assert (m.kind, m.payload, m.text) == (KIND_CHOICE, "svc:17", "رخصة القيادة")


def test_template_quick_reply_button_uses_its_payload():
    m = one(msg("962791234567", "wamid.Q1", "button", {"payload": "STOP_REMINDERS", "text": "إيقاف"}))
    assert (m.kind, m.payload, m.text) == (KIND_CHOICE, "STOP_REMINDERS", "إيقاف")


def test_location_with_and_without_name():
    named = one(
        msg(
            "962791234567",
            "wamid.LOC1",
            "location",
            {"latitude": 31.95, "longitude": 35.91, "name": "دائرة الأحوال المدنية", "address": "عمان"},
        )
    )
    assert named.kind == KIND_LOCATION
    assert named.text == "دائرة الأحوال المدنية - عمان"
    assert named.raw["latitude"] == 31.95
    bare = one(msg("962791234567", "wamid.LOC2", "location", {"latitude": 31.95, "longitude": 35.91}))
    assert (bare.kind, bare.text) == (KIND_LOCATION, "")


def test_every_media_type_is_media_with_mime_type():
    for kind, extra in [
        ("image", {"caption": "صورة الهوية"}),
        ("video", {}),
        ("document", {"filename": "form.pdf"}),
        ("sticker", {"animated": False}),
        ("audio", {"voice": True}),
    ]:
        content = {"id": "1234567890", "mime_type": f"{kind}/x-test", "sha256": "abc=", **extra}
        m = one(msg("962791234567", f"wamid.{kind}", kind, content))
        assert m.kind == KIND_MEDIA, kind
        assert m.raw["type"] == kind
        assert m.raw["mime_type"] == f"{kind}/x-test"
        assert m.raw["media_id"] == "1234567890"
        assert "sha256" not in m.raw  # raw stays small
    assert (
        one(
            msg(
                "962791234567",
                "wamid.img",
                "image",
                {"id": "1", "mime_type": "image/jpeg", "caption": "صورة"},
            )
        ).text
        == "صورة"
    )
    assert (
        one(
            msg("962791234567", "wamid.v", "audio", {"id": "1", "mime_type": "audio/ogg", "voice": True})
        ).raw["voice"]
        is True
    )


def test_reaction_unsupported_system_and_unknown_types_are_unsupported():
    cases = [
        msg("962791234567", "wamid.R", "reaction", {"message_id": "wamid.OURS", "emoji": "👍"}),
        {
            "from": "962791234567",
            "id": "wamid.U",
            "timestamp": "1717000000",
            "type": "unsupported",
            "errors": [{"code": 131051, "title": "Message type unknown"}],
        },
        msg(
            "962791234567",
            "wamid.S",
            "system",
            {"body": "User changed number", "type": "user_changed_number"},
        ),
        msg("962791234567", "wamid.X", "hologram", {"whatever": 1}),
        msg(
            "962791234567",
            "wamid.N",
            "interactive",
            {"type": "nfm_reply", "nfm_reply": {"response_json": "{}"}},
        ),
    ]
    for message in cases:
        m = one(message)
        assert m.kind == KIND_UNSUPPORTED, message["type"]
        assert m.raw["type"] == message["type"]


def test_batched_body_with_five_citizens_in_every_layout():
    citizens = [f"96279000000{i}" for i in range(5)]
    messages = [msg(c, f"wamid.{i}", "text", {"body": f"سؤال {i}"}) for i, c in enumerate(citizens)]
    contacts = [contact(c, name=f"C{i}") for i, c in enumerate(citizens)]
    layouts = {
        "one change": body(value(messages, contacts=contacts)),
        "five changes": body(*[value([m], contacts=[c]) for m, c in zip(messages, contacts, strict=True)]),
        "five entries": {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "1", "changes": [{"field": "messages", "value": value([m], contacts=[c])}]}
                for m, c in zip(messages, contacts, strict=True)
            ],
        },
    }
    for name, payload in layouts.items():
        parsed = parse_update(payload)
        assert [m.address for m in parsed.messages] == citizens, name
        assert [m.display_name for m in parsed.messages] == [f"C{i}" for i in range(5)], name
        assert parsed.problems == [], name


def test_contacts_with_and_without_user_id():
    with_bsuid = one(
        msg("962791234567", "wamid.W1", "text", {"body": "hi"}, from_user_id="JO.1234"), user_id="JO.1234"
    )
    assert with_bsuid.address == "962791234567"
    assert with_bsuid.raw["user_id"] == "JO.1234"
    without = one(msg("962791234567", "wamid.W2", "text", {"body": "hi"}))
    assert without.address == "962791234567"
    assert "user_id" not in without.raw
    no_contacts = parse_update(body(value([msg("962791234567", "wamid.W3", "text", {"body": "hi"})])))
    assert [m.address for m in no_contacts.messages] == ["962791234567"]


def test_username_only_user_is_addressed_by_bsuid():
    message = {
        "from_user_id": "JO.998877",
        "id": "wamid.B",
        "timestamp": "1717000000",
        "type": "text",
        "text": {"body": "hi"},
    }
    parsed = parse_update(
        body(value([message], contacts=[{"profile": {"name": "x"}, "user_id": "JO.998877"}]))
    )
    assert [m.address for m in parsed.messages] == ["JO.998877"]


def test_display_name_matches_the_right_contact_in_a_batch():
    messages = [
        msg("962790000002", "wamid.2", "text", {"body": "b"}),
        msg("962790000001", "wamid.1", "text", {"body": "a"}),
    ]
    contacts = [contact("962790000001", "First"), contact("962790000002", "Second")]
    parsed = parse_update(body(value(messages, contacts=contacts)))
    assert [(m.address, m.display_name) for m in parsed.messages] == [
        ("962790000002", "Second"),
        ("962790000001", "First"),
    ]


def test_garbled_items_are_skipped_and_the_rest_goes_through():
    good = msg("962790000001", "wamid.good", "text", {"body": "ok"})
    garbled = [
        "not an object",
        {"from": "962790000002", "type": "text", "text": {"body": "no id"}},
        {"from": "962790000003", "id": "wamid.x", "type": "text", "text": {}},
        {"id": "wamid.nobody", "type": "text", "text": {"body": "no sender"}},
        msg(
            "962790000004",
            "wamid.btn",
            "interactive",
            {"type": "button_reply", "button_reply": {"title": "no id"}},
        ),
    ]
    good_status = {
        "id": "wamid.s1",
        "status": "read",
        "timestamp": "1717000000",
        "recipient_id": "962790000001",
    }
    parsed = parse_update(
        body(value([garbled[0], good, *garbled[1:]], statuses=[{"status": "sent"}, good_status]))
    )
    assert [m.provider_id for m in parsed.messages] == ["wamid.good"]
    assert [s.provider_id for s in parsed.statuses] == ["wamid.s1"]
    where = "entry[0].changes[0].value"
    assert parsed.problems == [
        f"{where}.messages[0]: not an object (a string)",
        f"{where}.messages[2]: id: field required",
        f"{where}.messages[3]: text.body: field required",
        f"{where}.messages[4]: message wamid.nobody has neither a phone number nor a user id",
        f"{where}.messages[5]: interactive.button_reply.id: field required",
        f"{where}.statuses[0]: id: field required",
    ]


def test_bad_timestamp_keeps_the_message():
    parsed = parse_update(
        body(value([msg("962790000001", "wamid.t", "text", {"body": "x"}, timestamp="yesterday")]))
    )
    assert len(parsed.messages) == 1
    assert abs((parsed.messages[0].received_at - datetime.now(timezone.utc)).total_seconds()) < 5


def test_statuses_sent_delivered_read_failed():
    def status(name, **extra):
        s = {"id": "wamid.OUT1", "status": name, "timestamp": "1717000100", "recipient_id": "962791234567"}
        s.update(extra)
        return s

    failed = status(
        "failed",
        errors=[
            {
                "code": 131047,
                "title": "Re-engagement message",
                "message": "Re-engagement message",
                "error_data": {"details": "Message failed to send because more than 24 hours have passed"},
            }
        ],
    )
    statuses = [status("sent"), status("delivered"), status("read"), failed, status("deleted")]
    parsed = parse_update(body(value(statuses=statuses, contacts=[{"wa_id": "962791234567"}])))
    assert [s.status for s in parsed.statuses] == [STATUS_SENT, STATUS_DELIVERED, STATUS_READ, STATUS_FAILED]
    assert all(s.provider_id == "wamid.OUT1" and s.address == "962791234567" for s in parsed.statuses)
    assert parsed.statuses[0].at == datetime.fromtimestamp(1717000100, tz=timezone.utc)
    assert (parsed.statuses[3].error_code, parsed.statuses[3].error_title) == (
        "131047",
        "Re-engagement message",
    )
    assert parsed.statuses[0].error_code is None
    assert parsed.problems == []  # an untracked status is ignored, not a problem


def test_statuses_and_messages_mixed_across_entries():
    payload = body(
        value([msg("962790000001", "wamid.in", "text", {"body": "a"})], contacts=[contact("962790000001")]),
        value(
            statuses=[
                {"id": "wamid.o", "status": "delivered", "timestamp": "1", "recipient_id": "962790000002"}
            ]
        ),
        entries=2,
    )
    parsed = parse_update(payload)
    assert len(parsed.messages) == 2 and len(parsed.statuses) == 2


def test_other_fields_other_numbers_and_account_errors():
    template_update = {"field": "message_template_status_update", "value": {"event": "APPROVED"}}
    payload = body(value([msg("962790000001", "wamid.ours", "text", {"body": "a"})]))
    payload["entry"][0]["changes"].append(template_update)
    other = copy.deepcopy(value([msg("962790000009", "wamid.other", "text", {"body": "b"})], phone_id="999"))
    payload["entry"][0]["changes"].append({"field": "messages", "value": other})
    errors = value()
    errors["errors"] = [{"code": 130429, "title": "Rate limit hit", "message": "Rate limit hit"}]
    payload["entry"][0]["changes"].append({"field": "messages", "value": errors})
    parsed = parse_update(payload, phone_number_id=PHONE_ID)
    assert [m.provider_id for m in parsed.messages] == ["wamid.ours"]
    assert len(parsed.problems) == 1 and "not ours" in parsed.problems[0]
    assert parsed.provider_errors[0]["code"] == 130429


def test_not_a_whatsapp_body():
    assert parse_update([1, 2]).problems == ["body is not a JSON object"]
    assert "instagram" in parse_update({"object": "instagram", "entry": []}).problems[0]
    assert parse_update({"object": "whatsapp_business_account", "entry": "x"}).messages == []
