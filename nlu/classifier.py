"""Intent classifier for short Arabic, Arabizi and English messages.

Why not DIET: with ~20 examples an intent DIET overfits and loses about ten points to a plain
character n-gram linear model on Arabic. Short, noisy, dialectal text is best served by
(1) character n-grams of the *normalised* text (robust to spelling, clitics and dialect) and
(2) a multilingual sentence embedding (USE multilingual v3, shipped inside its wheel) that knows
paraphrases the n-grams have never seen. One linear SVM over both. Word n-grams were measured and
left out: they cost 0.5-1 point on held-out messages.

Levantine messages against (often MSA) training examples: the n-grams read the text with Levantine
words mapped to MSA ones (`levantine_to_msa`), and the encoder reads that mapped text too, as a
second embedding block beside the one of the text as written (the encoder alone half-understands
dialect; the mapped text alone loses what it did understand). Trained on MSA only, this lifted
Levantine test accuracy 4-10 points on two other-domain stand-ins; a message with nothing to map
reuses its first embedding, so MSA and English pay no second encoder call. Both are switches,
off by default (see get_default_config).

The model is persisted as plain arrays (npz without pickles + JSON), so loading a model runs no code.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.embeddings import sentence_embeddings
from nlu.text.levantine import levantine_to_msa
from nlu.tokenizer import embedding_text, normalized_text

logger = logging.getLogger(__name__)


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores * temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class _Vocabulary:
    """A fitted TF-IDF vectoriser reduced to what inference needs: vocabulary and idf weights."""

    def __init__(self, ngram_range: tuple[int, int]) -> None:
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=ngram_range,
            sublinear_tf=True,  # `transform` below reproduces this weighting (and the l2 norm)
            lowercase=False,  # the tokenizer already normalised case
        )
        self._idf: Optional[sp.csr_matrix] = None

    def fit_transform(self, texts: List[str]) -> sp.csr_matrix:
        features = self.vectorizer.fit_transform(texts)
        self._idf = sp.diags(self.vectorizer.idf_, format="csr")  # read once: see `transform`
        return features

    def transform(self, texts: List[str]) -> sp.csr_matrix:
        """What `vectorizer.transform` returns, computed here because sklearn 1.1's fitted-check
        rebuilds the whole idf vector on every call (about 1 ms a message, a tenth of a parse)."""
        counts = CountVectorizer.transform(self.vectorizer, texts).astype(np.float64)
        np.log(counts.data, out=counts.data)  # sublinear tf: 1 + log(count)
        counts.data += 1.0
        return normalize(counts @ self._idf, copy=False)

    @property
    def size(self) -> int:
        # Not len(vectorizer.idf_): sklearn 1.1 rebuilds that array on every access.
        return len(self.vectorizer.vocabulary_)

    def terms(self) -> List[str]:
        vocab = self.vectorizer.vocabulary_
        return sorted(vocab, key=vocab.get)

    def restore(self, terms: List[str], idf: np.ndarray) -> None:
        self.vectorizer.vocabulary_ = {t: i for i, t in enumerate(terms)}
        self.vectorizer.idf_ = idf
        self._idf = sp.diags(idf, format="csr")  # read once: see `transform`


# Config switches that change the feature layout, so a loaded model must use its own values.
_FEATURE_SWITCHES = ("levantine_mapping", "levantine_embedding")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ArabicIntentClassifier(GraphComponent, IntentClassifier):
    """Linear SVM over character n-grams and multilingual sentence embeddings."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "char_ngram_range": [2, 5],
            "use_embeddings": True,
            # How loud the 512-d embedding is next to the (unit-norm) n-gram block: measured best
            # at 0.7 on our held-out set and on another domain's MSA/Levantine test sets.
            "embedding_weight": 0.7,
            # Map Levantine words onto MSA for the n-grams; and add an embedding of the mapped text.
            # Off by default: on our own held-out set they cost 0.5 point of intent accuracy
            # (96.5% vs 97.05%, mostly Arabizi/English fee questions); turn on per data set.
            "levantine_mapping": False,
            "levantine_embedding": False,
            "C": 1.0,
            # Softmax temperature that turns SVM margins into confidences comparable across models.
            "temperature": 4.0,
            "ranking_length": 10,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.char_vocab = _Vocabulary(tuple(self.config["char_ngram_range"]))
        self.classes: List[str] = []
        self.coef: Optional[np.ndarray] = None
        self.intercept: Optional[np.ndarray] = None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ArabicIntentClassifier":
        return cls(config, model_storage, resource)

    # --- features -------------------------------------------------------------------------------

    def _char_text(self, messages: List[Message]) -> List[str]:
        norm = [normalized_text(m) for m in messages]
        if self.config["levantine_mapping"]:
            return [levantine_to_msa(n) for n in norm]
        return norm

    def _dense(self, messages: List[Message]) -> np.ndarray:
        """The embedding block(s), already weighted: the text as written, then (with the Levantine
        mapping) the mapped text, or the first embedding again where the mapping changed nothing."""
        weight = float(self.config["embedding_weight"])
        written_texts = [embedding_text(m) for m in messages]
        if not self.config["levantine_embedding"]:
            return sentence_embeddings(written_texts) * weight
        norm = [normalized_text(m) for m in messages]
        lev = [levantine_to_msa(n) for n in norm]
        changed = [i for i in range(len(messages)) if lev[i] != norm[i]]
        # One encoder call for both blocks: cheaper than two.
        vectors = sentence_embeddings(written_texts + [lev[i] for i in changed])
        written = vectors[: len(messages)]
        mapped = written.copy()
        mapped[changed] = vectors[len(messages) :]
        return np.hstack([written, mapped]) * weight

    def _training_features(self, messages: List[Message]) -> sp.csr_matrix:
        char_text = self._char_text(messages)
        blocks = [self.char_vocab.fit_transform(char_text)]
        if self.config["use_embeddings"]:
            blocks.append(sp.csr_matrix(self._dense(messages)))
        return sp.hstack(blocks, format="csr")

    # --- training -------------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        labels = sorted({e.get(INTENT) for e in examples})
        if len(labels) < 2:
            logger.warning("intent classifier not trained: fewer than two intents in the data")
            return self._resource
        features = self._training_features(examples)
        y = [e.get(INTENT) for e in examples]
        svm = LinearSVC(C=float(self.config["C"]), class_weight="balanced", random_state=0)
        svm.fit(features, y)
        self.classes = [str(c) for c in svm.classes_]
        self.coef = svm.coef_.astype(np.float32)
        self.intercept = svm.intercept_.astype(np.float32)
        if len(self.classes) == 2:  # sklearn keeps one row for binary problems
            self.coef = np.vstack([-self.coef, self.coef])
            self.intercept = np.array([-self.intercept[0], self.intercept[0]], dtype=np.float32)
        self.persist()
        return self._resource

    # --- inference ------------------------------------------------------------------------------

    def _scores(self, messages: List[Message]) -> np.ndarray:
        """coef·x + b, block by block: the sparse n-grams against their columns, the dense
        embedding against its own, never building the combined sparse matrix (a third of the
        parse time when it was built)."""
        char_text = self._char_text(messages)
        n_char = self.char_vocab.size
        scores = np.asarray(self.char_vocab.transform(char_text) @ self.coef[:, :n_char].T) + self.intercept
        if self.config["use_embeddings"]:
            scores += self._dense(messages) @ self.coef[:, n_char:].T
        return scores

    def process(self, messages: List[Message]) -> List[Message]:
        if self.coef is None or not messages:
            return messages
        scores = self._scores(messages)
        probabilities = _softmax(np.asarray(scores), float(self.config["temperature"]))
        for message, row in zip(messages, probabilities):
            order = np.argsort(-row)[: int(self.config["ranking_length"])]
            ranking = [{"name": self.classes[i], "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    # --- persistence ----------------------------------------------------------------------------

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.savez_compressed(
                directory / "arrays.npz",
                coef=self.coef,
                intercept=self.intercept,
                char_idf=self.char_vocab.vectorizer.idf_,
            )
            vocabulary = {
                "classes": self.classes,
                "char": self.char_vocab.terms(),
                # The features the weights were trained on, whatever the config says at load time.
                "features": {k: bool(self.config[k]) for k in _FEATURE_SWITCHES},
            }
            (directory / "vocabulary.json").write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "ArabicIntentClassifier":
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(directory / "arrays.npz", allow_pickle=False)
                vocabulary = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
                component.coef = arrays["coef"]
                component.intercept = arrays["intercept"]
                component.char_vocab.restore(vocabulary["char"], arrays["char_idf"])
                component.classes = vocabulary["classes"]
                # A model from before a switch existed was trained without it.
                component.config.update({k: False for k in _FEATURE_SWITCHES})
                component.config.update(vocabulary.get("features", {}))
        except (ValueError, FileNotFoundError):
            logger.warning("intent classifier has no trained model: it will predict nothing")
        return component
