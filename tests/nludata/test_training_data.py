"""The NLU training data in data/nlu/: every intent the dialogue needs, enough examples in each
voice, and nothing that would make Rasa refuse the data or teach the classifier two answers."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData

from language.analysis import analyse

NLU_DIR = Path(__file__).resolve().parents[2] / "data" / "nlu"

ASPECTS = (
    "ask_fees",
    "ask_documents",
    "ask_steps",
    "ask_location",
    "ask_duration",
    "ask_eligibility",
    "ask_overview",
)
MINIMUM_EXAMPLES = {
    **{intent: 250 for intent in ASPECTS},
    "transaction_status": 150,
    "list_services": 150,
    "out_of_scope": 150,
    **{
        intent: 100
        for intent in (
            "greet",
            "goodbye",
            "thank",
            "affirm",
            "deny",
            "subscribe_alerts",
            "unsubscribe",
            "human_handoff",
            "complaint",
            "bot_challenge",
        )
    },
}
# Per aspect intent: citizens write Arabizi and English too, so each needs enough of both.
MINIMUM_PER_LANGUAGE = {"arabizi": 40, "en": 50}

# Rasa's inline entity syntax: [text](entity), [text]{"entity": ...}, [text][{...}].
ENTITY_MARKUP = re.compile(r"\[[^\]]+\](\(|\{|\[)")


@pytest.fixture(scope="module")
def training_data() -> TrainingData:
    return load_data(str(NLU_DIR))


@pytest.fixture(scope="module")
def examples(training_data: TrainingData) -> list[tuple[str, str]]:
    return [(e.get("intent"), e.get("text")) for e in training_data.training_examples]


def test_every_intent_has_its_minimum_number_of_examples(examples: list[tuple[str, str]]) -> None:
    counts = Counter(intent for intent, _ in examples)
    short = {intent: counts[intent] for intent, minimum in MINIMUM_EXAMPLES.items() if counts[intent] < minimum}
    assert not short, f"intents below their minimum: {short}"


def test_no_intent_outside_the_agreed_list(training_data: TrainingData) -> None:
    assert training_data.intents == set(MINIMUM_EXAMPLES)


def test_no_example_appears_twice(examples: list[tuple[str, str]]) -> None:
    intents_by_text: dict[str, list[str]] = defaultdict(list)
    for intent, text in examples:
        intents_by_text[re.sub(r"\s+", "", text)].append(intent)
    repeated = {text: intents for text, intents in intents_by_text.items() if len(intents) > 1}
    assert not repeated, f"examples listed more than once: {list(repeated.items())[:10]}"


def test_no_two_intents_share_the_same_normalised_text(examples: list[tuple[str, str]]) -> None:
    # The classifier sees normalised text: two spellings of one message under two intents teach it both.
    intents_by_form: dict[str, set[str]] = defaultdict(set)
    for intent, text in examples:
        form = analyse(text).normalized
        if form:  # emoji-only messages normalise to nothing; the sentence encoder still tells them apart
            intents_by_form[form].add(intent)
    clashes = {form: intents for form, intents in intents_by_form.items() if len(intents) > 1}
    assert not clashes, f"same normalised text under several intents: {list(clashes.items())[:10]}"


def test_no_entity_annotations(training_data: TrainingData) -> None:
    annotated = [e.get("text") for e in training_data.training_examples if e.get("entities")]
    assert not annotated, f"entity annotations found (services come from the catalog matcher): {annotated[:5]}"
    for path in sorted(NLU_DIR.glob("*.yml")):
        marked = [line for line in path.read_text(encoding="utf-8").splitlines() if ENTITY_MARKUP.search(line)]
        assert not marked, f"{path.name}: entity markup in {marked[:3]}"


def test_files_hold_only_intent_examples_in_rasa_3_format() -> None:
    files = sorted(NLU_DIR.glob("*.yml"))
    assert files, f"no training files in {NLU_DIR}"
    for path in files:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert str(document["version"]) == "3.1", path.name
        assert set(document) == {"version", "nlu"}, f"{path.name}: only `nlu:` belongs here"
        for block in document["nlu"]:
            # No lookup tables, synonyms or regexes: services are data in the catalog, not in the model.
            assert set(block) == {"intent", "examples"}, f"{path.name}: unexpected block {sorted(block)}"


@pytest.mark.parametrize("intent", ASPECTS)
def test_aspect_intents_are_taught_in_arabizi_and_english(examples: list[tuple[str, str]], intent: str) -> None:
    languages = Counter(analyse(text).language for name, text in examples if name == intent)
    short = {lang: languages[lang] for lang, minimum in MINIMUM_PER_LANGUAGE.items() if languages[lang] < minimum}
    assert not short, f"{intent}: too few examples in {short} (all: {dict(languages)})"
