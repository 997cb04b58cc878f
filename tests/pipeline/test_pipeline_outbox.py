"""Sending: retries with backoff, SMS fallback, order per citizen, pushes, brain failures."""

from __future__ import annotations

from catalog import replies

from datetime import timedelta

import pytest
from sqlalchemy import update

from core.brain import Answer

from core.messages import BotReply, InboundMessage, StatusUpdate, TemplateRef, Verdict, utcnow
from store.models import ChannelIdentity, UnrecognisedMessage
from pipeline_doubles import (
    EchoBrain,
    FailingBrain,
    FakeSender,
    SleepingBrain,
    UnsureBrain,
    not_on_whatsapp,
    outside_window,
    retry_later,
)
from pipeline_helpers import eventually, rows, running

ADDRESS = "962791234567"


def whatsapp(provider_id: str, text: str = "سؤال") -> InboundMessage:
    return InboundMessage(channel="whatsapp", provider_id=provider_id, address=ADDRESS, text=text)


async def say(pipeline, message: InboundMessage) -> int:
    accepted = await pipeline.accept(message)
    await pipeline.process(accepted.message_id)
    return accepted.message_id


def statuses(store, message_id: int) -> list[str]:
    return [e.status for e in store.statuses.timeline(message_id)]


async def test_transient_failures_are_retried_with_backoff_then_sent(make_pipeline, store):
    sender = FakeSender("whatsapp", script=[retry_later(0.4), retry_later(0.01)])
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": sender})
    await say(pipeline, whatsapp("wamid.1"))
    [reply] = rows(store, direction="out")
    assert reply.status == "retrying" and reply.next_attempt_at > utcnow()  # the provider's Retry-After

    async with running(pipeline):  # the sweeper sends retries whose time has come
        await eventually(lambda: rows(store, direction="out")[0].status == "sent")
    assert sender.texts == ["echo: سؤال"]
    [reply] = rows(store, direction="out")
    assert (reply.status, reply.attempts, reply.provider_id) == ("sent", 3, "whatsapp-1")
    assert statuses(store, reply.id) == ["queued", "retrying", "retrying", "sent"]
    assert store.statuses.timeline(reply.id)[1].error_code == "130429"


async def test_retries_are_bounded(make_pipeline, store):
    sender = FakeSender("whatsapp", script=[retry_later() for _ in range(10)])
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": sender})
    await say(pipeline, whatsapp("wamid.1"))
    async with running(pipeline):
        await eventually(lambda: rows(store, direction="out")[0].status == "failed")
    reply = rows(store, direction="out")[0]
    assert sender.attempts == 5 and reply.attempts == 5
    assert statuses(store, reply.id) == ["queued"] + ["retrying"] * 4 + ["failed"]
    assert store.statuses.timeline(reply.id)[-1].detail == "gave up after 5 attempts"


async def test_a_retrying_message_holds_back_the_next_one_for_that_citizen(make_pipeline, store):
    sender = FakeSender("whatsapp", script=[retry_later(1.0)])
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": sender})
    await say(pipeline, whatsapp("wamid.1", "first"))
    await say(pipeline, whatsapp("wamid.2", "second"))
    assert sender.texts == []  # "second" waits behind "first"
    async with running(pipeline):
        await eventually(lambda: len(sender.texts) == 2)
    assert sender.texts == ["echo: first", "echo: second"]


async def test_not_on_whatsapp_marks_the_number_and_falls_back_to_sms(make_pipeline, store):
    wa, sms = FakeSender("whatsapp", script=[not_on_whatsapp()]), FakeSender("sms")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": wa, "sms": sms})
    await say(pipeline, whatsapp("wamid.1", "hello"))

    assert sms.texts == ["echo: hello"] and wa.texts == []
    failed, sent = rows(store, direction="out")
    assert (failed.channel, failed.status, sent.channel, sent.status) == ("whatsapp", "failed", "sms", "sent")
    assert store.statuses.timeline(failed.id)[-1].error_code == "131026"
    assert sent.reply_key == failed.reply_key and sent.reply_to_id == failed.reply_to_id
    identity = {i.channel: i for i in store.citizens.identities(failed.citizen_id)}["whatsapp"]
    assert identity.unreachable_at is not None

    # Later pushes go straight to SMS, without trying WhatsApp again.
    push = await pipeline.outbox.push(failed.citizen_id, BotReply(text="طلبك جاهز"), kind="status_update")
    assert push.channel == "sms" and sms.texts[-1] == "طلبك جاهز" and wa.attempts == 1


