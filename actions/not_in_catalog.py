"""The honest answer to a question about a service Tawasol does not have (yet).

Never another service's answer: say it is not here yet, name what was understood and who provides
it when the not-yet list knows it, offer the catalog services that are really close (the list's
`related`, the services a shared word like "شهادة" points at, the one just discussed when only an
unknown word stood in the way), offer a person, and keep the message for staff review.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.catalog_access import INTENT_OF_ASPECT, catalog
from actions.replies import choice, flag_for_review, intent_payload, utter
from catalog.replies import say
from nlu.not_yet import current_not_yet
from nlu.service_extractor import CANDIDATE_SEPARATOR, SERVICE_CANDIDATES, UNKNOWN_SERVICE, UNLISTED_SERVICE

REVIEW_REASON = "not_in_catalog"
_MAX_CLOSE = 3  # with "ask for staff", four choices: a short list, not a menu


def unlisted_service(tracker: Tracker) -> Optional[str]:
    """The not-yet id (or "unknown") the message names; beside a catalog service only when named apart."""
    return next(tracker.get_latest_entity_values(UNLISTED_SERVICE), None)


def keep_for_review_if_unlisted(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """A message naming a service we do not have is kept for staff review whatever else it asks for
    or is answered with: a complaint's ticket, a subscription or the catalog service it also names
    serve the citizen, the review row tells staff what citizens want that the catalog lacks."""
    if unlisted_service(tracker):
        flag_for_review(dispatcher, REVIEW_REASON)


def named_not_yet(tracker: Tracker) -> bool:
    """The message names a service on the not-yet list (not merely an unknown word)."""
    value = unlisted_service(tracker)
    return bool(value) and value != UNKNOWN_SERVICE and current_not_yet().get(value) is not None


def answer_not_in_catalog(
    dispatcher: CollectingDispatcher, tracker: Tracker, aspect: str, language: str
) -> List[Dict[Text, Any]]:
    value = unlisted_service(tracker) or UNKNOWN_SERVICE
    known = current_not_yet().get(value)
    if known is not None:
        close = list(known.related)
        text = say("not_in_catalog_named", language, service=known.name_in(language), agency=known.agency_in(language))
    else:
        candidates = next(tracker.get_latest_entity_values(SERVICE_CANDIDATES), None)
        close = candidates.split(CANDIDATE_SEPARATOR) if candidates else []
        text = say("not_in_catalog", language)
    services = [s for s in dict.fromkeys(catalog().service(i) for i in close) if s is not None][:_MAX_CLOSE]
    if services:
        text = f"{text}\n\n{say('closest_services', language)}"
    # Only an unknown word stood between the message and the service just discussed: it may have
    # been a detail ("وللسيارة الهايبرد؟"), not another service, so that answer is one tap away.
    previous = catalog().service(tracker.get_slot("service") or "") if known is None else None
    if previous is not None and previous not in services:
        text = f"{text}\n\n{say('still_about', language, service=previous.name.get(language))}"
        services.append(previous)
    intent = INTENT_OF_ASPECT.get(aspect, "ask_overview")
    choices = [choice(s.name.get(language), intent_payload(intent, service=s.id)) for s in services]
    choices.append(choice(say("talk_to_agent", language), "/human_handoff"))
    flag_for_review(dispatcher, REVIEW_REASON)
    utter(dispatcher, text, choices, language=language)
    # The conversation is no longer about the earlier service; an aspect asked of an unknown name
    # is answered if the citizen then names a catalog service.
    return [SlotSet("service", None), SlotSet("pending_aspect", None if known else aspect)]
