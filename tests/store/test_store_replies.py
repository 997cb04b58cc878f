"""The bot's wording in the store (store/replies.py), on SQLite and PostgreSQL: seeded from the
replies file without overwriting edits, edited with an audit entry and a new catalog generation in
the same transaction, and answered live: say() and the answer cache's key follow the generation, so
no process keeps the old text after an edit."""

from __future__ import annotations

import pytest

from actions.catalog_access import catalog_from_store, catalog_generation, seed_wording_into
from catalog.live import LiveCatalog, live_catalog, use_live_catalog
from catalog.replies import say, seed_wording
from store.audit import CLI_ACTOR, Actor, AuditFilter
from store.replies import ReplyStoreError

ADMIN = Actor("admin@mopd.gov.jo", None)


@pytest.fixture
def live(store):
    before = live_catalog()
    seed_wording_into(store)
    live = LiveCatalog(lambda: catalog_from_store(store), store.catalog.generation, check_every=0)
    use_live_catalog(live)
    yield live
    use_live_catalog(before)


def test_seeding_copies_every_key_once_and_never_overwrites_an_edit(store):
    seed = seed_wording()
    assert store.replies.seed(seed) == list(seed)
    assert store.replies.get("greet").texts() == seed["greet"]
    generation = store.catalog.generation()
    store.replies.update("greet", {"en": "Hi there."}, ADMIN)
    assert store.replies.seed(seed) == []  # a second start adds nothing
    assert store.replies.get("greet").en == "Hi there."
    assert store.catalog.generation() == generation + 1
    with store.db.session() as s:
        from store.models import BotReplyText

        s.delete(s.get(BotReplyText, "goodbye"))  # a key a later release brings
    assert store.replies.seed(seed) == ["goodbye"]
    assert store.catalog.generation() == generation + 2


def test_an_edit_is_audited_with_before_and_after_and_a_no_op_changes_nothing(store):
    seed_wording_into(store)
    original = store.replies.get("not_understood")
    before, after = store.replies.update("not_understood", {"ar": "لم أفهم، أعد الصياغة.", "en": original.en}, ADMIN)
    assert before["ar"] == original.ar and after["ar"] == "لم أفهم، أعد الصياغة."
    row = store.replies.get("not_understood")
    assert (row.ar, row.en, row.updated_by) == ("لم أفهم، أعد الصياغة.", original.en, ADMIN.label)
    [entry] = store.audit.search(AuditFilter(action="reply.change"))
    assert (entry.actor, entry.target_id) == (ADMIN.label, "not_understood")
    assert entry.before == {"ar": original.ar} and entry.after == {"ar": "لم أفهم، أعد الصياغة."}  # only what changed
    generation = store.catalog.generation()
    store.replies.update("not_understood", {"ar": "لم أفهم، أعد الصياغة."}, ADMIN)  # the same text
    assert store.catalog.generation() == generation
    assert len(store.audit.search(AuditFilter(action="reply."))) == 1
    with pytest.raises(ReplyStoreError):
        store.replies.update("no_such_key", {"ar": "x"}, CLI_ACTOR)


def test_the_bot_says_the_stored_text_and_the_cache_key_moves_with_the_edit(store, live):
    assert say("greet", "en") == seed_wording()["greet"]["en"]
    key = catalog_generation()
    store.replies.update("greet", {"en": "Welcome back to Tawasol!"}, ADMIN)
    assert say("greet", "en") == "Welcome back to Tawasol!"
    assert catalog_generation() != key  # an answer cached before the edit is never served after it
    store.replies.update("handoff", {"en": "Noted as {ticket}; visit or call the agency concerned."}, ADMIN)
    assert say("handoff", "en", ticket="T-000009") == "Noted as T-000009; visit or call the agency concerned."
    assert say("handoff", "ar", ticket="T-000009") == seed_wording()["handoff"]["ar"].format(ticket="T-000009")


def test_a_stored_text_that_no_longer_fits_its_placeholders_falls_back_to_the_file(store, live):
    # Written past the console's checks (an old release's placeholder): the citizen still gets words.
    store.replies.update("handoff", {"en": "Recorded as {reference}."}, ADMIN)
    assert say("handoff", "en", ticket="T-000010") == seed_wording()["handoff"]["en"].format(ticket="T-000010")


def test_rasa_s_own_fallback_is_sent_with_the_stored_wording(store, live):
    import yaml

    from brain.rasa_brain import RasaBrain
    from catalog.replies import REPOSITORY

    # The replies file repeats domain.yml's utter_default, which is how the brain recognises it.
    domain = yaml.safe_load((REPOSITORY / "domain.yml").read_text(encoding="utf-8"))
    variants = domain["responses"]["utter_default"]
    assert {v["text"] for v in variants} == set(seed_wording()["default_fallback"].values())
    store.replies.update("default_fallback", {"en": "Sorry, say it again please."}, ADMIN)
    parse = {"intent": {"name": "nlu_fallback", "confidence": 0.2}, "entities": [], "language": "en"}
    english = next(v["text"] for v in variants if "condition" in v)
    answer = RasaBrain._answer(parse, [{"text": english}, {"text": "something else"}])
    assert [r.text for r in answer.replies] == ["Sorry, say it again please.", "something else"]
