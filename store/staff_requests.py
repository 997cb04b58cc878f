"""Liaison officers' requests to the ministry: more message credit, a new SMS sender ID.

A ministry admin approves or declines each once (a conditional UPDATE on `status = 'pending'`); an
approved credit request tops the agency's credit up and an approved sender ID joins the agency's
sender IDs in the same transaction as the decision, all in the audit log.
"""

from __future__ import annotations

import re
from typing import Optional, Union

from sqlalchemy import select, update

from core.messages import utcnow
from store.audit import Actor, record
from store.database import Database
from store.models import Agency, CreditRequest, SenderIdRequest

PENDING, APPROVED, DECLINED = "pending", "approved", "declined"
SENDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .-]{1,10}$")  # GSM alphanumeric sender: at most 11 characters
MAX_CREDIT_REQUEST = 10_000_000

AnyRequest = Union[CreditRequest, SenderIdRequest]


class RequestError(ValueError):
    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class StaffRequestRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def ask_credit(self, agency_id: str, amount: int, reason: str, actor: Actor) -> int:
        if not 1 <= amount <= MAX_CREDIT_REQUEST:
            raise RequestError(f"ask for 1 to {MAX_CREDIT_REQUEST} messages", "bad_amount")
        with self._db.session() as s:
            row = CreditRequest(agency_id=agency_id, amount=amount, reason=reason[:1024], status=PENDING,
                                requested_by=actor.staff_id)
            s.add(row)
            s.flush()
            record(s, actor, "credit_request.create", "credit_request", row.id, agency_id=agency_id,
                   after={"amount": amount, "reason": reason[:1024]})
            return row.id

    def ask_sender_id(self, agency_id: str, sender_id: str, reason: str, actor: Actor) -> int:
        sender_id = sender_id.strip()
        if not SENDER_ID.match(sender_id):
            raise RequestError("a sender ID is 2 to 11 letters, digits, spaces, dots or dashes", "bad_sender_id")
        with self._db.session() as s:
            row = SenderIdRequest(agency_id=agency_id, sender_id=sender_id, reason=reason[:1024], status=PENDING,
                                  requested_by=actor.staff_id)
            s.add(row)
            s.flush()
            record(s, actor, "sender_id_request.create", "sender_id_request", row.id, agency_id=agency_id,
                   after={"sender_id": sender_id, "reason": reason[:1024]})
            return row.id

    def listing(self, model: type, agency_id: Optional[str]) -> list:
        with self._db.session() as s:
            query = select(model).order_by(model.id.desc()).limit(200)
            if agency_id is not None:
                query = query.where(model.agency_id == agency_id)
            rows = list(s.execute(query).scalars())
            for row in rows:
                s.expunge(row)
            return rows

    def decide(self, model: type, request_id: int, approve: bool, actor: Actor) -> bool:
        """Approve or decline a pending request; False when it was not pending (decided already)."""
        table = model.__table__
        status = APPROVED if approve else DECLINED
        with self._db.session() as s:
            decided = s.execute(
                update(table).where(table.c.id == request_id, table.c.status == PENDING)
                .values(status=status, decided_by=actor.staff_id, decided_at=utcnow())
            ).rowcount
            if not decided:
                return False
            row = s.get(model, request_id)
            kind = "credit_request" if model is CreditRequest else "sender_id_request"
            if approve and model is CreditRequest:
                self._top_up(s, row.agency_id, row.amount)
            if approve and model is SenderIdRequest:
                agency = s.get(Agency, row.agency_id)
                ids = list(agency.sms_sender_ids or [])
                if row.sender_id not in ids:
                    agency.sms_sender_ids = ids + [row.sender_id]
            record(s, actor, f"{kind}.{status}", kind, request_id, agency_id=row.agency_id,
                   before={"status": PENDING}, after={"status": status})
            return True

    @staticmethod
    def _top_up(s, agency_id: str, amount: int) -> None:
        # The same rule as CreditRepository.top_up (store/credit.py), inside this transaction.
        agencies = Agency.__table__
        balance = agencies.c.message_credit + amount
        done = s.execute(
            update(agencies).where(agencies.c.id == agency_id, agencies.c.message_credit.isnot(None))
            .values(message_credit=balance, credit_granted=balance, credit_alerted=0, updated_at=utcnow())
        ).rowcount
        if not done:
            s.execute(
                update(agencies).where(agencies.c.id == agency_id)
                .values(message_credit=amount, credit_granted=amount, credit_alerted=0, updated_at=utcnow())
            )
