"""With the trained model: a catalog answer by SMS to an SMS question is a POP query (7 piasters,
once), an answer that supplies nothing is free. Checks that real answers carry what the outbox
reads (a catalog answer's heading), which the doubles elsewhere only assume."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from core.messages import InboundMessage
from store.models import LedgerEntry, Message
from tests.pipeline.pipeline_doubles import FakeSender

pytestmark = pytest.mark.slow


async def ask(pipeline, store, provider_id: str, text: str) -> list[LedgerEntry]:
    accepted = await pipeline.accept(InboundMessage(channel="sms", provider_id=provider_id, address="962791112233", text=text))
    await pipeline.process(accepted.message_id)
    with store.db.session() as s:
        answer = select(Message.id).where(Message.reply_to_id == accepted.message_id)
        ids = s.execute(answer).scalars().all()
        return list(s.execute(select(LedgerEntry).where(LedgerEntry.message_id.in_(ids)).order_by(LedgerEntry.id)).scalars())


async def test_a_catalog_answer_by_sms_is_one_pop_query(brain, make_pipeline, store):
    pipeline = make_pipeline(brain, {"sms": FakeSender("sms")})
    answered = await ask(pipeline, store, "pop-1", "قديش رسوم تجديد جواز السفر؟")
    assert [e.citizen_share for e in answered][:1] == [Decimal("0.07")]
    assert all(e.citizen_share == 0 for e in answered[1:])
    assert all((e.category, e.agency_id, e.ministry_share) == ("reply", None, e.amount) for e in answered)
    not_understood = await ask(pipeline, store, "pop-2", "ززز ققق")
    assert not_understood and all(e.citizen_share == 0 for e in not_understood)
