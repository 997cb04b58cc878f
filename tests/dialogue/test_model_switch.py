"""A model switched on while citizens are being answered: every message answered once, the next ones
by the new model, and the conversation carries on across the switch (brain/switching.py)."""

from __future__ import annotations

import asyncio
import itertools
import shutil

import pytest

from bot.model_choice import register_trained, served_model
from bot.settings import Settings
from brain.rasa_brain import RasaBrain
from brain.switching import Choice, SwitchingBrain, shared_state_of
from core.messages import KIND_TEXT, WHATSAPP, InboundMessage

pytestmark = pytest.mark.slow
_ids = itertools.count()


def said(text: str) -> InboundMessage:
    return InboundMessage(WHATSAPP, f"switch-{next(_ids)}", "962790000000", kind=KIND_TEXT, text=text)


async def test_activating_a_model_swaps_the_agent_between_messages(trained_model, tmp_path, sqlite_template):
    from store import Store

    database = tmp_path / "registry.db"
    shutil.copy(sqlite_template, database)
    store = Store(f"sqlite:///{database}")
    first, second = tmp_path / "m-first.tar.gz", tmp_path / "m-second.tar.gz"
    shutil.copy(trained_model, first)
    shutil.copy(trained_model, second)
    register_trained(store, first, "amal", None)
    register_trained(store, second, "omar", None)
    store.models.activate("m-first", "lead")
    settings = Settings(database_url=f"sqlite:///{database}")

    async def choose() -> Choice:
        now = await asyncio.to_thread(served_model, settings, store)
        return Choice(now.path, now.generation)

    loads = []

    def load(path: str, current) -> RasaBrain:
        loads.append(path)
        return RasaBrain.load(path, tracker_store=shared_state_of(current))

    chosen = await choose()
    brain = SwitchingBrain(RasaBrain.load(chosen.path), chosen, choose, load, check_every_s=0.2)
    old_agent = brain.current.agent
    assert await brain.check() is False  # nothing changed: nothing loaded
    try:
        brain.start()
        before = await brain.respond("citizen-1", said("قديش رسوم الهوية"))
        assert before.service_id == "cspd.id_card"
        store.models.activate("m-second", "lead")
        # Citizens keep writing while the new model loads: each message gets exactly one answer.
        answers = []
        for n in range(200):
            answers.append(await brain.respond(f"citizen-{n % 3 + 2}", said("قديش رسوم تجديد جواز السفر")))
            if brain.current.agent is not old_agent:
                break
            await asyncio.sleep(0.5)
        assert brain.current.agent is not old_agent, "the new model was never switched on"
        assert all(len(a.replies) >= 1 and a.service_id == "cspd.passport_renew" for a in answers)
        assert loads == [str(second.resolve())] and brain.current.model_path == str(second.resolve())
        # The same conversation, on the new agent: the service discussed before is remembered.
        from actions.catalog_access import catalog

        after = await brain.respond("citizen-1", said("وكم بتاخذ وقت؟"))
        assert after.replies[0].text == catalog().service("cspd.id_card").answer("duration", "ar"), after.replies[0].text

        store.models.rollback()  # back to the first archive, the same way
        for _ in range(200):
            if brain.current.model_path == str(first.resolve()):
                break
            await asyncio.sleep(0.5)
        assert brain.current.model_path == str(first.resolve())
    finally:
        await brain.stop()
        store.close()
