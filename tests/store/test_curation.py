"""The inbox of missed messages and the curated training data, on SQLite and PostgreSQL: scopes,
resolving, labelling (held-out tenth, duplicates), and the change log applied to a snapshot."""

from __future__ import annotations

import itertools

import pytest

from core.messages import InboundMessage
from nlu.model_text import model_text
from store.audit import Actor, AuditFilter
from store.curation import CurationRefused, is_held_out
from store.inbound import Understanding
from store.inbox import DISMISSED, MissedFilter

ADMIN = Actor("admin@mopd.gov.jo")
_ids = itertools.count(1)


def missed(store, text: str, *, service: str | None = "cspd.passport_renew", channel: str = "whatsapp",
           reason: str = "low_confidence", language: str = "ar") -> int:
    stored = store.inbound.add(InboundMessage(channel=channel, provider_id=f"p{next(_ids)}", address="962790000001", text=text))
    store.inbound.complete(stored.message_id, outbound=[], unrecognised_reason=reason,
                           understanding=Understanding("ask_fees", 0.31, service, language))
    return stored.message_id


def texts_on_each_side() -> tuple[list[str], list[str]]:
    """Question texts whose normalised form is trained on, and some that are held out."""
    trained, held = [], []
    for n in range(200):
        text = f"قديش رسوم الجواز رقم {n}"
        (held if is_held_out(model_text(text)) else trained).append(text)
    return trained, held


def test_the_inbox_shows_open_messages_in_the_viewers_scope_with_filters(store):
    missed(store, "رسوم الجواز كم")
    missed(store, "بدي سند تسجيل", service="dls.property_certificate", channel="sms")
    missed(store, "شو هاد", service=None, language="en")
    everything = store.inbox.open(None)
    assert [m.text for m in everything] == ["شو هاد", "بدي سند تسجيل", "رسوم الجواز كم"]  # newest first
    assert everything[2].intent == "ask_fees" and everything[2].confidence == pytest.approx(0.31)
    assert [m.text for m in store.inbox.open("cspd")] == ["رسوم الجواز كم"]  # no service guessed: the ministry's
    assert [m.text for m in store.inbox.open(None, MissedFilter(channel="sms"))] == ["بدي سند تسجيل"]
    assert [m.text for m in store.inbox.open(None, MissedFilter(agency_id="dls"))] == ["بدي سند تسجيل"]
    assert [m.text for m in store.inbox.open(None, MissedFilter(language="en"))] == ["شو هاد"]
    assert [m.text for m in store.inbox.open(None, MissedFilter(service_id="cspd.passport_renew"))] == ["رسوم الجواز كم"]
    assert store.inbox.count_open("cspd") == 1 and store.inbox.count_open(None) == 3
    dls = store.inbox.open("dls")[0]
    assert store.inbox.visible("cspd", [dls.id]) is None  # another agency's: as if it did not exist
    assert store.inbox.visible("dls", [dls.id]) == [dls]


def test_dismissing_takes_messages_out_of_the_inbox_audited_once(store):
    missed(store, "أ")
    missed(store, "ب")
    items = store.inbox.open(None)
    assert store.inbox_actions.resolve(items, DISMISSED, ADMIN) == 2
    assert store.inbox.open(None) == [] and store.inbox.visible(None, [items[0].id]) is None
    assert store.inbox_actions.resolve(items, DISMISSED, ADMIN) == 0  # someone else got there first
    entries = store.audit.search(AuditFilter(action="inbox.dismissed"))
    assert len(entries) == 2 and entries[0].agency_id == "cspd" and entries[0].after["resolution"] == "dismissed"


