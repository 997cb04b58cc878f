"""Checks on the dialogue test set (eval/dialogues/) and the not-in-catalog questions.

Both were written by an author who did not read data/nlu or the older held-out sets; these checks
keep them well-formed, of the agreed sizes and spread, feasible (an SMS segment budget the catalog's
own answer can meet), and free of sentences copied from the training data.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.dialogue_scoring import comparable
from bot.dialogue_set import KINDS, NOT_YET, DialogueSetError, load_dialogues, load_questions
from catalog.services import Catalog
from channels.sms.segments import count as segments_of

REPO = Path(__file__).resolve().parents[2]
DIALOGUES = REPO / "eval" / "dialogues"
QUESTIONS = REPO / "eval" / "not_in_catalog.jsonl"
NLU_TRAINING_DIR = REPO / "data" / "nlu"
REGISTERS = {"msa", "jordanian", "gulf", "egyptian", "iraqi", "arabizi", "english", "mixed"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(REPO / "data" / "catalog")


@pytest.fixture(scope="module")
def conversations(catalog):
    return load_dialogues(DIALOGUES, list(catalog.services))


@pytest.fixture(scope="module")
def questions():
    return load_questions(QUESTIONS)


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def test_at_least_150_conversations_cover_the_seven_kinds_in_every_register(conversations):
    assert len(conversations) >= 150
    per_kind = Counter(c.kind for c in conversations)
    assert set(per_kind) == set(KINDS)
    assert min(per_kind.values()) >= 15, per_kind
    assert {c.register for c in conversations} == REGISTERS
    assert all(2 <= len(c.turns) <= 5 for c in conversations)


def test_every_turn_says_what_language_the_reply_must_be_in(conversations):
    missing = [(c.id, t.say) for c in conversations for t in c.turns if t.expect.language is None]
    assert missing == []


def test_the_not_in_catalog_kind_asks_for_services_we_do_not_have_after_real_ones(conversations):
    kind = [c for c in conversations if c.kind == "not_in_catalog"]
    not_yet_turns = [t for c in kind for t in c.turns if t.expect.service == NOT_YET]
    assert len(not_yet_turns) >= 40 and all(t.expect.topic for t in not_yet_turns)
    # Right after a real service is where context carry-over answered the wrong service.
    after_real = [
        c for c in kind
        if any(a.expect.service not in (None, NOT_YET, "none") and b.expect.service == NOT_YET
               for a, b in zip(c.turns, c.turns[1:]))
    ]
    assert len(after_real) >= 8


def test_sticky_prompt_and_sms_expectations_are_present_where_their_kind_needs_them(conversations):
    sticky = [c for c in conversations if c.kind == "sticky_prompt"]
    assert all(any(t.expect.no_prompt for t in c.turns) for c in sticky)
    sms = [c for c in conversations if c.kind == "sms"]
    assert all(c.channels == ("sms",) for c in sms)
    assert all(any(t.expect.max_segments for t in c.turns) for c in sms)
    caveats = [t.expect.caveat for c in conversations if c.kind == "caveats" for t in c.turns]
    assert caveats.count(True) >= 8 and caveats.count(False) >= 20


def test_an_sms_segment_budget_is_one_the_catalog_answer_itself_can_meet(conversations, catalog):
    # Otherwise the expectation would fail whatever the renderer did.
    unmeetable = []
    for c in conversations:
        for t in c.turns:
            e = t.expect
            if e.max_segments and e.aspect:
                text = catalog.service(e.service).answer(e.aspect, e.language)
                if segments_of(text) > e.max_segments:
                    unmeetable.append((c.id, t.say, segments_of(text)))
    assert unmeetable == []


def test_conversation_openings_are_not_repeated(conversations):
    # A greeting ("مرحبا") opens several by nature; a sentence should open one.
    openings = Counter(normalise(c.turns[0].say) for c in conversations if len(c.turns[0].say.split()) >= 4)
    assert [text for text, n in openings.items() if n > 1] == []


def test_a_malformed_file_is_refused_with_where_and_why(tmp_path, catalog):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "kind: sms\nconversations:\n  - id: x\n    turns:\n"
        "      - say: hi\n        expect: {service: cspd.nope}\n      - say: there\n",
        encoding="utf-8",
    )
    with pytest.raises(DialogueSetError, match=r"bad.yml: conversation x: service 'cspd.nope'"):
        load_dialogues(bad, list(catalog.services))


def test_at_least_100_questions_about_services_we_do_not_have(questions):
    assert len(questions) >= 100
    assert len({normalise(q.text) for q in questions}) == len(questions)
    languages = Counter(q.language for q in questions)
    assert set(languages) == {"ar", "en", "arabizi"} and min(languages.values()) >= 10
    topics = {q.topic for q in questions}
    assert len(topics) >= 30
    for topic in ("company registration", "marriage contract", "military service deferral", "water connection",
                  "electricity connection", "customs clearance", "university admission"):
        assert topic in topics


def test_no_question_names_a_catalog_service(questions, catalog):
    names = {comparable(s.name.get(lang)): s.id for s in catalog.services.values() for lang in ("ar", "en")}
    naming = [(q.text, sid) for q in questions for name, sid in names.items() if name in comparable(q.text)]
    assert naming == []


@pytest.mark.skipif(not NLU_TRAINING_DIR.is_dir(), reason="data/nlu/ not written yet")
def test_no_sentence_of_four_words_or_more_is_shared_with_the_training_data(conversations, questions):
    from rasa.shared.nlu.training_data.loading import load_data

    training: set[str] = set()
    for path in sorted(NLU_TRAINING_DIR.rglob("*.yml")):
        training |= {normalise(m.get("text")) for m in load_data(str(path)).intent_examples}
    written = [t.say for c in conversations for t in c.turns] + [q.text for q in questions]
    shared = [text for text in written if len(text.split()) >= 4 and normalise(text) in training]
    assert shared == [], "\n".join(shared)
