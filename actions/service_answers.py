"""Answering a question about one aspect of one service, from the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.catalog_access import ASPECT_OF_INTENT, INTENT_OF_ASPECT, catalog
from actions.not_in_catalog import answer_not_in_catalog, keep_for_review_if_unlisted, unlisted_service
from actions.replies import LANGUAGE_SIGNAL, choice, flag_for_review, intent_payload, language_of, utter
from catalog.services import Service
from catalog.replies import say
from nlu.follow_ups import names_only_the_service
from nlu.service_extractor import CANDIDATE_SEPARATOR, SERVICE, SERVICE_CANDIDATES

CLARIFIED = "clarified"  # the review reason of a turn answered with "which of these services?"

# After an answer, offer the aspects citizens most often ask next (WhatsApp shows three buttons).
FOLLOW_UPS = ("fees", "documents", "steps", "location", "duration", "eligibility", "overview")


def latest_entity(tracker: Tracker, name: str) -> Optional[str]:
    return next(tracker.get_latest_entity_values(name), None)


# The "unverified" caveat says the agency confirms the final figure. It qualifies the answers that
# are figures set case by case and that a citizen acts on: what to pay (fees) and how long to wait
# (duration: a citizen plans travel or a deadline on it, and it varies with the office's workload).
# Documents, steps, places, opening hours and eligibility are published rules, not figures: the
# caveat would only be noise there.
CAVEATED_ASPECTS = frozenset({"fees", "duration"})

# A custom message the brain reads and never sends: the heading and caveat of the answer just
# uttered, so that each channel lays the parts out itself (SMS puts the answer first).
ANSWER_PARTS = "tawasol_answer_parts"


@dataclass(frozen=True)
class ComposedAnswer:
    heading: str  # "service — agency": what the answer is about
    text: str  # the catalog's answer itself
    caveat: Optional[str]  # the disclaimer, only where it qualifies the answer


def compose_answer(service: Service, aspect: str, language: str) -> ComposedAnswer:
    """The catalog's answer, the service and agency it is about, and the caveat it needs."""
    heading = f"{service.name.get(language)} — {service.agency.name.get(language)}"
    caveat = say("unverified", language) if not service.verified and aspect in CAVEATED_ASPECTS else None
    return ComposedAnswer(heading=heading, text=service.answer(aspect, language), caveat=caveat)


def utter_answer(
    dispatcher: CollectingDispatcher, answer: ComposedAnswer, choices: list[dict[str, Any]], *, language: str
) -> None:
    """The answer as Rasa text (what stock `rasa shell` shows) with its parts beside it for the brain,
    and the language it is written in (as `utter` says it)."""
    parts = {"heading": answer.heading, "caveat": answer.caveat}
    dispatcher.utter_message(text=answer.text, buttons=choices, json_message={ANSWER_PARTS: parts, LANGUAGE_SIGNAL: language})


def follow_up_choices(service: Service, answered: str, language: str) -> list[dict[str, Any]]:
    aspects = [a for a in FOLLOW_UPS if a != answered][:3]
    return [
        choice(say(f"aspect.{a}", language), intent_payload(INTENT_OF_ASPECT[a], service=service.id))
        for a in aspects
    ]


class ActionAnswerService(Action):
    def name(self) -> Text:
        return "action_answer_service"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        language = language_of(tracker)
        intent = tracker.latest_message.get("intent", {}).get("name")
        aspect = ASPECT_OF_INTENT.get(intent, "overview")
        named = latest_entity(tracker, SERVICE)
        pending = tracker.get_slot("pending_aspect")
        if named and pending and aspect == "overview":
            # "عن أي خدمة تسأل؟" — "الجواز": the earlier question is the one to answer.
            aspect = pending
        elif named and aspect == "overview" and tracker.get_slot("answered_aspect"):
            # "كم رسوم عدم المحكومية؟" — "وللهوية؟": the same question, about the service now named.
            mention = next(e for e in tracker.latest_message.get("entities", []) if e.get("entity") == SERVICE)
            if names_only_the_service(tracker.latest_message.get("text") or "", mention["start"], mention["end"]):
                aspect = tracker.get_slot("answered_aspect")

        if unlisted_service(tracker) and not named:
            # A service we do not have: never the earlier service's answer, nor a menu of guesses.
            return answer_not_in_catalog(dispatcher, tracker, aspect, language) + [SlotSet("answered_aspect", None)]

        candidates = latest_entity(tracker, SERVICE_CANDIDATES)
        if candidates and not named:
            return self._ask_which(dispatcher, candidates.split(CANDIDATE_SEPARATOR), intent, aspect, language)

        service_id = named or tracker.get_slot("service")
        service = catalog().service(service_id) if service_id else None
        if service is None:
            if aspect != "overview" or not named:
                flag_for_review(dispatcher, "no_service")
            utter(dispatcher, say("which_service", language), language=language)
            return [SlotSet("pending_aspect", aspect)]

        keep_for_review_if_unlisted(dispatcher, tracker)
        utter_answer(
            dispatcher,
            compose_answer(service, aspect, language),
            follow_up_choices(service, aspect, language),
            language=language,
        )
        return [SlotSet("service", service.id), SlotSet("pending_aspect", None), SlotSet("answered_aspect", aspect)]

    @staticmethod
    def _ask_which(
        dispatcher: CollectingDispatcher, ids: list[str], intent: Optional[str], aspect: str, language: str
    ) -> List[Dict[Text, Any]]:
        services = [s for s in (catalog().service(i) for i in ids) if s is not None]
        answer_intent = intent if intent in ASPECT_OF_INTENT else "ask_overview"
        choices = [
            choice(
                s.name.get(language),
                intent_payload(answer_intent, service=s.id),
                s.agency.name.get(language),
            )
            for s in services[:10]
        ]
        # A clarifying question is a near miss: staff see it in the inbox, and a label for it teaches
        # the model to name the service next time.
        flag_for_review(dispatcher, CLARIFIED)
        utter(dispatcher, say("choose_service", language), choices, language=language)
        return [SlotSet("pending_aspect", aspect)]
