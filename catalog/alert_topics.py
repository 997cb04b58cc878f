"""The alert topics citizens subscribe to (seed 000, item 3: the Saudi Ministry of Interior's free
alerts), the document each expiry topic is about, the catalog service that renews it, and the words
citizens use for each (Arabic, Arabizi, English), so chat, SMS keywords and the agency API agree.

Pure data and text matching: the pipeline (keywords), the actions (chat) and the API read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from language.normalize import normalize_arabic

PASSPORT_EXPIRY = "passport_expiry"
ID_CARD_EXPIRY = "id_card_expiry"
DRIVING_LICENSE_EXPIRY = "driving_license_expiry"
VEHICLE_REGISTRATION_EXPIRY = "vehicle_registration_expiry"
RESIDENCE_PERMIT_EXPIRY = "residence_permit_expiry"
TRAFFIC_VIOLATIONS = "traffic_violations"

TOPICS: tuple[str, ...] = (
    PASSPORT_EXPIRY,
    ID_CARD_EXPIRY,
    DRIVING_LICENSE_EXPIRY,
    VEHICLE_REGISTRATION_EXPIRY,
    RESIDENCE_PERMIT_EXPIRY,
    TRAFFIC_VIOLATIONS,
)

DOCUMENT_TYPES: tuple[str, ...] = ("passport", "id_card", "driving_license", "vehicle_registration", "residence_permit")

# Where an alert's next step points: the catalog service that renews the document (or pays the fine).
SERVICE_OF_TOPIC: dict[str, str] = {
    PASSPORT_EXPIRY: "cspd.passport_renew",
    ID_CARD_EXPIRY: "cspd.id_card",
    DRIVING_LICENSE_EXPIRY: "dvld.driving_license_renew",
    VEHICLE_REGISTRATION_EXPIRY: "dvld.vehicle_license_renew",
    RESIDENCE_PERMIT_EXPIRY: "moi.residence_permit",
    TRAFFIC_VIOLATIONS: "psd.traffic_violations",
}

# The topic's name as an alert or a confirmation says it.
TOPIC_NAMES: dict[str, dict[str, str]] = {
    PASSPORT_EXPIRY: {"ar": "جواز السفر", "en": "passport"},
    ID_CARD_EXPIRY: {"ar": "البطاقة الشخصية", "en": "ID card"},
    DRIVING_LICENSE_EXPIRY: {"ar": "رخصة القيادة", "en": "driving licence"},
    VEHICLE_REGISTRATION_EXPIRY: {"ar": "ترخيص المركبة", "en": "vehicle registration"},
    RESIDENCE_PERMIT_EXPIRY: {"ar": "الإقامة", "en": "residence permit"},
    TRAFFIC_VIOLATIONS: {"ar": "المخالفات المرورية", "en": "traffic violations"},
}

# The SMS keyword of each topic (README: "ALERT PASSPORT" / "تنبيه جواز").
KEYWORD_OF_TOPIC: dict[str, dict[str, str]] = {
    PASSPORT_EXPIRY: {"ar": "جواز", "en": "PASSPORT"},
    ID_CARD_EXPIRY: {"ar": "هوية", "en": "ID"},
    DRIVING_LICENSE_EXPIRY: {"ar": "رخصة", "en": "LICENSE"},
    VEHICLE_REGISTRATION_EXPIRY: {"ar": "ترخيص", "en": "VEHICLE"},
    RESIDENCE_PERMIT_EXPIRY: {"ar": "اقامة", "en": "RESIDENCE"},
    TRAFFIC_VIOLATIONS: {"ar": "مخالفات", "en": "FINES"},
}


_TOPIC_OF_SERVICE: dict[str, str] = {service: topic for topic, service in SERVICE_OF_TOPIC.items()}


def topic_of_service(service_id: Optional[str]) -> Optional[str]:
    """cspd.passport_renew -> passport_expiry: the topic of the alert that points to this service
    (a citizen answering an alert with "الغاء" or STOP means that alert's topic)."""
    return _TOPIC_OF_SERVICE.get(service_id or "")


def topic_of_document(document_type: str) -> str:
    """passport -> passport_expiry."""
    if document_type not in DOCUMENT_TYPES:
        raise ValueError(f"unknown document type {document_type!r}")
    return f"{document_type}_expiry"


def document_of_topic(topic: str) -> Optional[str]:
    """passport_expiry -> passport; None for traffic_violations."""
    document = topic[: -len("_expiry")] if topic.endswith("_expiry") else None
    return document if document in DOCUMENT_TYPES else None


# Words that name a topic, written after normalisation (no hamza on alef, ta marbuta as ha, alef
# maqsura as ya, lower case). Order matters: a phrase is tried before the words inside it ("رخصة
# السيارة" is the vehicle, "رخصة" alone the driving licence; "car license" the vehicle).
_PHRASES: list[tuple[str, str]] = [
    # vehicle registration first: its phrases contain "رخصه"/"license"
    (VEHICLE_REGISTRATION_EXPIRY, r"ترخيص|رخصه (السياره|المركبه|سيارتي)|استماره|مركبه|سياره|سيارتي|"
     r"vehicle|car (license|licence|registration|reg)|car|registration|tarkhees|tarkhis|istimara|estmara|sayyara|sayara"),
    (DRIVING_LICENSE_EXPIRY, r"رخصه|رخصتي|رخصة|سواقه|قياده|driving|driver'?s?|licen[cs]e|rokhsa|ro5sa|rukhsa|rokhsti"),
    (PASSPORT_EXPIRY, r"جواز|جوازي|باسبور|باسبورت|passport|jawaz|jawazi|basbor|basbort"),
    (ID_CARD_EXPIRY, r"هويه|هويتي|بطاقه شخصيه|البطاقه الشخصيه|الهويه|id|identity|national id|id card|hawiye|hawiyeh|hawiya|hawyti"),
    (RESIDENCE_PERMIT_EXPIRY, r"اقامه|اقامتي|الاقامه|residence|residency|iqama|e2ame|iqame|e2amti"),
    (TRAFFIC_VIOLATIONS, r"مخالفه|مخالفات|مخالفاتي|المخالفات|violation|violations|fine|fines|"
     r"m5alafa|mukhalafe|mukhalafa|m5alafat|mukhalafat|traffic"),
]
_COMPILED = [(topic, re.compile(rf"(?<![\w])(?:ال)?(?:{pattern})(?![\w])")) for topic, pattern in _PHRASES]


def fold(text: str) -> str:
    return normalize_arabic(text or "").casefold()


def topics_in(text: str) -> list[str]:
    """The topics a message names, in the order of `TOPICS` ("نبهني قبل ما يخلص جوازي" ->
    [passport_expiry]); a word counts once, for the first topic whose phrase takes it."""
    remaining = f" {fold(text)} "
    found: set[str] = set()
    for topic, pattern in _COMPILED:
        if pattern.search(remaining):
            found.add(topic)
            remaining = pattern.sub(" ", remaining)
    return [t for t in TOPICS if t in found]


_KEYWORD_TOPIC: dict[str, str] = {}
for _topic, _words in KEYWORD_OF_TOPIC.items():
    for _word in _words.values():
        _KEYWORD_TOPIC[fold(_word)] = _topic


def topic_of_keyword(word: str) -> Optional[str]:
    """The topic one SMS keyword word names: the listed keyword ("PASSPORT", "جواز"), else any
    single word or phrase `topics_in` reads as exactly one topic ("iqama", "مخالفة")."""
    folded = fold(word).strip()
    if folded in _KEYWORD_TOPIC:
        return _KEYWORD_TOPIC[folded]
    found = topics_in(folded)
    return found[0] if len(found) == 1 else None
