"""Is a message only a service's name, put as a follow-up ("وللهوية؟", "and for the ID card?")?

Then it asks the question just answered again, about the service it names; anything more ("شو
الهوية؟", "ID card documents") is a question of its own. Such a message has no aspect words, so the
intent model is unsure of it ("وللجواز؟": ask_fees 0.27) and the bot said it did not understand;
`ServiceMentionIntent` reads it as what it is, a question about the service named (ask_overview),
and the answer action turns that into the question just answered.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from language.analysis import analyse
from nlu.service_extractor import SERVICE

# Words that only link a follow-up to what was said before (folded spelling, as analyse() gives them).
_LINKING_WORDS = frozenset(
    """
    و ف طيب طب بالنسبه وبالنسبه عن وعن في وفي بخصوص وبخصوص وماذا وشو وايش وال ال ل لل
    ول ولل كمان ايضا برضو هل وهل يا and what about how for the a an also then so ok okay
    """.split()
)


def names_only_the_service(text: str, start: int, end: int) -> bool:
    """True when every word outside text[start:end] (where the service is named) only links."""
    outside = text[:start] + " " + text[end:]
    return all(token.norm in _LINKING_WORDS for token in analyse(outside).tokens)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ServiceMentionIntent(GraphComponent):
    """After the ServiceExtractor: a message that only names a catalog service is ask_overview."""

    INTENT = "ask_overview"

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ServiceMentionIntent":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            mention = next((e for e in message.get(ENTITIES, []) if e.get("entity") == SERVICE), None)
            if mention and names_only_the_service(message.get(TEXT) or "", mention["start"], mention["end"]):
                intent = {INTENT_NAME_KEY: self.INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != self.INTENT]
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent] + ranking, add_to_output=True)
        return messages
