"""Rank every catalog service against a message, from everything its row has.

The phrase matcher (nlu/services.py) lives on hand-written names; a catalog of 2,000 services
imported from agencies' spreadsheets has official titles, descriptions and steps, and few or no
aliases. This index reads all of it:

- names: the titles in both languages and any aliases, as character n-grams of the normalised text
  (language.analysis, Arabizi transliterated), with sound-alike letters folded and doubled letters
  collapsed, so a typo or another spelling still shares most n-grams;
- verb forms: "بدي ارخص بناء" also reads as "ترخيص بناء" (nlu/verb_forms.py), where a service name
  has that noun;
- agencies: the agency's names and nicknames ("الاحوال", "ترخيص السواقين") favour its services;
- meaning: the sentence encoder we ship (nlu/embeddings.py, USE) compares the message with each
  service's title + description and steps, for questions that describe instead of naming.

Only the message's content words are looked up (the caller drops question words: "قديش", "fees").
Scores are combined by a logistic model whose weights were fitted on our own questions
(bench/service_index_fit.py); `rank` returns each candidate with a probability-like score.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from catalog.services import Catalog, Service
from language.analysis import analyse
from nlu.embeddings import SentenceEncoder
from nlu.services import STOPWORDS, stems
from nlu.verb_forms import noun_forms

_SOUND_ALIKE = str.maketrans({"ح": "ه", "ص": "س", "ث": "س", "ط": "ت", "ض": "د", "ظ": "ز", "ذ": "ز", "ق": "ك", "ء": "ا"})
_DOUBLED = re.compile(r"(.)\1+")
_ARTICLES = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال")
_DESCRIPTION_CHARS = 300  # the encoder reads a sentence or two; a long text only blurs it

# Logistic weights over (name cosine, name coverage, meaning, agency coverage, verb form used, share
# of the message's words a name of the service has, exactly or as one slip) and a
# bias; fitted by bench/service_index_fit.py (5-fold cross-validation, see its docstring).
WEIGHTS = (3.85, 1.59, 1.56, 1.08, 0.7, 2.51)
N_FEATURES = 6
BIAS = -6.43


def fold(word: str) -> str:
    """The spelling-insensitive form both sides are compared in: no article, sound-alike letters
    folded ("7awiye" -> حويه ~ هويه), doubled letters collapsed ("تجدييد")."""
    for article in _ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 3:
            word = word[len(article):]
            break
    return _DOUBLED.sub(r"\1", word.translate(_SOUND_ALIKE))


def phrase_words(text: str) -> list[str]:
    """A catalog phrase's words, folded, without function words."""
    words = [t.norm for t in analyse(text).tokens if t.norm]
    return [fold(w) for w in words if w not in STOPWORDS] or [fold(w) for w in words]


@dataclass(frozen=True)
class Ranked:
    service_id: str
    score: float  # calibrated: about the chance that this is the service meant
    name: float
    meaning: float
    agency: float


