"""A real sentence encoder, wrapped to count its calls (tests of the cache, batching and cascade)."""

from __future__ import annotations

from nlu.embeddings import SentenceEncoder


class CountingEncoder:
    """A real encoder, counting its calls: what the cache and the batching must save."""

    def __init__(self, encode) -> None:
        self.encode = encode
        self.calls: list[list[str]] = []

    def __call__(self, texts):
        self.calls.append(list(texts))
        return self.encode(texts)


def counting(monkeypatch, encoder: SentenceEncoder) -> CountingEncoder:
    wrapped = CountingEncoder(encoder.encoder())
    monkeypatch.setattr(encoder, "_encode", wrapped)
    return wrapped
