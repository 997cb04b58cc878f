"""Fixed words a citizen can send on any channel (STOP, HELP, AR...), and menu numbers.

Pure text matching, no I/O: what to do about them is the pipeline's business (pipeline/fast_paths.py).
A keyword counts only when it is the whole message: "stop my passport renewal" goes to the brain.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

from catalog.alert_topics import topic_of_keyword
from language.normalize import normalize_arabic


class Keyword(enum.Enum):
    STOP = "stop"  # no more pushes
    START = "start"  # pushes again
    HELP = "help"
    ARABIC = "ar"
    ENGLISH = "en"
    MORE = "more"  # the rest of a summarised answer (text messages are short)


@dataclass(frozen=True)
class KeywordMatch:
    keyword: Keyword
    language: str  # the language the keyword was written in, for the confirmation


# Written after normalise(): no hamza on alef, ta marbuta as ha, alef maqsura as ya, lower case.
_KEYWORDS: dict[str, KeywordMatch] = {}
for _words, _keyword, _language in [
    (["stop", "unsubscribe"], Keyword.STOP, "en"),
    (["ايقاف", "الغاء"], Keyword.STOP, "ar"),
    (["start", "subscribe"], Keyword.START, "en"),
    (["ابدا"], Keyword.START, "ar"),
    (["help"], Keyword.HELP, "en"),
    (["مساعده"], Keyword.HELP, "ar"),
    (["ar", "arabic"], Keyword.ARABIC, "en"),
    (["عربي"], Keyword.ARABIC, "ar"),
    (["en", "english"], Keyword.ENGLISH, "en"),
    (["انجليزي", "انكليزي"], Keyword.ENGLISH, "ar"),
    (["more"], Keyword.MORE, "en"),
    (["المزيد", "مزيد"], Keyword.MORE, "ar"),
]:
    for _word in _words:
        _KEYWORDS[_word] = KeywordMatch(_keyword, _language)

# "STOP CSPD" / "ايقاف CSPD": a stop (or start) word, then an agency's code (its id, as its
# messages print it). Only STOP and START take a code.
_AGENCY_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


@dataclass(frozen=True)
class AgencyKeywordMatch:
    keyword: Keyword  # STOP or START
    agency_code: str  # lower case, as agencies.id
    language: str


_EDGE_PUNCTUATION = " \t\r\n.,!?;:()[]-_\"'،؛؟*#"
_MENU_NUMBER = re.compile(r"^[0-9]{1,2}$")


def normalise(text: str) -> str:
    """Fold the ways one word gets typed (language's normalisation: diacritics, tatweel, alef /
    taa marbuta / alef maqsura forms, digits, case), then the punctuation around a bare word."""
    return normalize_arabic(text or "").casefold().strip(_EDGE_PUNCTUATION)


def match_keyword(text: str) -> Optional[KeywordMatch]:
    return _KEYWORDS.get(normalise(text))


def menu_number(text: str) -> Optional[int]:
    """A bare menu number: "1", "٢" (Arabic-Indic), "۳" (Persian), with stray punctuation; else None."""
    folded = "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in normalise(text))
    if not _MENU_NUMBER.match(folded):
        return None
    number = int(folded)
    return number if number > 0 else None


def match_agency_keyword(text: str) -> Optional[AgencyKeywordMatch]:
    """ "STOP CSPD", "إيقاف cspd", "START CSPD": the keyword and the agency code; else None."""
    words = normalise(text).split()
    if len(words) != 2:
        return None
    found = _KEYWORDS.get(words[0].strip(_EDGE_PUNCTUATION))
    code = words[1].strip(_EDGE_PUNCTUATION)
    if found is None or found.keyword not in (Keyword.STOP, Keyword.START) or not _AGENCY_CODE.match(code):
        return None
    return AgencyKeywordMatch(found.keyword, code, found.language)


def opts_in_or_out(kind: str, text: str) -> bool:
    """STOP or START, alone or with an agency's code: what must work even while an agent holds the
    citizen's conversation and the bot is otherwise quiet."""
    if kind != "text":
        return False
    found = match_keyword(text)
    if found is not None:
        return found.keyword in (Keyword.STOP, Keyword.START)
    return match_agency_keyword(text) is not None


# "ALERT PASSPORT" / "تنبيه جواز" subscribes to one alert topic; "STOP ALERT PASSPORT" / "ايقاف
# تنبيه جواز" unsubscribes from it; "STOP ALERTS" from all of them; "ALERT" alone lists them.
_ALERT_WORDS = {"alert": "en", "alerts": "en", "تنبيه": "ar", "تنبيهات": "ar", "التنبيهات": "ar", "التنبيه": "ar"}


@dataclass(frozen=True)
class AlertKeywordMatch:
    subscribe: bool  # False: stop
    topics: tuple[str, ...]  # empty: none named ("ALERT" alone lists them; "STOP ALERTS" stops all)
    language: str
    unknown_topic: bool = False  # a word after ALERT that names no topic


def match_alert_keyword(text: str) -> Optional[AlertKeywordMatch]:
    words = [w.strip(_EDGE_PUNCTUATION) for w in normalise(text).split()]
    words = [w for w in words if w]
    if not words:
        return None
    subscribe = True
    if len(words) >= 2 and words[0] in _KEYWORDS and _KEYWORDS[words[0]].keyword is Keyword.STOP and words[1] in _ALERT_WORDS:
        subscribe, words = False, words[1:]
    if words[0] not in _ALERT_WORDS or len(words) > 4:
        return None
    language = _ALERT_WORDS[words[0]]
    rest = " ".join(words[1:])
    if not rest:
        return AlertKeywordMatch(subscribe, (), language)
    topic = topic_of_keyword(rest)
    if topic is None:
        return AlertKeywordMatch(subscribe, (), language, unknown_topic=True)
    return AlertKeywordMatch(subscribe, (topic,), language)