def test_labelling_makes_examples_holds_out_a_fixed_tenth_and_skips_duplicates(store):
    trained, held = texts_on_each_side()
    assert 5 <= len(held) <= 40  # about one in ten
    for text in trained[:3] + held[:1] + [trained[0] + "؟", "مرحبا"]:
        missed(store, text)
    items = store.inbox.open(None)
    outcome = store.curation.label(items, "ask_fees", "cspd.passport_renew", ADMIN, model_text,
                                   {model_text("مرحبا"): "greet"})
    # the "؟" copy normalises like the first: one example; "مرحبا" is greet's already: kept, with a warning
    assert (outcome.resolved, outcome.added, outcome.held_out) == (6, 4, 1)
    assert outcome.duplicates == [trained[0] + "؟"] and outcome.elsewhere == [("مرحبا", "greet")]
    assert store.inbox.open(None) == []
    assert sorted(store.curation.for_training()) == sorted([("ask_fees", t) for t in trained[:3]] + [("ask_fees", "مرحبا")])
    assert store.curation.held_out() == [(held[0], "ask_fees", "cspd.passport_renew")]
    snapshot = store.curation.apply_to({"ask_fees": ["كم الرسوم"], "greet": ["مرحبا", held[0]]})
    assert held[0] not in snapshot["greet"]  # held out: never trained on, even when a file has it
    assert snapshot["ask_fees"] == ["كم الرسوم", *trained[:3], "مرحبا"]
    assert len(store.audit.search(AuditFilter(action="inbox.labelled"))) == 6
    # the same text labelled again, later: a duplicate, not a second example
    missed(store, trained[1])
    again = store.curation.label(store.inbox.open(None), "ask_fees", None, ADMIN, model_text, {})
    assert (again.added, again.duplicates) == (0, [trained[1]])


def test_moves_renames_and_merges_apply_in_order_and_follow_held_out_labels(store):
    _, held = texts_on_each_side()
    missed(store, held[0])
    store.curation.label(store.inbox.open(None), "ask_cost", None, ADMIN, model_text, {})
    store.curation.add_example("ask_cost", "بكم", model_text("بكم"), ADMIN)
    store.curation.move_example("كم الرسوم", "ask_fees", "ask_cost", ADMIN)
    store.curation.rename_intent("ask_cost", "ask_price", ADMIN, merge=False)
    store.curation.add_example("ask_price", "شو السعر", model_text("شو السعر"), ADMIN)
    store.curation.rename_intent("greeting", "greet", ADMIN, merge=True)
    base = {"ask_fees": ["كم الرسوم", "قديش الرسوم"], "greeting": ["هلا"], "greet": ["مرحبا"]}
    assert store.curation.apply_to(base) == {
        "ask_fees": ["قديش الرسوم"], "greet": ["مرحبا", "هلا"], "ask_price": ["بكم", "كم الرسوم", "شو السعر"],
    }
    assert base["ask_fees"] == ["كم الرسوم", "قديش الرسوم"]  # the caller's data is not changed
    assert store.curation.held_out() == [(held[0], "ask_price", None)]  # the label followed the rename
    actions = [e.action for e in store.audit.search(AuditFilter(action="intent."))]
    assert actions == ["intent.merge", "intent.add_example", "intent.rename", "intent.move_example", "intent.add_example"]


@pytest.mark.parametrize("intent", ["", "Ask Fees", "x", "ask-fees", "a" * 80])
def test_a_bad_intent_name_is_refused(store, intent):
    with pytest.raises(CurationRefused):
        store.curation.add_example(intent, "كم", "كم", ADMIN)
    assert store.curation.count() == 0


def test_an_example_that_is_too_long_or_empty_is_refused(store):
    for text in ("", "   ", "ب" * 501):
        with pytest.raises(CurationRefused):
            store.curation.add_example("ask_fees", text, model_text(text) or "", ADMIN)
    assert store.curation.count() == 0


def test_a_citizens_erasure_blanks_the_examples_made_of_their_messages(store):
    trained, held = texts_on_each_side()
    missed(store, trained[0])
    missed(store, held[0])
    store.curation.label(store.inbox.open(None), "ask_fees", None, ADMIN, model_text, {})
    assert store.curation.for_training() and store.curation.held_out()
    erased = store.erasure.erase("962790000001")
    assert erased is not None and erased.review_rows == 4  # two review rows, two examples
    assert store.curation.for_training() == [] and store.curation.held_out() == []
    assert store.curation.apply_to({"ask_fees": ["كم"]}) == {"ask_fees": ["كم"]}
