"""The store's side of moving a step to another channel: once, whoever asks at the same moment
(threads on one database stand in for workers in several processes), and the history it leaves."""

from __future__ import annotations

import threading
from datetime import timedelta

from core.messages import utcnow
from store.outbound import NewOutbound

PHONE = "962795550001"


def _queued_push(store, *, channel="whatsapp", key="step-1"):
    citizen = store.citizens.resolve("whatsapp", PHONE)
    [message_id] = store.outbound.add(
        [NewOutbound(citizen_id=citizen, channel=channel, address=PHONE, text="t", kind="status_update", reply_key=key)]
    )
    return citizen, message_id


def _sms(citizen, key="step-1"):
    return [NewOutbound(citizen_id=citizen, channel="sms", address=PHONE, text="t", kind="status_update", reply_key=key,
                        route_reason="fallback_after_failure", route_cause="not_delivered_in_time", sender="94444")]


def test_many_workers_moving_one_overdue_step_queue_one_sms(store):
    citizen, message_id = _queued_push(store)
    store.outbound.mark_sent(message_id, "wamid.1", deliver_by=utcnow() + timedelta(minutes=10))
    later = utcnow() + timedelta(minutes=11)
    [overdue] = store.outbound.overdue(later)
    assert overdue.id == message_id

    start, results = threading.Barrier(8), []

    def worker():
        start.wait()
        results.append(store.outbound.fall_back("step-1", "whatsapp", _sms(citizen), overdue_at=later))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r) for r in results) == [0] * 7 + [1]
    assert store.outbound.overdue(later) == []
    [step] = store.outbound.delivery_history([message_id])
    assert [(a.channel, a.superseded, a.route_cause) for a in step.attempts] == [
        ("whatsapp", True, None), ("sms", False, "not_delivered_in_time"),
    ]


def test_a_step_delivered_before_its_deadline_is_not_moved(store):
    citizen, message_id = _queued_push(store)
    store.outbound.mark_sent(message_id, "wamid.1", deliver_by=utcnow() + timedelta(minutes=10))
    store.statuses.record("whatsapp", ["wamid.1"], "delivered", at=utcnow())
    later = utcnow() + timedelta(minutes=11)
    assert store.outbound.overdue(later) == []
    # Even a sweep that read it as overdue a moment before the receipt moves nothing.
    assert store.outbound.fall_back("step-1", "whatsapp", _sms(citizen), overdue_at=later) == []
    [step] = store.outbound.delivery_history([message_id])
    assert (step.channel, step.status, len(step.attempts)) == ("whatsapp", "delivered", 1)


def test_not_yet_due_is_not_moved(store):
    citizen, message_id = _queued_push(store)
    deadline = utcnow() + timedelta(minutes=10)
    store.outbound.mark_sent(message_id, "wamid.1", deliver_by=deadline)
    assert store.outbound.overdue(deadline - timedelta(seconds=1)) == []
    assert store.outbound.fall_back("step-1", "whatsapp", _sms(citizen), overdue_at=deadline - timedelta(seconds=1)) == []
    assert [r.id for r in store.outbound.overdue(deadline)] == [message_id]


def test_a_failure_and_the_timer_together_move_a_step_once(store):
    citizen, message_id = _queued_push(store)
    store.outbound.mark_sent(message_id, "wamid.1", deliver_by=utcnow() + timedelta(minutes=10))
    assert len(store.outbound.fall_back("step-1", "whatsapp", _sms(citizen))) == 1  # the failed webhook
    later = utcnow() + timedelta(minutes=11)
    assert store.outbound.overdue(later) == []
    assert store.outbound.fall_back("step-1", "whatsapp", _sms(citizen), overdue_at=later) == []


def test_history_groups_each_step_and_leaves_unknown_ids_out(store):
    citizen, first = _queued_push(store, key="a")
    _, second = _queued_push(store, key="b")
    store.outbound.mark_sent(first, "wamid.a")
    store.outbound.mark_failed(second, error_code="131026", error_title="Message Undeliverable")
    [moved] = store.outbound.fall_back("b", "whatsapp", _sms(citizen, key="b"))
    history = store.outbound.delivery_history([second, first, 999_999])
    assert [(h.reply_key, h.channel, h.status) for h in history] == [("b", "sms", "queued"), ("a", "whatsapp", "sent")]
    failed, fallback = history[0].attempts
    assert (failed.error_code, failed.error_title, failed.failed_at is not None) == (
        "131026", "Message Undeliverable", True,
    )
    assert (fallback.message_id, fallback.sender, fallback.route_reason) == (moved, "94444", "fallback_after_failure")
    assert [e.status for e in failed.events] == ["queued", "failed"]
    assert store.outbound.delivery_history([]) == []


def test_a_late_failure_of_a_delivered_step_moves_nothing(store):
    citizen, message_id = _queued_push(store)
    store.outbound.mark_sent(message_id, "wamid.1")
    store.statuses.record("whatsapp", ["wamid.1"], "delivered", at=utcnow())
    store.statuses.record("whatsapp", ["wamid.1"], "failed", at=utcnow(), error_code="131000")
    assert store.outbound.fall_back("step-1", "whatsapp", _sms(citizen)) == []
    [step] = store.outbound.delivery_history([message_id])
    assert (step.channel, step.status, len(step.attempts)) == ("whatsapp", "delivered", 1)
