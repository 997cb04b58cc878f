"""`tawasol citizen forget PHONE`: the number and everything personal go, counts stay, a record says so."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import String, Text, inspect, select

from core.messages import STATUS_FAILED, InboundMessage, utcnow
from jobs.forget import forget_citizen, normalise_phone, redis_keys_about
from store.models import (
    AgencyOptOut,
    Citizen,
    Erasure,
    IdempotencyKey,
    Message,
    Subscription,
    Ticket,
    Transaction,
    TransactionEvent,
    UnrecognisedMessage,
    metadata,
)
from tests.jobs.conftest import JOBS_REDIS_URL, context
from tests.jobs.seed import all_rows, exchange, identities, ledger_total, ticket

PHONE = "962791234567"
OTHER = "962781111111"
REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def seed(store):
    now = utcnow()
    mine = exchange(store, PHONE, "smsc-1", "my id is 9901234567", at=now - timedelta(days=2))
    exchange(store, PHONE, "wamid.1", "renew passport", at=now - timedelta(days=1), channel="whatsapp")
    theirs = exchange(store, OTHER, "smsc-2", "birth certificate", at=now)
    store.citizens.set_language(mine.citizen_id, "en")
    store.subscriptions.subscribe(mine.citizen_id, "document_expiry")
    store.subscriptions.subscribe(theirs.citizen_id, "document_expiry")
    ticket(store, mine.citizen_id, "call me at 0791234567", at=now)
    ticket(store, theirs.citizen_id, "their complaint", at=now)
    _agency_records(store, mine.citizen_id, theirs.citizen_id, now)
    # A question still waiting for its answer: nobody to send it to after the erasure.
    waiting = store.inbound.add(InboundMessage(channel="sms", provider_id="smsc-3", address=PHONE, text="hello?"))
    return mine, theirs, waiting.message_id


def _agency_records(store, mine: int, theirs: int, now) -> None:
    """What the agency API and the timelines hold about the citizen: a transaction with its steps'
    notes and document number, the API's stored idempotent answer (it repeats the phone), an agency
    opt-out, and a provider's error text that names the number."""
    from sqlalchemy import insert

    from store.models import MessageStatusEvent, TransactionEvent
    from store.statuses import add_event
    from store.transactions import IdempotencyClaim, NewTransaction

    store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status")
    for number, phone, citizen in (("T-1", PHONE, mine), ("T-2", OTHER, theirs)):
        new = NewTransaction("cspd", number, "passport_renewal", phone, "en", now, "962790000001", None, None, f"hash-{number}")
        store.transactions.register(
            new, idempotency=IdempotencyClaim(f"key-{number}", "h"),
            respond=lambda view: {"number": view.transaction.number, "citizen_phone": view.transaction.citizen_phone},
        )
        store.citizens.opt_out_of_agency(citizen, "cspd")
    with store.db.session() as s:
        (transaction_id,) = s.execute(select(Transaction.id).where(Transaction.number == "T-1")).scalars()
        s.execute(insert(TransactionEvent.__table__).values(
            transaction_id=transaction_id, type="ready", at=now, note="call 0791234567", destination="Amman",
            document_number="X1234567"))
        outbound = s.execute(select(Message.id).where(Message.address == PHONE, Message.direction == "out")).scalars().first()
        add_event(s, outbound, "failed", error_code="131026", error_title=f"+{PHONE} is not a WhatsApp user", detail=f"to {PHONE}")
    assert len(all_rows(store, MessageStatusEvent)) > 0


def text_values(store) -> list[str]:
    """Every string held in every table, to look for the number anywhere."""
    found = []
    with store.db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text)) or c.name in ("raw", "body", "reply", "choices", "response")]
            if not columns:  # a table of numbers and dates only
                continue
            for row in connection.execute(select(*columns)):
                found.extend(str(v) for v in row if v is not None)
    return found


