"""Does a message name something the catalog does not have?

"ابي اسجل شركة جديدة" names no catalog service, yet it is not a follow-up either: it names a
service we do not offer. Answering it about the service discussed before (context carry-over) gives
the citizen another service's answer with full confidence. A follow-up ("وكم الرسوم؟", "and the
documents?") is made of *question words*: aspects, question and function words, fillers. A message
with a content word outside those, where no catalog service was found, names something else.

The question words are learnt from the training data: the words around a catalog service's name
in examples that name one (the name's own words excluded), kept when they were seen beside at least
`min_services` different services. Closed-class words, the Levantine everyday words and Jordan's
places are added from fixed lists. A word one slip from a question word (5+ letters) counts as that
word.

`min_services` by 5-fold cross-validation on data/nlu (examples naming a catalog service, the name
taken out, stand for follow-ups; tests/nlu/unlisted_messages.tsv for services we do not have, the
not-yet list left out; tests/nlu/unlisted_cv.py): 1 flags 18.3% of the follow-ups and finds 29 of
40 unlisted services; 2: 34.4% and 37; 3: 44.2% and 39. A follow-up wrongly flagged costs the citizen a tap (the reply offers
the service just discussed); a service wrongly answered costs a wrong answer, but the not-yet list
names the commonest ones whatever this finds, so the fewest flagged follow-ups wins: 1.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from language.levantine import everyday_words
from nlu.services import stems
from nlu.typos import deletions

MIN_SERVICES = 1  # chosen by cross-validation on data/nlu (see above)
_MIN_TYPO_LENGTH = 5
_CONJUNCTIONS = ("و", "ف")

# Closed-class words (folded spelling, as tokens reach us) and places: never a service's name.
_FUNCTION_WORDS = frozenset(
    """
    ال و في من عن علي الي لل ل ب ف ك ما ماذا لماذا متي كيف كيفيه اين وين شو ايش اشو قديش كم كام شقد
    شكد بكم هل اذا ازا لو يا ان انه انها هو هي هم انا انت انتم نحن احنا اني هذا هذه ذلك تلك هاد هاي
    هدا هذي اللي الذي التي الذين او ام ثم بس لكن بعد قبل عند عندي مع بدون غير كل بعض اي ايه اش
    لا نعم اه ايوه اوكي طيب تمام خلص مش مو ليش ليه لسا لسه هلا هسا هلق الان اليوم بكره امس مرحبا
    السلام عليكم اهلا مساء صباح الخير شكرا مشكور يعطيك العافيه لو سمحت سمحت فضلك من فضلك الله ان شاء
    والله يسلمو بالنسبه بخصوص بشان حول عشان علشان لانه لان مشان منشان كمان ايضا برضو بدي ابي اريد
    ودي حابب بحب اعرف بعرف سؤال استفسار ممكن بقدر اقدر يلزم لازم بلزم بحتاج احتاج محتاج
    عمان اربد الزرقاء الزرقا العقبه السلط مادبا الكرك المفرق جرش عجلون الطفيله معان الرصيفه
    الاردن اردني اردنيه
    the a an of for to in on at by with about from and or but if is are was be been am do does did
    how what when where which who why whom whose much many long can could would should will shall may
    might must i me my we our you your he she it its they them their this that these those there
    here please thanks thank hi hello hey ok okay yes no not any some all also just only still yet
    need want know tell ask question info information about get got have has had make made give
    it's its what's where's how's who's that's there's i'm i've i'd you're don't doesn't can't cannot
    isn't aren't won't till til until instead than then so too very more most less own same other
    such into onto over under again further once both each few nor off out up down through during
    before after above below between while because as until being having doing would've should
    عنه عنها عنهم عليه عليها علها عليهم منه منها منهم فيه فيها فيهم له لها الو الها لهم الهم معه معها
    معهم الي الك الكم الها لي لك لكم لنا النا عندهم عندنا عنا معي معك معنا منا بها به بهم فيني فيك
    هيه هيا هوه اياها اياه انو انه اللي ياللي يلي حالي حالك نفسي نفسه نفسها بنفسي بنفسه
    """.split()
)


@dataclass
class QuestionWords:
    """Words a follow-up question is made of; `knows` says whether a token is one of them."""

    words: frozenset[str] = frozenset()
    _forms: set[str] = field(default_factory=set, repr=False)
    _one_slip: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        for word in self.words | _FUNCTION_WORDS | everyday_words():
            forms = stems(word)
            self._forms |= forms
            if len(word) >= _MIN_TYPO_LENGTH:
                self._one_slip |= deletions(word)

    @classmethod
    def learn(cls, examples: Iterable[tuple[Sequence[str], str]], min_services: int = MIN_SERVICES) -> "QuestionWords":
        """`examples`: (the words of an example outside its service's name, that service's id)."""
        seen_with: dict[str, set[str]] = defaultdict(set)
        for words, service_id in examples:
            for word in words:
                seen_with[word].add(service_id)
        return cls(frozenset(w for w, services in seen_with.items() if len(services) >= min_services))

    def knows(self, token: str) -> bool:
        # "وكم", "فشو": the stemmer keeps 3 letters at least, but a conjunction goes on any word.
        for word in {token, token[1:]} if token[:1] in _CONJUNCTIONS and len(token) > 2 else {token}:
            if not self._forms.isdisjoint(stems(word)):
                return True
        return len(token) >= _MIN_TYPO_LENGTH and not self._one_slip.isdisjoint(deletions(token))


def is_function_word(token: str) -> bool:
    """A closed-class word (a preposition, pronoun, greeting...): says nothing of its own."""
    return token in _FUNCTION_WORDS


def is_content_word(token: str, question_words: QuestionWords) -> bool:
    """A word that may name something: not a number, not too short, not a question word."""
    if len(token) < 3 or any(ch.isdigit() for ch in token):
        return False
    return not question_words.knows(token)


def unexplained_words(
    norms: Sequence[str], spans: Sequence[tuple[int, int]], named: tuple[int, int], question_words: QuestionWords
) -> list[int]:
    """Positions of the content words outside the characters `named` (start, end) covers."""
    start, end = named
    return [
        i
        for i, (norm, (a, b)) in enumerate(zip(norms, spans))
        if not (start < b and a < end) and is_content_word(norm, question_words)
    ]
