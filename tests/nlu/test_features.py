"""The classifier's feature blocks computed our faster way give what sklearn and the encoder give."""

from __future__ import annotations

import numpy as np
import pytest

from nlu import embeddings
from nlu.classifier import _Vocabulary
from nlu.embeddings import cached_embeddings, sentence_embeddings

TEXTS = ["قديش رسوم تجديد جواز السفر", "اريد تجديد الجواز", "hello there", "كم", "رخصه السواقه خلصت"]


def test_char_ngram_transform_equals_sklearns():
    vocabulary = _Vocabulary((2, 5))
    vocabulary.fit_transform(TEXTS)
    unseen = ["تجديد جواز سفر ابني", "zzz", ""]
    ours, theirs = vocabulary.transform(unseen), vocabulary.vectorizer.transform(unseen)
    assert ours.shape == theirs.shape
    assert abs(ours - theirs).max() < 1e-12
    assert ours[0].nnz > 0 and ours[1].nnz == 0  # a real row and an all-unknown one


def test_restored_vocabulary_transforms_like_the_fitted_one():
    fitted = _Vocabulary((2, 5))
    fitted.fit_transform(TEXTS)
    restored = _Vocabulary((2, 5))
    restored.restore(fitted.terms(), fitted.vectorizer.idf_)
    assert abs(restored.transform(TEXTS) - fitted.transform(TEXTS)).max() < 1e-12


class _CountingEncoder:
    """The real encoder, counting its calls: what the cache and the batching must save."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        self.calls: list[list[str]] = []

    def encode(self, texts):
        self.calls.append(list(texts))
        return self.encoder.encode(texts)


@pytest.fixture
def counting_encoder(monkeypatch):
    counting = _CountingEncoder(embeddings._encoder())
    monkeypatch.setattr(embeddings, "_encoder", lambda: counting)
    return counting


def test_new_texts_are_encoded_in_one_call_as_each_would_be_alone(counting_encoder):
    texts = ["بدي اجدد الجواز بكرة الصبح", "اريد اجدد الجواز غدا صباحا"]
    together = sentence_embeddings(texts)
    assert counting_encoder.calls == [texts]
    alone = np.vstack([counting_encoder.encoder.encode([text]) for text in texts])
    assert np.allclose(together, alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-4)


def test_repeated_texts_come_from_the_cache(counting_encoder):
    first = sentence_embeddings(["نص للتجربة مرة واحدة فقط"])
    size = cached_embeddings()
    again = sentence_embeddings(["نص للتجربة مرة واحدة فقط", "نص للتجربة مرة واحدة فقط", "نص اخر جديد"])
    assert counting_encoder.calls == [["نص للتجربة مرة واحدة فقط"], ["نص اخر جديد"]]
    assert cached_embeddings() == size + 1
    assert np.array_equal(again[0], first[0]) and np.array_equal(again[1], first[0])
