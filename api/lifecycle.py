"""What a transaction's steps may follow: the state machine behind `POST .../events`.

States: `registered` → (`payment_received`, `documents_received`, `assigned`, `reply_received`:
`in_progress`) → `forwarded` (waiting for another body: the escalation clock runs) → `issued` →
`completed`; `rejected` ends it at any point before issue. Nothing follows `completed` or
`rejected`; a refusal says why, in words an agency's developer can act on.
"""

from __future__ import annotations

from store.models import Transaction, TransactionEvent
from store.transactions import REGISTERED, NewEvent, RegistryConflict

EVENT_TYPES = (
    "payment_received",
    "documents_received",
    "forwarded",
    "reply_received",
    "assigned",
    "issued",
    "completed",
    "rejected",
)
IN_PROGRESS = "in_progress"
FORWARDED = "forwarded"
ISSUED = "issued"
FINAL = ("completed", "rejected")


def transition(transaction: Transaction, events: list[TransactionEvent], new: NewEvent) -> str:
    """The state after `new`; RegistryConflict when it makes no sense now."""
    state = transaction.state
    kind = new.type
    if state in FINAL:
        raise RegistryConflict("transaction_closed", f"transaction {transaction.number} is {state}: no step may follow")
    if new.at < transaction.registered_at:
        raise RegistryConflict("before_registration", f"'{kind}' cannot happen before the transaction was registered")
    seen = {event.type for event in events}
    if kind == "payment_received":
        if "payment_received" in seen:
            raise RegistryConflict("already_paid", "the payment was already recorded")
        if state == ISSUED:
            raise RegistryConflict("already_issued", "a payment after issue makes no sense")
        return IN_PROGRESS if state == REGISTERED else state
    if kind == "documents_received":
        if state == ISSUED:
            raise RegistryConflict("already_issued", "documents received after issue make no sense")
        return IN_PROGRESS if state == REGISTERED else state
    if kind == "forwarded":
        if state == FORWARDED:
            raise RegistryConflict("already_forwarded", "the transaction is already waiting for another body's reply")
        if state == ISSUED:
            raise RegistryConflict("already_issued", "an issued transaction is not forwarded")
        return FORWARDED
    if kind == "reply_received":
        if state != FORWARDED:
            raise RegistryConflict("not_forwarded", "a reply can only come for a forwarded transaction")
        return IN_PROGRESS
    if kind == "assigned":
        if not new.employee_phone:
            raise RegistryConflict("employee_missing", "'assigned' needs employee_phone: the employee it goes to")
        return state
    if kind == "issued":
        if state == ISSUED:
            raise RegistryConflict("already_issued", "the transaction was already issued")
        if state == FORWARDED:
            raise RegistryConflict(
                "waiting_for_reply", "the transaction is waiting for another body: record reply_received first"
            )
        return ISSUED
    if kind == "completed":
        if state == FORWARDED:
            raise RegistryConflict(
                "waiting_for_reply", "the transaction is waiting for another body: record reply_received first"
            )
        return "completed"
    if kind == "rejected":
        if state == ISSUED:
            raise RegistryConflict("already_issued", "an issued transaction cannot be rejected")
        if not (new.note or "").strip():
            raise RegistryConflict("note_missing", "'rejected' needs a note saying why")
        return "rejected"
    raise RegistryConflict("unknown_event", f"unknown event type {kind!r}")
