"""Is a message only a service's name, put as a follow-up ("وللهوية؟", "and for the ID card?")?

Then it asks the question just answered again, about the service it names; anything more ("شو
الهوية؟", "ID card documents") is a question of its own.
"""

from __future__ import annotations

from language.analysis import analyse

# Words that only link a follow-up to what was said before (folded spelling, as analyse() gives them).
_LINKING_WORDS = frozenset(
    """
    و ف طيب طب بالنسبه وبالنسبه عن وعن ماذا وماذا شو وشو ايش وايش وال ال ل لل
    ول ولل كمان ايضا برضو هل وهل يا and what about how for the a an also then so ok okay
    """.split()
)


def names_only_the_service(text: str, start: int, end: int) -> bool:
    """True when every word outside text[start:end] (where the service is named) only links."""
    outside = text[:start] + " " + text[end:]
    return all(token.norm in _LINKING_WORDS for token in analyse(outside).tokens)