async def test_forget_erases_the_number_everywhere_keeps_counts_and_records_it(store, jobs_redis):
    mine, theirs, waiting_id = seed(store)
    jobs_redis.set(f"tawasol:tracker:{mine.citizen_id}", "dialogue state")
    jobs_redis.set(f"tawasol:tracker:{theirs.citizen_id}", "someone else's")
    jobs_redis.hset(redis_keys_about(PHONE, ())[-1], mapping={"tokens": "3"})
    messages_before, ledger_before = len(all_rows(store, Message)), ledger_total(store)

    result = await forget_citizen(context(store, redis_url=JOBS_REDIS_URL), "+962 79 123 4567")

    erased = result.erased
    assert erased is not None and erased.citizen_ids == (mine.citizen_id,)
    assert (erased.identities, erased.messages, erased.tickets, erased.subscriptions, erased.review_rows) == (2, 5, 1, 1, 2)
    assert result.redis_keys == 2
    assert not jobs_redis.exists(f"tawasol:tracker:{mine.citizen_id}")
    assert jobs_redis.get(f"tawasol:tracker:{theirs.citizen_id}") == b"someone else's"
    assert not any(
        PHONE in value or "9901234567" in value or "0791234567" in value or "X1234567" in value
        for value in text_values(store)
    )
    assert any(OTHER in value for value in text_values(store))  # the other citizen is untouched

    (record,) = all_rows(store, Erasure)
    assert record.reference == "9627*****567" and record.messages == 5 and record.redis_keys == 2
    assert record.erased_at is not None
    assert len(all_rows(store, Message)) == messages_before and ledger_total(store) == ledger_before
    assert [s.citizen_id for s in all_rows(store, Subscription)] == [theirs.citizen_id]
    assert {t.citizen_id: t.text for t in all_rows(store, Ticket)}[theirs.citizen_id] == "their complaint"
    assert store.citizens.get(mine.citizen_id).preferred_language is None
    with store.db.session() as s:
        assert s.get(Message, waiting_id).status == STATUS_FAILED
    assert {r.text for r in all_rows(store, UnrecognisedMessage)} == {"", "birth certificate"}
    assert "9627*****567" in result.line() and PHONE not in result.line()
    # The agency's records keep their counts, not the citizen: the transaction, its steps, the
    # other citizen's transaction untouched; the opt-out and the stored API answer that named the number gone.
    assert (erased.transactions, erased.agency_opt_outs) == (1, 1)
    by_number = {t.number: t for t in all_rows(store, Transaction)}
    assert by_number["T-1"].citizen_phone == f"erased-{record.id}" and by_number["T-1"].language is None
    assert by_number["T-2"].citizen_phone == OTHER
    assert len(all_rows(store, TransactionEvent)) == 3  # two registrations and the step: kept, without their texts
    assert [o.citizen_id for o in all_rows(store, AgencyOptOut)] == [theirs.citizen_id]
    answers = {k.key: k.response for k in all_rows(store, IdempotencyKey)}
    assert answers["key-T-1"].get("erased") is True and answers["key-T-2"]["citizen_phone"] == OTHER

    # Asked again: nothing held, nothing changed, no second record.
    again = await forget_citizen(context(store, redis_url=JOBS_REDIS_URL), PHONE)
    assert again.erased is None and len(all_rows(store, Erasure)) == 1

    # If the number writes again, it is a new citizen with nothing from before.
    stored = store.inbound.add(InboundMessage(channel="sms", provider_id="smsc-new", address=PHONE, text="hi again"))
    assert stored.citizen_id not in (mine.citizen_id, theirs.citizen_id)
    assert sum(i.address == PHONE for i in identities(store)) == 1


def test_phone_numbers_are_read_in_their_usual_spellings():
    assert normalise_phone("+962 79 123-4567") == PHONE
    assert normalise_phone("00962791234567") == PHONE
    with pytest.raises(ValueError):
        normalise_phone("079-abc")


def test_the_tracker_key_is_the_one_rasa_writes():
    from rasa.shared.core.domain import Domain

    from brain.rasa_brain import tracker_store_for

    tracker_store = tracker_store_for(JOBS_REDIS_URL, Domain.empty())
    assert redis_keys_about(PHONE, (42,))[0] == tracker_store.key_prefix + "42"


def test_the_command_forgets_and_says_what_it_did(store):
    seed(store)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SMPP_", "SMS_", "REDIS_URL"))}
    env["DATABASE_URL"] = store.db.url
    command = [sys.executable, "-m", "bot.cli", "citizen", "forget"]
    first = subprocess.run(command + ["+962791234567"], cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("erased 9627*****567: 1 citizen(s), 2 identities, 5 messages")
    assert "Redis not used" in first.stdout and "erasure record #1" in first.stdout
    assert PHONE not in first.stdout + first.stderr
    second = subprocess.run(command + ["962791234567"], cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and second.stdout.startswith("nothing held about 9627*****567")
    bad = subprocess.run(command + ["not-a-number"], cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "international form" in bad.stderr
    assert len(all_rows(store, Erasure)) == 1
    assert inspect(store.db.engine).has_table("erasures")
    assert store.citizens.get(1) is not None and isinstance(store.citizens.get(1), Citizen)
