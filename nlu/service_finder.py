"""Which service a message means: the phrase matcher first, the retrieval index beside it.

- A service the phrase matcher (nlu/services.py) names with a catalog phrase stays: hand-written
  names are the most precise thing we have.
- Otherwise the retrieval index (nlu/service_index.py) ranks every service. One clearly ahead
  and likely enough is the answer; two to four about equally likely are offered as a choice
  (buttons on WhatsApp, a numbered menu on SMS: the `service_candidates` path the dialogue already
  has); none likely enough is nothing, and the dialogue says so and offers the agency or a person.
- Candidates the phrase matcher offers (a word several services share, an agency's name) stay a
  choice unless the index is sure of one service.

The thresholds were chosen by 5-fold cross-validation on our own questions
(bench/service_index_fit.py), never on a public set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional, Sequence

from nlu.service_index import Ranked, ServiceIndex
from nlu.services import Resolution, ServiceResolver
from nlu.unlisted import QuestionWords, is_content_word


def asks_about_service(intent: Optional[str]) -> bool:
    return intent is None or intent.startswith("ask_")


@lru_cache(maxsize=1)
def _closed_class() -> QuestionWords:
    """Function words and everyday words only, without the learnt question words."""
    return QuestionWords()


@dataclass(frozen=True)
class Thresholds:
    accept: float = 0.5  # one service this likely, and clearly ahead, is the answer
    margin: float = 0.3  # services within this of the best fit "about equally"
    ask: float = 0.5  # below this, even the best fit is no fit: nothing
    override: float = 0.8  # this sure, the index picks one of the phrase matcher's candidates
    max_candidates: int = 4


THRESHOLDS = Thresholds()


@dataclass
class ServiceFinder:
    resolver: ServiceResolver
    index: Optional[ServiceIndex] = None
    question_words: QuestionWords = field(default_factory=QuestionWords)
    thresholds: Thresholds = THRESHOLDS

    def find(
        self, norms: Sequence[str], spans: Sequence[tuple[int, int]], text: str, intent: Optional[str] = None
    ) -> Resolution:
        """`intent`: the classifier's; the index is asked only about questions on a service (or
        when no intent is known): a greeting, a hand-off or a status question names a service
        only in catalog words, never by description."""
        found = self.resolver.resolve_tokens(norms, spans)
        if self.index is None or (found.service_id and not found.by_agency) or not asks_about_service(intent):
            return found
        content = self.content_positions(norms)
        if not content:
            return found  # a follow-up ("وكم الرسوم؟"): nothing to look up
        ranked = self.index.rank([norms[i] for i in content], text)
        return self.decide(found, ranked, content, spans)

    def content_positions(self, norms: Sequence[str]) -> list[int]:
        """Words that may name a service: not function words, and not question words unless some
        service name has them (or the noun of their verb form)."""
        assert self.index is not None
        kept, unknown = [], False
        for i, norm in enumerate(norms):
            if len(norm) < 2 or any(ch.isdigit() for ch in norm):
                continue
            if is_content_word(norm, self.question_words):
                kept.append(i)
                unknown = True
            elif not is_content_word(norm, _closed_class()):
                # A function or everyday word. (Keeping those a name has, "اجدد" for تجديد, found more
                # verb forms but cost one held-out A message: measured 2026-12-07, left out.)
                continue
            elif self.index.has_word(norm):  # a learnt question word some service name has
                kept.append(i)
                unknown = unknown or self.index.in_titles(norm)
        # Only words that questions are made of ("requirements?", "وين المكتب؟", "how do i apply"),
        # none in a service's title: a follow-up about the service discussed, even where some alias
        # has the word.
        return kept if unknown else []

    def decide(
        self, found: Resolution, ranked: list[Ranked], content: Sequence[int], spans: Sequence[tuple[int, int]]
    ) -> Resolution:
        t = self.thresholds
        if not ranked:
            return found
        best = ranked[0]
        close = [r for r in ranked[: t.max_candidates] if r.score >= best.score - t.margin]
        start, end = spans[content[0]][0], spans[content[-1]][1]
        positions = tuple(content)
        if found.candidates:
            # A word several services share, or an agency's name: a choice, unless the index is sure.
            sure = best.score >= t.override and len(close) == 1
            return Resolution(best.service_id, (), best.score, start, end, positions) if sure else found
        if best.score >= t.accept and len(close) == 1:
            return Resolution(best.service_id, (), best.score, start, end, positions)
        if best.score >= t.ask and len(close) >= 2:
            return Resolution(None, tuple(r.service_id for r in close), best.score, start, end, positions)
        return found
