"""Small talk and navigation: replies that need only the citizen's language."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.catalog_access import catalog
from actions.replies import choice, flag_for_review, intent_payload, language_of, utter
from bot.replies import say

AGENCIES_PER_PAGE = 9  # WhatsApp lists hold 10 rows: nine agencies and "more"


class _FixedReply(Action):
    """An action that says one reply; `review` marks the turn for staff review."""

    action_name = ""
    reply_key = ""
    review: Optional[str] = None
    offer_menu = False

    def name(self) -> Text:
        return self.action_name

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        language = language_of(tracker)
        if self.review:
            flag_for_review(dispatcher, self.review)
        choices = []
        if self.offer_menu:
            choices = [
                choice(say("menu_button", language), "/list_services"),
                choice(say("talk_to_agent", language), "/human_handoff"),
            ]
        utter(dispatcher, say(self.reply_key, language), choices)
        return []


class ActionGreet(_FixedReply):
    action_name, reply_key = "action_greet", "greet"


class ActionGoodbye(_FixedReply):
    action_name, reply_key = "action_goodbye", "goodbye"


class ActionThank(_FixedReply):
    action_name, reply_key = "action_thank", "thank"


class ActionAffirm(_FixedReply):
    action_name, reply_key = "action_affirm", "affirm"


class ActionDeny(_FixedReply):
    action_name, reply_key = "action_deny", "deny"


class ActionBotChallenge(_FixedReply):
    action_name, reply_key = "action_bot_challenge", "bot_challenge"


class ActionOutOfScope(_FixedReply):
    action_name, reply_key, review, offer_menu = "action_out_of_scope", "out_of_scope", "out_of_scope", True


class ActionNotUnderstood(_FixedReply):
    action_name, reply_key, review, offer_menu = "action_not_understood", "not_understood", "low_confidence", True


class ActionListServices(Action):
    """Agencies page by page, then one agency's services: a menu that grows with the catalog."""

    def name(self) -> Text:
        return "action_list_services"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        language = language_of(tracker)
        agency_id = next(tracker.get_latest_entity_values("agency"), None)
        agency = catalog().agency(agency_id) if agency_id else None
        if agency is not None:
            choices = [
                choice(s.name.get(language), intent_payload("ask_overview", service=s.id))
                for s in agency.services[:10]
            ]
            utter(dispatcher, say("list_services_of", language, agency=agency.name.get(language)), choices)
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
        utter(dispatcher, say("list_agencies", language), choices)
        return []


def _page_number(value: Optional[str]) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1