async def test_outside_the_window_falls_back_without_marking_the_number(make_pipeline, store):
    wa, sms = FakeSender("whatsapp", script=[outside_window()]), FakeSender("sms")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": wa, "sms": sms})
    await say(pipeline, whatsapp("wamid.1", "hello"))
    assert sms.texts == ["echo: hello"]
    identity = store.citizens.identities(rows(store)[0].citizen_id)[0]
    assert identity.unreachable_at is None


async def test_without_an_sms_sender_the_fallback_fails_with_the_reason(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp", script=[not_on_whatsapp()])})
    await say(pipeline, whatsapp("wamid.1"))
    [reply] = rows(store, direction="out")
    assert reply.status == "failed"
    last = store.statuses.timeline(reply.id)[-1]
    assert (last.error_code, last.detail) == ("131026", "not on this channel")


async def test_a_failed_status_webhook_triggers_the_sms_fallback(make_pipeline, store):
    wa, sms = FakeSender("whatsapp"), FakeSender("sms")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": wa, "sms": sms})
    await say(pipeline, whatsapp("wamid.1", "hello"))
    assert wa.texts == ["echo: hello"]

    update_ = StatusUpdate(channel="whatsapp", provider_id="whatsapp-1", status="failed", error_code="131026",
                           error_title="Message undeliverable", verdict=Verdict.NOT_ON_THIS_CHANNEL)
    assert await pipeline.record_status(update_)
    assert await pipeline.record_status(update_)  # Meta redelivers: still one fallback
    await pipeline.drain()
    assert sms.texts == ["echo: hello"]
    wa_row = rows(store, channel="whatsapp", direction="out")[0]
    assert statuses(store, wa_row.id) == ["queued", "sent", "failed"]


async def test_push_uses_whatsapp_in_the_window_a_template_outside_it_and_sms_last(make_pipeline, store):
    wa, sms = FakeSender("whatsapp"), FakeSender("sms")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": wa, "sms": sms})
    await say(pipeline, whatsapp("wamid.1"))
    citizen_id = rows(store)[0].citizen_id

    in_window = await pipeline.outbox.push(citizen_id, BotReply(text="طلبك جاهز"), kind="status_update")
    assert (in_window.channel, wa.texts[-1]) == ("whatsapp", "طلبك جاهز")
    assert rows(store, id=in_window.message_ids[0])[0].kind == "status_update"

    with store.db.session() as s:  # two days later
        s.execute(update(ChannelIdentity).values(last_inbound_at=utcnow() - timedelta(days=2)))
    template = TemplateRef(name="document_expiry", language="ar", parameters=["جواز السفر"])
    by_template = await pipeline.outbox.push(citizen_id, BotReply(text="جوازك ينتهي", template=template), kind="alert")
    assert by_template.channel == "whatsapp" and wa.sent[-1].body == {"template": "document_expiry"}

    free_text = await pipeline.outbox.push(citizen_id, BotReply(text="تذكير"), kind="alert")
    assert (free_text.channel, sms.texts) == ("sms", ["تذكير"])


async def test_push_to_a_citizen_known_only_by_sms(make_pipeline, store):
    sms = FakeSender("sms")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp"), "sms": sms})
    citizen_id = store.citizens.resolve("sms", "962780000000")
    result = await pipeline.outbox.push(citizen_id, BotReply(text="تنبيه"), kind="alert")
    assert result.channel == "sms" and sms.sent[0].address == "962780000000"
    assert (await pipeline.outbox.push(999_999, BotReply(text="x"), kind="alert")).skipped == "unknown_citizen"


async def test_a_brain_exception_gets_an_apology_and_the_worker_goes_on(make_pipeline, store, caplog):
    wa = FakeSender("whatsapp")
    failing = make_pipeline(FailingBrain(), {"whatsapp": wa})
    async with running(failing):
        await failing.accept(whatsapp("wamid.1"))
        await eventually(lambda: wa.texts)
        assert wa.texts == [replies.say("apology", "ar")]
        await failing.accept(whatsapp("wamid.2"))
        await eventually(lambda: len(wa.texts) == 2)
    assert any("rasa agent not loaded" in r.getMessage() for r in caplog.records)
    assert {r.status for r in rows(store, direction="in")} == {"answered"}


async def test_a_brain_that_hangs_times_out_into_an_apology_in_the_citizens_language(make_pipeline, store):
    wa = FakeSender("whatsapp")
    pipeline = make_pipeline(SleepingBrain(), {"whatsapp": wa})
    await say(pipeline, whatsapp("wamid.0", "English"))  # a keyword: no brain
    await say(pipeline, whatsapp("wamid.1", "renew passport"))
    assert wa.texts[-1] == replies.say("apology", "en")


async def test_unrecognised_answers_are_kept_for_review(make_pipeline, store):
    pipeline = make_pipeline(UnsureBrain(), {"whatsapp": FakeSender("whatsapp")})
    message_id = await say(pipeline, whatsapp("wamid.1", "شو بدي أعمل"))
    inbound = rows(store, id=message_id)[0]
    assert (inbound.intent, inbound.confidence, inbound.language) == ("nlu_fallback", 0.21, "ar")
    with store.db.session() as s:
        [row] = s.query(UnrecognisedMessage).all()
    assert (row.message_id, row.reason, row.text) == (message_id, "low_confidence", "شو بدي أعمل")


async def test_understanding_is_stored_on_the_inbound_message(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp")})
    message_id = await say(pipeline, whatsapp("wamid.1"))
    row = rows(store, id=message_id)[0]
    assert (row.intent, row.confidence, row.service_id, row.language) == ("echo", 0.99, "echo_service", "en")


class ScriptedBrain(EchoBrain):
    """Understands each text as the intent the script gives it, confidently."""

    def __init__(self, intents: dict[str, str]) -> None:
        super().__init__()
        self.intents = intents

    async def respond(self, conversation_key, message, *, language=None):
        self.calls.append(message)
        return Answer(replies=[BotReply(text="جواب")], intent=self.intents[message.text], confidence=0.9, language="ar")


@pytest.mark.parametrize("follow_up, intent, reason", [
    ("مش هاد قصدي", "deny", "not_what_i_asked"), ("بدي موظف", "human_handoff", "handoff"),
])
async def test_a_question_the_citizen_says_was_missed_goes_to_the_inbox(make_pipeline, store, follow_up, intent, reason):
    brain = ScriptedBrain({"قديش الرسوم": "ask_fees", "مرحبا": "greet", follow_up: intent})
    pipeline = make_pipeline(brain, {"whatsapp": FakeSender("whatsapp")})
    question = await say(pipeline, whatsapp("wamid.1", "قديش الرسوم"))
    await say(pipeline, whatsapp("wamid.2", follow_up))
    await say(pipeline, whatsapp("wamid.3", "مرحبا"))
    await say(pipeline, whatsapp("wamid.4", follow_up))  # after a greeting: nothing was missed
    await say(pipeline, whatsapp("wamid.5", follow_up))  # after the follow-up itself: nor here
    with store.db.session() as s:
        found = [(r.message_id, r.reason, r.text, r.intent) for r in s.query(UnrecognisedMessage).all()]
    assert found == [(question, reason, "قديش الرسوم", "ask_fees")]
