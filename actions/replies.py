"""How actions speak: the citizen's language, choices, and signals for the pipeline."""

from __future__ import annotations

import json
from typing import Any, Iterable, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from catalog.replies import reply_language

# A custom JSON message the brain reads and never sends: marks the turn for staff review.
REVIEW_SIGNAL = "tawasol_review"


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
    dispatcher: CollectingDispatcher, text: str, choices: Iterable[dict[str, Any]] = ()
) -> None:
    buttons = list(choices)
    if buttons:
        dispatcher.utter_message(text=text, buttons=buttons)
    else:
        dispatcher.utter_message(text=text)


def flag_for_review(dispatcher: CollectingDispatcher, reason: str) -> None:
    dispatcher.utter_message(json_message={REVIEW_SIGNAL: reason})
