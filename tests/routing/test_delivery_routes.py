"""Every route a notification step can take, end to end: the production channels, the fake Graph API
(templates approved as Meta would, statuses as configured) and a real SMSC, through the outbox and
the pipeline; each step reaches the citizen once, and its history says how."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from coordination import InProcessCoordination
from core.messages import utcnow
from pipeline.delivery_fallbacks import run_delivery_fallbacks
from pipeline.outbox import Outbox
from routing.policy import MINISTRY, agency_of
from tests.sms.smsc import decode_part_text, eventually

from tests.routing.delivery_world import FAST_RETRY, SHORT_CODE

REGISTERED = {"number": "123456", "service_name": "تجديد جواز السفر", "date": "2026-12-07"}
REGISTERED_TEXT = "تم تسجيل معاملتك رقم 123456 لخدمة تجديد جواز السفر بتاريخ 2026-12-07."


def row(world, message_id):
    return world.store.outbound.get(message_id)


def reached(graph_messages) -> list:
    """What WhatsApp actually brought to the phone: accepted and not failed."""
    return [m for m in graph_messages if "failed" not in m["statuses"]]


async def test_inside_the_window_a_push_goes_as_free_text_on_whatsapp(world):
    phone = "962790000001"
    citizen = await world.writes_on_whatsapp(phone)
    result = await world.push(citizen, "transaction_registered", REGISTERED, text=REGISTERED_TEXT)
    assert (result.channel, result.reason) == ("whatsapp", "whatsapp_window_open")
    messages = await world.wait_graph(phone, 2)  # our answer to "مرحبا", then the push
    pushed = messages[-1]
    assert (pushed["type"], pushed["body"]["text"]["body"]) == ("text", REGISTERED_TEXT)
    await eventually(lambda: row(world, result.message_ids[0]).status == "delivered", timeout=5)
    assert world.sms_to(phone) == []


async def test_outside_the_window_a_push_goes_as_its_kinds_approved_template(world):
    phone = "962790000002"
    citizen = world.on_whatsapp(phone)
    result = await world.push(citizen, "transaction_registered", REGISTERED, text=REGISTERED_TEXT, language="en")
    assert (result.channel, result.reason) == ("whatsapp", "template_outside_window")
    [sent] = await world.wait_graph(phone, 1)
    template = sent["body"]["template"]
    assert (sent["type"], template["name"], template["language"]["code"]) == (
        "template", "tawasol_transaction_registered", "en",
    )
    assert [p["text"] for p in template["components"][0]["parameters"]] == ["123456", "تجديد جواز السفر", "2026-12-07"]
    stored = row(world, result.message_ids[0])
    # Staff read the approved body with its parameters filled in, not the free text.
    assert stored.text == "Your transaction 123456 for تجديد جواز السفر was registered on 2026-12-07. We will tell you of every step."
    await eventually(lambda: row(world, result.message_ids[0]).status == "delivered", timeout=5)
    assert world.sms_to(phone) == []


async def test_a_kind_without_a_template_goes_by_sms_and_says_why(world):
    phone = "962790000003"
    citizen = world.on_whatsapp(phone)
    result = await world.push(citizen, "transaction_escalated", {"number": "1"}, text="معاملتك 1 قيد المتابعة")
    assert (result.channel, result.reason) == ("sms", "whatsapp_window_closed")
    await eventually(lambda: len(world.sms_to(phone)) == 1, timeout=5)
    assert decode_part_text(world.sms_to(phone)[0]) == "معاملتك 1 قيد المتابعة"
    assert await world.graph_messages(phone) == []


async def test_a_template_missing_one_of_its_values_does_not_fit_either(world):
    phone = "962790000004"
    citizen = world.on_whatsapp(phone)
    values = {k: v for k, v in REGISTERED.items() if k != "date"}
    result = await world.push(citizen, "transaction_registered", values, text=REGISTERED_TEXT)
    assert (result.channel, result.reason) == ("sms", "whatsapp_window_closed")
    await eventually(lambda: len(world.sms_to(phone)) == 1, timeout=5)
    assert await world.graph_messages(phone) == []


async def test_not_on_whatsapp_131026_moves_the_step_to_sms_once_and_later_steps_go_straight_there(world):
    phone = "962790000005"
    citizen = world.on_whatsapp(phone)
    await world.deliveries_to(phone, "fail", 131026)
    record = world.store.agencies.add("dls", name_ar="دائرة الأراضي", name_en="DLS", sms_sender_ids=["DLS"])
    first = await world.push(citizen, "transaction_registered", REGISTERED, text=REGISTERED_TEXT, agency=agency_of(record))
    assert first.channel == "whatsapp"  # we could not know before Meta said so
    await eventually(lambda: len(world.sms_to(phone)) == 1, timeout=10)
    await world.settle()
    [step] = world.store.outbound.delivery_history(first.message_ids)
    tried, moved = step.attempts
    assert (tried.channel, tried.status, tried.superseded, tried.error_code) == ("whatsapp", "failed", True, "131026")
    # The fallback goes under the agency's sender ID, and is billed to it as the push was.
    assert (moved.channel, moved.route_reason, moved.route_cause, moved.sender) == (
        "sms", "fallback_after_failure", "not_on_this_channel", "DLS",
    )
    assert world.sms_to(phone)[0].source_addr == "DLS"
    assert world.store.outbound.ledger(moved.message_id).agency_id == "dls"
    assert (step.channel, step.doubled) == ("sms", False)

    second = await world.push(citizen, "transaction_completed", {"number": "123456", "service_name": "x"}, text="اكتملت")
    assert (second.channel, second.reason) == ("sms", "not_on_whatsapp")
    await eventually(lambda: len(world.sms_to(phone)) == 2, timeout=5)
    assert len(await world.graph_messages(phone)) == 1  # the one Meta refused; nothing more


async def test_a_whatsapp_failure_moves_a_push_to_sms(world):
    phone = "962790000006"
    citizen = world.on_whatsapp(phone)
    # 131009 (a parameter Meta refuses): permanent on WhatsApp, and no reason SMS would not reach them.
    (await world.fake.post("/_fake/errors", json={"to": phone, "code": 131009})).raise_for_status()
    result = await world.push(citizen, "transaction_registered", REGISTERED, text=REGISTERED_TEXT)
    await eventually(lambda: len(world.sms_to(phone)) == 1, timeout=5)
    [step] = world.store.outbound.delivery_history(result.message_ids)
    assert [(a.channel, a.status, a.route_cause) for a in step.attempts] == [
        ("whatsapp", "failed", None), ("sms", "sent", "failed"),
    ]
    assert step.attempts[0].error_code == "131009"


async def test_an_undelivered_push_goes_by_sms_after_the_timeout_once(world):
    phone = "962790000007"
    citizen = world.on_whatsapp(phone)
    await world.deliveries_to(phone, "never")
    result = await world.push(citizen, "transaction_registered", REGISTERED, text=REGISTERED_TEXT)
    await world.settle()
    pushed = row(world, result.message_ids[0])
    assert pushed.status == "sent" and pushed.deliver_by is not None

    assert await run_delivery_fallbacks(world.store, world.outbox, utcnow() + timedelta(minutes=9)) == 0
    assert world.sms_to(phone) == []

    # Two workers (each its own outbox and locks, one database) run the sweep at the same moment.
    other_worker = Outbox(
        world.store, InProcessCoordination(), {"whatsapp": world.whatsapp, "sms": world.sms},
        {"whatsapp": 1000.0, "sms": 1000.0}, routing=world.outbox.router.policy, retry=FAST_RETRY,
    )
    later = utcnow() + timedelta(minutes=11)
    moved = await asyncio.gather(
        run_delivery_fallbacks(world.store, world.outbox, later),
        run_delivery_fallbacks(world.store, other_worker, later),
    )
    assert sorted(moved) == [0, 1]
    await eventually(lambda: len(world.sms_to(phone)) == 1, timeout=5)
    assert await run_delivery_fallbacks(world.store, world.outbox, later + timedelta(minutes=30)) == 0
    await asyncio.sleep(0.2)
    assert len(world.sms_to(phone)) == 1

    [step] = world.store.outbound.delivery_history(result.message_ids)
    tried, moved_row = step.attempts
    assert (tried.channel, tried.status, tried.superseded) == ("whatsapp", "sent", True)
    assert (moved_row.channel, moved_row.route_reason, moved_row.route_cause) == (
        "sms", "fallback_after_failure", "not_delivered_in_time",
    )
    assert (step.channel, step.doubled) == ("sms", False)

    # WhatsApp delivers it after all, late: the step is still one step, and says it was doubled.
    statuses = {"statuses": [{"id": pushed.provider_id, "status": "delivered"}]}
    (await world.fake.post("/_fake/webhooks/statuses", json=statuses)).raise_for_status()
    await eventually(lambda: row(world, pushed.id).status == "delivered", timeout=5)
    await world.settle()
    assert len(world.sms_to(phone)) == 1
    [step] = world.store.outbound.delivery_history(result.message_ids)
    assert [(a.channel, a.status, a.superseded) for a in step.attempts] == [
        ("whatsapp", "delivered", True), ("sms", "sent", False),
    ]
    assert (step.channel, step.status, step.doubled) == ("sms", "sent", True)


async def test_a_push_delivered_in_time_is_never_sent_again(world):
    phone = "962790000008"
    citizen = world.on_whatsapp(phone)
    result = await world.push(citizen, "transaction_registered", REGISTERED, text=REGISTERED_TEXT)
    await eventually(lambda: row(world, result.message_ids[0]).status == "delivered", timeout=5)
    assert await run_delivery_fallbacks(world.store, world.outbox, utcnow() + timedelta(hours=1)) == 0
    assert world.sms_to(phone) == []


async def test_sms_goes_from_the_agencys_sender_id_else_the_short_code(world):
    phone = "962790000009"
    record = world.store.agencies.add("cspd", name_ar="دائرة الأحوال المدنية", name_en="CSPD", sms_sender_ids=["CSPD"])
    cspd = agency_of(record)
    citizen = world.on_sms_only(phone)
    by_agency = await world.push(citizen, "transaction_registered", REGISTERED, text=REGISTERED_TEXT, agency=cspd)
    by_ministry = await world.push(citizen, "transaction_registered", REGISTERED, text=REGISTERED_TEXT, agency=MINISTRY)
    await eventually(lambda: len(world.sms_to(phone)) == 2, timeout=5)
    agency_sms, ministry_sms = world.sms_to(phone)
    # SMPP 3.4: an alphanumeric source goes as TON 5 (alphanumeric), NPI 0; the short code as configured.
    assert (agency_sms.source_addr, agency_sms.source_addr_ton, agency_sms.source_addr_npi) == ("CSPD", 5, 0)
    assert (ministry_sms.source_addr, ministry_sms.source_addr_ton, ministry_sms.source_addr_npi) == (SHORT_CODE, 3, 0)
    assert row(world, by_agency.message_ids[0]).sender == "CSPD"
    assert row(world, by_ministry.message_ids[0]).sender == SHORT_CODE


async def test_each_citizen_gets_exactly_one_message_per_step(world):
    """Citizens in every state, three steps each; then the timer. Every step reaches its citizen
    once, on the channel the rules say."""
    in_window, outside, sms_only, not_on_wa, silent = (f"96279100000{n}" for n in range(1, 6))
    citizens = {
        in_window: await world.writes_on_whatsapp(in_window),
        outside: world.on_whatsapp(outside),
        sms_only: world.on_sms_only(sms_only),
        not_on_wa: world.on_whatsapp(not_on_wa),
        silent: world.on_whatsapp(silent),
    }
    await world.deliveries_to(not_on_wa, "fail", 131026)
    await world.deliveries_to(silent, "never")
    steps = [
        ("transaction_registered", REGISTERED),
        ("transaction_payment_received", {"number": "123456", "time": "10:02"}),
        ("transaction_completed", {"number": "123456", "service_name": "تجديد جواز السفر"}),
    ]
    for kind, values in steps:
        for phone, citizen in citizens.items():
            await world.push(citizen, kind, values, text=f"{kind} 123456")
        await world.settle()
    assert await run_delivery_fallbacks(world.store, world.outbox, utcnow() + timedelta(minutes=11)) == 3
    await world.settle()
    await asyncio.sleep(0.3)

    expected = {in_window: ("whatsapp", 3, 0), outside: ("whatsapp", 3, 0), sms_only: ("sms", 0, 3),
                not_on_wa: ("sms", 0, 3), silent: ("sms", 0, 3)}
    for phone, (channel, on_whatsapp, by_sms) in expected.items():
        graph = [m for m in await world.graph_messages(phone) if m["body"].get("text", {}).get("body") != "ok"]
        delivered_on_whatsapp = [m for m in reached(graph) if "delivered" in m["statuses"]]
        assert (len(delivered_on_whatsapp), len(world.sms_to(phone))) == (on_whatsapp, by_sms), phone
    for result in world.pushes:
        [step] = world.store.outbound.delivery_history(result.message_ids)
        live = [a for a in step.attempts if not a.superseded]
        assert len(live) == 1 and not step.doubled
