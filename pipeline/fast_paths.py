"""What the pipeline answers itself, before (or instead of) the brain.

Keywords (STOP, START, HELP, AR/EN, MORE, STOP/START with an agency's code, and ALERT <topic> /
STOP ALERT <topic> for alert subscriptions) on any channel; a bare number on a channel with numbered
menus (the routing table says which) picks from the last menu we sent; media and locations the bot
can't read get a polite "text only"; reactions and system notices get nothing. Everything else goes to the brain unchanged.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Optional

from pipeline.flood import THROTTLE_NOTICE
from pipeline.keywords import (
    AgencyKeywordMatch,
    AlertKeywordMatch,
    Keyword,
    match_agency_keyword,
    match_alert_keyword,
    match_keyword,
    menu_number,
)
from core.messages import (
    KIND_CHOICE,
    KIND_LOCATION,
    KIND_MEDIA,
    KIND_TEXT,
    KIND_UNSUPPORTED,
    BotReply,
    InboundMessage,
)
from catalog.alert_topics import topic_of_service
from catalog.alert_wording import subscribed_text, topic_list, which_topic_text
from catalog.replies import reply, reply_language, say
from store import Store
from sqlalchemy.engine import Row


# A reaction (👍 on our answer) or a system notice ("number changed") expects no reply.
SILENT_TYPES = frozenset({"reaction", "system"})


@dataclass(frozen=True)
class FastPath:
    """Either `replies` (answered here), or the `inbound` message to give the brain."""

    replies: Optional[list[BotReply]] = None
    inbound: Optional[InboundMessage] = None
    interpreted_kind: Optional[str] = None  # set when a menu number became a choice
    interpreted_payload: Optional[str] = None


class FastPaths:
    def __init__(self, store: Store, *, numbered_menus: frozenset[str]) -> None:
        self._store = store
        self._numbered_menus = numbered_menus

    async def handle(self, citizen: Row, message: InboundMessage) -> FastPath:
        """`citizen`: the citizen's row (`citizens` table), as the pipeline loaded it."""
        language = citizen.preferred_language
        if message.raw.get(THROTTLE_NOTICE):
            # The first message over the flood limit: the notice only (pipeline/flood.py).
            said = language or await asyncio.to_thread(self._conversation_language, citizen.id)
            if said is None:
                return FastPath(replies=[reply("slow_down", "ar"), reply("slow_down", "en")])
            return FastPath(replies=[reply("slow_down", said)])
        if message.raw.get("type") in SILENT_TYPES:
            return FastPath(replies=[])
        if message.kind in (KIND_MEDIA, KIND_UNSUPPORTED, KIND_LOCATION):
            return FastPath(replies=[reply("media_not_supported", language or "ar")])
        if message.kind != KIND_TEXT:
            return FastPath(inbound=message)

        match = match_keyword(message.text)
        if match is not None:
            # A keyword is no choice of language (except AR/EN): STOP in an Arabic conversation is
            # answered in Arabic. The citizen's own choice first, then the conversation's.
            said = language or await asyncio.to_thread(self._conversation_language, citizen.id)
            replies = await self._keyword(citizen, match.keyword, said or match.language)
            if match.keyword is Keyword.STOP and message.context_service:
                ended = await asyncio.to_thread(self._stop_alert_topic, citizen.id, message.context_service)
                if ended is not None:
                    stopped = replies[0]
                    also = say("unsubscribed", stopped.language, topics=topic_list([ended], stopped.language))
                    replies = [dataclasses.replace(stopped, text=f"{stopped.text}\n{also}")]
            return FastPath(replies=replies)

        for_alerts = match_alert_keyword(message.text)
        if for_alerts is not None:
            said = language or await asyncio.to_thread(self._conversation_language, citizen.id)
            answer = await asyncio.to_thread(self._alert_keyword, citizen.id, for_alerts, said or for_alerts.language)
            return FastPath(replies=[answer])

        for_agency = match_agency_keyword(message.text)
        if for_agency is not None:
            said = language or await asyncio.to_thread(self._conversation_language, citizen.id)
            return FastPath(replies=[await asyncio.to_thread(self._agency_keyword, citizen.id, for_agency, said or for_agency.language)])

        number = menu_number(message.text) if message.channel in self._numbered_menus else None
        if number is not None:
            choices = await asyncio.to_thread(self._store.outbound.latest_choices, citizen.id)
            if choices:
                if number > len(choices):
                    return FastPath(replies=[reply("menu_out_of_range", language or "ar", count=len(choices))])
                choice = choices[number - 1]
                picked = dataclasses.replace(message, kind=KIND_CHOICE, payload=choice["id"], text=choice["title"])
                return FastPath(inbound=picked, interpreted_kind=KIND_CHOICE, interpreted_payload=choice["id"])
        return FastPath(inbound=message)

    def _conversation_language(self, citizen_id: int) -> Optional[str]:
        """The language of the last thing we said to this citizen, if we said anything (however many
        of their messages came since: a flood stores dozens)."""
        return self._store.conversations.last_language(citizen_id)

    def _stop_alert_topic(self, citizen_id: int, service_id: str) -> Optional[str]:
        """STOP (or الغاء) sent in answer to an alert: besides stopping alerts and announcements (a
        plain STOP, as always), the alert's own topic is unsubscribed, so a later START does not
        bring back the alert the citizen answered STOP to. The topic ended, if it was held."""
        topic = topic_of_service(service_id)
        if topic is not None and self._store.subscriptions.unsubscribe(citizen_id, topic, source="keyword"):
            return topic
        return None

    def _agency_keyword(self, citizen_id: int, match: AgencyKeywordMatch, language: str) -> BotReply:
        """STOP <code>: nothing more from that agency, its transaction notifications included;
        START <code> undoes it. The confirmation names the agency and says exactly that."""
        code = match.agency_code.upper()
        agency = self._store.agencies.get(match.agency_code)
        if agency is None:
            return reply("unknown_agency_code", language, code=code)
        name = agency.name_en if language == "en" else agency.name_ar
        if match.keyword is Keyword.STOP:
            self._store.citizens.opt_out_of_agency(citizen_id, agency.id)
            return reply("stopped_agency", language, agency=name, code=code)
        self._store.citizens.opt_in_to_agency(citizen_id, agency.id)
        return reply("started_agency", language, agency=name)

    def _alert_keyword(self, citizen_id: int, match: AlertKeywordMatch, language: str) -> BotReply:
        """ALERT <topic> subscribes (free), STOP ALERT <topic> unsubscribes, STOP ALERTS stops every
        alert topic, ALERT alone says which keywords there are and what the citizen holds."""
        language = reply_language(language)
        subscriptions = self._store.subscriptions
        held = subscriptions.topics(citizen_id)
        if match.subscribe and match.topics:
            for topic in match.topics:
                subscriptions.subscribe(citizen_id, topic, source="keyword")
            self._store.citizens.opt_in(citizen_id)  # asking for alerts undoes an earlier STOP
            return BotReply(text=subscribed_text(match.topics, language), language=language)
        if match.subscribe or match.unknown_topic:
            text = which_topic_text(language)
            if held:
                text += "\n" + say("alert_topics_now", language, topics=topic_list(held, language))
            return BotReply(text=text, language=language)
        leaving = [t for t in (match.topics or held) if t in held]
        for topic in leaving:
            subscriptions.unsubscribe(citizen_id, topic, source="keyword")
        if not leaving:
            return reply("not_subscribed", language)
        return reply("unsubscribed", language, topics=topic_list(leaving, language))

    async def _keyword(self, citizen: Row, keyword: Keyword, language: str) -> list[BotReply]:
        citizens = self._store.citizens
        if keyword is Keyword.STOP:
            await asyncio.to_thread(citizens.opt_out, citizen.id)
            return [reply("stopped", language)]
        if keyword is Keyword.START:
            await asyncio.to_thread(citizens.opt_in, citizen.id)
            return [reply("started", language)]
        if keyword is Keyword.HELP:
            return [reply("help", language)]
        if keyword in (Keyword.ARABIC, Keyword.ENGLISH):
            chosen = "ar" if keyword is Keyword.ARABIC else "en"
            await asyncio.to_thread(citizens.set_language, citizen.id, chosen)
            return [reply("language_set", chosen)]
        # Keyword.MORE
        more = await asyncio.to_thread(self._store.outbound.latest_more, citizen.id)
        if more is None:
            return [reply("nothing_more", language)]
        text, more_language = more
        return [BotReply(text=text, language=more_language or language)]
