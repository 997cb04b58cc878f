"""Rasa component: the entities the dialogue needs, found without a trained model.

- `service`: the catalog service the message names (or `service_candidates` when it could be
  several), from `nlu.services.ServiceResolver` over the catalog as it is *now*: when the process
  serves from the store (catalog/live.py), a service staff add or rename is recognised at the next
  message, without retraining or restart;
- `transaction_number`: a number that looks like a transaction reference;
- `unlisted_service`: the message names a service the catalog does not have: the id of a
  well-known one on the not-yet list (nlu/not_yet.py), or "unknown" when it names something in
  words that are no question words (nlu/unlisted.py); beside `service` only when a not-yet service
  is named apart from the catalog one (the catalog service is answered; the message is kept for review);
- `language`: how to answer — the citizen's chosen language if they set one (message metadata
  `preferred_language`), else how they wrote ("ar", "en", "arabizi"); absent when the message
  carries no language (a transaction number, a digit, an emoji), so the conversation keeps its own.

Trainable only to learn the question words (nlu/unlisted.py) from the training data; services
themselves still come from the catalog as it is at load time.
"""

from __future__ import annotations

import json
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

from nlu.catalog_names import live_resolvers, matchers_for_catalog
from nlu.clauses import asked_as_required, asked_beside_a_telling
from nlu.not_yet import not_yet_list
from nlu.service_finder import ServiceFinder
from nlu.service_index import ServiceIndex
from nlu.services import STOPWORDS, Resolution, ServiceResolver
from nlu.tokenizer import LANGUAGE, embedding_text
from nlu.unlisted import MIN_SERVICES, QuestionWords, is_function_word, unexplained_words

logger = logging.getLogger(__name__)

SERVICE = "service"
SERVICE_CANDIDATES = "service_candidates"
TRANSACTION_NUMBER = "transaction_number"
UNLISTED_SERVICE = "unlisted_service"
UNKNOWN_SERVICE = "unknown"  # unlisted_service's value when the not-yet list does not name it
CANDIDATE_SEPARATOR = "|"
_QUESTION_WORDS_FILE = "question_words.json"
# A not-yet name is taken as written (or a long one with a slip): the typo allowance that serves
# catalog names read "مع السلامة" (goodbye) as "سلاح" and "قديه" (how long) as "قضيه" (court case).
# The unknown-word rule still catches a misspelt unlisted service, only without naming it.
_NOT_YET_SIMILARITY = 0.95

