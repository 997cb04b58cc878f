"""An agent's reply and the bot's "I am back" take the routes every push takes (pipeline/handoff.py):
free text inside WhatsApp's 24-hour window, the approved template outside it, SMS when neither can,
SMS again when WhatsApp fails; the production channels, the fake Graph API and a real SMSC."""

from __future__ import annotations

from pipeline.handoff import Handoff
from store.audit import CLI_ACTOR, Actor, AuditFilter
from store.models import Ticket
from tests.sms.smsc import decode_part_text, eventually

SERVICE = "cspd.passport_renew"


def _desk(world, phone_known_on: str, phone: str) -> tuple[Ticket, Actor]:
    world.store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status", sms_sender_ids=["CSPD"])
    agent = world.store.staff.add("omar@cspd.gov.jo", "agent", "cspd", actor=CLI_ACTOR, password_hash="argon2-hash")
    citizen = world.on_whatsapp(phone) if phone_known_on == "whatsapp" else world.on_sms_only(phone)
    ticket_id = world.store.tickets.open(citizen, "handoff", "بدي موظف", SERVICE)
    actor = Actor(agent.email, agent.id)
    world.store.ticket_desk.take(ticket_id, "cspd", actor)
    return world.store.ticket_desk.get(ticket_id, None), actor


async def test_outside_the_window_the_reply_goes_as_the_approved_template_with_its_lines_joined(world):
    phone = "962790000101"
    ticket, agent = _desk(world, "whatsapp", phone)
    sent = await Handoff(world.store, world.outbox).reply(ticket, "جوازك جاهز.\nمرّ على مكتب العبدلي", agent)
    assert (sent.channel, sent.reason) == ("whatsapp", "template_outside_window")
    [message] = await world.wait_graph(phone, 1)
    template = message["body"]["template"]
    assert (template["name"], template["language"]["code"]) == ("tawasol_agent_reply", "ar")
    assert [p["text"] for p in template["components"][0]["parameters"]] == [
        "الأحوال المدنية", "جوازك جاهز. · مرّ على مكتب العبدلي"]  # Meta refuses new lines in a parameter
    stored = world.store.outbound.get(sent.message_ids[0])
    assert stored.text == "رد من موظف في الأحوال المدنية على طلبك: جوازك جاهز. · مرّ على مكتب العبدلي"
    assert (stored.kind, stored.staff_id, stored.service_id) == ("agent_reply", agent.staff_id, SERVICE)
    assert world.store.outbound.ledger(stored.id).category == "reply"  # answering citizens is the ministry's
    assert world.sms_to(phone) == []


async def test_a_citizen_known_only_by_sms_gets_the_reply_by_sms_under_the_agency_s_name(world):
    phone = "962790000102"
    ticket, agent = _desk(world, "sms", phone)
    sent = await Handoff(world.store, world.outbox).reply(ticket, "Your passport is ready.", agent)
    assert (sent.channel, sent.reason) == ("sms", "no_whatsapp_identity")
    await eventually(lambda: len(world.sms_to(phone)) == 1, timeout=5)
    sms = world.sms_to(phone)[0]
    assert sms.source_addr == "CSPD" and "Your passport is ready." in decode_part_text(sms)
    assert world.store.ticket_desk.get(ticket.id, None).answered_at is not None


async def test_a_reply_whatsapp_fails_goes_by_sms_once(world):
    phone = "962790000103"
    await world.writes_on_whatsapp(phone)  # inside the window: free text first (then the agent takes over)
    ticket, agent = _desk(world, "whatsapp", phone)
    (await world.fake.post("/_fake/errors", json={"to": phone, "code": 131009})).raise_for_status()
    sent = await Handoff(world.store, world.outbox).reply(ticket, "هل ما زلت بحاجة للمساعدة؟", agent)
    assert (sent.channel, sent.reason) == ("whatsapp", "whatsapp_window_open")
    await eventually(lambda: len(world.sms_to(phone)) == 1, timeout=5)
    [step] = world.store.outbound.delivery_history(sent.message_ids)
    assert [(a.channel, a.status, a.route_reason) for a in step.attempts] == [
        ("whatsapp", "failed", "whatsapp_window_open"), ("sms", "sent", "fallback_after_failure")]
    assert "هل ما زلت بحاجة للمساعدة؟" in decode_part_text(world.sms_to(phone)[0])


async def test_closing_tells_the_citizen_in_their_language_that_the_bot_is_back(world):
    phone = "962790000104"
    ticket, agent = _desk(world, "whatsapp", phone)
    world.store.citizens.set_language(ticket.citizen_id, "en")
    closed, was_held = world.store.ticket_desk.close(ticket.id, "cspd", agent)
    assert was_held
    sent = await Handoff(world.store, world.outbox).hand_back(closed, agent)
    [message] = await world.wait_graph(phone, 1)  # outside the window: its own approved template
    assert message["body"]["template"]["name"] == "tawasol_handed_back"
    assert world.store.outbound.get(sent.message_ids[0]).text == (
        f"Your request T-{ticket.id:06d} with Civil Status is closed. You are back with Tawasol's automatic "
        "assistant: ask me about any government service.")
    actions = [e.action for e in world.store.audit.search(AuditFilter(target=f"ticket:{ticket.id}"))]
    assert actions == ["ticket.hand_back", "ticket.close", "ticket.take"]


async def test_taking_a_ticket_tells_the_citizen_a_person_answers_here_by_template_outside_the_window(world):
    phone = "962790000105"
    ticket, agent = _desk(world, "whatsapp", phone)
    sent = await Handoff(world.store, world.outbox).taken(ticket, agent)
    assert (sent.channel, sent.reason) == ("whatsapp", "template_outside_window")
    [message] = await world.wait_graph(phone, 1)
    template = message["body"]["template"]
    assert (template["name"], template["language"]["code"]) == ("tawasol_handoff_taken", "ar")
    assert [p["text"] for p in template["components"][0]["parameters"]] == ["الأحوال المدنية", f"T-{ticket.id:06d}"]
    assert world.store.outbound.get(sent.message_ids[0]).text == (
        f"استلم موظف في الأحوال المدنية طلبك T-{ticket.id:06d}، وسيرد عليك هنا في هذه المحادثة. "
        "حتى يُغلق الطلب تصل رسائلك إليه لا إلى المساعد الآلي.")
    [entry] = world.store.audit.search(AuditFilter(action="ticket.taken_told"))
    assert entry.after["message_ids"] == sent.message_ids and entry.after["channel"] == "whatsapp"


async def test_a_citizen_known_only_by_sms_is_told_in_english_by_sms_that_a_person_took_the_request(world):
    phone = "962790000106"
    ticket, agent = _desk(world, "sms", phone)
    world.store.citizens.set_language(ticket.citizen_id, "en")
    sent = await Handoff(world.store, world.outbox).taken(ticket, agent)
    assert sent.channel == "sms"
    await eventually(lambda: len(world.sms_to(phone)) == 2, timeout=5)  # two segments
    text = "".join(decode_part_text(part) for part in world.sms_to(phone))
    assert f"A staff member of Civil Status has taken your request T-{ticket.id:06d}" in text, text
