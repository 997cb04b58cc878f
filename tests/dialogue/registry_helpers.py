"""Transactions in the actions' registry for the brain's test citizens (who live on the "web"
channel under a pseudo-number: actions/citizen_records.py)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from types import SimpleNamespace

from actions.citizen_records import citizen_id
from api.lifecycle import transition
from store import Store
from store.transactions import NewEvent, NewTransaction


def ensure_agency(store: Store, agency_id: str, name_ar: str, name_en: str) -> None:
    if store.agencies.get(agency_id) is None:
        store.agencies.add(agency_id, name_ar=name_ar, name_en=name_en)


def register_for(store: Store, conversation_key: str, number: str, steps: list[tuple[str, datetime]]) -> None:
    """`number` at cspd for the brain's citizen `conversation_key`, moved through `steps`."""
    ensure_agency(store, "cspd", "الأحوال المدنية", "Civil Status")
    citizen = citizen_id(SimpleNamespace(sender_id=conversation_key))
    phone = store.citizens.identities(citizen)[0].address
    registered = datetime(2026, 11, 1, 7, 0, tzinfo=timezone.utc)
    new = NewTransaction(
        agency_id="cspd", number=number, service_id="cspd.passport_renew", citizen_phone=phone, language=None,
        registered_at=registered, assigned_employee_phone=None, manager_phone=None, escalate_after_days=None,
        content_hash=hashlib.sha256(number.encode()).hexdigest(),
    )
    store.transactions.register(new, idempotency=None, respond=lambda view: {})
    for kind, at in steps:
        store.transactions.add_event(
            "cspd", number, NewEvent(kind, at, note="نقص وثائق" if kind == "rejected" else None),
            transition=transition, idempotency=None, respond=lambda view: {},
        )