class ServiceIndex:
    """Built once per catalog (a few seconds for 2,000 services, most of it the encoder)."""

    def __init__(
        self,
        catalog: Catalog,
        encoder: Optional[SentenceEncoder] = None,
        weights: Sequence[float] = WEIGHTS,
        bias: float = BIAS,
    ) -> None:
        self.services: list[Service] = sorted(catalog.services.values(), key=lambda s: s.id)
        self.ids = [s.id for s in self.services]
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = bias
        self.encoder = encoder
        self._build_names(catalog)
        self._build_meaning()

    # --- building -------------------------------------------------------------------------------

    def _build_names(self, catalog: Catalog) -> None:
        docs: list[str] = []
        owners: list[int] = []
        self._title_words: set[str] = set()
        for position, service in enumerate(self.services):
            for phrase in dict.fromkeys([service.name.ar, service.name.en, *service.names]):
                words = phrase_words(phrase) if phrase else []
                if words:
                    docs.append(" ".join(words))
                    owners.append(position)
                if phrase in (service.name.ar, service.name.en):
                    self._title_words.update(words)
        agencies = [a for a in catalog.agencies.values() if a.services]
        agency_docs: list[str] = []
        agency_owner: list[int] = []
        for position, agency in enumerate(agencies):
            for phrase in dict.fromkeys([agency.name.ar, agency.name.en, *agency.names]):
                words = phrase_words(phrase) if phrase else []
                if words:
                    agency_docs.append(" ".join(words))
                    agency_owner.append(position)
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, dtype=np.float32)
        self._vectorizer.fit(docs + agency_docs)
        self._analyzer = self._vectorizer.build_analyzer()
        self._vocabulary = self._vectorizer.vocabulary_
        self._idf = self._vectorizer.idf_.astype(np.float32)
        self._unseen_idf = float(np.log(len(docs) + len(agency_docs) + 1) + 1)  # smooth idf of an n-gram in no name
        self._names = self._vectorizer.transform(docs).tocsr()  # rows l2-normalised: cosine
        self._name_coverage = _l1_rows(self._names)  # share of a name's weight found in a message
        self._name_owner = np.asarray(owners)
        self._agency_coverage = _l1_rows(self._vectorizer.transform(agency_docs).tocsr())
        self._agency_owner = np.asarray(agency_owner)
        agency_position = {a.id: i for i, a in enumerate(agencies)}
        self._service_agency = np.asarray([agency_position.get(s.agency.id, -1) for s in self.services])
        self._n_agencies = len(agencies)
        # Nouns a verb form may stand for are kept only when some name has them.
        self._name_words = {w for doc in docs for w in doc.split()}
        owners_of: dict[str, set[int]] = {}
        for doc, owner in zip(docs, owners):
            for word in doc.split():
                owners_of.setdefault(word, set()).add(owner)
        self._word_owners = {w: np.fromiter(o, dtype=np.int32) for w, o in owners_of.items()}
        self._word_list = sorted(w for w in self._name_words if len(w) >= 4)

    def _build_meaning(self) -> None:
        self._meaning: Optional[np.ndarray] = None
        if self.encoder is None or not self.services:
            return
        texts: list[str] = []
        owners: list[int] = []
        for position, service in enumerate(self.services):
            for language in ("ar", "en"):
                title = getattr(service.name, language)
                description = _answer(service, "overview", language)
                steps = _answer(service, "steps", language)
                if title or description:
                    texts.append(f"{title}. {description}"[:_DESCRIPTION_CHARS])
                    owners.append(position)
                if steps:
                    texts.append(f"{title}. {steps}"[:_DESCRIPTION_CHARS])
                    owners.append(position)
        vectors = np.vstack([self.encoder.embed(texts[i : i + 256]) for i in range(0, len(texts), 256)])
        self._meaning = vectors.astype(np.float32)
        self._meaning_owner = np.asarray(owners)

    # --- ranking --------------------------------------------------------------------------------

    def has_word(self, word: str) -> bool:
        """Whether some service name has this word, its clitics or verb form aside ("جوازي", "اجدد")."""
        return bool(self._known_forms(word)) or bool(self._nouns(word))

    def in_titles(self, word: str) -> bool:
        """Whether some service's official title has this word (its clitics or verb form aside);
        aliases often hold question words ("passport requirements"), titles seldom do."""
        forms = {fold(form) for form in stems(word)} | {fold(noun) for noun in noun_forms(word)}
        return not forms.isdisjoint(self._title_words)

    def _known_forms(self, word: str) -> list[str]:
        return [f for f in dict.fromkeys(fold(form) for form in stems(word)) if f in self._name_words]

    def _nouns(self, word: str) -> list[str]:
        return [f for f in dict.fromkeys(fold(noun) for noun in noun_forms(word)) if f in self._name_words]

    def query_words(self, content: Sequence[str]) -> tuple[list[str], bool]:
        """The message's content words, folded; with the forms some name has of a word with
        clitics ("جوازي" -> جواز) and the nouns of its verb forms ("اجدد" -> تجديد)."""
        words = [fold(w) for w in content if w and w not in STOPWORDS]
        extra: list[str] = []
        verb = False
        for word in content:
            known = self._known_forms(word)
            extra += [f for f in known if f not in words and f not in extra]
            if not known:
                nouns = [f for f in self._nouns(word) if f not in words and f not in extra]
                extra += nouns
                verb = verb or bool(nouns)
        return words + extra, verb

    def _query(self, words: list[str]) -> tuple[sparse.csr_matrix, float]:
        """The query's tf-idf vector over the catalog's n-grams, and its norm counting the n-grams
        no name has too: a word the catalog lacks must dilute the match, not vanish from it."""
        grams = Counter(self._analyzer(" ".join(words)))
        columns, values, unknown = [], [], 0.0
        for gram, count in grams.items():
            weight = 1.0 + np.log(count)
            column = self._vocabulary.get(gram)
            if column is None:
                unknown += (weight * self._unseen_idf) ** 2
            else:
                columns.append(column)
                values.append(weight * self._idf[column])
        vector = sparse.csr_matrix(
            (np.asarray(values, dtype=np.float32), (np.zeros(len(columns), dtype=np.int32), columns)),
            shape=(1, len(self._idf)),
        )
        norm = float(np.sqrt(sum(v * v for v in values) + unknown)) or 1.0
        return vector, norm

    def features(self, content: Sequence[str], text: str) -> np.ndarray:
        """(services x N_FEATURES) raw features of the message against every service."""
        n = len(self.services)
        out = np.zeros((n, N_FEATURES), dtype=np.float32)
        words, verb = self.query_words(content)
        if content:
            out[:, 5] = self._word_share(content, n)
        if words:
            query, norm = self._query(words)
            cosine = (self._names @ query.T).toarray().ravel() / norm
            binary = query.copy()
            binary.data[:] = 1.0
            coverage = (self._name_coverage @ binary.T).toarray().ravel()
            out[:, 0] = _max_by_owner(cosine, self._name_owner, n)
            out[:, 1] = _max_by_owner(coverage, self._name_owner, n)
            if self._n_agencies:
                agency = _max_by_owner((self._agency_coverage @ binary.T).toarray().ravel(), self._agency_owner, self._n_agencies)
                known = self._service_agency >= 0
                out[known, 3] = agency[self._service_agency[known]]
            out[:, 4] = float(verb)
        if self._meaning is not None and self.encoder is not None and text.strip():
            vector = self.encoder.embed([text])[0]
            out[:, 2] = _max_by_owner(self._meaning @ vector, self._meaning_owner, n)
        return out

    def _word_share(self, content: Sequence[str], n: int) -> np.ndarray:
        """For each service: the share of the message's content words one of its names has (the
        word, a form without clitics, its verb form's noun, or the word with one slip)."""
        share = np.zeros(n, dtype=np.float32)
        for word in content:
            hits = set(self._known_forms(word)) | set(self._nouns(word))
            folded = fold(word)
            if not hits and len(folded) >= 4 and not folded.isascii() or not hits and len(folded) >= 5:
                hits = {w for w, _, _ in process.extract(
                    folded, self._word_list, scorer=Levenshtein.distance, score_cutoff=1, limit=5)}
            owners = [self._word_owners[w] for w in hits if w in self._word_owners]
            if owners:
                share[np.unique(np.concatenate(owners))] += 1.0
        return share / max(len(content), 1)

    def rank(self, content: Sequence[str], text: str, limit: int = 5) -> list[Ranked]:
        """The best `limit` services for a message, best first; `content`: its content words
        (normalised tokens), `text`: the message as the encoder should read it."""
        if not self.services:
            return []
        features = self.features(content, text)
        scores = 1.0 / (1.0 + np.exp(-(features @ self.weights + self.bias)))
        best = np.argsort(-scores, kind="stable")[:limit]
        return [
            Ranked(self.ids[i], float(scores[i]), float(features[i, 0]), float(features[i, 2]), float(features[i, 3]))
            for i in best
        ]


def _answer(service: Service, aspect: str, language: str) -> str:
    text = service.answers.get(aspect)
    return (getattr(text, language) or "") if text else ""


def _l1_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    sums[sums == 0] = 1.0
    return sparse.diags(1.0 / sums).dot(matrix).tocsr().astype(np.float32)


def _max_by_owner(values: np.ndarray, owners: np.ndarray, size: int) -> np.ndarray:
    """Each owner's best value. Rows are built owner by owner, so a segment maximum (reduceat)
    serves; `np.maximum.at` is ten times slower and only used if some owner has no row."""
    values = values.astype(np.float32)
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]]) if len(owners) else owners
    if len(starts) == size and (len(owners) == 0 or owners[-1] == size - 1):
        return np.maximum.reduceat(values, starts) if size else np.zeros(0, dtype=np.float32)
    out = np.zeros(size, dtype=np.float32)
    np.maximum.at(out, owners, values)
    return out

