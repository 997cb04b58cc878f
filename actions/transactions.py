"""Transaction status: a form asks for the number, an agency backend answers."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.agency_backends import BackendUnavailable, TransactionStatus, backend_for
from actions.catalog_access import catalog
from actions.not_in_catalog import keep_for_review_if_unlisted
from actions.replies import language_of, utter
from catalog.replies import say


class ActionAskTransactionNumber(Action):
    def name(self) -> Text:
        return "action_ask_transaction_number"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        language = language_of(tracker)
        asked_before = tracker.get_slot("requested_slot") == "transaction_number" and tracker.latest_message.get(
            "intent", {}
        ).get("name") != "transaction_status"
        keep_for_review_if_unlisted(dispatcher, tracker)
        utter(dispatcher, say("bad_transaction_number" if asked_before else "ask_transaction_number", language), language=language)
        return []


class ValidateTransactionForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_transaction_form"

    def validate_transaction_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        number = str(value or "").strip()
        return {"transaction_number": number if sum(ch.isdigit() for ch in number) >= 5 else None}


class ActionTransactionStatus(Action):
    def name(self) -> Text:
        return "action_transaction_status"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        language = language_of(tracker)
        number = tracker.get_slot("transaction_number") or ""
        backend = backend_for(number, list(catalog().services))
        try:
            found = backend.lookup(number)
        except BackendUnavailable:
            text = say("transaction_unavailable", language)
        else:
            text = _status_text(found, number, language)
        if backend.demo:
            # Until the agency's system is connected the status is invented: never let it pass as real.
            text = f"{text}\n\n{say('demo_data', language)}"
        keep_for_review_if_unlisted(dispatcher, tracker)
        utter(dispatcher, text, language=language)
        # Forget the number: the next "where is my transaction?" may be about another one.
        return [SlotSet("transaction_number", None)]


def _status_text(found: Optional[TransactionStatus], number: str, language: str) -> str:
    if found is None:
        return say("transaction_not_found", language, number=number)
    service = catalog().service(found.service_id)
    return say(
        "transaction_status",
        language,
        number=found.number,
        service=service.name.get(language) if service else found.service_id,
        agency=service.agency.name.get(language) if service else "",
        status=say(f"status.{found.status}", language),
        updated=found.updated_on.isoformat(),
    )


class ActionCancelForm(Action):
    def name(self) -> Text:
        return "action_cancel_form"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        language = language_of(tracker)
        utter(dispatcher, say("cancelled", language), language=language)
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("transaction_number", None)]
