"""Actions that leave a record for staff or for pushes: tickets and alert subscriptions."""

from __future__ import annotations

import abc
import hashlib
import logging
import threading
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.not_in_catalog import keep_for_review_if_unlisted
from actions.replies import ALERT_SERVICE, language_of, utter
from catalog.alert_topics import topic_of_service, topics_in
from catalog.alert_wording import subscribed_text, topic_list, which_topic_text
from catalog.replies import say
from store import Store
from store.tickets import agency_of_service, ticket_reference

logger = logging.getLogger(__name__)


_lock = threading.Lock()
_store: Optional[Store] = None


def use_store(store: Store) -> None:
    """The process that runs the actions hands its store over at start-up (bot/runtime.py,
    bot/terminal_chat.py, bot/action_server.py): the actions never build or migrate one."""
    global _store
    with _lock:
        _store = store


def store() -> Store:
    global _store
    with _lock:
        if _store is None:
            raise RuntimeError("no store was handed to the actions (use_store): tickets and subscriptions cannot be recorded")
        return _store


def citizen_id(tracker: Tracker) -> int:
    """The pipeline talks to the brain with the citizen's id. Other callers (terminal chat, tests)
    use free-form ids: those citizens live on the "web" channel under a stable pseudo-number."""
    if tracker.sender_id.isdigit():
        return int(tracker.sender_id)
    digits = str(int(hashlib.sha256(tracker.sender_id.encode()).hexdigest(), 16))[:12]
    return store().citizens.resolve("web", "999" + digits)


class _OpenTicket(Action, abc.ABC):
    """Opens a ticket in the queue of the agency of the service being talked about (none: the
    ministry's). Only when that agency has agents in the console is the citizen told a person will
    answer here; otherwise the reply says no one can yet, and where to go instead."""

    kind = ""
    reply_key = ""

    @abc.abstractmethod
    def name(self) -> Text:
        """The action's name in domain.yml."""

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        language = language_of(tracker)
        text = tracker.latest_message.get("text") or ""
        records = store()
        service = tracker.get_slot("service")
        ticket = records.tickets.open(citizen_id(tracker), self.kind, text, service)
        agency_id = agency_of_service(service)
        agents = records.tickets.agents_on_duty(agency_id)
        logger.info("ticket opened kind=%s ticket=%s agency=%s agents=%d", self.kind, ticket_reference(ticket),
                    agency_id or "-", agents)
        keep_for_review_if_unlisted(dispatcher, tracker)
        agency = records.agencies.get(agency_id) if agents else None
        if agency is not None:
            name = agency.name_en if language == "en" else agency.name_ar
            words = say(self.reply_key + "_queued", language, ticket=ticket_reference(ticket), agency=name)
        else:
            words = say(self.reply_key, language, ticket=ticket_reference(ticket))
        utter(dispatcher, words, language=language)
        return []


class ActionHumanHandoff(_OpenTicket):
    kind, reply_key = "handoff", "handoff"

    def name(self) -> Text:
        return "action_human_handoff"


class ActionComplaint(_OpenTicket):
    kind, reply_key = "complaint", "complaint"

    def name(self) -> Text:
        return "action_complaint"


class ActionSubscribeAlerts(Action):
    """Subscribes to the topics the message names ("نبهني قبل ما يخلص جوازي": the passport); a
    message that names none is asked which, with the SMS keywords that do it in one word."""

    def name(self) -> Text:
        return "action_subscribe_alerts"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        records = store()
        citizen = citizen_id(tracker)
        language = language_of(tracker)
        keep_for_review_if_unlisted(dispatcher, tracker)
        topics = topics_in(tracker.latest_message.get("text") or "")
        if not topics:
            utter(dispatcher, which_topic_text(language), language=language)
            return []
        for topic in topics:
            records.subscriptions.subscribe(citizen, topic, source="chat")
        records.citizens.opt_in(citizen)  # asking for alerts undoes an earlier STOP
        logger.info("alerts subscribed in chat topics=%s", ",".join(topics))
        utter(dispatcher, subscribed_text(topics, language), language=language)
        return []


class ActionUnsubscribe(Action):
    """Unsubscribes from the topics the message names; when it names none, from the topic of the
    alert it answers ("الغاء" right after a passport alert), else from every alert."""

    def name(self) -> Text:
        return "action_unsubscribe"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        records = store()
        citizen = citizen_id(tracker)
        language = language_of(tracker)
        keep_for_review_if_unlisted(dispatcher, tracker)
        held = records.subscriptions.topics(citizen)
        named = topics_in(tracker.latest_message.get("text") or "")
        if not named:
            answered = topic_of_service((tracker.latest_message.get("metadata") or {}).get(ALERT_SERVICE))
            named = [answered] if answered else []
        leaving = [t for t in (named or held) if t in held]
        for topic in leaving:
            records.subscriptions.unsubscribe(citizen, topic, source="chat")
        if not leaving:
            utter(dispatcher, say("not_subscribed", language), language=language)
            return []
        text = say("unsubscribed", language, topics=topic_list(leaving, language))
        rest = [t for t in held if t not in leaving]
        if rest:
            text += "\n" + say("alert_topics_now", language, topics=topic_list(rest, language))
        utter(dispatcher, text, language=language)
        return []
