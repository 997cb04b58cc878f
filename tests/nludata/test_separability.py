"""A quick check that the training data teaches the project's own classifier to tell the intents apart.

`smoke_messages.tsv` holds messages written apart from the training files (same author, so it is a
regression guard for edits to data/nlu, not the independent evaluation in data/eval). The sentence
embeddings are switched off to keep this fast; the full model only does better.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from nlu.classifier import ArabicIntentClassifier

HERE = Path(__file__).resolve().parent
NLU_DIR = HERE.parents[1] / "data" / "nlu"
SMOKE_MESSAGES = HERE / "smoke_messages.tsv"
MINIMUM_ACCURACY = 0.95


def _smoke_messages() -> list[tuple[str, str]]:
    rows = []
    for line in SMOKE_MESSAGES.read_text(encoding="utf-8").splitlines():
        if line.strip():
            intent, text = line.split("\t", 1)
            rows.append((intent, text))
    return rows


@pytest.mark.timeout(120)
def test_ngram_classifier_trained_on_the_data_recognises_unseen_messages(tmp_path: Path) -> None:
    classifier = ArabicIntentClassifier(
        {"use_embeddings": False}, LocalModelStorage(tmp_path), Resource("intent_classifier")
    )
    classifier.train(load_data(str(NLU_DIR)))

    rows = _smoke_messages()
    messages = classifier.process([Message(data={"text": text}) for _, text in rows])
    predicted = [m.get("intent")["name"] for m in messages]

    misses = Counter((gold, guess) for (gold, _), guess in zip(rows, predicted) if gold != guess)
    accuracy = 1 - sum(misses.values()) / len(rows)
    assert accuracy >= MINIMUM_ACCURACY, f"accuracy {accuracy:.3f}; most confused: {misses.most_common(8)}"


def test_smoke_messages_are_not_copies_of_training_examples() -> None:
    training = {"".join(e.get("text").split()) for e in load_data(str(NLU_DIR)).training_examples}
    copied = [text for _, text in _smoke_messages() if "".join(text.split()) in training]
    assert not copied, f"smoke messages also in the training data: {copied[:10]}"
