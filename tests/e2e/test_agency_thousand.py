"""Done when (issue #18): an agency's system registers 1,000 transactions and moves them through
their steps, through the production processes (bench/agency_stack.py: `tawasol serve --workers 0`,
`tawasol jobs worker`, the fake Graph API and an smpp34 SMSC as real processes, over PostgreSQL
and Redis), and the job worker is killed with SIGKILL in the middle and started again.

Citizens: on WhatsApp inside the 24-hour window, on WhatsApp outside it (templates), SMS only
(some of whose receipts say UNDELIV), and on a WhatsApp number the Graph API refuses (131026).
Counted where the citizen would see it (the fake Graph API's accepted messages, the SMSC's submit
log): exactly one message per step, on the right channel, in the citizen's language, with the
transaction number and the dates. Also: retries with the same Idempotency-Key send nothing twice;
another agency sees none of it (404); escalations fire once per period with `tawasol jobs run-due
--as-of`; SMS receipts reach each notification's status (delivered, or failed for UNDELIV).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta

import httpx
import pytest
import redis
from sqlalchemy import text

from bench.agency_stack import Stack
from channels.whatsapp.templates import TemplateCatalog
from core.messages import WHATSAPP, utcnow
from store import Store
from store.citizens import resolve_identity
from store.migrate import upgrade
from tests.databases import fresh_postgres_database, postgres_reachable
from tests.sms.smsc import decode_gsm_with_smpplib_table

pytestmark = [pytest.mark.slow, pytest.mark.soak]

REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own, emptied before and after
TRANSACTIONS = 1000
SENDERS = 8
REGISTERED_AT = "2026-11-02T09:30:00+03:00"
STEPS = [  # (type, extra fields): the usual path
    ("documents_received", {"at": "2026-11-02T11:30:00+03:00"}),
    ("issued", {"at": "2026-11-04T10:00:00+03:00", "destination": "Irbid office"}),
    ("completed", {"at": "2026-11-05T12:00:00+03:00"}),
]
FORWARDED_AT = "2026-11-02T10:30:00+03:00"
ARABIC = re.compile(r"[\u0600-\u06FF]")


def kind_of(n: int) -> str:
    return {0: "window", 1: "window", 2: "window", 3: "window", 4: "outside", 5: "outside", 6: "sms", 7: "sms",
            8: "sms", 9: "failing"}[n % 10]


def phone_of(n: int) -> str:
    # SMS-only citizens whose n ends in 6 have numbers the SMSC reports undeliverable (96278...).
    return f"96278{n:07d}" if kind_of(n) == "sms" and n % 100 == 6 else f"96279{n:07d}"


def language_of(n: int) -> str:
    return "en" if n % 3 == 0 else "ar"


def escalates(n: int) -> bool:
    return n % 50 == 7  # 20 transactions (SMS-only ones) are forwarded and get no reply


def employee_of(n: int) -> str | None:
    return f"96276{n:07d}" if n % 25 == 1 else None


def number_of(n: int) -> str:
    return f"T-{n:05d}"


def steps_of(n: int) -> list[tuple[str, dict]]:
    if escalates(n):
        return [("forwarded", {"at": FORWARDED_AT, "destination": "Land Department"})]
    steps = [(kind, dict(extra)) for kind, extra in STEPS]
    steps[1][1]["document_number"] = f"P{n:06d}"
    return steps


def sms_texts(submits: list[dict]) -> tuple[dict[str, list[str]], list[tuple], list[tuple]]:
    """Texts per destination as handsets would show them, the parts the SMSC got twice, and the
    UDH references two different messages to one destination shared.

    A concatenated message is told apart by its destination, UDH reference and total AND by its
    user_message_reference (our message id, which the SMSC log records): the 8-bit UDH reference
    alone has 256 values and each process starts it at random, so two messages to one citizen
    sent by two lives of the worker share it once in 256 pairs. A part sent again carries the
    same message id and the same UDH reference (kept in the message's body), so it is still
    caught; a message queued twice has another id, and its text is caught as said twice."""
    parts: dict[tuple, dict] = {}
    doubles: list[tuple] = []
    shared_udh: list[tuple] = []
    udh_seen: dict[tuple, object] = {}
    singles: dict[str, list[str]] = defaultdict(list)
    for submit in submits:
        body = bytes.fromhex(submit["short_message"])
        if submit["esm_class"] & 0x40:
            udh = (submit["destination_addr"], body[3], body[4], body[5])
            key = (submit["destination_addr"], submit.get("user_message_reference"), body[3], body[4], body[5])
            if key in parts:
                doubles.append(key)
            elif udh_seen.get(udh, key[1]) != key[1]:
                shared_udh.append(key)
            udh_seen[udh] = key[1]
            parts[key] = submit
        else:
            singles[submit["destination_addr"]].append(_decode(body, submit["data_coding"]))
    texts = defaultdict(list, {k: list(v) for k, v in singles.items()})
    groups: dict[tuple, dict[int, bytes]] = defaultdict(dict)
    coding: dict[tuple, int] = {}
    for (destination, ours, reference, total, number), submit in parts.items():
        body = bytes.fromhex(submit["short_message"])
        groups[(destination, ours, reference, total)][number] = body[body[0] + 1:]
        coding[(destination, ours, reference, total)] = submit["data_coding"]
    for (destination, ours, reference, total), got in groups.items():
        assert sorted(got) == list(range(1, total + 1)), f"parts missing for a message to {destination[-4:]}"
        text_ = _decode(b"".join(got[i] for i in range(1, total + 1)), coding[(destination, ours, reference, total)])
        texts[destination].append(text_)
    for destination, found in texts.items():
        for text_, count in Counter(found).items():
            if count > 1:
                doubles.append((destination, text_[:30]))
    return texts, doubles, shared_udh


def _decode(body: bytes, data_coding: int) -> str:
    return body.decode("utf-16-be") if data_coding == 8 else decode_gsm_with_smpplib_table(body)


def whatsapp_text(message: dict) -> str:
    body = message["body"]
    if message["type"] == "template":
        template = body["template"]
        values = [p.get("text", "") for c in template.get("components", []) for p in c.get("parameters", [])]
        return f"template:{template['name']}:{template['language']['code']}:" + "|".join(values)
    return body.get("text", {}).get("body", "")


def prepare(url: str) -> tuple[str, str]:
    upgrade(url)
    store = Store(url)
    try:
        store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status", sms_sender_ids=["CSPD"])
        store.agencies.add("dvld", name_ar="الترخيص", name_en="Licensing")
        with store.db.session() as s:
            for n in range(TRANSACTIONS):
                if kind_of(n) in ("window", "failing"):
                    resolve_identity(s, WHATSAPP, phone_of(n), inbound_at=utcnow())
                elif kind_of(n) == "outside":
                    resolve_identity(s, WHATSAPP, phone_of(n), inbound_at=utcnow() - timedelta(days=3))
        return store.agencies.issue_key("cspd").key, store.agencies.issue_key("dvld").key
    finally:
        store.close()


async def drive(api: str, key: str, replays: list[tuple[int, int]]) -> None:
    """The agency's system: each transaction registered, then its steps; every 7th transaction's
    requests are each sent twice with their Idempotency-Key (a retry after a lost answer)."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(TRANSACTIONS):
        queue.put_nowait(n)

    async def post(client: httpx.AsyncClient, n: int, path: str, body: dict, idempotency: str) -> None:
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency}
        first = await client.post(api + path, json=body, headers=headers)
        assert first.status_code == 201, (path, first.status_code, first.text[:300])
        if n % 7 == 0:
            again = await client.post(api + path, json=body, headers=headers)
            replays.append((first.status_code, again.status_code))
            assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"

    async def sender() -> None:
        async with httpx.AsyncClient(timeout=120) as client:
            while not queue.empty():
                n = queue.get_nowait()
                number = number_of(n)
                registration = {
                    "number": number, "service_id": "cspd.passport_renew", "citizen_phone": "+" + phone_of(n),
                    "citizen_language": language_of(n), "registered_at": REGISTERED_AT,
                }
                if employee_of(n):
                    registration["assigned_employee_phone"] = employee_of(n)
                if escalates(n):
                    registration.update(manager_phone=f"96277{n:07d}", escalate_after_days=10)
                await post(client, n, "/transactions", registration, f"reg-{number}")
                for kind, extra in steps_of(n):
                    await post(client, n, f"/transactions/{number}/events", {"type": kind, **extra}, f"{number}-{kind}")

    await asyncio.gather(*(sender() for _ in range(SENDERS)))


