"""The classifier's feature blocks computed our faster way give what sklearn and the encoder give."""

from __future__ import annotations

import numpy as np
import pytest

from nlu.classifier import _Vocabulary
from nlu.embeddings import E5, USE
from tests.nlu.counting_encoder import counting

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


@pytest.mark.parametrize("encoder", [USE, E5], ids=lambda e: e.name)
def test_new_texts_are_encoded_in_one_call_as_each_would_be_alone(monkeypatch, encoder):
    calls = counting(monkeypatch, encoder)
    texts = [f"بدي اجدد الجواز بكرة الصبح {encoder.name}", f"اريد اجدد الجواز غدا صباحا {encoder.name}"]
    together = encoder.embed(texts)
    assert calls.calls == [texts]
    alone = np.vstack([calls.encode([text]) for text in texts])
    assert np.allclose(together, alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize("encoder", [USE, E5], ids=lambda e: e.name)
def test_repeated_texts_come_from_the_cache(monkeypatch, encoder):
    calls = counting(monkeypatch, encoder)
    first = encoder.embed(["نص للتجربة مرة واحدة فقط"])
    size = encoder.cached()
    again = encoder.embed(["نص للتجربة مرة واحدة فقط", "نص للتجربة مرة واحدة فقط", "نص اخر جديد"])
    assert calls.calls == [["نص للتجربة مرة واحدة فقط"], ["نص اخر جديد"]]
    assert encoder.cached() == size + 1
    assert np.array_equal(again[0], first[0]) and np.array_equal(again[1], first[0])
