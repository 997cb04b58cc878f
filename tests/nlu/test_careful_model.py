"""The careful model (with the e5 encoder) decides exactly the messages the quick model is unsure of,
and only those pay for the slow encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from core.lru import Lru
from nlu.classifier import ArabicIntentClassifier
from nlu.embeddings import E5
from tests.nlu.counting_encoder import counting

EXAMPLES = {
    "ask_fees": ["كم رسوم الجواز", "قديش بتكلف الهوية", "how much is the passport fee", "شو سعر تجديد الرخصة"],
    "ask_documents": ["شو الاوراق المطلوبة للجواز", "ما هي الوثائق اللازمة", "what documents do i need", "شو بدي اجيب معي"],
    "ask_location": ["وين مكتب الاحوال المدنية", "اين يقع المكتب", "where is the office", "وين بقدر اطلع الهوية"],
}
MESSAGES = ["كم رسوم الجواز", "بدي اعرف السعر والاوراق", "where do i pay the fee and what papers", "مرحبا", "اين"]


def _trained(tmp_path: Path, **config) -> ArabicIntentClassifier:
    classifier = ArabicIntentClassifier(
        {"levantine_mapping": True, "levantine_embedding": True, "careful_e5_weight": 1.7, **config},
        LocalModelStorage(tmp_path),
        Resource("intent_classifier"),
    )
    examples = [Message(data={"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts]
    classifier.train(TrainingData(examples))
    return classifier


def _messages() -> list[Message]:
    return [Message(data={"text": text}) for text in MESSAGES]


def _quick_margins(classifier: ArabicIntentClassifier) -> np.ndarray:
    careful, classifier.careful = classifier.careful, None
    try:
        top_two = np.sort(classifier._scores(_messages())[0], axis=1)[:, -2:]
    finally:
        classifier.careful = careful
    return top_two[:, 1] - top_two[:, 0]


@pytest.mark.timeout(120)
def test_only_unsure_messages_go_through_the_slow_encoder(tmp_path, monkeypatch):
    classifier = _trained(tmp_path)
    margins = _quick_margins(classifier)
    threshold = float(np.median(margins))  # some messages on each side
    classifier.config["careful_margin"] = threshold
    calls = counting(monkeypatch, E5)
    monkeypatch.setattr(E5, "_cache", Lru(10))  # every text must reach the encoder
    classifier._scores(_messages())
    unsure = {m for m, margin in zip(MESSAGES, margins) if margin < threshold}
    sure = set(MESSAGES) - unsure
    assert unsure and sure
    assert len(calls.calls) == 1  # one batch for all the unsure messages (and their mapped forms)
    encoded = set(calls.calls[0])
    assert unsure <= encoded and not sure & encoded


@pytest.mark.timeout(120)
def test_the_careful_model_decides_where_it_is_asked_to(tmp_path):
    classifier = _trained(tmp_path)
    texts = classifier._texts(_messages())
    char = classifier.char_vocab.transform(texts.char)
    use_block = classifier._use_block(texts)
    quick = classifier.quick.scores(char, use_block * classifier.config["embedding_weight"])
    careful = classifier.careful.scores(char, classifier._careful_dense(use_block, texts))
    assert not np.allclose(quick, careful)  # two different models, or the test proves nothing

    classifier.config["careful_margin"] = 0.0
    scores, decided = classifier._scores(_messages())
    assert np.allclose(scores, quick, atol=1e-5) and decided.size == 0
    classifier.config["careful_margin"] = float("inf")
    scores, decided = classifier._scores(_messages())
    assert np.allclose(scores, careful, atol=1e-5) and list(decided) == list(range(len(MESSAGES)))


@pytest.mark.timeout(120)
def test_careful_decisions_get_the_careful_temperature(tmp_path):
    classifier = _trained(tmp_path, careful_margin=float("inf"), careful_temperature=1.0)
    softer = max(m.get("intent")["confidence"] for m in classifier.process(_messages()))
    classifier.config["careful_temperature"] = 8.0
    sharper = max(m.get("intent")["confidence"] for m in classifier.process(_messages()))
    assert sharper > softer


@pytest.mark.timeout(120)
def test_the_careful_model_is_persisted_and_loaded(tmp_path):
    trained = _trained(tmp_path)
    loaded = ArabicIntentClassifier.load(
        {**trained.config}, LocalModelStorage(tmp_path), Resource("intent_classifier"), None
    )
    assert loaded.careful is not None
    assert np.array_equal(loaded.careful.coef, trained.careful.coef)
    assert np.allclose(loaded._scores(_messages())[0], trained._scores(_messages())[0], atol=1e-5)


@pytest.mark.timeout(120)
def test_without_an_e5_weight_there_is_no_careful_model(tmp_path, monkeypatch):
    calls = counting(monkeypatch, E5)
    classifier = _trained(tmp_path, careful_e5_weight=0.0)
    classifier.process(_messages())
    assert classifier.careful is None and calls.calls == []