@pytest.mark.timeout(1800)  # some 3 minutes on a quiet 2-core machine; far more on a shared one
def test_a_thousand_transactions_each_step_once_on_its_channel_through_a_worker_kill(tmp_path):
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable")
    flush = redis.Redis.from_url(REDIS_URL)
    flush.flushdb()
    templates = TemplateCatalog.load()
    with fresh_postgres_database(f"tawasol_test_{__import__('os').getpid()}_thousand") as url:
        key, other_key = prepare(url)
        stack = Stack(tmp_path, url, REDIS_URL, undeliverable=("96278",))
        try:
            stack.start()
            for n in range(9, TRANSACTIONS, 10):  # WhatsApp refuses these numbers: not on WhatsApp
                httpx.post(f"{stack.graph_url}/_fake/errors", json={"to": phone_of(n), "code": 131026, "times": 1000})
            expected_citizen = {n: 1 + len(steps_of(n)) for n in range(TRANSACTIONS)}
            expected_total = sum(expected_citizen.values()) + sum(1 for n in range(TRANSACTIONS) if employee_of(n))

            def delivered_so_far() -> int:
                return len(stack.whatsapp_messages()) + len(stack.sms_submits())

            replays: list[tuple[int, int]] = []
            load = threading.Thread(target=lambda: asyncio.run(drive(stack.web_url + "/api/v1", key, replays)))
            started = time.monotonic()
            load.start()
            # Kill the job worker with SIGKILL once a quarter of the messages reached the providers.
            stack.wait_until("worker", lambda: delivered_so_far() >= expected_total // 4, 900)
            stack.kill("worker")
            killed_at = delivered_so_far()
            stack.start_worker()
            load.join(600)
            assert not load.is_alive()
            api_seconds = time.monotonic() - started

            # Everything reaches the providers (the claims of the killed worker go stale after 30 s).
            def settled() -> bool:
                with store.db.engine.connect() as c:
                    owed = c.execute(text("SELECT COUNT(*) FROM notification_outbox WHERE status = 'pending'")).scalar_one()
                    waiting = c.execute(text(
                        "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status IN ('queued', 'retrying')"
                    )).scalar_one()
                return owed == 0 and waiting == 0

            store = Store(url)
            try:
                try:
                    stack.wait_until("worker", settled, 900)
                except RuntimeError:
                    with store.db.engine.connect() as c:
                        left = c.execute(text(
                            "SELECT 'entry', status, COUNT(*) FROM notification_outbox GROUP BY status UNION ALL "
                            "SELECT 'message ' || channel, status, COUNT(*) FROM messages WHERE direction = 'out' GROUP BY channel, status"
                        )).all()
                    raise AssertionError(f"not settled: {left}")
                time.sleep(3)  # anything sent twice would show by now
                whatsapp = stack.whatsapp_messages()
                texts, doubles, shared_udh = sms_texts(stack.sms_submits())
                print(f"\nSMSC log: {stack.smsc_log}; UDH references shared by two messages to one number: {shared_udh[:5]}")
                assert not doubles, f"SMS sent twice: {doubles[:5]}"
                by_phone: dict[str, list[dict]] = defaultdict(list)
                for message in whatsapp:
                    by_phone[message["to"].lstrip("+")].append(message)
                wa_counts = Counter((m["to"], whatsapp_text(m)) for m in whatsapp)
                assert max(wa_counts.values()) == 1, "a WhatsApp message went twice"

                for n in range(TRANSACTIONS):
                    phone, number, kind = phone_of(n), number_of(n), kind_of(n)
                    on_whatsapp = [whatsapp_text(m) for m in by_phone.get(phone, [])]
                    on_sms = texts.get(phone, [])
                    got = on_whatsapp + on_sms
                    assert len(got) == expected_citizen[n], (n, kind, len(on_whatsapp), len(on_sms))
                    assert all(number in t for t in got), (n, got)
                    if kind == "window":
                        assert len(on_whatsapp) == expected_citizen[n] and not any(t.startswith("template:") for t in on_whatsapp)
                    elif kind == "outside":
                        # Outside the window: each step's approved template where one exists, else SMS.
                        kinds = ["registered"] + [k for k, _ in steps_of(n)]
                        with_template = [k for k in kinds if f"transaction_{k}" in templates.kinds()]
                        assert len(on_whatsapp) == len(with_template), (n, on_whatsapp)
                        assert all(t.startswith(f"template:tawasol_transaction_") and f":{language_of(n)}:" in t for t in on_whatsapp)
                    else:  # SMS only, and the numbers WhatsApp refuses: every step by SMS
                        assert len(on_sms) == expected_citizen[n] and not on_whatsapp, (n, kind)
                    for t in got:
                        if t.startswith("template:"):
                            continue
                        # In the citizen's language: Arabic letters in an Arabic text, none in an English one.
                        assert bool(ARABIC.search(t)) == (language_of(n) == "ar"), (n, t)
                    joined = "\n".join(got)
                    assert "2026-11-02" in joined  # the registration date
                    if not escalates(n):
                        assert "11:30" in joined  # the time the documents were received
                        assert "2026-11-04" in joined and "Irbid office" in joined  # date and destination at issue
                        # The document's number too, except in the approved template (its parameters:
                        # the transaction's number, the date, the destination).
                        assert f"P{n:06d}" in joined or kind == "outside"
                    if employee_of(n):
                        assert len([t for t in texts.get(employee_of(n), []) if number in t]) == 1
                assert killed_at < expected_total  # the kill did land in the middle
                # Retried requests answered the first answer (checked in `drive`) and sent nothing more.
                assert len(replays) > 0

                # Another agency sees none of it.
                other = {"Authorization": f"Bearer {other_key}"}
                assert httpx.get(f"{stack.web_url}/api/v1/transactions/{number_of(1)}", headers=other).status_code == 404
                assert httpx.post(
                    f"{stack.web_url}/api/v1/transactions/{number_of(1)}/events", json={"type": "completed"}, headers=other
                ).status_code == 404

                # SMS receipts reach the notifications: delivered, or failed where the SMSC said UNDELIV.
                mine = {"Authorization": f"Bearer {key}"}

                def sms_statuses(n: int) -> set[str]:
                    body = httpx.get(f"{stack.web_url}/api/v1/transactions/{number_of(n)}", headers=mine).json()
                    return {x["status"] for x in body["notifications"] if x["recipient"] == "citizen"}

                stack.wait_until("web", lambda: sms_statuses(8) == {"delivered"} and sms_statuses(6) == {"failed"}, 60)
                history = store.outbound.delivery_history(
                    [m for (m,) in store.db.engine.connect().execute(text(
                        "SELECT m.id FROM messages m JOIN transaction_notifications tn ON tn.message_id = m.id "
                        "JOIN transactions t ON t.id = tn.transaction_id WHERE t.number = :number"), {"number": number_of(6)})]
                )
                assert history and all(step.status == "failed" for step in history)

                # Escalations: once per period, whoever runs run-due and however often.
                first = stack.run_due("2026-11-12T11:00:00+03:00")
                again = stack.run_due("2026-11-12T11:00:00+03:00")
                later = stack.run_due("2026-11-22T11:00:00+03:00")
                assert "escalation: 20 " in first and "escalation: 0 " in again and "escalation: 20 " in later, (first, again, later)
                stack.wait_until("worker", settled, 120)
                time.sleep(2)
                texts, doubles, _ = sms_texts(stack.sms_submits())
                assert not doubles
                for n in range(TRANSACTIONS):
                    manager = texts.get(f"96277{n:07d}", [])
                    assert len(manager) == (2 if escalates(n) else 0), (n, manager)
                    assert all(number_of(n) in t for t in manager)
                with store.db.engine.connect() as c:
                    assert c.execute(text("SELECT COUNT(*) FROM transaction_escalations WHERE sent_at IS NOT NULL")).scalar_one() == 40
                print(f"\n{TRANSACTIONS} transactions: API load {api_seconds:.1f} s; worker killed after {killed_at} of {expected_total} messages")
            finally:
                store.close()
        finally:
            stack.stop()
            flush.flushdb()
            flush.close()
