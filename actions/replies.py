"""How actions speak: the citizen's language, choices, and signals for the pipeline."""

from __future__ import annotations

import json
from typing import Any, Iterable, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from catalog.replies import reply_language

# Custom JSON the brain reads and never sends: marks the turn for staff review; says which language
# the actions spoke (a message with no language of its own, "2024-118734", keeps the conversation's).
REVIEW_SIGNAL = "tawasol_review"
LANGUAGE_SIGNAL = "tawasol_language"
# The turn's metadata key naming the service of the alert the citizen is answering (brain/rasa_brain.py).
ALERT_SERVICE = "tawasol_alert_service"


def language_of(tracker: Tracker) -> str:
    return reply_language(tracker.get_slot("language"))


def intent_payload(intent: str, **entities: str) -> str:
    """A choice's payload: a Rasa intent command, so a tap skips NLU and lands exactly."""
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


def choice(title: str, payload: str, description: Optional[str] = None) -> dict[str, Any]:
    button: dict[str, Any] = {"title": title, "payload": payload}
    if description:
        button["description"] = description
    return button


def utter(
    dispatcher: CollectingDispatcher, text: str, choices: Iterable[dict[str, Any]] = (), *, language: str
) -> None:
    """Say `text` (written in `language`, "ar" or "en") with optional choices."""
    buttons = list(choices)
    signal = {LANGUAGE_SIGNAL: language}
    if buttons:
        dispatcher.utter_message(text=text, buttons=buttons, json_message=signal)
    else:
        dispatcher.utter_message(text=text, json_message=signal)


def flag_for_review(dispatcher: CollectingDispatcher, reason: str) -> None:
    dispatcher.utter_message(json_message={REVIEW_SIGNAL: reason})
