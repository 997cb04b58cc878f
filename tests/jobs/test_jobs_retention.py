"""The retention sweep on SQLite and PostgreSQL: old texts go, counts stay, twice is once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta

from core.messages import STATUS_RECEIVED, InboundMessage
from jobs.worker import run_due
from store import Store
from store.models import Message, Ticket, UnrecognisedMessage
from tests.jobs.conftest import context
from tests.jobs.seed import all_rows, exchange, ledger_total, message, ticket

AS_OF = datetime.fromisoformat("2026-12-20T09:00:00+03:00")
OLD = AS_OF - timedelta(days=400)
RECENT = AS_OF - timedelta(days=100)
REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def seed_history(store):
    old = exchange(store, "962791234567", "smsc-old", "my national id is 9901234567", at=OLD)
    recent = exchange(store, "962791234567", "smsc-recent", "passport fee?", at=RECENT)
    old_ticket = ticket(store, old.citizen_id, "please call me on 0791234567", at=OLD)
    recent_ticket = ticket(store, old.citizen_id, "still waiting", at=RECENT)
    # A question from long ago still waiting for its answer (a worker was down): in flight, kept.
    waiting = store.inbound.add(InboundMessage(channel="sms", provider_id="smsc-waiting", address="962781111111", text="hello?"))
    with store.db.session() as s:
        s.get(Message, waiting.message_id).created_at = OLD
    return old, recent, old_ticket, recent_ticket, waiting.message_id


def _retention(reports):
    """The retention sweep's report among all the sweeps run-due ran."""
    (report,) = [r for r in reports if r.sweep == "retention"]
    return report


async def test_run_due_redacts_texts_older_than_the_period_and_keeps_the_counts(store):
    old, recent, old_ticket, recent_ticket, waiting_id = seed_history(store)
    rows_before, ledger_before = len(all_rows(store, Message)), ledger_total(store)

    report = _retention(await run_due(context(store), AS_OF))

    assert report.sweep == "retention" and report.changed == 2 + 1 + 1
    assert "redacted 2 messages, 1 review rows, 1 tickets" in report.line()
    for message_id in (old.inbound_id, old.outbound_id):
        row = message(store, message_id)
        assert row.text == "" and row.raw is None and row.body is None and row.reply is None
        assert row.address == "9627*****567" and row.redacted_at is not None
        # What statements and dashboards count stays.
        assert row.channel == "sms" and row.status in ("answered", "delivered")
    assert message(store, old.inbound_id).service_id == "passport_renewal"
    assert message(store, old.inbound_id).intent == "ask_fee"
    assert message(store, old.outbound_id).segments == 2
    for message_id in (recent.inbound_id, recent.outbound_id):
        assert message(store, message_id).text != "" and message(store, message_id).redacted_at is None
    waiting = message(store, waiting_id)
    assert waiting.status == STATUS_RECEIVED and waiting.text == "hello?"

    review = {r.message_id: r.text for r in all_rows(store, UnrecognisedMessage)}
    assert review == {old.inbound_id: "", recent.inbound_id: "passport fee?"}
    tickets = {t.id: t.text for t in all_rows(store, Ticket)}
    assert tickets == {old_ticket: "", recent_ticket: "still waiting"}
    assert len(all_rows(store, Message)) == rows_before
    assert ledger_total(store) == ledger_before

    again = _retention(await run_due(context(store), AS_OF))
    assert again.changed == 0
    # A year later the recent ones are due too.
    later = _retention(await run_due(context(store), AS_OF + timedelta(days=300)))
    assert later.changed == 2 + 1 + 1


def test_two_workers_sweeping_at_once_redact_each_message_once(store):
    for n in range(60):
        exchange(store, f"96279{n:07d}", f"smsc-{n}", f"question {n}", at=OLD)
    counts: list[int] = []
    errors: list[BaseException] = []

    def sweep():
        other = Store(store.db.url)  # another process's engine
        try:
            counts.append(other.retention.redact_before(AS_OF - timedelta(days=365), now=AS_OF, batch=7).messages)
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            other.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(counts) == 120  # 60 questions and 60 answers, each counted by exactly one sweep
    assert all(m.redacted_at is not None for m in all_rows(store, Message))


def test_the_command_runs_the_sweep_for_the_moment_given(store):
    seed_history(store)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SMPP_", "SMS_", "REDIS_URL"))}
    env.update(DATABASE_URL=store.db.url, RETENTION_DAYS="365")
    command = [sys.executable, "-m", "bot.cli", "jobs", "run-due", "--as-of", "2026-12-20T09:00:00+03:00"]
    done = subprocess.run(command, cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "as of 2026-12-20T09:00:00+03:00" in done.stdout
    assert "retention: redacted 2 messages, 1 review rows, 1 tickets created before 2025-12-20T09:00:00+03:00" in done.stdout

    naive = subprocess.run(command[:-1] + ["2026-12-20T09:00:00"], cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=120)
    assert naive.returncode == 2 and "time zone" in naive.stderr


def test_retention_days_is_a_setting_refused_when_bad(tmp_path):
    from bot.settings import Settings, SettingsError

    assert Settings.from_env({}, cwd=tmp_path).retention_days == 365
    assert Settings.from_env({"RETENTION_DAYS": "30"}, cwd=tmp_path).retention_days == 30
    for bad in ("0", "-3", "a year"):
        try:
            Settings.from_env({"RETENTION_DAYS": bad}, cwd=tmp_path)
        except SettingsError as error:
            assert "RETENTION_DAYS" in error.problems
        else:
            raise AssertionError(f"RETENTION_DAYS={bad!r} was accepted")
