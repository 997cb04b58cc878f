"""A process killed between a provider's refusal of a push and the queueing of its fallback loses
nothing: the refused send's failure and the fallback's rows are written in one transaction.

Found by the 1,000-transaction soak run (tests/e2e/test_agency_thousand.py): the job worker was
SIGKILLed right after the Graph API answered a registration notice with 131026; the WhatsApp row
had been marked failed, the SMS fallback was never queued, and nothing ever looks at a failed row
again, so that citizen never heard of the registration (3 of 4 steps arrived). The kill is
simulated here at the exact point: the fallback's transaction never happens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from core.messages import BotReply, utcnow
from routing.billing import BodyType
from routing.policy import Agency
from store.citizens import resolve_identity
from store.models import Message, MessageStatusEvent
from pipeline_doubles import EchoBrain, FakeSender, not_on_whatsapp, outside_window
from pipeline_helpers import rows

ADDRESS = "962791234567"
AGENCY = Agency(id="cspd", body_type=BodyType.GOVERNMENT)


class Killed(Exception):
    """The process died here: nothing after this point ran."""


def on_whatsapp(store) -> int:
    with store.db.session() as s:
        return resolve_identity(s, "whatsapp", ADDRESS, inbound_at=utcnow())


def hold_is_over(store) -> None:
    """The send hold of the dead process's rows has passed (SEND_HOLD, 20 s)."""
    with store.db.session() as s:
        s.execute(update(Message).where(Message.status == "queued").values(next_attempt_at=utcnow() - timedelta(minutes=1)))


def failure_codes(store, message_id: int) -> list:
    with store.db.session() as s:
        return [e.error_code for e in s.query(MessageStatusEvent).filter_by(message_id=message_id, status="failed")]


@pytest.mark.parametrize("refusal", [not_on_whatsapp, outside_window])
async def test_a_worker_killed_between_a_refusal_and_its_fallback_loses_nothing(make_pipeline, store, monkeypatch, refusal):
    citizen_id = on_whatsapp(store)
    first = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp", script=[refusal()]), "sms": FakeSender("sms")})

    def killed(*args, **kwargs):
        raise Killed()

    monkeypatch.setattr(store.outbound, "fall_back", killed)
    with pytest.raises(Killed):
        await first.outbox.push(citizen_id, BotReply(text="سجلنا معاملتك T-00199"), kind="transaction_status", agency=AGENCY)
    monkeypatch.undo()
    [pushed] = rows(store, direction="out")
    # No failure recorded without its fallback: the push still waits to be sent.
    assert pushed.channel == "whatsapp" and pushed.status == "queued" and failure_codes(store, pushed.id) == []

    # Another worker, once the dead one's hold is over: WhatsApp refuses again, and the push moves on.
    whatsapp, sms = FakeSender("whatsapp", script=[refusal()]), FakeSender("sms")
    second = make_pipeline(EchoBrain(), {"whatsapp": whatsapp, "sms": sms})
    hold_is_over(store)
    await second.outbox.flush_due(queued_grace_s=0)
    await second.outbox.flush_due(queued_grace_s=0)
    assert sms.texts == ["سجلنا معاملتك T-00199"]
    failed, moved = rows(store, direction="out")
    assert failed.status == "failed" and failure_codes(store, failed.id) == [refusal().error_code]
    assert (moved.channel, moved.status, moved.reply_key, moved.route_cause) == ("sms", "sent", failed.reply_key, refusal().verdict.value)


async def test_the_failure_and_the_fallback_are_written_together(make_pipeline, store):
    """Without a kill: the refused row carries its error once, and the fallback is queued and sent."""
    citizen_id = on_whatsapp(store)
    sms = FakeSender("sms")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp", script=[not_on_whatsapp()]), "sms": sms})
    result = await pipeline.outbox.push(citizen_id, BotReply(text="خطوة"), kind="transaction_status", agency=AGENCY)
    assert result.channel == "whatsapp" and sms.texts == ["خطوة"]
    failed, moved = rows(store, direction="out")
    assert failure_codes(store, failed.id) == ["131026"] and failed.attempts == 1
    assert moved.channel == "sms" and moved.status == "sent"
