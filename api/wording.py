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


def citizen_text(
    event: TransactionEvent, transaction: Transaction, agency: Agency, service_name: str, language: str
) -> str:
    """The step's notification, with the line that says how to stop this agency's messages last
    (short enough that an SMS carries it in its first message: tests/api/test_wording.py)."""
    language = reply_language(language)
    fields: dict[str, object] = {
        "agency": agency_name(agency, language),
        "number": transaction.number,
        "service": service_name,
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
    step = say(f"notify.{event.type}", language, **fields)
    return f"{step}\n{opt_out_line(agency.id, language)}"


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
