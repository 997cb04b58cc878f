"""Two agencies' worth of console data: staff of each role, tickets, conversations, review items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from console.accounts import add_staff
from console.config import ConsoleConfig
from core.messages import utcnow
from store import Store
from store.audit import CLI_ACTOR
from store.models import Conversation, Message, MessageStatusEvent, UnrecognisedMessage

PASSWORD = "correct horse battery"
ADMIN, LIAISON, AGENT, OTHER_LIAISON = "admin@mopd.gov.jo", "rana@cspd.gov.jo", "omar@cspd.gov.jo", "sami@dls.gov.jo"
CSPD_PHONE, DLS_PHONE = "962791234567", "962781112223"


@dataclass(frozen=True)
class Seeded:
    cspd_ticket: int
    dls_ticket: int
    cspd_conversation: int
    dls_conversation: int
    review_item: int


def _conversation(store: Store, phone: str, service_id: str, question: str, answer: str, minutes_ago: int) -> tuple[int, int]:
    citizen = store.citizens.resolve("whatsapp", phone)
    at = utcnow() - timedelta(minutes=minutes_ago)
    with store.db.session() as s:
        conversation = Conversation(citizen_id=citizen, started_at=at, last_activity_at=at, last_channel="whatsapp")
        s.add(conversation)
        s.flush()
        inbound = Message(conversation_id=conversation.id, citizen_id=citizen, direction="in", channel="whatsapp",
                          address=phone, kind="text", text=question, status="answered", service_id=service_id,
                          intent="ask_fees", confidence=0.93, created_at=at)
        s.add(inbound)
        s.flush()
        outbound = Message(conversation_id=conversation.id, citizen_id=citizen, direction="out", channel="whatsapp",
                           address=phone, kind="reply", text=answer, status="read", service_id=service_id,
                           reply_to_id=inbound.id, created_at=at + timedelta(seconds=1))
        s.add(outbound)
        s.flush()
        for offset, status in enumerate(("sent", "delivered", "read"), start=2):
            s.add(MessageStatusEvent(message_id=outbound.id, status=status, at=at + timedelta(seconds=offset)))
        return conversation.id, inbound.id


def seed(store: Store, config: ConsoleConfig = ConsoleConfig()) -> Seeded:
    store.agencies.add("cspd", name_ar="دائرة الأحوال المدنية والجوازات", name_en="Civil Status and Passports Department")
    store.agencies.add("dls", name_ar="دائرة الأراضي والمساحة", name_en="Department of Lands and Survey")
    add_staff(store, config, ADMIN, "ministry_admin", None, actor=CLI_ACTOR, password=PASSWORD)
    add_staff(store, config, LIAISON, "liaison_officer", "cspd", actor=CLI_ACTOR, password=PASSWORD)
    add_staff(store, config, AGENT, "agent", "cspd", actor=CLI_ACTOR, password=PASSWORD)
    add_staff(store, config, OTHER_LIAISON, "liaison_officer", "dls", actor=CLI_ACTOR, password=PASSWORD)

    cspd_conversation, cspd_message = _conversation(
        store, CSPD_PHONE, "cspd.passport_renew", "قديش رسوم تجديد جواز السفر؟", "رسوم تجديد جواز السفر 50 دينارًا.", 90)
    dls_conversation, _ = _conversation(
        store, DLS_PHONE, "dls.property_certificate", "بدي سند تسجيل", "سند التسجيل من دائرة الأراضي.", 30)
    cspd_citizen = store.citizens.resolve("whatsapp", CSPD_PHONE)
    dls_citizen = store.citizens.resolve("whatsapp", DLS_PHONE)
    cspd_ticket = store.tickets.open(cspd_citizen, "handoff", "بدي أحكي مع موظف عن جوازي", "cspd.passport_renew")
    dls_ticket = store.tickets.open(dls_citizen, "complaint", "<script>alert('x')</script> الموظف ما رد", "dls.property_certificate")
    with store.db.session() as s:
        item = UnrecognisedMessage(message_id=cspd_message, text="شو يعني هالحكي <b>عريض</b>", language="ar",
                                   intent="nlu_fallback", confidence=0.21, reason="low_confidence")
        s.add(item)
        s.flush()
        review_item = item.id
    return Seeded(cspd_ticket, dls_ticket, cspd_conversation, dls_conversation, review_item)
