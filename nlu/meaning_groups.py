"""Messages grouped by what they mean, so a person labels fifty alike at once.

Each message is embedded by the sentence encoder the NLU already ships (nlu/embeddings.py, USE,
nothing downloaded), reading the text as the model does (nlu/model_text.py: normalised, Levantine
words mapped, Arabizi in Arabic script): "قديش رسوم تجديد الجواز" and "كم رسوم تجديد جواز السفر"
then score 0.75, against 0.63 as written. Groups are made greedily: the message with the most
neighbours above `threshold` starts a group with them, and so on, so the biggest come first.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from nlu.embeddings import USE, SentenceEncoder
from nlu.model_text import model_text

# Cosine between two messages that mean the same (USE on the model's text). 0.6 keeps the fee
# questions above together and "بدي اشتكي" apart from "شو بدي اعمل" (0.56).
THRESHOLD = 0.6


def group_by_meaning(texts: Sequence[str], threshold: float = THRESHOLD,
                     encoder: SentenceEncoder = USE) -> list[list[int]]:
    """Indexes of `texts`, grouped; biggest groups first, each in the order given."""
    if not texts:
        return []
    keys = [model_text(t) or (t or " ") for t in texts]
    unique = list(dict.fromkeys(keys))
    vectors = encoder.embed(unique)
    index_of = {k: i for i, k in enumerate(unique)}
    rows = vectors[[index_of[k] for k in keys]]
    close = (rows @ rows.T) >= threshold
    np.fill_diagonal(close, True)
    left = np.ones(len(texts), dtype=bool)
    groups: list[list[int]] = []
    while left.any():
        reach = (close & left[None, :]).sum(axis=1)
        reach[~left] = -1
        centre = int(np.argmax(reach))  # ties: the earliest, so the order is stable
        members = np.flatnonzero(close[centre] & left)
        left[members] = False
        groups.append(sorted(int(m) for m in members))
    groups.sort(key=lambda g: (-len(g), g[0]))
    return groups
