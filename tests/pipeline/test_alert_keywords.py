"""Alert subscriptions by SMS keyword ("ALERT PASSPORT", "تنبيه جواز", "STOP ALERT PASSPORT"),
answered by the pipeline without the brain; and a reply to an alert handed to the brain with the
alert's service as the conversation's."""

from __future__ import annotations

import itertools

import pytest

from catalog.alert_topics import topics_in
from core.brain import Answer
from core.messages import BotReply, InboundMessage
from pipeline.keywords import match_alert_keyword
from pipeline_doubles import EchoBrain, FakeSender
from pipeline_helpers import rows

ADDRESS = "962791234568"
_ids = itertools.count(1)


@pytest.mark.parametrize(
    "text, subscribe, topics",
    [
        ("ALERT PASSPORT", True, ("passport_expiry",)),
        ("alert passport", True, ("passport_expiry",)),
        ("تنبيه جواز", True, ("passport_expiry",)),
        ("تنبيه هوية", True, ("id_card_expiry",)),
        ("ALERT LICENSE", True, ("driving_license_expiry",)),
        ("تنبيه ترخيص", True, ("vehicle_registration_expiry",)),
        ("ALERT IQAMA", True, ("residence_permit_expiry",)),
        ("تنبيه مخالفات", True, ("traffic_violations",)),
        ("STOP ALERT PASSPORT", False, ("passport_expiry",)),
        ("ايقاف تنبيه جواز", False, ("passport_expiry",)),
        ("إيقاف التنبيهات", False, ()),
        ("STOP ALERTS", False, ()),
        ("ALERT", True, ()),
    ],
)
def test_alert_keywords(text, subscribe, topics):
    match = match_alert_keyword(text)
    assert (match.subscribe, match.topics, match.unknown_topic) == (subscribe, topics, False)


@pytest.mark.parametrize("text", ["alert me before my passport expires please", "STOP", "stop cspd", "جواز", ""])
def test_not_alert_keywords(text):
    assert match_alert_keyword(text) is None


@pytest.mark.parametrize(
    "text, topics",
    [
        ("نبهني قبل ما ينتهي جوازي", ["passport_expiry"]),
        ("ابعتلي رسالة قبل ما يخلص ترخيص السيارة", ["vehicle_registration_expiry"]),
        ("ذكرني بموعد تجديد الرخصة", ["driving_license_expiry"]),
        ("send me a reminder before my car license expires", ["vehicle_registration_expiry"]),
        ("nabbehni 2abel ma ykhlas jawazi", ["passport_expiry"]),
        ("alert me about my iqama and new traffic fines", ["residence_permit_expiry", "traffic_violations"]),
        ("بدي اشترك بالتنبيهات", []),
    ],
)
def test_topics_named_in_chat(text, topics):
    assert topics_in(text) == topics


def sms(text: str) -> InboundMessage:
    return InboundMessage(channel="sms", provider_id=f"smsc-a{next(_ids)}", address=ADDRESS, text=text)


async def say(pipeline, message: InboundMessage) -> None:
    accepted = await pipeline.accept(message)
    await pipeline.process(accepted.message_id)


async def test_keywords_subscribe_and_unsubscribe_per_topic_free_and_without_the_brain(make_pipeline, store):
    senders = {"sms": FakeSender("sms"), "whatsapp": FakeSender("whatsapp")}
    brain = EchoBrain()
    pipeline = make_pipeline(brain, senders)
    await say(pipeline, sms("إيقاف"))  # a STOP earlier: asking for an alert undoes it
    await say(pipeline, sms("تنبيه جواز"))
    citizen_id = rows(store, direction="in")[0].citizen_id
    assert store.subscriptions.topics(citizen_id) == ["passport_expiry"]
    assert store.citizens.get(citizen_id).opted_out_at is None
    row = store.subscriptions.get(citizen_id, "passport_expiry")
    assert (row.source, row.agency_id) == ("keyword", None)
    confirmation = senders["sms"].texts[-1]
    assert "جواز السفر" in confirmation and "مجاني" in confirmation and "ايقاف تنبيه جواز" in confirmation
    await say(pipeline, sms("ALERT FINES"))
    # A keyword is no choice of language: the conversation is in Arabic, so is the answer.
    assert "فور تسجيل مخالفة" in senders["sms"].texts[-1]
    assert store.subscriptions.topics(citizen_id) == ["passport_expiry", "traffic_violations"]
    await say(pipeline, sms("ALERT"))
    assert "تنبيه جواز" in senders["sms"].texts[-1] and "المخالفات المرورية" in senders["sms"].texts[-1]
    await say(pipeline, sms("STOP ALERT PASSPORT"))
    assert store.subscriptions.topics(citizen_id) == ["traffic_violations"]
    await say(pipeline, sms("STOP ALERTS"))
    assert store.subscriptions.topics(citizen_id) == []
    await say(pipeline, sms("STOP ALERTS"))
    assert "لست مشتركاً" in senders["sms"].texts[-1]
    assert brain.calls == []
    # Keywords are answers to the citizen's own messages: billed as replies, nothing charged to them.
    assert all(e.category == "reply" and not e.citizen_share for e in ledger(store))


def ledger(store):
    from sqlalchemy import select

    from store.models import LedgerEntry

    with store.db.session() as s:
        return list(s.execute(select(LedgerEntry)).scalars())


class ContextBrain:
    """Records the service the pipeline hands over with each message."""

    def __init__(self) -> None:
        self.seen: list = []

    async def respond(self, conversation_key, message: InboundMessage, *, language=None) -> Answer:
        self.seen.append(message.context_service)
        return Answer(replies=[BotReply(text="ok")], intent="ask_steps")


async def test_a_reply_right_after_an_alert_carries_the_alerts_service(make_pipeline, store):
    senders = {"sms": FakeSender("sms"), "whatsapp": FakeSender("whatsapp")}
    brain = ContextBrain()
    pipeline = make_pipeline(brain, senders)
    citizen_id = store.citizens.resolve("sms", ADDRESS)
    pushed = await pipeline.outbox.push(citizen_id, BotReply(text="جوازك ينتهي بعد 30 يوماً"), kind="alert")
    store.alerts.mark_service(pushed.message_ids, "cspd.passport_renew")
    await say(pipeline, sms("كيف بجددها؟"))
    await say(pipeline, sms("وكم الرسوم؟"))  # the alert is no longer the last thing said
    assert brain.seen == ["cspd.passport_renew", None]
