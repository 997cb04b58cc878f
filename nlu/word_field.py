"""One field of every service (its names, or its description and steps) as a bag of folded words,
scored against a message by how much of the message's *rare* words the field has.

At 2,000 services many names share words ("تجديد", "شهادة", "رخصة", "بدل فاقد"): a message's word
that a hundred services have says little about which one is meant, a word three have says a lot.
So each word counts by its inverse document frequency (over services), and a message word the
catalog lacks counts as the rarest: it dilutes the match instead of vanishing from it.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np


class WordField:
    def __init__(self, words_of_service: Sequence[Iterable[str]]) -> None:
        owners: dict[str, set[int]] = {}
        for position, words in enumerate(words_of_service):
            for word in words:
                owners.setdefault(word, set()).add(position)
        self.size = len(words_of_service)
        self.owners = {w: np.fromiter(sorted(o), dtype=np.int32) for w, o in owners.items()}
        self.idf = {w: math.log((self.size + 1) / (len(o) + 0.5)) for w, o in owners.items()}
        self.unseen_idf = math.log((self.size + 1) / 0.5)

    def __contains__(self, word: str) -> bool:
        return word in self.owners

    def share(self, forms_per_word: Sequence[Iterable[str]]) -> np.ndarray:
        """For each service, the idf-weighted share of the message's words it has. Each message
        word comes as its candidate forms (itself, without clitics, its verb form's noun, a slip);
        the word counts once, by its rarest form found, or as unseen when no form is."""
        out = np.zeros(self.size, dtype=np.float32)
        total = 0.0
        for forms in forms_per_word:
            known = [f for f in dict.fromkeys(forms) if f in self.owners]
            if not known:
                total += self.unseen_idf
                continue
            weight = max(self.idf[f] for f in known)
            total += weight
            hit = np.zeros(self.size, dtype=np.float32)
            for form in known:
                hit[self.owners[form]] = np.maximum(hit[self.owners[form]], self.idf[form])
            out += hit
        return out / total if total else out
