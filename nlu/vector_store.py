"""Sentence vectors of catalog texts kept on disk between processes, so a worker's start-up (and a
catalog edit's rebuild) encodes only the texts it has not seen: the large catalog's 4,000 texts
through the encoder are most of the index build (7 s on an idle core, a minute on a loaded one).

Keyed by the encoder's name and the text's SHA-1, so an edited description is re-encoded and the
untouched ones are read back. One file per encoder, rewritten whole (write-then-rename, so a reader
never sees half a file) when a build added vectors; it keeps the texts of the last build first and
older ones up to `MAX_VECTORS`. A missing, unreadable or foreign file is only a slower start.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from nlu.embeddings import SentenceEncoder

logger = logging.getLogger(__name__)

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / ".cache" / "sentence_vectors"
MAX_VECTORS = 20_000  # 512 floats each: 40 MB on disk at most
_BATCH = 256
_lock = threading.Lock()


def _key(encoder: SentenceEncoder, text: str) -> str:
    return hashlib.sha1(f"{encoder.name}\0{text}".encode("utf-8")).hexdigest()


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as stored:
            keys, vectors = stored["keys"], stored["vectors"]
        return {str(k): v for k, v in zip(keys, vectors)}
    except FileNotFoundError:
        return {}
    except Exception as error:  # a torn or foreign file: encode again, never fail the build
        logger.warning("sentence vector cache unreadable, ignored: path=%s error=%s", path, error)
        return {}


def _write(path: Path, kept: dict[str, np.ndarray]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, keys=np.asarray(list(kept)), vectors=np.vstack(list(kept.values())))
        os.replace(temporary, path)
    except OSError as error:  # a read-only checkout: the next start encodes again
        logger.warning("sentence vector cache not written: path=%s error=%s", path, error)


def embed_cached(encoder: SentenceEncoder, texts: Sequence[str], directory: Optional[Path] = DEFAULT_DIRECTORY) -> np.ndarray:
    """The encoder's vectors of `texts` (rows in order), from the disk cache where it has them.
    `directory` None: no cache, encode everything."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    if directory is None:
        return _encode(encoder, list(texts))
    path = Path(directory) / f"{encoder.name}.npz"
    with _lock:
        stored = _read(path)
        keys = [_key(encoder, text) for text in texts]
        missing = list(dict.fromkeys(text for text, key in zip(texts, keys) if key not in stored))
        if missing:
            for text, vector in zip(missing, _encode(encoder, missing)):
                stored[_key(encoder, text)] = vector
        vectors = np.vstack([stored[key] for key in keys]).astype(np.float32)
        if missing:
            current = dict.fromkeys(keys)
            kept = {key: stored[key] for key in current}
            for key, vector in stored.items():
                if len(kept) >= MAX_VECTORS:
                    break
                kept.setdefault(key, vector)
            _write(path, kept)
    return vectors


def _encode(encoder: SentenceEncoder, texts: list[str]) -> np.ndarray:
    return np.vstack([encoder.embed(texts[i : i + _BATCH]) for i in range(0, len(texts), _BATCH)]).astype(np.float32)
