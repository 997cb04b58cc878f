"""Small talk and navigation: replies that need only the citizen's language."""

from __future__ import annotations

import abc

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.catalog_access import catalog
from actions.not_in_catalog import answer_not_in_catalog, keep_for_review_if_unlisted, named_not_yet
from actions.replies import choice, flag_for_review, intent_payload, language_of, utter
from catalog.replies import say

AGENCIES_PER_PAGE = 9  # WhatsApp lists hold 10 rows: nine agencies and "more"


class _FixedReply(Action, abc.ABC):
    """An action that says one reply; `review` marks the turn for staff review.

    Abstract (rasa_sdk registers every concrete Action subclass it finds, this base included).
    """

    reply_key = ""
    review: Optional[str] = None
    offer_menu = False
    # A message the model filed as off-topic or did not understand may still name a government
    # service we do not have ("عداد كهرباء"): that deserves the honest "not here yet" instead.
    names_unlisted_services = False

    @abc.abstractmethod
    def name(self) -> Text:
        """The action's name in domain.yml."""

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        language = language_of(tracker)
        if self.names_unlisted_services and named_not_yet(tracker):
            return answer_not_in_catalog(dispatcher, tracker, "overview", language)
        if self.review:
            flag_for_review(dispatcher, self.review)
        else:
            keep_for_review_if_unlisted(dispatcher, tracker)
        choices = []
        if self.offer_menu:
            choices = [
                choice(say("menu_button", language), "/list_services"),
                choice(say("talk_to_agent", language), "/human_handoff"),
            ]
        utter(dispatcher, say(self.reply_key, language), choices, language=language)
        return []


class ActionGreet(_FixedReply):
    reply_key = "greet"

    def name(self) -> Text:
        return "action_greet"


class ActionGoodbye(_FixedReply):
    reply_key = "goodbye"

    def name(self) -> Text:
        return "action_goodbye"


class ActionThank(_FixedReply):
    reply_key = "thank"

    def name(self) -> Text:
        return "action_thank"


class ActionAffirm(_FixedReply):
    reply_key = "affirm"

    def name(self) -> Text:
        return "action_affirm"


class ActionDeny(_FixedReply):
    reply_key = "deny"

    def name(self) -> Text:
        return "action_deny"


class ActionBotChallenge(_FixedReply):
    reply_key = "bot_challenge"

    def name(self) -> Text:
        return "action_bot_challenge"


class ActionOutOfScope(_FixedReply):
    reply_key = "out_of_scope"
    review = "out_of_scope"
    offer_menu = True
    names_unlisted_services = True

    def name(self) -> Text:
        return "action_out_of_scope"


class ActionNotUnderstood(_FixedReply):
    reply_key = "not_understood"
    review = "low_confidence"
    offer_menu = True
    names_unlisted_services = True

    def name(self) -> Text:
        return "action_not_understood"


class ActionListServices(Action):
    """Agencies page by page, then one agency's services: a menu that grows with the catalog."""

    def name(self) -> Text:
        return "action_list_services"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        language = language_of(tracker)
        keep_for_review_if_unlisted(dispatcher, tracker)
        agency_id = next(tracker.get_latest_entity_values("agency"), None)
        agency = catalog().agency(agency_id) if agency_id else None
        if agency is not None:
            choices = [
                choice(s.name.get(language), intent_payload("ask_overview", service=s.id))
                for s in agency.services[:10]
            ]
            utter(dispatcher, say("list_services_of", language, agency=agency.name.get(language)), choices, language=language)
            return []

        page = _page_number(next(tracker.get_latest_entity_values("page"), None))
        agencies = list(catalog().agencies.values())
        start = (page - 1) * AGENCIES_PER_PAGE
        shown = agencies[start : start + AGENCIES_PER_PAGE]
        if not shown:
            shown, page, start = agencies[:AGENCIES_PER_PAGE], 1, 0
        choices = [
            choice(a.name.get(language), intent_payload("list_services", agency=a.id)) for a in shown
        ]
        if start + AGENCIES_PER_PAGE < len(agencies):
            choices.append(choice(say("more_agencies", language), intent_payload("list_services", page=str(page + 1))))
        utter(dispatcher, say("list_agencies", language), choices, language=language)
        return []


def _page_number(value: Optional[str]) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1
