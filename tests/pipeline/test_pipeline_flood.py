"""Floods and replays: one number's flood is stored but mostly not answered, told so once, and
costs other citizens nothing; webhooks older than the replay window are acknowledged and ignored."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import httpx

from catalog.replies import reply
from channels.whatsapp.signature import sign
from core.messages import STATUS_ANSWERED, STATUS_THROTTLED, InboundMessage, utcnow
from pipeline.flood import FloodPolicy
from pipeline_doubles import EchoBrain, FakeSender
from pipeline_helpers import FAST, eventually, rows, running
from tests.whatsapp.support import APP_SECRET, PHONE_NUMBER_ID, webhook_app

FLOODER = "962790000001"
CALM = "962790000002"
POLICY = FloodPolicy(per_minute=20, burst=10)  # the production defaults


def text(provider_id: str, address: str = FLOODER, body: str = "hello", **kw) -> InboundMessage:
    return InboundMessage(channel="whatsapp", provider_id=provider_id, address=address, text=body, **kw)


def notices(language: str) -> str:
    return reply("slow_down", language).text


async def test_fifty_messages_at_once_are_all_stored_ten_answered_and_the_citizen_told_once(make_pipeline, store):
    brain, whatsapp = EchoBrain(), FakeSender("whatsapp")
    pipeline = make_pipeline(brain, {"whatsapp": whatsapp})
    pipeline.flood = POLICY
    # The conversation's language, fixed: whether the first answers are recorded before the notice
    # is composed is a race between the two workers, and not what this test is about.
    store.citizens.set_language(store.citizens.resolve("whatsapp", FLOODER), "ar")
    results = await asyncio.gather(*(pipeline.accept(text(f"wamid.f{n}", body=f"q{n}")) for n in range(50)))
    calm = await pipeline.accept(text("wamid.calm", address=CALM, body="passport fee?"))

    assert sum(r.held for r in results) == 39 and not calm.held
    async with running(pipeline, workers=2):
        await eventually(lambda: len(whatsapp.sent) == 10 + 1 + 1)
        await asyncio.sleep(0.1)  # time for anything more to (wrongly) go out

    flooded = rows(store, direction="in", address=FLOODER)
    assert len(flooded) == 50  # never lost
    assert sum(r.status == STATUS_THROTTLED for r in flooded) == 39
    assert sum(r.status == STATUS_ANSWERED for r in flooded) == 11  # ten answered, one with the notice
    to_flooder = [m.text for m in whatsapp.sent if m.address == FLOODER]
    assert sum(t.startswith("echo: q") for t in to_flooder) == 10
    # Once, in the conversation's language.
    assert [t for t in to_flooder if not t.startswith("echo")] == [notices("ar")]
    assert [m.text for m in whatsapp.sent if m.address == CALM] == ["echo: passport fee?"]
    assert len(brain.calls) == 11


async def test_the_notice_speaks_the_conversation_language(make_pipeline, store):
    whatsapp = FakeSender("whatsapp")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": whatsapp})
    pipeline.flood = FloodPolicy(per_minute=20, burst=2)
    citizen_id = store.citizens.resolve("whatsapp", FLOODER)
    store.citizens.set_language(citizen_id, "en")
    for n in range(6):
        await pipeline.accept(text(f"wamid.e{n}"))
    async with running(pipeline):
        await eventually(lambda: len(whatsapp.sent) == 3)
        await asyncio.sleep(0.1)
    assert [m.text for m in whatsapp.sent].count(notices("en")) == 1
    assert notices("ar") not in [m.text for m in whatsapp.sent]


async def test_the_budget_is_shared_by_processes_and_a_new_flood_after_a_pause_is_told_again(
    make_pipeline, store, coordination_factory
):
    # Two processes (on Redis: two clients on one prefix) share one citizen's budget.
    first = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp")})
    second = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp")}, coordination=coordination_factory())
    # One token every 2 s: a loaded CI machine may take a second over the twelve decisions without
    # a token refilling in between (at 10 a second, one did); a full refill still takes only 6 s.
    policy = FloodPolicy(per_minute=30, burst=3)
    first.flood = second.flood = policy
    results = await asyncio.gather(
        *((first if n % 2 else second).accept(text(f"wamid.a{n}")) for n in range(12))
    )
    assert sum(not r.held for r in results) == 4  # three within the burst, one carrying the notice
    notice_rows = [r for r in rows(store, direction="in") if (r.raw or {}).get("throttle_notice")]
    assert len(notice_rows) == 1

    await asyncio.sleep(6.5)  # the citizen pauses: the budget fills up again
    results = await asyncio.gather(*(first.accept(text(f"wamid.b{n}")) for n in range(12)))
    assert sum(not r.held for r in results) == 4
    notice_rows = [r for r in rows(store, direction="in") if (r.raw or {}).get("throttle_notice")]
    assert len(notice_rows) == 2


async def test_a_message_older_than_the_replay_window_is_ignored_with_a_log_line(make_pipeline, store, caplog):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp")})
    pipeline.flood = FloodPolicy(replay_window=timedelta(hours=24))
    old = await pipeline.accept(text("wamid.old", received_at=utcnow() - timedelta(hours=24, minutes=1)))
    inside = await pipeline.accept(text("wamid.inside", received_at=utcnow() - timedelta(hours=23, minutes=59)))

    assert old.ignored == "older_than_replay_window" and old.message_id is None
    assert inside.ignored is None and inside.message_id is not None
    assert [r.provider_id for r in rows(store, direction="in")] == ["wamid.inside"]
    lines = [r.getMessage() for r in caplog.records if "replay window" in r.getMessage()]
    assert len(lines) == 1 and "wamid.old" in lines[0] and FLOODER not in lines[0]


def _webhook_body(message_id: str, timestamp: int) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "1", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "n"}, "wa_id": CALM}],
        "messages": [{"from": CALM, "id": message_id, "timestamp": str(timestamp), "type": "text", "text": {"body": "hi"}}],
    }
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]}
    return json.dumps(payload).encode()


async def test_the_webhook_acknowledges_a_replayed_body_and_processes_a_fresh_one(make_pipeline, store):
    whatsapp = FakeSender("whatsapp")
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": whatsapp}, tuning=FAST)
    now = int(utcnow().timestamp())
    transport = httpx.ASGITransport(app=webhook_app(pipeline))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for message_id, timestamp in (("wamid.replayed", now - 8 * 24 * 3600), ("wamid.fresh", now - 60)):
            body = _webhook_body(message_id, timestamp)
            response = await http.post(
                "/webhooks/whatsapp", content=body,
                headers={"X-Hub-Signature-256": sign(body, APP_SECRET), "Content-Type": "application/json"},
            )
            assert response.status_code == 200
    assert [r.provider_id for r in rows(store, direction="in")] == ["wamid.fresh"]
    async with running(pipeline):
        await eventually(lambda: whatsapp.texts == ["echo: hi"])


async def test_without_a_policy_nothing_is_held(make_pipeline, store, caplog):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp")})
    pipeline.flood = None
    results = await asyncio.gather(*(pipeline.accept(text(f"wamid.n{n}")) for n in range(30)))
    assert not any(r.held for r in results)
    assert all(r.status != STATUS_THROTTLED for r in rows(store, direction="in"))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "flood" in r.getMessage()]


def test_the_flood_settings_reach_the_pipeline_and_bad_values_are_refused(tmp_path):
    from bot.runtime import flood_policy
    from bot.settings import Settings, SettingsError

    default = flood_policy(Settings.from_env({}, cwd=tmp_path))
    assert default == FloodPolicy(per_minute=20, burst=10, replay_window=timedelta(hours=24))
    given = Settings.from_env(
        {"CITIZEN_RATE_PER_MINUTE": "6", "CITIZEN_BURST": "3", "REPLAY_WINDOW_HOURS": "1.5"}, cwd=tmp_path
    )
    assert flood_policy(given) == FloodPolicy(per_minute=6, burst=3, replay_window=timedelta(minutes=90))
    bad = {"CITIZEN_RATE_PER_MINUTE": "0.5", "CITIZEN_BURST": "0", "REPLAY_WINDOW_HOURS": "-1"}
    try:
        Settings.from_env(bad, cwd=tmp_path)
    except SettingsError as error:
        assert set(error.problems) == set(bad)
        assert "at least 1" in error.problems["CITIZEN_RATE_PER_MINUTE"]
    else:
        raise AssertionError("bad flood settings were accepted")


async def test_held_messages_share_transactions_and_a_redelivery_among_them_is_still_a_duplicate(make_pipeline, store):
    pipeline = make_pipeline(EchoBrain(), {"whatsapp": FakeSender("whatsapp")})
    pipeline.flood = FloodPolicy(per_minute=20, burst=2)
    # Stored before (another process took it; its fast dedupe key is gone): the batch it lands in
    # fails on the unique constraint, and each of that batch's messages is then stored alone.
    earlier = store.inbound.add(text("wamid.h17"))
    results = await asyncio.gather(*(pipeline.accept(text(f"wamid.h{n}")) for n in range(40)))

    by_id = dict(zip((f"wamid.h{n}" for n in range(40)), results))
    assert by_id["wamid.h17"].duplicate and by_id["wamid.h17"].message_id == earlier.message_id
    stored = rows(store, direction="in")
    assert len(stored) == 40 and len({r.provider_id for r in stored}) == 40
    assert sum(r.held for r in results) == 40 - 1 - 3  # the duplicate; two in the burst and the notice
    assert sum(r.status == STATUS_THROTTLED for r in stored) == 36


async def test_the_notice_comes_in_both_languages_when_we_never_spoke(store):
    from sqlalchemy import select

    from pipeline.fast_paths import FastPaths
    from pipeline.flood import THROTTLE_NOTICE
    from store.models import Citizen

    citizen_id = store.citizens.resolve("whatsapp", FLOODER)
    with store.db.session() as s:
        citizen = s.execute(select(Citizen.__table__).where(Citizen.__table__.c.id == citizen_id)).one()
    path = await FastPaths(store, numbered_menus=frozenset()).handle(
        citizen, text("wamid.n", raw={THROTTLE_NOTICE: True})
    )
    assert [r.text for r in path.replies] == [notices("ar"), notices("en")]
