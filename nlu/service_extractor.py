"""Rasa component: the entities the dialogue needs, found without a trained model.

- `service`: the catalog service the message names (or `service_candidates` when it could be
  several), from `nlu.services.ServiceResolver` over the catalog as it is *now*: a service staff add
  is recognised at the next load, without retraining;
- `transaction_number`: a number that looks like a transaction reference;
- `language`: how to answer — the citizen's chosen language if they set one (message metadata
  `preferred_language`), else how they wrote ("ar", "en", "arabizi").
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.catalog_names import resolver_for_catalog
from nlu.services import ServiceResolver
from nlu.tokenizer import LANGUAGE

logger = logging.getLogger(__name__)

SERVICE = "service"
SERVICE_CANDIDATES = "service_candidates"
TRANSACTION_NUMBER = "transaction_number"
CANDIDATE_SEPARATOR = "|"

# Agency references look like "2024-118734", "ABC-55120", "5512093": at least 5 digits in all.
_TRANSACTION = re.compile(r"(?<![\w-])(?:[A-Za-z]{1,4}[-/]?)?\d[\d\-/]{3,18}\d(?![\w-])")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ServiceExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"catalog_dir": None}  # None: catalog.services's default (TAWASOL_CATALOG_DIR or data/catalog)

    def __init__(self, config: Dict[Text, Any], resolver: Optional[ServiceResolver]) -> None:
        self.config = {**self.get_default_config(), **config}
        self.resolver = resolver

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ServiceExtractor":
        merged = {**cls.get_default_config(), **config}
        return cls(merged, resolver_for_catalog(merged["catalog_dir"]))

    def train(self, training_data: TrainingData) -> Resource:  # pragma: no cover - not trainable
        raise NotImplementedError

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.extract(message)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def extract(self, message: Message) -> List[Dict[Text, Any]]:
        text = message.get(TEXT) or ""
        entities: List[Dict[Text, Any]] = []
        metadata = message.get("metadata") or {}
        language = metadata.get("preferred_language") or message.get(LANGUAGE) or "ar"
        entities.append(self._entity("language", language, 0, 0, 1.0))
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        if self.resolver is not None and tokens:
            resolution = self.resolver.resolve_tokens(
                [t.lemma or "" for t in tokens], [(t.start, t.end) for t in tokens]
            )
            if resolution.service_id:
                entities.append(
                    self._entity(SERVICE, resolution.service_id, resolution.start, resolution.end, resolution.confidence)
                )
            elif resolution.candidates:
                value = CANDIDATE_SEPARATOR.join(resolution.candidates)
                entities.append(
                    self._entity(SERVICE_CANDIDATES, value, resolution.start, resolution.end, resolution.confidence)
                )
        number = _TRANSACTION.search(_ascii_digits(text))
        if number:
            entities.append(self._entity(TRANSACTION_NUMBER, number.group(0), number.start(), number.end(), 1.0))
        return entities

    def _entity(self, name: str, value: str, start: int, end: int, confidence: float) -> Dict[Text, Any]:
        return {
            "entity": name,
            "value": value,
            "start": start,
            "end": end,
            "confidence_entity": round(float(confidence), 4),
            "extractor": self.__class__.__name__,
        }


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def _ascii_digits(text: str) -> str:
    """Same length as the input, so match offsets stay valid for the original text."""
    return text.translate(_DIGITS)
