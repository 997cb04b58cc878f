"""What the API accepts and answers (pydantic 1.x, as Rasa 3.6 pins it). Requests are strict:
no coercion ("5" is not 5), bounded lengths, no unknown fields, aware timestamps."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, List, Optional

from pydantic import BaseModel, Field, StrictStr, condecimal, conint, constr, root_validator, validator

from api.lifecycle import EVENT_TYPES
from catalog.alert_topics import DOCUMENT_TYPES, TOPICS
from core.phones import InvalidPhone, international_digits
from routing.billing import MessageKind
from routing.policy import PUSH_CATEGORIES

Number = constr(strict=True, min_length=1, max_length=64, regex=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")  # it goes in URLs: no "/"
ServiceId = constr(strict=True, min_length=3, max_length=128, regex=r"^[a-z][a-z0-9_]*\.[a-z0-9_.]+$")
Phone = constr(strict=True, min_length=8, max_length=20)
Language = constr(strict=True, regex=r"^(ar|en)$")
Note = constr(strict=True, max_length=500)
Destination = constr(strict=True, min_length=1, max_length=200)
DocumentNumber = constr(strict=True, min_length=1, max_length=64)
Text = constr(strict=True, min_length=1, max_length=1000)
TemplateName = constr(strict=True, min_length=1, max_length=512, regex=r"^[a-z0-9_]+$")
TemplateParameter = constr(strict=True, max_length=1024)


class Strict(BaseModel):
    class Config:
        extra = "forbid"
        anystr_strip_whitespace = True


def _phone(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    try:
        return international_digits(value)
    except InvalidPhone as error:
        raise ValueError(str(error)) from None


def _aware(value: Optional[datetime]) -> Optional[datetime]:
    if value is not None and value.tzinfo is None:
        raise ValueError("a timestamp needs its time zone (2026-12-07T09:30:00+03:00)")
    return value


class TransactionIn(Strict):
    number: Number = Field(..., description="The agency's reference for the transaction, as the citizen sees it.")
    service_id: ServiceId = Field(..., description="A catalog service of this agency, e.g. cspd.passport_renew.")
    citizen_phone: Phone = Field(..., description="International number, with or without +: 962791234567.")
    citizen_language: Optional[Language] = Field(None, description="ar or en; else the citizen's own, else Arabic.")
    registered_at: Optional[datetime] = Field(None, description="When it was registered (default: now).")
    assigned_employee_phone: Optional[Phone] = Field(None, description="Gets an SMS of its own.")
    manager_phone: Optional[Phone] = Field(None, description="Gets the escalation SMS.")
    escalate_after_days: Optional[conint(strict=True, ge=1, le=365)] = Field(
        None, description="Days without a reply after `forwarded` before the manager hears (default: the agency's)."
    )

    _phones = validator("citizen_phone", "assigned_employee_phone", "manager_phone", allow_reuse=True)(_phone)
    _times = validator("registered_at", allow_reuse=True)(_aware)


class EventIn(Strict):
    type: StrictStr = Field(..., description="One of: " + ", ".join(EVENT_TYPES))
    at: Optional[datetime] = Field(None, description="When it happened (default: now).")
    note: Optional[Note] = Field(None, description="Why, for `rejected` (required there).")
    destination: Optional[Destination] = Field(None, description="Where it went (`forwarded`) or where it is (`issued`).")
    document_number: Optional[DocumentNumber] = Field(None, description="The issued document's number (`issued`).")
    employee_phone: Optional[Phone] = Field(None, description="The new employee (`assigned`, required there).")

    _phones = validator("employee_phone", allow_reuse=True)(_phone)
    _times = validator("at", allow_reuse=True)(_aware)

    @validator("type")
    def _known(cls, value: str) -> str:
        if value not in EVENT_TYPES:
            raise ValueError(f"unknown event type {value[:40]!r}: one of {', '.join(EVENT_TYPES)}")
        return value

    @root_validator(skip_on_failure=True)
    def _required_per_type(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values.get("type") == "rejected" and not values.get("note"):
            raise ValueError("'rejected' needs a note saying why")
        if values.get("type") == "assigned" and not values.get("employee_phone"):
            raise ValueError("'assigned' needs employee_phone: the employee it goes to")
        return values


class TemplateIn(Strict):
    name: TemplateName
    language: Optional[Language] = None
    parameters: List[TemplateParameter] = Field(default_factory=list, max_items=10)


class NotificationIn(Strict):
    citizen_phone: Phone
    category: StrictStr = Field(..., description="Who pays: " + ", ".join(k.value for k in PUSH_CATEGORIES))
    text_ar: Text
    text_en: Optional[Text] = None
    template: Optional[TemplateIn] = Field(None, description="An approved WhatsApp template for outside the 24-hour window.")

    _phones = validator("citizen_phone", allow_reuse=True)(_phone)

    @validator("category")
    def _category(cls, value: str) -> str:
        allowed = [k.value for k in PUSH_CATEGORIES]
        if value not in allowed:
            raise ValueError(f"category must be one of {', '.join(allowed)}")
        return MessageKind(value).value


# --- answers (for the OpenAPI document; the handlers build the same shapes) -----------------------


class StatusStepOut(BaseModel):
    status: str
    at: datetime
    detail: Optional[str]


class NotificationOut(BaseModel):
    event_id: Optional[int]
    escalation_id: Optional[int]
    recipient: str = Field(..., description="citizen, employee or manager")
    message_id: Optional[int]
    channel: Optional[str]
    status: Optional[str] = Field(None, description="queued, sent, delivered, read, retrying, failed")
    sender: Optional[str]
    route_reason: Optional[str] = Field(None, description="Why this channel (routing/router.py).")
    route_cause: Optional[str] = Field(None, description="For a fallback: what failed before.")
    skipped: Optional[str] = Field(None, description="Why nothing was sent: opted_out_of_agency, unreachable...")
    text: Optional[str]
    segments: Optional[int]
    timeline: List[StatusStepOut]


class EventOut(BaseModel):
    id: int
    type: str
    at: datetime
    note: Optional[str]
    destination: Optional[str]
    document_number: Optional[str]
    employee_phone: Optional[str]


class EscalationOut(BaseModel):
    period: int
    due_at: datetime
    sent_at: Optional[datetime]


class TransactionOut(BaseModel):
    number: str
    agency_id: str
    service_id: str
    citizen_phone: str
    citizen_language: Optional[str]
    registered_at: datetime
    assigned_employee_phone: Optional[str]
    manager_phone: Optional[str]
    escalate_after_days: Optional[int]
    state: str
    events: List[EventOut]
    notifications: Optional[List[NotificationOut]] = Field(None, description="In GET answers.")
    escalations: Optional[List[EscalationOut]] = Field(None, description="In GET answers.")


class NotificationResult(BaseModel):
    message_ids: List[int]
    channel: Optional[str]
    skipped: Optional[str]
    route_reason: Optional[str]


class ErrorOut(BaseModel):
    error: str = Field(..., description="A short code, e.g. number_taken, transaction_closed, unauthorized.")
    reason: str


# --- alerts (api/alert_routes.py) -------------------------------------------------------------------


class RecordIn(Strict):
    """One row of `PUT /records` (a JSON object, or a CSV line under the header
    citizen_phone,document_type,document_number,expires_on)."""

    citizen_phone: Phone = Field(..., description="International number, with or without +: 962791234567.")
    document_type: StrictStr = Field(..., description="One of: " + ", ".join(DOCUMENT_TYPES))
    document_number: DocumentNumber = Field(..., description="The document's number; with the type, the record's key.")
    expires_on: date = Field(..., description="ISO date the document expires: 2027-03-31.")

    _phones = validator("citizen_phone", allow_reuse=True)(_phone)

    @validator("document_type")
    def _document(cls, value: str) -> str:
        if value not in DOCUMENT_TYPES:
            raise ValueError(f"unknown document type {value[:40]!r}: one of {', '.join(DOCUMENT_TYPES)}")
        return value

    @validator("expires_on", pre=True)
    def _iso_date(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _ISO_DATE.match(value):
            raise ValueError("an ISO date, YYYY-MM-DD")
        return value


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RecordOutcome(BaseModel):
    row: int = Field(..., description="1 for the first record (a CSV's header is not counted).")
    accepted: bool
    outcome: Optional[str] = Field(None, description="created, renewed (a new expiry date), updated, unchanged.")
    error: Optional[str] = Field(None, description="Why the row was refused: invalid, over_limit.")
    reason: Optional[str] = None


class RecordsResult(BaseModel):
    accepted: int
    refused: int
    rows: List[RecordOutcome]


class ViolationIn(Strict):
    citizen_phone: Phone
    plate: constr(strict=True, min_length=1, max_length=32) = Field(..., description="The vehicle's plate, e.g. 12-34567.")
    occurred_at: datetime = Field(..., description="When, with its time zone.")
    amount_jod: condecimal(ge=0, le=100000, max_digits=9, decimal_places=3) = Field(..., description="The fine, in JOD.")
    place: constr(strict=True, min_length=1, max_length=200)

    _phones = validator("citizen_phone", allow_reuse=True)(_phone)
    _times = validator("occurred_at", allow_reuse=True)(_aware)

    @validator("amount_jod", pre=True)
    def _number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError("a number of JOD, e.g. 20 or 15.5")
        if isinstance(value, str):
            raise ValueError("a number, not a string")
        return value


class ViolationResult(BaseModel):
    violation_id: int
    alerted: bool = Field(..., description="Whether the citizen was sent an alert (they subscribed to traffic_violations).")
    message_ids: List[int]
    channel: Optional[str]
    skipped: Optional[str] = Field(None, description="not_subscribed, opted_out, opted_out_of_agency, unreachable.")


class SubscriptionIn(Strict):
    citizen_phone: Phone
    topic: StrictStr = Field(..., description="One of: " + ", ".join(TOPICS))

    _phones = validator("citizen_phone", allow_reuse=True)(_phone)

    @validator("topic")
    def _topic(cls, value: str) -> str:
        if value not in TOPICS:
            raise ValueError(f"unknown topic {value[:40]!r}: one of {', '.join(TOPICS)}")
        return value


class SubscriptionResult(BaseModel):
    citizen_phone: str
    topic: str
    subscribed: bool
    changed: bool = Field(..., description="False when it already was so.")


class ScheduleIn(Strict):
    days_before: List[conint(strict=True, ge=0, le=365)] = Field(
        ..., min_items=1, max_items=6, description="Days before expiry to alert; 0 is the day itself. Default [30, 7, 0]."
    )


class ScheduleOut(BaseModel):
    document_type: str
    days_before: List[int]
    default: bool
