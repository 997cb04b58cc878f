"""Which clause of a message asks, and which only tells.

"بنتي جابت 90 بالتوجيهي، كيف تقدم على طب بالجامعة؟" names the Tawjihi in a clause that tells
(what happened) and university admission in the one that asks: the question is about admission.
"رسوم جواز السفر، وبدي اسجل شركة" asks in both, and "عدم محكومية، بدي اياها للوظيفة" fronts its
topic in a clause of the service's name alone: those keep the catalog service (service_extractor.py).

A question about what something requires ("بدهم مني كتاب من المخفر؟") asks about the service told
about, not about the one it names. A clause ends at punctuation, or where a question or request word follows a word that is not one
("الجواز بدي اجدده": "الجواز" | "بدي اجدده"). A clause asks when it has a question word, a word of
wanting or needing, an aspect word (fees, papers, how long) or ends with a question mark.
Words are in folded spelling (as tokens reach us: ة -> ه, ى -> ي, Arabizi transliterated).
"""

from __future__ import annotations

from typing import Callable, Sequence

from nlu.services import stems

_ENDS_CLAUSE = frozenset(",،.؟?!؛;:\n")
_QUESTION_MARKS = frozenset("؟?")

# Question words, wanting and needing, and the aspects a question asks about.
_ASKING = frozenset(
    """
    كيف كيفيه شو ايش اشو وش شلون قديش كديش شقد شكد كم بكم ما ماذا متي امتي وين اين فين منين ليش لماذا
    ليه هل وشلون بدي بدنا بده بدو بدها بدهم بدك ابي ابغي ابا نبي بغيت اريد نريد يريد تريد اود ودي
    اعرف نعرف يعرف حابب حابه ممكن بقدر اقدر بنقدر نقدر يقدر تقدر لازم يلزم بلزم بحتاج احتاج محتاج نحتاج يحتاج تحتاج
    رسوم تكلفه تكاليف سعر اسعار مصاريف اوراق ورق مستندات وثائق اوراقها خطوات اجراءات طريقه مده مدت
    وقت شروط مكان دوام مواعيد
    how what when where which who why whom can could should would need needs want
    wants fees fee cost costs price documents papers steps procedure process requirements required
    eligible eligibility hours take long much many
    """.split()
)


# Asking what something requires: the not-yet service asked about is then a part of the catalog service
# told about ("الهوية ضاعت بالسوق، بدهم مني كتاب من المخفر؟": the police report is for the lost ID).
_REQUIRING = frozenset(
    """
    بدها بده بدو بدهم بدهن بدن بيطلبو بيطلبوا يطلبو يطلبوا يطلبون بطلبو مطلوب المطلوب لازم يلزم بلزم بيلزم ضروري شرط
    يحتاج تحتاج بحتاج احتاج محتاج نحتاج require requires required requirement need needs needed must
    """.split()
)


def _asking(norm: str) -> bool:
    return not stems(norm).isdisjoint(_ASKING) if norm else False


def clause_indexes(text: str, spans: Sequence[tuple[int, int]], norms: Sequence[str]) -> list[int]:
    """For each token, the number of the clause it is in."""
    clauses: list[int] = []
    current = 0
    for i, (start, _) in enumerate(spans):
        if i:
            between = text[spans[i - 1][1] : start]
            if not _ENDS_CLAUSE.isdisjoint(between) or (_asking(norms[i]) and not _asking(norms[i - 1])):
                current += 1
        clauses.append(current)
    return clauses


def asking_clauses(text: str, spans: Sequence[tuple[int, int]], norms: Sequence[str]) -> set[int]:
    """The clauses that ask something."""
    clauses = clause_indexes(text, spans, norms)
    asking = {clauses[i] for i, norm in enumerate(norms) if _asking(norm)}
    for i, (_, end) in enumerate(spans):
        last_of_clause = i + 1 == len(spans) or clauses[i + 1] != clauses[i]
        following = text[end : spans[i + 1][0]] if i + 1 < len(spans) else text[end:]
        if last_of_clause and not _QUESTION_MARKS.isdisjoint(following):
            asking.add(clauses[i])
    return asking


def asked_as_required(text: str, spans: Sequence[tuple[int, int]], norms: Sequence[str], asked: Sequence[int]) -> bool:
    """Is the name at positions `asked` what something requires: after a word of requiring in its
    clause ("بدهم مني كتاب من المخفر؟", "bedha fa7es nazar", "do I need a police report")?"""
    if not asked:
        return False
    clauses = clause_indexes(text, spans, norms)
    last = max(asked)
    return any(
        clauses[i] == clauses[last] and not stems(norms[i]).isdisjoint(_REQUIRING) for i in range(last)
    )


def asked_beside_a_telling(
    text: str,
    spans: Sequence[tuple[int, int]],
    norms: Sequence[str],
    asked: Sequence[int],
    told: Sequence[int],
    telling_word: Callable[[str], bool],
) -> bool:
    """Is the name at positions `asked` in a clause that asks, and the one at `told` only in clauses
    that ask nothing and say something more than the name (`telling_word` decides what a word that
    says something is: "بنتي جابت 90 بالتوجيهي", not a topic fronted alone, "عدم محكومية،")?"""
    if not asked or not told:
        return False
    clauses = clause_indexes(text, spans, norms)
    asking = asking_clauses(text, spans, norms)
    asked_in = {clauses[i] for i in asked}
    told_in = {clauses[i] for i in told}
    if asked_in & told_in or not asked_in <= asking or told_in & asking:
        return False
    if asked_as_required(text, spans, norms, asked):
        return False
    told_positions = set(told)
    return any(
        clauses[i] in told_in and i not in told_positions and telling_word(norm) for i, norm in enumerate(norms)
    )
