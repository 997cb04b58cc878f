"""A broadcast sent for real: the outbox bound to the fake Graph API (a real HTTP server) and a real
SMPP peer, the job function `send_broadcast` run as the worker runs it. Each recipient exactly once,
on the right channel and in their language; opt-outs left out; credit and ledger per message;
pause stops it and resume finishes it without a second copy."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select, update

from core.messages import SMS, WHATSAPP, BotReply, utcnow
from routing.billing import MessageKind
from jobs.broadcasts import send_broadcast
from jobs.context import JobContext, JobSettings
from store.audit import CLI_ACTOR
from store.broadcasts import PAUSED, SCHEDULED, kind_of
from store.models import ChannelIdentity, LedgerEntry, Message
from tests.sms.smsc import decode_part_text

AR, EN = "تذكير من الدائرة: جددوا جوازاتكم قبل الصيف.", "Reminder: renew your passport before summer."


def _phones(start: int, n: int) -> list[str]:
    return [f"96279{start + i:07d}" for i in range(n)]


def _setup(world, *, open_window: int, closed_window: int, sms_only: int, opted_out: int = 0):  # type: ignore[no-untyped-def]
    store = world.store
    store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status", sms_sender_ids=["CSPD"])
    store.credit.top_up("cspd", 10_000)
    open_phones, closed_phones, sms_phones = _phones(1000, open_window), _phones(3000, closed_window), _phones(5000, sms_only)
    for phone in open_phones + closed_phones:
        store.citizens.resolve(WHATSAPP, phone)
    with store.db.session() as s:
        s.execute(update(ChannelIdentity).where(ChannelIdentity.address.in_(open_phones))
                  .values(last_inbound_at=utcnow() - timedelta(hours=1)))
    english = set(open_phones[::2] + closed_phones[::2])
    for phone in english:
        store.citizens.set_language(store.citizens.resolve(WHATSAPP, phone), "en")
    stopped = _phones(7000, opted_out)
    for phone in stopped:
        store.citizens.opt_out(store.citizens.resolve(SMS, phone))
    broadcast_id = store.broadcasts.create(
        agency_id="cspd", title="summer", text_ar=AR, text_en=EN, template="broadcast_announcement",
        category="awareness", source="csv", spec=None, send_at=None, segments_ar=1, segments_en=1, actor=CLI_ACTOR,
    )
    everyone = open_phones + closed_phones + sms_phones + stopped
    store.broadcasts.add_numbers(broadcast_id, [(p, None) for p in everyone + everyone[:10]])  # duplicates too
    store.broadcasts.apply_opt_outs(broadcast_id, "cspd")
    assert store.broadcasts.move(broadcast_id, ("draft",), SCHEDULED, actor=CLI_ACTOR)
    return broadcast_id, open_phones, closed_phones, sms_phones, stopped, english


def _ctx(world) -> JobContext:  # type: ignore[no-untyped-def]
    return JobContext(JobSettings("unused", None, timedelta(days=365)), world.store, world.outbox)


async def test_a_broadcast_reaches_each_recipient_once_on_the_right_channel_and_language(world):
    broadcast_id, open_phones, closed_phones, sms_phones, stopped, english = _setup(
        world, open_window=120, closed_window=80, sms_only=100, opted_out=5)
    line = await send_broadcast(_ctx(world), broadcast_id)
    assert "done" in line, line
    await world.settle()

    graph = (await world.fake.get("/_fake/messages")).json()["messages"]
    by_phone = Counter(m["to"] for m in graph)
    assert set(by_phone) == set(open_phones + closed_phones) and max(by_phone.values()) == 1
    for m in graph:
        if m["to"] in open_phones:  # inside the window: the free text, in the citizen's language
            assert m["type"] == "text"
            assert m["body"]["text"]["body"] == (EN if m["to"] in english else AR)
        else:  # outside it: the approved template, in the citizen's language
            assert m["type"] == "template"
            assert m["body"]["template"]["name"] == "tawasol_broadcast_announcement"
            assert m["body"]["template"]["language"]["code"] == ("en" if m["to"] in english else "ar")
    sms = Counter(s.destination_addr for s in world.smsc.accepted)
    assert set(sms) == set(sms_phones) and max(sms.values()) == 1
    assert all(s.source_addr == "CSPD" for s in world.smsc.accepted)
    assert decode_part_text(world.smsc.accepted[0]) == AR  # unknown numbers: Arabic
    assert not set(stopped) & (set(by_phone) | set(sms))

    progress = world.store.broadcasts.progress(broadcast_id)
    assert progress.sent == 300 and progress.skipped == 5 and progress.queued == 0 and progress.failed == 0
    with world.store.db.session() as s:
        kinds = s.execute(select(Message.channel, func.count()).where(Message.kind == kind_of(broadcast_id))
                          .group_by(Message.channel)).all()
        ledger = s.execute(select(func.count()).select_from(LedgerEntry).join(Message, Message.id == LedgerEntry.message_id)
                           .where(Message.kind == kind_of(broadcast_id), LedgerEntry.category == "awareness")).scalar_one()
    assert dict(kinds) == {WHATSAPP: 200, SMS: 100}
    assert ledger == 300
    assert world.store.credit.state("cspd").remaining == 10_000 - 300


async def test_pause_stops_sending_and_resume_finishes_without_a_second_copy(world):
    broadcast_id, open_phones, closed_phones, sms_phones, _, _ = _setup(world, open_window=150, closed_window=0, sms_only=0)
    store = world.store
    ctx = _ctx(world)
    task = asyncio.create_task(send_broadcast(ctx, broadcast_id))
    while store.broadcasts.progress(broadcast_id).sent < 20:
        await asyncio.sleep(0.01)
    assert store.broadcasts.move(broadcast_id, ("sending",), PAUSED, actor=CLI_ACTOR)
    await task
    paused = store.broadcasts.progress(broadcast_id)
    assert 20 <= paused.sent < 150 and paused.queued == 150 - paused.sent and paused.sending == 0
    assert store.broadcasts.move(broadcast_id, (PAUSED,), SCHEDULED, actor=CLI_ACTOR)
    await send_broadcast(ctx, broadcast_id)
    await world.settle()
    graph = Counter(m["to"] for m in (await world.fake.get("/_fake/messages")).json()["messages"])
    assert set(graph) == set(open_phones) and max(graph.values()) == 1
    assert store.broadcasts.get(broadcast_id).status == "done"


async def test_when_the_credit_runs_out_the_broadcast_pauses_with_the_reason(world):
    broadcast_id, open_phones, *_ = _setup(world, open_window=30, closed_window=0, sms_only=0)
    store = world.store
    with store.db.session() as s:  # 12 messages left
        from store.models import Agency
        s.execute(update(Agency).where(Agency.id == "cspd").values(message_credit=12))
    await send_broadcast(_ctx(world), broadcast_id)
    broadcast = store.broadcasts.get(broadcast_id)
    assert broadcast.status == PAUSED and broadcast.reason.startswith("credit_exhausted")
    progress = store.broadcasts.progress(broadcast_id)
    assert progress.sent == 12 and progress.queued == 18 and progress.sending == 0
    assert store.credit.state("cspd").remaining == 0


async def test_the_delivery_counts_follow_the_providers_reports(world):
    """The page's counts (BroadcastRepository.delivery): the fake Graph API reports each WhatsApp
    message sent then delivered (status webhooks into our webhook); the SMPP peer sends no receipt,
    so the SMS ones stay "sent, no delivery report"; a read report and a failure move theirs."""
    broadcast_id, open_phones, closed_phones, sms_phones, stopped, _ = _setup(
        world, open_window=6, closed_window=4, sms_only=5, opted_out=2)
    store = world.store
    waiting = store.broadcasts.delivery(broadcast_id)
    assert (waiting.waiting, waiting.sent, waiting.delivered, waiting.skipped) == (15, 0, 0, 2)
    assert "done" in await send_broadcast(_ctx(world), broadcast_id)
    await world.settle()
    for _ in range(50):  # the status webhooks land asynchronously
        if store.broadcasts.delivery(broadcast_id).delivered == 10:
            break
        await asyncio.sleep(0.1)
    after = store.broadcasts.delivery(broadcast_id)
    assert (after.waiting, after.sent, after.delivered, after.read, after.failed) == (0, 5, 10, 0, 0)
    assert after.by_sms_instead == 0 and after.skipped == 2

    recipients = {r.phone: r for r in store.broadcasts.recipients(broadcast_id)}
    with store.db.session() as s:
        provider = dict(s.execute(select(Message.id, Message.provider_id)).all())
    read_by, lost = recipients[open_phones[0]], recipients[sms_phones[0]]
    store.statuses.record(WHATSAPP, [provider[read_by.message_id]], "read", at=utcnow())
    store.statuses.record(SMS, [provider[lost.message_id]], "failed", at=utcnow(), error_code="UNDELIV")
    last = store.broadcasts.delivery(broadcast_id)
    assert (last.sent, last.delivered, last.read, last.failed) == (4, 9, 1, 1)
    assert sum((last.waiting, last.sent, last.delivered, last.read, last.failed)) == 15  # each recipient once


async def test_a_worker_dead_between_its_pushes_and_its_marks_leaves_nobody_missed_or_doubled(world):
    """What `kill -9` leaves (tests/routing/test_broadcast_kill.py does it to a real worker, as a
    soak run): a group claimed, some of its messages stored and sent, none of its recipients marked
    (they are marked a group at a time). The next run settles the sent ones from the messages
    table and sends the rest: each recipient exactly once."""
    broadcast_id, open_phones, closed_phones, *_ = _setup(world, open_window=20, closed_window=0, sms_only=0)
    store = world.store
    assert store.broadcasts.move(broadcast_id, (SCHEDULED,), "sending", actor=CLI_ACTOR)
    claimed = store.broadcasts.claim(broadcast_id, 8)
    for recipient in claimed[:5]:  # the dead worker's pushes that got out
        await world.outbox.push(store.citizens.for_phone(recipient.phone), BotReply(text=AR, language="ar"),
                                kind_of(broadcast_id), category=MessageKind.AWARENESS)
    assert store.broadcasts.progress(broadcast_id).sending == 8
    assert "done" in await send_broadcast(_ctx(world), broadcast_id)
    await world.settle()
    graph = Counter(m["to"] for m in (await world.fake.get("/_fake/messages")).json()["messages"])
    assert set(graph) == set(open_phones) and max(graph.values()) == 1
    settled = [r for r in store.broadcasts.recipients(broadcast_id) if r.error == "settled_after_restart"]
    assert sorted(r.phone for r in settled) == sorted(r.phone for r in claimed[:5])
    progress = store.broadcasts.progress(broadcast_id)
    assert (progress.sent, progress.sending, progress.queued) == (20, 0, 0)
