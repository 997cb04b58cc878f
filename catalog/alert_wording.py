"""What confirmations of alert subscriptions say (data/replies.yml), shared by the chat actions and
the SMS keywords so both answer alike."""

from __future__ import annotations

from typing import Sequence

from catalog.alert_topics import KEYWORD_OF_TOPIC, TOPIC_NAMES, TOPICS, TRAFFIC_VIOLATIONS
from catalog.replies import reply_language, say

_AND = {"ar": " و", "en": " and "}


def topic_list(topics: Sequence[str], language: str) -> str:
    """"passport and ID card" / "جواز السفر والبطاقة الشخصية"."""
    language = reply_language(language)
    names = [TOPIC_NAMES[t][language] for t in topics]
    if len(names) <= 1:
        return "".join(names)
    joiner = "، " if language == "ar" else ", "
    return joiner.join(names[:-1]) + _AND[language] + names[-1]


def subscribe_keyword(topic: str, language: str) -> str:
    language = reply_language(language)
    return f"تنبيه {KEYWORD_OF_TOPIC[topic]['ar']}" if language == "ar" else f"ALERT {KEYWORD_OF_TOPIC[topic]['en']}"


def stop_keyword(topic: str, language: str) -> str:
    """What to send to stop one topic's alerts: "STOP ALERT PASSPORT" / "ايقاف تنبيه جواز"."""
    language = reply_language(language)
    return f"ايقاف تنبيه {KEYWORD_OF_TOPIC[topic]['ar']}" if language == "ar" else f"STOP ALERT {KEYWORD_OF_TOPIC[topic]['en']}"


def subscribed_text(topics: Sequence[str], language: str) -> str:
    """The confirmation: what they will get, when, that it is free, and how to stop it."""
    language = reply_language(language)
    documents = [t for t in topics if t != TRAFFIC_VIOLATIONS]
    parts = []
    if documents:
        stop = stop_keyword(documents[0], language)
        parts.append(say("subscribed", language, topics=topic_list(documents, language), stop=stop))
    if TRAFFIC_VIOLATIONS in topics:
        parts.append(say("subscribed_violations", language, stop=stop_keyword(TRAFFIC_VIOLATIONS, language)))
    return "\n".join(parts)


def which_topic_text(language: str) -> str:
    language = reply_language(language)
    keywords = "، ".join(subscribe_keyword(t, language) for t in TOPICS) if language == "ar" else ", ".join(
        subscribe_keyword(t, language) for t in TOPICS
    )
    return say("which_topic", language, keywords=keywords)
