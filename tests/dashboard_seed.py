"""A small, fully known store of traffic for the dashboard tests: two agencies over a few Amman days.

`seed_traffic` writes the rows directly (as the pipeline would leave them) and returns what every
chart must show, counted here from the seed's own recipe, not by the code under test."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from core.amman import AMMAN
from store import Store
from store.models import Conversation, LedgerEntry, Message, MessageStatusEvent, Ticket, UnrecognisedMessage

SEGMENT = Decimal("0.006842")


@dataclass
class Expected:
    """Per agency ('' the ministry), summed over the seeded days."""

    messages: Counter = field(default_factory=Counter)  # (agency, day, channel, direction)
    outcomes: Counter = field(default_factory=Counter)  # (agency, outcome)
    services: Counter = field(default_factory=Counter)  # (agency, service)
    aspects: Counter = field(default_factory=Counter)  # (agency, intent)
    missed: Counter = field(default_factory=Counter)  # (agency, key)
    delivery: Counter = field(default_factory=Counter)  # (agency, channel, status)
    fallbacks: Counter = field(default_factory=Counter)  # (agency, cause)
    cost_messages: Counter = field(default_factory=Counter)  # (agency, category, channel)
    cost_micro: Counter = field(default_factory=Counter)  # (agency, category, channel)

    def of(self, counter: Counter, agency: str | None) -> Counter:
        """The counter without its agency, for one agency (None: all summed)."""
        out: Counter = Counter()
        for key, n in counter.items():
            if agency is None or key[0] == agency:
                out[key[1:] if len(key) > 2 else key[1]] += n
        return out


def _at(day: date, minute: int) -> datetime:
    return datetime.combine(day, time(8, 0), tzinfo=AMMAN) + timedelta(minutes=minute)


def seed_traffic(store: Store, days: list[date]) -> Expected:
    expected = Expected()
    citizen = store.citizens.resolve("whatsapp", "962790000001")
    with store.db.session() as s:
        conversation = Conversation(citizen_id=citizen, started_at=_at(days[0], 0), last_activity_at=_at(days[0], 0))
        s.add(conversation)
        s.flush()
        minute = 0

        def message(day: date, **values) -> Message:
            nonlocal minute
            minute += 1
            row = Message(conversation_id=conversation.id, citizen_id=citizen, address="962790000001",
                          kind=values.pop("kind", "text"), created_at=_at(day, minute % 600), **values)
            s.add(row)
            s.flush()
            return row

        def ledger(row: Message, agency: str | None, category: str, billed: bool) -> None:
            amount = SEGMENT if row.channel == "sms" else None
            share = (amount / 2 if category == "transaction_status" else Decimal(0)) if amount is not None else None
            s.add(LedgerEntry(message_id=row.id, agency_id=agency, category=category, channel=row.channel, segments=1,
                              unit_cost=amount, amount=amount, agency_share=share,
                              ministry_share=(amount - share) if amount is not None else None,
                              created_at=row.created_at))
            if billed:
                s.add(MessageStatusEvent(message_id=row.id, status="sent", at=row.created_at))
                key = (agency or "", category, row.channel)
                expected.cost_messages[key] += 1
                expected.cost_micro[key] += int(amount * 1_000_000) if amount is not None else 0

        for index, day in enumerate(days):
            for agency in ("cspd", "dls"):
                fees_service, docs_service = f"{agency}.svc_a", f"{agency}.svc_b"
                # Answered questions: WhatsApp (3 + index) about fees, SMS (2) about documents; each answered.
                for channel, service, intent, n in (("whatsapp", fees_service, "ask_fees", 3 + index),
                                                    ("sms", docs_service, "ask_documents", 2)):
                    for _ in range(n):
                        question = message(day, direction="in", channel=channel, status="answered",
                                           service_id=service, intent=intent, confidence=0.9, text="سؤال")
                        status = "read" if channel == "whatsapp" else "delivered"
                        answer = message(day, direction="out", channel=channel, status=status, kind="reply",
                                         reply_to_id=question.id, text="جواب")
                        ledger(answer, None, "reply", billed=True)
                        expected.messages[(agency, day, channel, "in")] += 1
                        expected.messages[(agency, day, channel, "out")] += 1
                        expected.outcomes[(agency, "answered")] += 1
                        expected.services[(agency, service)] += 1
                        expected.aspects[(agency, intent)] += 1
                        expected.delivery[(agency, channel, status)] += 1
                # A handoff (the bot hands the citizen to a person).
                message(day, direction="in", channel="whatsapp", status="answered", service_id=fees_service,
                        intent="human_handoff", text="بدي موظف")
                expected.messages[(agency, day, "whatsapp", "in")] += 1
                expected.outcomes[(agency, "handed_off")] += 1
                expected.services[(agency, fees_service)] += 1
                # A push: WhatsApp failed (not billed), then SMS (billed, half the agency's).
                failed = message(day, direction="out", channel="whatsapp", status="failed", kind="transaction_status",
                                 route_reason="preferred_channel")
                ledger(failed, agency, "transaction_status", billed=False)
                fallback = message(day, direction="out", channel="sms", status="delivered", kind="transaction_status",
                                   route_reason="fallback_after_failure", route_cause="not_delivered_in_time")
                ledger(fallback, agency, "transaction_status", billed=True)
                expected.messages[(agency, day, "whatsapp", "out")] += 1
                expected.messages[(agency, day, "sms", "out")] += 1
                expected.delivery[(agency, "whatsapp", "failed")] += 1
                expected.delivery[(agency, "sms", "delivered")] += 1
                expected.fallbacks[(agency, "not_delivered_in_time")] += 1
            # Missed, about no service (the ministry's): two spellings and numbers of one question, and a
            # clarifying question ("which service?").
            for text in (f"أين المكتب؟ {100 + index}", f"اين   المكتب {200 + index}"):
                row = message(day, direction="in", channel="whatsapp", status="answered", intent="nlu_fallback",
                              confidence=0.2, text=text)
                s.add(UnrecognisedMessage(message_id=row.id, text=text, reason="low_confidence", created_at=row.created_at))
                expected.messages[("", day, "whatsapp", "in")] += 1
                expected.outcomes[("", "fallen_back")] += 1
                expected.missed[("", "اين المكتب #")] += 1
            row = message(day, direction="in", channel="sms", status="answered", intent="ask_fees", text="كم الرسوم")
            s.add(UnrecognisedMessage(message_id=row.id, text="كم الرسوم", reason="no_service", created_at=row.created_at))
            expected.messages[("", day, "sms", "in")] += 1
            expected.outcomes[("", "clarified")] += 1
            expected.aspects[("", "ask_fees")] += 1
            expected.missed[("", "كم الرسوم")] += 1
            # A cspd question missed (not in the catalog, yet about a cspd service name).
            row = message(day, direction="in", channel="whatsapp", status="answered", service_id="cspd.svc_a",
                          intent="ask_overview", text="تجديد جواز دبلوماسي")
            s.add(UnrecognisedMessage(message_id=row.id, text="تجديد جواز دبلوماسي", reason="not_in_catalog",
                                      created_at=row.created_at))
            expected.messages[("cspd", day, "whatsapp", "in")] += 1
            expected.outcomes[("cspd", "fallen_back")] += 1
            expected.services[("cspd", "cspd.svc_a")] += 1
            expected.aspects[("cspd", "ask_overview")] += 1
            expected.missed[("cspd", "تجديد جواز دبلوماسي")] += 1
            # Tickets: a cspd one answered after 30 minutes, a dls one still waiting.
            s.add(Ticket(citizen_id=citizen, kind="handoff", service_id="cspd.svc_a", status="closed",
                         created_at=_at(day, 0), answered_at=_at(day, 30), closed_at=_at(day, 40)))
            s.add(Ticket(citizen_id=citizen, kind="complaint", service_id="dls.svc_a", status="open", created_at=_at(day, 0)))
    return expected