# Agency references look like "2024-118734", "ABC-55120", "5512093": at least 5 digits in all.
_TRANSACTION = re.compile(r"(?<![\w-])(?:[A-Za-z]{1,4}[-/]?)?\d[\d\-/]{3,18}\d(?![\w-])")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class ServiceExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "catalog_dir": None,  # None: catalog.services's default (TAWASOL_CATALOG_DIR or data/catalog)
            "min_services": MIN_SERVICES,  # a question word was seen beside this many services
            # Rank every service by its titles, aliases, description, steps and agency when no
            # catalog phrase names one (nlu/service_finder.py): needed once names are not hand-written.
            "retrieval": True,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        resolver: Optional[ServiceResolver],
        question_words: Optional[QuestionWords] = None,
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
        index: Optional[ServiceIndex] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self.resolver = resolver
        listed = not_yet_list(self.config["catalog_dir"])
        self.not_yet = listed.resolver()
        self.not_yet_words = listed.vocabularies()
        self.question_words = question_words or QuestionWords()
        self.index = index
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ServiceExtractor":
        merged = {**cls.get_default_config(), **config}
        # Training needs only the phrase resolver (to learn question words), not the index.
        resolver, _ = matchers_for_catalog(merged["catalog_dir"], retrieval=False)
        return cls(merged, resolver, None, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "ServiceExtractor":
        merged = {**cls.get_default_config(), **config}
        words: frozenset[str] = frozenset()
        try:
            with model_storage.read_from(resource) as directory:
                words = frozenset(json.loads((directory / _QUESTION_WORDS_FILE).read_text(encoding="utf-8")))
        except (ValueError, FileNotFoundError):
            # A model trained before question words were learnt: closed-class words only.
            logger.warning("model has no learnt question words: unlisted services are found less well")
        resolver, index = matchers_for_catalog(merged["catalog_dir"], retrieval=bool(merged["retrieval"]))
        return cls(merged, resolver, QuestionWords(words), model_storage, resource, index)

    def train(self, training_data: TrainingData) -> Resource:
        """Learn the question words: the words around catalog names in the training examples."""
        examples = []
        for example in training_data.intent_examples:
            tokens = example.get(TOKENS_NAMES[TEXT]) or []
            if self.resolver is None or not tokens or example.get("intent") == "out_of_scope":
                continue
            norms = [t.lemma or "" for t in tokens]
            found = self.resolver.resolve_tokens(norms, [(t.start, t.end) for t in tokens])
            if found.service_id:
                outside = [n for n, t in zip(norms, tokens) if not (found.start < t.end and t.start < found.end)]
                examples.append((outside, found.service_id))
        self.question_words = QuestionWords.learn(examples, int(self.config["min_services"]))
        if self._model_storage is not None and self._resource is not None:
            with self._model_storage.write_to(self._resource) as directory:
                (directory / _QUESTION_WORDS_FILE).write_text(
                    json.dumps(sorted(self.question_words.words), ensure_ascii=False), encoding="utf-8"
                )
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        # Serving: the store's catalog as it is now (an edit is understood at the next message);
        # training and tests without a store keep the YAML directory's, built at load.
        live = live_resolvers(bool(self.config["retrieval"]))
        if live is not None:
            self.resolver, self.not_yet, self.index = live
        for message in messages:
            found = self.extract(message)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def extract(self, message: Message) -> List[Dict[Text, Any]]:
        text = message.get(TEXT) or ""
        entities: List[Dict[Text, Any]] = []
        metadata = message.get("metadata") or {}
        number = _TRANSACTION.search(_ascii_digits(text))
        chosen = metadata.get("preferred_language")
        if chosen or carries_language(text, number):
            entities.append(self._entity("language", chosen or message.get(LANGUAGE) or "ar", 0, 0, 1.0))
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        if self.resolver is not None and tokens:
            intent = (message.get("intent") or {}).get("name")
            entities += self._services(
                [t.lemma or "" for t in tokens], [(t.start, t.end) for t in tokens], text, intent,
                embedding_text(message),
            )
        if number:
            entities.append(self._entity(TRANSACTION_NUMBER, number.group(0), number.start(), number.end(), 1.0))
        return entities

    def _services(
        self, norms: List[str], spans: List[tuple[int, int]], text: str = "", intent: Optional[str] = None,
        encoded_text: Optional[str] = None,
    ) -> List[Dict[Text, Any]]:
        """The catalog service named, or the candidates; or the service named that we do not have."""
        assert self.resolver is not None
        finder = ServiceFinder(self.resolver, self.index, self.question_words)
        found = finder.find(norms, spans, encoded_text or text, intent)
        not_yet = self.not_yet.resolve_tokens(norms, spans)
        unlisted = []
        if not_yet.service_id and not_yet.confidence >= _NOT_YET_SIMILARITY:
            unlisted = [self._entity(UNLISTED_SERVICE, not_yet.service_id, not_yet.start, not_yet.end, not_yet.confidence)]
            if (
                _outweighs(not_yet, found, norms)
                or self._named_only_through(not_yet, found, norms, spans)
                or not asked_as_required(text, spans, norms, not_yet.positions)
                and (
                    self._found_through_its_words(not_yet, found, norms)
                    or self._asked_after_telling(not_yet, found, norms, spans, text)
                )
            ):
                return unlisted
        if found.service_id:
            # A not-yet service named apart ("... للوظيفة الحكومية", or a second question) leaves the
            # catalog service the answer, and is said beside it so staff learn that it was asked for.
            return [self._entity(SERVICE, found.service_id, found.start, found.end, found.confidence)] + unlisted
        entities = []
        if found.candidates:
            value = CANDIDATE_SEPARATOR.join(found.candidates)
            entities.append(self._entity(SERVICE_CANDIDATES, value, found.start, found.end, found.confidence))
        unexplained = unexplained_words(norms, spans, (found.start, found.end), self.question_words)
        if unexplained:
            start, end = spans[unexplained[0]][0], spans[unexplained[-1]][1]
            entities.append(self._entity(UNLISTED_SERVICE, UNKNOWN_SERVICE, start, end, 1.0))
        return entities

    def _named_only_through(
        self, not_yet: Resolution, found: Resolution, norms: List[str], spans: List[tuple[int, int]]
    ) -> bool:
        """Is the catalog service found only by reading a word of the not-yet name as a slip? That word
        is meant as itself: in "مكتب سياحة وسفر شو الترخيص" the tourism office's "سياحة" is no slip for
        the car's "سيارة", and without it "الترخيص" only offers a choice. A catalog name that explains
        every word of the not-yet name keeps them."""
        assert self.resolver is not None
        if not found.service_id or set(not_yet.positions) <= set(found.positions):
            return False
        theirs = {i for i in not_yet.positions if not self.resolver.has_word(norms[i])}
        if not theirs:
            return False
        rest = self.resolver.resolve_tokens(["" if i in theirs else n for i, n in enumerate(norms)], spans)
        return not rest.service_id or rest.by_agency

    def _found_through_its_words(self, not_yet: Resolution, found: Resolution, norms: List[str]) -> bool:
        """Is the catalog service found only through words that are the named not-yet service's own?
        "كيف بطلع ترخيص تكسي او تطبيق نقل ذكي؟": "ترخيص التكسي" is a vehicle licence name, but the
        message names the taxi permit, whose names say "ترخيص" and "تكسي" too. "my university degree
        ... how do i do the equivalency": the equivalency is the degree's. A catalog name with a word
        of its own that the not-yet names lack keeps the message ("لتجديد رخصة السواقة بدهم فحص
        نظر؟": "تجديد" is the renewal's, the eye test only part of it)."""
        words = self.not_yet_words.get(not_yet.service_id or "")
        if not found.service_id or words is None or set(not_yet.positions) <= set(found.positions):
            return False
        return all(words.has(norms[i]) for i in found.positions if norms[i] not in STOPWORDS)

    def _asked_after_telling(
        self, not_yet: Resolution, found: Resolution, norms: List[str], spans: List[tuple[int, int]], text: str
    ) -> bool:
        """Is the not-yet service what the message asks about, the catalog one only part of what it
        tells? "بنتي جابت 90 بالتوجيهي، كيف تقدم على طب بالجامعة؟" asks about university admission;
        the Tawjihi is how the daughter got there (nlu/clauses.py)."""
        if not found.service_id or not text:
            return False

        def telling(norm: str) -> bool:
            return bool(norm) and norm not in STOPWORDS and not is_function_word(norm)

        return asked_beside_a_telling(text, spans, norms, not_yet.positions, found.positions, telling)

    def _entity(self, name: str, value: str, start: int, end: int, confidence: float) -> Dict[Text, Any]:
        return {
            "entity": name,
            "value": value,
            "start": start,
            "end": end,
            "confidence_entity": round(float(confidence), 4),
            "extractor": self.__class__.__name__,
        }


def _outweighs(not_yet: Resolution, found: Resolution, norms: List[str]) -> bool:
    """A not-yet name wins over a catalog service's name when, together, they are one name whose
    extra word is the qualifier that makes it another service: they share a word ("military
    retirement" over "retirement pension", "بيع السيارة" over a name found around it) or the not-yet
    name sits inside the catalog one ("السيارة ونقل ملكيتها بالترخيص"), with no other word between
    them. It never wins over a catalog name that explains all of its words, nor over one named apart
    (a purpose: "عدم محكومية للوظيفة الحكومية"; or "رخصة السواقة بدها فحص نظر؟", about the licence).
    A word several catalog services share, or an agency's name, says which agency or offers a
    choice, not which service: a not-yet name wins over it anywhere ("ترخيص موقع اخباري", "تقدير سعر
    الارض من دائرة الاراضي")."""
    if not found.service_id or found.by_agency:
        return True
    ours, theirs = set(not_yet.positions), set(found.positions)
    inside = found.start <= not_yet.start and not_yet.end <= found.end
    if not (ours & theirs or inside):
        return False
    together = ours | theirs
    if any(norms[i] not in STOPWORDS for i in range(min(together), max(together)) if i not in together):
        return False
    return any(norms[i] not in STOPWORDS for i in ours - theirs)


def carries_language(text: str, number: Optional["re.Match[str]"]) -> bool:
    """Whether the message says anything in some language: letters outside a transaction number."""
    if number is not None:
        text = text[: number.start()] + text[number.end() :]
    return any(ch.isalpha() for ch in text)


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def _ascii_digits(text: str) -> str:
    """Same length as the input, so match offsets stay valid for the original text."""
    return text.translate(_DIGITS)
