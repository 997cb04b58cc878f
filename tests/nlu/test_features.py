"""The classifier's feature blocks computed our faster way give what sklearn and the encoder give."""

from __future__ import annotations

import numpy as np

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


def test_a_batch_of_new_texts_embeds_as_each_text_alone():
    together = sentence_embeddings(["بدي اجدد الجواز اليوم", "اريد اجدد الجواز اليوم"])
    alone = np.vstack([sentence_embeddings(["اريد اجدد الجواز اليوم"]), sentence_embeddings(["بدي اجدد الجواز اليوم"])])
    assert np.allclose(together[::-1], alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-4)


def test_repeated_texts_come_from_the_cache():
    sentence_embeddings(["نص للتجربة مرة واحدة"])
    size = cached_embeddings()
    again = sentence_embeddings(["نص للتجربة مرة واحدة", "نص للتجربة مرة واحدة"])
    assert cached_embeddings() == size
    assert again.shape == (2, 512) and np.array_equal(again[0], again[1])
