"""A process killed between receiving and answering, or between queueing and sending: after a
restart everything is answered, and answered once."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from core.messages import InboundMessage, StatusUpdate
from store import Store
from pipeline_doubles import EchoBrain, FakeSender
from pipeline_helpers import FAST, eventually, rows, running


class _LimiterWithoutRedis:
    name, per_second = "send:whatsapp", 80.0

    async def acquire(self, n: int = 1) -> None:
        raise ConnectionError("Redis is away")


def text(n: int, address: str = "962791234567") -> InboundMessage:
    return InboundMessage(channel="whatsapp", provider_id=f"wamid.{n}", address=address, text=f"q{n}")


async def test_received_but_unanswered_messages_are_answered_once_after_a_restart(
    make_pipeline, coordination_factory, store, database_url
):
    crashed = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp")})
    for n in range(3):
        await crashed.accept(text(n, address=f"96279000000{n}"))
    # ... killed before any worker ran. A new process on the same database:
    brain, whatsapp = EchoBrain(), FakeSender("whatsapp")
    fresh_store = Store(database_url)
    try:
        restarted = make_pipeline(
            brain,
            {"whatsapp": whatsapp},
            coordination=coordination_factory(new_process=True),
            pipeline_store=fresh_store,
        )
        assert await restarted.recover() == 3
        async with running(restarted, workers=2):
            await eventually(lambda: len(whatsapp.sent) == 3)
            await asyncio.sleep(0.1)  # on Redis the old jobs are still queued too: they must be no-ops
        assert sorted(whatsapp.texts) == ["echo: q0", "echo: q1", "echo: q2"]
        assert len(brain.calls) == 3
        assert {r.status for r in rows(store, direction="in")} == {"answered"}
        assert await restarted.recover() == 0
    finally:
        fresh_store.close()


async def test_a_reply_queued_but_never_sent_goes_out_once_after_a_restart(
    make_pipeline, coordination_factory, store
):
    hanging = FakeSender("whatsapp", hang=True)
    crashed = make_pipeline(EchoBrain(), {"whatsapp": hanging})
    crashed.outbox.send_hold = timedelta(seconds=1)
    accepted = await crashed.accept(text(1))
    processing = asyncio.create_task(crashed.process(accepted.message_id))
    await eventually(lambda: hanging.attempts == 1)  # the provider call is under way...
    processing.cancel()  # ... and the process dies
    await asyncio.gather(processing, return_exceptions=True)
    [queued] = rows(store, direction="out")
    assert queued.status == "queued"
    assert rows(store, direction="in")[0].status == "answered"  # the answer itself is safe

    brain, whatsapp = EchoBrain(), FakeSender("whatsapp")
    restarted = make_pipeline(brain, {"whatsapp": whatsapp}, coordination=coordination_factory(new_process=True))
    assert await restarted.recover() == 0  # nothing to re-answer...
    # ... and the reply the provider may already have is left alone for the hold, in which its
    # status could say it went (`adopt`) ...
    assert whatsapp.texts == []
    await asyncio.sleep(1.1)
    # ... after which it goes, once.
    assert await restarted.outbox.flush_due(queued_grace_s=0) == 1
    assert await restarted.outbox.flush_due(queued_grace_s=0) == 0
    assert whatsapp.texts == ["echo: q1"]
    assert brain.calls == []
    assert rows(store, direction="out")[0].status == "sent"


async def test_two_senders_with_the_same_stale_queue_send_a_reply_once(make_pipeline, store):
    """Redis flushed: the citizen's lock is gone, and a second worker answering the same message
    (requeued) flushes the queue it read while the first is still sending it."""
    slow = FakeSender("whatsapp", delay=0.3)
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": slow})
    accepted = await pipeline.accept(text(1))
    first = asyncio.create_task(pipeline.process(accepted.message_id))
    await eventually(lambda: slow.attempts == 1)
    [queued] = rows(store, direction="out")
    stale = await asyncio.to_thread(pipeline.store.outbound.pending, queued.citizen_id)
    assert [row.id for row in stale] == [queued.id]
    # The second sender bypasses the lock, as one does when its key vanished with a FLUSHALL.
    assert await pipeline.outbox._send_one(stale[0]) is False
    await first
    assert slow.texts == ["echo: q1"]
    assert rows(store, direction="out")[0].status == "sent"


async def test_a_message_that_keeps_crashing_the_worker_is_given_up(make_pipeline, store, monkeypatch):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp")})
    accepted = await pipeline.accept(text(1))

    def broken_render(*args, **kwargs):
        raise RuntimeError("bug in a renderer")

    monkeypatch.setattr(pipeline.outbox, "reply_rows", broken_render)
    for _ in range(3):
        try:
            await pipeline.process(accepted.message_id)
        except RuntimeError:
            pass
    assert rows(store, direction="in")[0].status == "received"  # still to be retried
    await pipeline.process(accepted.message_id)  # the 4th attempt gives up cleanly
    row = rows(store, direction="in")[0]
    assert row.status == "failed" and row.attempts == 4
    assert store.statuses.timeline(row.id)[-1].detail == "gave up after 3 attempts"


async def test_a_lost_enqueue_is_picked_up_by_the_sweeper(make_pipeline, store, caplog):
    brain, whatsapp = EchoBrain(), FakeSender("whatsapp")
    pipeline = make_pipeline(
        brain, {"whatsapp": whatsapp}, tuning=dataclasses.replace(FAST, orphan_after_s=0.2)
    )
    queue = pipeline.coordination.queue
    real_push = queue.push

    async def queue_down(job_id):
        raise ConnectionError("redis went away")

    queue.push = queue_down
    accepted = await pipeline.accept(text(1))  # stored, but never enqueued
    assert not accepted.duplicate
    assert any("enqueue failed" in r.getMessage() for r in caplog.records)
    queue.push = real_push

    async with running(pipeline):
        await eventually(lambda: whatsapp.texts == ["echo: q1"])
    assert rows(store, direction="in")[0].status == "answered"


async def test_workers_stop_even_when_a_queue_call_swallows_the_cancellation(make_pipeline):
    """redis-py sometimes returns normally from a blocking pop cancelled mid-flight; a worker that
    relied on the cancellation alone would keep popping and its process would never stop."""
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp")})
    queue = pipeline.coordination.queue
    popping = asyncio.Event()

    async def pop_that_swallows_cancellation(timeout):
        popping.set()
        try:
            await asyncio.sleep(timeout)
        except asyncio.CancelledError:
            pass  # what the library did: the caller sees an empty pop, not a cancellation
        return None

    queue.pop = pop_that_swallows_cancellation
    workers = asyncio.create_task(pipeline.run_workers(2))
    await asyncio.wait_for(popping.wait(), 5)
    workers.cancel()
    done, _ = await asyncio.wait({workers}, timeout=5)
    assert done, "the workers did not stop within 5 s of being cancelled"


async def test_a_reply_the_provider_took_before_its_sender_died_is_not_sent_again(
    make_pipeline, coordination_factory, store
):
    # bench/faults, worker-kill: Meta accepted the reply, the worker was killed before it wrote
    # the wamid down, and the restarted worker sent it a second time. Meta repeats our reference
    # (biz_opaque_callback_data) in the message's statuses, which now mark it sent.
    hanging = FakeSender("whatsapp", hang=True)
    crashed = make_pipeline(EchoBrain(), {"whatsapp": hanging})
    accepted = await crashed.accept(text(1))
    processing = asyncio.create_task(crashed.process(accepted.message_id))
    await eventually(lambda: hanging.attempts == 1)
    processing.cancel()
    await asyncio.gather(processing, return_exceptions=True)
    [queued] = rows(store, direction="out")
    assert queued.status == "queued"

    web_tier = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp")})
    status = StatusUpdate(channel="whatsapp", provider_id="wamid.taken", status="sent", reference=queued.id)
    assert await web_tier.record_status(status)
    [reply] = rows(store, direction="out")
    assert (reply.status, reply.provider_id) == ("sent", "wamid.taken")

    whatsapp = FakeSender("whatsapp")
    restarted = make_pipeline(EchoBrain(), {"whatsapp": whatsapp}, coordination=coordination_factory(new_process=True))
    await restarted.recover()
    assert whatsapp.attempts == 0  # not sent twice

    # A reference that names another channel's message, or one already sent, changes nothing.
    stray = StatusUpdate(channel="whatsapp", provider_id="wamid.other", status="sent", reference=queued.id)
    assert not await web_tier.record_status(stray)
    assert rows(store, direction="out")[0].provider_id == "wamid.taken"


async def test_a_job_that_comes_back_for_an_answered_message_sends_its_queued_reply(make_pipeline, store):
    # bench/faults, redis-restart: the answer was queued, then sending failed (the rate limiter's
    # Redis was away); the job came back, found the message answered, and the reply waited a minute
    # for the orphan sweep.
    never_called = FakeSender("whatsapp")
    crashed = make_pipeline(EchoBrain(), {"whatsapp": never_called})
    crashed.outbox._limiters["whatsapp"] = _LimiterWithoutRedis()
    accepted = await crashed.accept(text(1))
    processing = await asyncio.gather(crashed.process(accepted.message_id), return_exceptions=True)
    assert isinstance(processing[0], ConnectionError) and never_called.attempts == 0
    assert rows(store, direction="out")[0].status == "queued"

    whatsapp = FakeSender("whatsapp")
    again = make_pipeline(EchoBrain(), {"whatsapp": whatsapp})
    await again.process(accepted.message_id)
    assert whatsapp.texts == ["echo: q1"] and rows(store, direction="out")[0].status == "sent"
