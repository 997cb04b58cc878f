"""The training data as it stands now, for the inbox and the intents page: data/nlu/ with every
curated change applied, and each example's normalised text (what the model reads) -> its intent,
for the duplicate checks. Rebuilt only when the files or the curated log change."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select

from nlu.model_text import model_text
from nlu.training_files import NLU_DATA, dialogue_intents, nlu_examples
from store import Store
from store.models import IntentChange


@dataclass(frozen=True)
class TrainingData:
    examples: dict[str, list[str]]  # intent -> examples
    intent_of: dict[str, str]  # normalised example -> the (first) intent that has it
    dialogue: frozenset[str]  # intents domain.yml needs: they keep their names

    @property
    def intents(self) -> list[str]:
        return sorted(self.examples)


_lock = threading.Lock()
_cached: Optional[tuple[tuple, TrainingData]] = None


def _signature(store: Store) -> tuple:
    files = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(NLU_DATA.glob("*.yml")))
    with store.db.session() as s:
        last_change = s.execute(select(func.max(IntentChange.id))).scalar()
    return id(store), files, last_change


def training_data(store: Store) -> TrainingData:
    global _cached
    signature = _signature(store)
    with _lock:
        if _cached is not None and _cached[0] == signature:
            return _cached[1]
    examples = store.curation.apply_to(nlu_examples())
    intent_of: dict[str, str] = {}
    for intent, texts in examples.items():
        for text in texts:
            intent_of.setdefault(model_text(text), intent)
    data = TrainingData(examples, intent_of, dialogue_intents())
    with _lock:
        _cached = (signature, data)
    return data
