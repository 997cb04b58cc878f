"""Handoff: a person in the console answers a citizen, then hands them back to the bot.

    handoff = Handoff(store, outbox)
    await handoff.taken(ticket, actor)           # the citizen hears a person has their request
    await handoff.reply(ticket, "text", actor)   # the agent's words, on the citizen's channel
    await handoff.hand_back(ticket, actor)       # after the ticket closed: the bot says it is back

Both go through the outbox as pushes (the router's rules: WhatsApp free text inside the 24-hour
window, the approved template outside it, SMS when neither can, and the fallback to SMS when
WhatsApp fails or does not deliver in time), billed as replies (the ministry answers citizens), and
are written on the citizen's conversation with their delivery timeline. A citizen who sent STOP
after opening the ticket gets neither: STOP works even while a person holds the conversation.
Whether a ticket may be answered (its agency, who holds it) is the caller's check; this records
what was sent on the ticket and in the audit log.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Optional

from catalog.replies import reply_language, say
from core.messages import BotReply, Notice
from pipeline.outbox import Outbox, PushResult
from routing.billing import MessageKind
from routing.policy import MINISTRY, Agency, agency_of
from store import Store
from store.audit import Actor
from store.models import Ticket
from store.tickets import agency_of_service, ticket_reference

logger = logging.getLogger(__name__)

AGENT_REPLY = "agent_reply"  # the outbound kind (and WhatsApp template kind) of an agent's reply
HANDED_BACK = "handed_back"  # the bot's word to the citizen when the ticket closes
TAKEN = "handoff_taken"  # the bot's word to the citizen when an agent takes the ticket
MAX_REPLY_CHARS = 1000  # as the agency API's notification texts: about seven SMS segments


class ReplyRefused(ValueError):
    """The reply cannot be sent as written; `code` names why (for the page's words)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Sent:
    message_ids: list[int]
    channel: Optional[str]
    skipped: Optional[str]  # why nothing went: "opted_out", "unreachable", ...
    reason: Optional[str]  # the router's reason for the channel

    def outcome(self) -> dict[str, Optional[str]]:
        return {"channel": self.channel, "route_reason": self.reason, "skipped": self.skipped}


def clean_reply(text: str) -> str:
    """The agent's text as it will be sent: trimmed, line ends unified; ReplyRefused when empty or
    longer than MAX_REPLY_CHARS. (Sent as plain text: nothing in it is interpreted.)"""
    cleaned = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise ReplyRefused("reply_empty")
    if len(cleaned) > MAX_REPLY_CHARS:
        raise ReplyRefused("reply_too_long")
    return cleaned


def _one_line(text: str) -> str:
    # WhatsApp refuses template parameters with new lines (132018) or runs of spaces.
    return " · ".join(part.strip() for part in text.splitlines() if part.strip())


class Handoff:
    def __init__(self, store: Store, outbox: Outbox) -> None:
        self._store = store
        self._outbox = outbox

    async def reply(self, ticket: Ticket, text: str, actor: Actor) -> Sent:
        """Send the agent's `text` to the ticket's citizen and record it on the ticket."""
        text = clean_reply(text)
        language, agency, name = await asyncio.to_thread(self._addressing, ticket)
        message = BotReply(
            text=text,
            language=language,
            heading=say("agent_reply_heading", language, agency=name),
            notice=Notice(AGENT_REPLY, {"agency": name, "text": _one_line(text)}, agency.id),
        )
        sent = await self._push(ticket, message, AGENT_REPLY, agency)
        await asyncio.to_thread(
            self._store.ticket_desk.record_reply, ticket.id, actor, sent.message_ids, outcome=sent.outcome()
        )
        logger.info("agent reply ticket=%s staff_id=%s messages=%s channel=%s skipped=%s",
                    ticket.id, actor.staff_id, sent.message_ids, sent.channel, sent.skipped)
        return sent

    async def taken(self, ticket: Ticket, actor: Actor) -> Sent:
        """Tell the citizen, in their language, that a person of the agency has their request and
        answers in this chat (the bot stays quiet for them until the ticket closes)."""
        language, agency, name = await asyncio.to_thread(self._addressing, ticket)
        reference = ticket_reference(ticket.id)
        message = BotReply(
            text=say(TAKEN, language, ticket=reference, agency=name),
            language=language,
            notice=Notice(TAKEN, {"agency": name, "ticket": reference}, agency.id),
        )
        sent = await self._push(ticket, message, TAKEN, agency)
        await asyncio.to_thread(
            self._store.ticket_desk.record_told, ticket.id, actor, "ticket.taken_told", sent.message_ids,
            outcome=sent.outcome(),
        )
        logger.info("told taken ticket=%s messages=%s channel=%s skipped=%s",
                    ticket.id, sent.message_ids, sent.channel, sent.skipped)
        return sent

    async def hand_back(self, ticket: Ticket, actor: Actor) -> Sent:
        """Tell the citizen, in their language, that the bot answers them again (the ticket is closed)."""
        language, agency, name = await asyncio.to_thread(self._addressing, ticket)
        reference = ticket_reference(ticket.id)
        message = BotReply(
            text=say(HANDED_BACK, language, ticket=reference, agency=name),
            language=language,
            notice=Notice(HANDED_BACK, {"ticket": reference, "agency": name}, agency.id),
        )
        sent = await self._push(ticket, message, HANDED_BACK, agency)
        await asyncio.to_thread(
            self._store.ticket_desk.record_hand_back, ticket.id, actor, sent.message_ids, outcome=sent.outcome()
        )
        logger.info("handed back ticket=%s messages=%s channel=%s skipped=%s",
                    ticket.id, sent.message_ids, sent.channel, sent.skipped)
        return sent

    async def _push(self, ticket: Ticket, message: BotReply, kind: str, agency: Agency) -> Sent:
        citizen = await asyncio.to_thread(self._store.citizens.get, ticket.citizen_id)
        # The citizen asked for a person, so the answer goes even to one who had sent STOP before;
        # a STOP sent after asking stops it too.
        stopped_since = citizen is not None and citizen.opted_out_at is not None and citizen.opted_out_at > ticket.created_at
        result: PushResult = await self._outbox.push(
            ticket.citizen_id, message, kind, category=MessageKind.REPLY, agency=agency, asked_for=not stopped_since
        )
        return Sent(result.message_ids, result.channel, result.skipped, result.reason)

    def _addressing(self, ticket: Ticket) -> tuple[str, Agency, str]:
        """The citizen's language (chosen, else the last we wrote in, else Arabic), the agency the
        ticket belongs to (its sender IDs for SMS), and its name in that language."""
        citizen = self._store.citizens.get(ticket.citizen_id)
        chosen = citizen.preferred_language if citizen is not None else None
        language = reply_language(chosen or self._store.conversations.last_language(ticket.citizen_id) or "ar")
        record = self._store.agencies.get(agency_of_service(ticket.service_id) or "")
        if record is None:
            return language, MINISTRY, say("ministry_name", language)
        return language, agency_of(record), record.name_en if language == "en" else record.name_ar
