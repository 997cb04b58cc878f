"""Messages: the durable dedupe, timelines, conversations, atomic answers, fallback bookkeeping."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.messages import InboundMessage, utcnow
from store.inbound import DuplicateMessage, Understanding
from store.outbound import Billing, NewOutbound
from store.statuses import status_advances
from store.models import Conversation, LedgerEntry, Message, UnrecognisedMessage

ADDRESS = "962791234567"
SMS_REPLY = Billing(
    category="reply", unit_cost=Decimal("0.006842"), amount=Decimal("0.006842"),
    agency_share=Decimal("0"), ministry_share=Decimal("0.006842"), citizen_share=Decimal("0"),
)


def inbound(provider_id: str, channel: str = "whatsapp", **kw) -> InboundMessage:
    return InboundMessage(channel=channel, provider_id=provider_id, address=ADDRESS, text=kw.pop("text", "hi"), **kw)


def outbound(citizen_id: int, text: str = "answer", channel: str = "whatsapp", **kw) -> NewOutbound:
    return NewOutbound(citizen_id=citizen_id, channel=channel, address=ADDRESS, text=text, **kw)


def count(store, model) -> int:
    with store.db.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_the_unique_constraint_rejects_a_redelivery(store):
    first = store.inbound.add(inbound("wamid.X"))
    with pytest.raises(DuplicateMessage) as duplicate:
        store.inbound.add(inbound("wamid.X", text="same id, whatever the text"))
    assert duplicate.value.message_id == first.message_id
    # The same id on another channel is another message.
    store.inbound.add(inbound("wamid.X", channel="sms"))
    assert count(store, Message) == 2


def test_outbound_without_provider_ids_never_collide(store):
    citizen_id = store.inbound.add(inbound("wamid.1")).citizen_id
    ids = store.outbound.add([outbound(citizen_id, f"part {n}") for n in range(3)])
    assert len(set(ids)) == 3


def test_conversation_continues_within_a_day_and_restarts_after(store):
    first = store.inbound.add(inbound("wamid.1"))
    second = store.inbound.add(inbound("wamid.2"))
    assert store.inbound.get(first.message_id).conversation_id == store.inbound.get(second.message_id).conversation_id

    with store.db.session() as s:
        s.execute(update(Conversation).values(last_activity_at=utcnow() - timedelta(hours=25)))
    third = store.inbound.add(inbound("wamid.3", channel="sms"))
    third_row = store.inbound.get(third.message_id)
    assert third_row.conversation_id != store.inbound.get(first.message_id).conversation_id
    with store.db.session() as s:
        conversation = s.get(Conversation, third_row.conversation_id)
        assert conversation.last_channel == "sms"


def test_start_next_answer_takes_the_oldest_waiting_message_and_counts_the_attempt(store):
    first = store.inbound.add(inbound("wamid.1", text="first"))
    second = store.inbound.add(inbound("wamid.2", text="second"))
    citizen_id = first.citizen_id

    context = store.inbound.start_next_answer(citizen_id, up_to_id=second.message_id)
    assert (context.message.id, context.attempts, context.more_waiting) == (first.message_id, 1, True)
    assert [i.address for i in context.identities] == [ADDRESS]
    # Only messages up to the one the worker was asked about.
    only_first = store.inbound.start_next_answer(citizen_id, up_to_id=first.message_id)
    assert (only_first.message.id, only_first.attempts, only_first.more_waiting) == (first.message_id, 2, False)

    store.inbound.complete(first.message_id, outbound=[])
    last = store.inbound.start_next_answer(citizen_id, up_to_id=second.message_id)
    assert (last.message.id, last.more_waiting) == (second.message_id, False)
    store.inbound.complete(second.message_id, outbound=[])
    assert store.inbound.start_next_answer(citizen_id, up_to_id=second.message_id) is None


def test_complete_inbound_is_atomic_and_happens_once(store):
    stored = store.inbound.add(inbound("wamid.1", text="what?"))
    rows = [outbound(stored.citizen_id, "part 1", reply_to_id=stored.message_id, billing=SMS_REPLY)]
    completed = store.inbound.complete(
        stored.message_id,
        outbound=rows,
        understanding=Understanding(intent="nlu_fallback", confidence=0.2, language="en"),
        unrecognised_reason="low_confidence",
    )
    ids = completed.outbound_ids
    assert len(ids) == 1
    assert [m.id for m in completed.pending] == ids  # read in the same transaction, ready to send
    again = store.inbound.complete(stored.message_id, outbound=rows)
    assert again.outbound_ids == []  # already answered: nothing queued twice
    assert [m.id for m in again.pending] == ids

    row = store.inbound.get(stored.message_id)
    assert (row.status, row.intent, row.confidence, row.language) == ("answered", "nlu_fallback", 0.2, "en")
    assert [e.status for e in store.statuses.timeline(row.id)] == ["received", "answered"]
    reply = store.outbound.get(ids[0])
    assert (reply.status, reply.reply_to_id, reply.cost) == ("queued", row.id, Decimal("0.006842"))
    assert count(store, UnrecognisedMessage) == 1
    [pending] = store.review.pending()
    assert (pending.reason, pending.text) == ("low_confidence", "what?")
    store.review.mark_reviewed(pending.id)
    assert store.review.pending() == []


def test_complete_inbound_rolls_back_entirely_on_error(store):
    stored = store.inbound.add(inbound("wamid.1"))
    fine = outbound(stored.citizen_id, "part 1", reply_to_id=stored.message_id, billing=SMS_REPLY)
    broken = outbound(stored.citizen_id, reply_to_id=999_999, billing=SMS_REPLY)  # no such message: foreign key violation
    with pytest.raises(IntegrityError):
        store.inbound.complete(stored.message_id, outbound=[fine, broken])
    assert store.inbound.get(stored.message_id).status == "received"
    assert count(store, Message) == 1
    assert count(store, LedgerEntry) == 0  # the first part's ledger entry went with it


def test_each_outbound_row_is_written_with_its_route_and_ledger_entry(store):
    citizen_id = store.inbound.add(inbound("in-1", channel="sms")).citizen_id
    with_billing, without = store.outbound.add([
        outbound(citizen_id, "answer", channel="sms", segments=1, sender="94444",
                 route_reason="reply_on_inbound_channel", billing=SMS_REPLY),
        outbound(citizen_id, "a test message, billed to nobody", channel="sms"),
    ])
    row = store.outbound.get(with_billing)
    assert (row.sender, row.route_reason, row.route_cause, row.cost) == (
        "94444", "reply_on_inbound_channel", None, Decimal("0.006842"),
    )
    entry = store.outbound.ledger(with_billing)
    assert (entry.category, entry.agency_id, entry.channel, entry.segments) == ("reply", None, "sms", 1)
    assert (entry.unit_cost, entry.amount, entry.agency_share, entry.ministry_share, entry.citizen_share) == (
        Decimal("0.006842"), Decimal("0.006842"), Decimal("0"), Decimal("0.006842"), Decimal("0"),
    )
    assert store.outbound.ledger(without) is None and store.outbound.get(without).cost is None
    assert store.outbound.get(store.inbound.add(inbound("in-2", channel="sms")).message_id) is None  # inbound is not outbound


@pytest.mark.parametrize(
    "current, new, advances",
    [
        ("queued", "sent", True),
        ("sent", "delivered", True),
        ("delivered", "sent", False),
        ("read", "delivered", False),
        ("sent", "failed", True),
        ("delivered", "failed", False),
        ("failed", "sent", False),
        ("failed", "delivered", True),
        ("retrying", "sent", True),
    ],
)
def test_status_order(current, new, advances):
    assert status_advances(current, new) is advances


def test_provider_statuses_build_a_timeline_without_repeats(store):
    citizen_id = store.inbound.add(inbound("wamid.in")).citizen_id
    [out_id] = store.outbound.add([outbound(citizen_id)])
    store.outbound.mark_sent(out_id, "wamid.out")
    now = utcnow()

    assert store.statuses.record("whatsapp", ["nope"], "delivered", at=now) is None
    read = store.statuses.record("whatsapp", ["wamid.out"], "read", at=now)
    late = store.statuses.record("whatsapp", ["wamid.out"], "delivered", at=now)
    again = store.statuses.record("whatsapp", ["wamid.out"], "read", at=now)

    assert read.new_event and late.new_event and not again.new_event
    assert store.outbound.get(out_id).status == "read"  # the late "delivered" did not move it back
    assert [e.status for e in store.statuses.timeline(out_id)] == ["queued", "sent", "read", "delivered"]


def test_fall_back_supersedes_the_other_parts_once(store):
    citizen_id = store.inbound.add(inbound("wamid.in")).citizen_id
    parts = [outbound(citizen_id, f"part {n}", reply_key="k1") for n in range(2)]
    first, second = store.outbound.add(parts)
    store.outbound.mark_failed(first, error_code="131026")

    sms = [outbound(citizen_id, "whole reply", channel="sms", reply_key="k1")]
    new_ids = store.outbound.fall_back("k1", "whatsapp", sms)
    assert len(new_ids) == 1
    assert store.outbound.get(second).status == "failed"  # not sent on WhatsApp after all
    assert store.outbound.fall_back("k1", "whatsapp", sms) == []  # once per reply
    assert [m.id for m in store.outbound.pending(citizen_id)] == new_ids


def test_latest_choices_and_more(store):
    stored = store.inbound.add(inbound("in-1", channel="sms"))
    cid = stored.citizen_id
    assert store.outbound.latest_choices(cid) is None
    assert store.outbound.latest_more(cid) is None
    menu = [{"id": "/renew", "title": "Renew", "description": None}]
    store.outbound.add(
        [outbound(cid, "summary", channel="sms", choices=menu, body={"more": "the rest", "text": "summary"},
                  reply_to_id=stored.message_id, language="en")]
    )
    store.outbound.add([outbound(cid, "thanks", channel="sms", reply_to_id=stored.message_id)])
    assert store.outbound.latest_choices(cid) == menu
    assert store.outbound.latest_more(cid) == ("the rest", "en")  # a sibling of the newest answer

    second = store.inbound.add(inbound("in-2", channel="sms"))
    store.outbound.add([outbound(cid, "new answer", channel="sms", reply_to_id=second.message_id)])
    assert store.outbound.latest_more(cid) is None  # MORE refers to the last answer only
    assert store.outbound.latest_choices(cid) == menu


def test_tickets_and_subscriptions(store):
    citizen_id = store.citizens.resolve("whatsapp", ADDRESS)
    ticket_id = store.tickets.open(citizen_id, "complaint", "the office was closed", service_id="passport_renewal")
    assert [t.id for t in store.tickets.open_tickets()] == [ticket_id]
    with pytest.raises(ValueError):
        store.tickets.open(citizen_id, "praise", "nice")

    store.subscriptions.subscribe(citizen_id, "document_expiry")
    store.subscriptions.subscribe(citizen_id, "document_expiry")  # idempotent
    store.subscriptions.subscribe(citizen_id, "passport_renewal")
    assert store.subscriptions.topics(citizen_id) == ["document_expiry", "passport_renewal"]
    store.subscriptions.unsubscribe(citizen_id, "document_expiry")
    assert store.subscriptions.topics(citizen_id) == ["passport_renewal"]
    assert store.subscriptions.subscribers("passport_renewal") == [citizen_id]


def test_outbound_for_address_lists_what_we_sent_after_a_point(store):
    citizen_id = store.citizens.resolve("sms", ADDRESS)
    first, second = store.outbound.add(
        [outbound(citizen_id, "one", channel="sms"), outbound(citizen_id, "two", channel="sms")]
    )
    store.outbound.add([outbound(citizen_id, "on whatsapp")])
    assert [m.text for m in store.outbound.for_address("sms", ADDRESS)] == ["one", "two"]
    assert [m.id for m in store.outbound.for_address("sms", ADDRESS, after_id=first)] == [second]
    assert store.outbound.for_address("sms", "962780000000") == []


def test_history_is_the_latest_messages_oldest_first(store):
    stored = store.inbound.add(inbound("wamid.1", text="question"))
    store.outbound.add([outbound(stored.citizen_id, "answer", reply_to_id=stored.message_id)])
    store.inbound.add(inbound("wamid.2", text="thanks"))
    assert [(m.direction, m.text) for m in store.conversations.history(stored.citizen_id)] == [
        ("in", "question"), ("out", "answer"), ("in", "thanks"),
    ]
    assert [m.text for m in store.conversations.history(stored.citizen_id, limit=2)] == ["answer", "thanks"]


def test_statuses_recorded_together_get_one_result_each(store):
    from store.statuses import ProviderStatus

    stored = store.inbound.add(inbound("wamid.in"))
    [out_id] = store.inbound.complete(
        stored.message_id, outbound=[outbound(stored.citizen_id, reply_to_id=stored.message_id)]
    ).outbound_ids
    store.outbound.mark_sent(out_id, "wamid.out")
    now = utcnow()
    results = store.statuses.record_many(
        [
            ProviderStatus("whatsapp", ("wamid.out",), "delivered", now),
            ProviderStatus("whatsapp", ("wamid.unknown",), "delivered", now),
            ProviderStatus("whatsapp", ("wamid.out",), "delivered", now),  # Meta repeats itself
            ProviderStatus("whatsapp", ("wamid.out",), "read", now),
        ]
    )
    assert results[1] is None
    assert [(r.message_id, r.new_event, r.current_status) for r in (results[0], results[2], results[3])] == [
        (out_id, True, "delivered"),
        (out_id, False, "delivered"),
        (out_id, True, "read"),
    ]
    assert [e.status for e in store.statuses.timeline(out_id)] == ["queued", "sent", "delivered", "read"]
