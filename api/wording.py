"""What each step says, to whom, in which language: the texts are data (data/replies.yml,
`notify.*`); this module picks them and fills them in. Dates and times are Amman's (core/amman.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from catalog.replies import reply_language, say
from core.amman import local_date, local_time
from store.models import Agency, Transaction, TransactionEvent


def agency_name(agency: Agency, language: str) -> str:
    return agency.name_en if reply_language(language) == "en" else agency.name_ar


# Two SMS segments: 134 characters of Arabic (UCS-2), about 306 of plain Latin text (GSM-7). A
# notification that fits needs no MORE, so the opt-out line reaches the citizen in the first message.
_TWO_SEGMENTS = {"ar": 134, "en": 300}


def citizen_text(
    event: TransactionEvent, transaction: Transaction, agency: Agency, service_name: str, language: str
) -> str:
    """The step's notification, with the line that says how to stop this agency's messages last.
    When a long agency name, number or note would push that line past the first SMS, the agency
    is named by its code, then the service is left out (the number identifies it), and at last the
    line goes first: checked with the real SMS renderer in tests/agency_api/test_wording.py."""
    language = reply_language(language)
    line = opt_out_line(agency.id, language)
    budget = _TWO_SEGMENTS[language] - len(line) - 1
    if any(ord(ch) > 0x7F for ch in transaction.number + (event.note or "") + (event.destination or "")):
        budget = min(budget, _TWO_SEGMENTS["ar"] - len(line) - 1)
    for name, service in (
        (agency_name(agency, language), service_name),
        (agency.id.upper(), service_name),
        (agency.id.upper(), None),
    ):
        step = _step_text(event, transaction, name, service, language)
        if len(step) <= budget:
            return f"{step}\n{line}"
    # Still too long (a long note, Arabic words in an English message): the line goes first, so
    # the first SMS still carries it; the rest of the step follows with MORE.
    return f"{line}\n{step}"


def _step_text(
    event: TransactionEvent, transaction: Transaction, agency: str, service: Optional[str], language: str
) -> str:
    fields: dict[str, object] = {
        "agency": agency,
        "number": transaction.number,
        "service": say("notify.service", language, name=service) if service else "",
        "date": local_date(event.at),
    }
    if event.type in ("payment_received", "documents_received"):
        fields["time"] = local_time(event.at)
    if event.type == "forwarded":
        fields["destination"] = event.destination or say("notify.other_body", language)
    if event.type == "issued":
        fields["document"] = (
            say("notify.issued_document", language, document_number=event.document_number) if event.document_number else ""
        )
        fields["destination"] = (
            say("notify.issued_destination", language, destination=event.destination) if event.destination else ""
        )
    if event.type == "rejected":
        fields["note"] = event.note or ""
    return say(f"notify.{event.type}", language, **fields)


def opt_out_line(agency_id: str, language: str) -> str:
    return say("notify.opt_out", language, code=agency_id.upper())


def employee_text(transaction: Transaction, service_name: str, at: datetime, language: Optional[str] = "ar") -> str:
    return say("notify.employee_assigned", language, number=transaction.number, service=service_name, date=local_date(at))


def escalation_text(
    transaction: Transaction, service_name: str, forwarded: TransactionEvent, days: int, language: Optional[str] = "ar"
) -> str:
    return say(
        "notify.escalation",
        language,
        number=transaction.number,
        service=service_name,
        destination=forwarded.destination or say("notify.other_body", language),
        date=local_date(forwarded.at),
        days=days,
    )


def template_values(event: TransactionEvent, transaction: Transaction, service_name: str, language: str) -> dict[str, str]:
    """The named values a step's WhatsApp template may ask for (data/whatsapp_templates.yml)."""
    values = {
        "number": transaction.number,
        "service_name": service_name,
        "date": local_date(event.at),
        "time": f"{local_date(event.at)} {local_time(event.at)}",
        "destination": event.destination or say("notify.other_body", language),
    }
    if event.document_number:
        values["document_number"] = event.document_number
    if event.note:
        values["reason"] = event.note
    return values
