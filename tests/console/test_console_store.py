"""The console's records in the store, on SQLite and PostgreSQL: accounts, the append-only audit log,
sessions and sign-in counters (and their Redis twins), and what each agency may see."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from console.accounts import PasswordRefused, add_staff, token_hash
from console.config import ConsoleConfig
from console.passwords import verify
from console.sessions import DatabaseSessions, RedisSessions
from console.throttle import DatabaseCounters, RedisCounters, SignInGuard
from core.messages import utcnow
from store.audit import CLI_ACTOR, Actor, AuditFilter
from store.conversations import ConversationQuery
from store.staff import StaffError
from store.tickets import TicketNotFound
from tests.availability import unavailable
from tests.console.seed import ADMIN, CSPD_PHONE, LIAISON, PASSWORD, seed

CONFIG = ConsoleConfig()


def test_an_account_keeps_only_an_argon2_hash_and_is_audited(store):
    store.agencies.add("cspd", name_ar="الأحوال", name_en="Civil Status")
    made = add_staff(store, CONFIG, " Rana@CSPD.gov.jo ", "liaison_officer", "cspd", actor=CLI_ACTOR, password=PASSWORD)
    user = store.staff.by_email("rana@cspd.gov.jo")
    assert made.setup_link is None and user.email == "rana@cspd.gov.jo"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert verify(user.password_hash, PASSWORD) and not verify(user.password_hash, PASSWORD + "x")
    [entry] = store.audit.search()
    assert (entry.actor, entry.action, entry.target_id, entry.agency_id) == ("cli", "staff.add", str(user.id), "cspd")
    assert entry.after == {"email": "rana@cspd.gov.jo", "role": "liaison_officer", "agency_id": "cspd", "active": True}


@pytest.mark.parametrize(
    "email, role, agency, why",
    [
        ("a@b.jo", "agent", None, "works for one agency"),
        ("a@b.jo", "liaison_officer", "nope", "no agency 'nope'"),
        ("a@b.jo", "ministry_admin", "cspd", "not one agency"),
        ("a@b.jo", "superuser", None, "role must be one of"),
        ("not-an-email", "ministry_admin", None, "not an email"),
    ],
)
def test_accounts_that_make_no_sense_are_refused(store, email, role, agency, why):
    store.agencies.add("cspd", name_ar="الأحوال", name_en="Civil Status")
    with pytest.raises(StaffError, match=why):
        add_staff(store, CONFIG, email, role, agency, actor=CLI_ACTOR, password=PASSWORD)
    assert store.staff.all() == [] and store.audit.search() == []


def test_short_passwords_are_refused(store):
    with pytest.raises(PasswordRefused, match="at least 12"):
        add_staff(store, CONFIG, "a@b.jo", "ministry_admin", None, actor=CLI_ACTOR, password="short")


def test_a_setup_link_works_once_and_only_its_hash_is_kept(store):
    made = add_staff(store, CONFIG, "new@mopd.gov.jo", "ministry_admin", None, actor=CLI_ACTOR)
    token = made.setup_link.rsplit("/", 1)[1]
    user = store.staff.by_email("new@mopd.gov.jo")
    assert user.password_hash is None and user.setup_token_hash == token_hash(token) and token not in user.setup_token_hash
    assert store.staff.complete_setup(token_hash(token), "$argon2id$fake") is not None
    assert store.staff.complete_setup(token_hash(token), "$argon2id$again") is None  # used
    assert [e.action for e in store.audit.search()] == ["staff.password_set", "staff.add"]


def test_an_expired_setup_link_sets_nothing(store):
    expired = ConsoleConfig(setup_link_lifetime=timedelta(seconds=-1))
    made = add_staff(store, expired, "late@mopd.gov.jo", "ministry_admin", None, actor=CLI_ACTOR)
    assert store.staff.complete_setup(token_hash(made.setup_link.rsplit("/", 1)[1]), "$argon2id$x") is None


def test_the_audit_log_cannot_be_edited_or_deleted_even_by_hand(store):
    store.audit.append(Actor("admin@mopd.gov.jo", None), "staff.locked", "staff", 1, after={"locked_until": "x"})
    with pytest.raises(DBAPIError, match="append-only"):
        with store.db.engine.begin() as connection:
            connection.execute(text("UPDATE audit_log SET actor = 'someone else'"))
    with pytest.raises(DBAPIError, match="append-only"):
        with store.db.engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_log"))
    [entry] = store.audit.search()
    assert entry.actor == "admin@mopd.gov.jo"
    assert not any(hasattr(store.audit, name) for name in ("update", "delete", "remove", "edit"))


def test_the_audit_log_filters_by_actor_action_agency_target_and_date(store):
    seeded = seed(store)
    admin = store.staff.by_email(ADMIN)
    store.ticket_desk.take(seeded.cspd_ticket, None, Actor(admin.email, admin.id))
    store.ticket_desk.close(seeded.dls_ticket, None, Actor(admin.email, admin.id))
    assert [e.action for e in store.audit.search(AuditFilter(actor="mopd"))] == ["ticket.close", "ticket.take"]
    assert [e.target_id for e in store.audit.search(AuditFilter(action="ticket."))] == [
        str(seeded.dls_ticket), str(seeded.cspd_ticket)]
    assert [e.action for e in store.audit.search(AuditFilter(agency_id="dls"))] == ["ticket.close", "staff.add"]
    [take] = store.audit.search(AuditFilter(target=f"ticket:{seeded.cspd_ticket}"))
    assert (take.before, take.after) == ({"status": "open", "assigned_staff_id": None},
                                         {"status": "taken", "assigned_staff_id": admin.id})
    tomorrow = utcnow() + timedelta(days=1)
    assert store.audit.search(AuditFilter(since=tomorrow)) == []
    assert len(store.audit.search(AuditFilter(until=tomorrow))) == 6  # 4 accounts, 2 ticket changes


def test_an_agency_sees_only_its_own_tickets_and_conversations(store):
    seeded = seed(store)
    assert [t.id for t in store.ticket_desk.list("cspd")] == [seeded.cspd_ticket]
    assert {t.id for t in store.ticket_desk.list(None)} == {seeded.cspd_ticket, seeded.dls_ticket}
    assert store.ticket_desk.get(seeded.dls_ticket, "cspd") is None
    with pytest.raises(TicketNotFound):
        store.ticket_desk.close(seeded.dls_ticket, "cspd", Actor(LIAISON, None))
    assert store.ticket_desk.get(seeded.dls_ticket, None).status == "open"  # untouched

    assert [c.id for c in store.browser.search("cspd")] == [seeded.cspd_conversation]
    assert store.browser.get(seeded.dls_conversation, "cspd") is None
    assert store.browser.get(seeded.dls_conversation, "dls").messages == 2
    assert [c.id for c in store.browser.search(None, ConversationQuery(phone=CSPD_PHONE[-6:]))] == [seeded.cspd_conversation]
    assert [c.id for c in store.browser.search(None, ConversationQuery(service_id="dls.property_certificate"))] == [
        seeded.dls_conversation]
    [(question, _), (answer, events)] = store.browser.messages(seeded.cspd_conversation)
    assert (question.direction, answer.direction, [e.status for e in events]) == ("in", "out", ["sent", "delivered", "read"])


def test_sessions_in_the_store_end_after_the_idle_timeout(store):
    store.agencies.add("cspd", name_ar="الأحوال", name_en="Civil Status")
    user = add_staff(store, CONFIG, ADMIN, "ministry_admin", None, actor=CLI_ACTOR, password=PASSWORD).user
    sessions = DatabaseSessions(store.sessions, timedelta(minutes=30))
    token, session = sessions.create(user.id)
    assert sessions.load(token) == session and sessions.load(token + "x") is None
    store.sessions.touch(session.id, utcnow() - timedelta(minutes=31))
    assert sessions.load(token) is None
    assert store.sessions.get(session.id) is None  # and it is gone


def test_sign_in_counters_in_the_store_lock_an_email_after_repeated_failures(store):
    guard = SignInGuard(lambda: DatabaseCounters(store.throttle), ConsoleConfig(lockout_failures=3, sign_ins_per_minute=5))
    assert guard.before_attempt("a@b.jo", "10.0.0.1") is None
    assert guard.failed("a@b.jo") is None and guard.failed("a@b.jo") is None
    assert guard.failed("a@b.jo") is not None  # the third locks
    assert guard.before_attempt("a@b.jo", "10.0.0.2").reason == "locked"
    assert guard.before_attempt("other@b.jo", "10.0.0.3") is None  # another email is not locked
    for _ in range(5):
        assert guard.before_attempt("x@b.jo", "10.0.0.9") is None
    assert guard.before_attempt("x@b.jo", "10.0.0.9").reason == "rate_limited"  # the 6th from one address


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(os.environ.get("TAWASOL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        unavailable("Redis at 127.0.0.1:6379")
    prefix = f"tawasol-test-{uuid.uuid4().hex[:12]}"
    yield client, prefix
    keys = list(client.scan_iter(match=prefix + ":*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.mark.redis
def test_sessions_on_redis_expire_after_the_idle_timeout(redis_client):
    client, prefix = redis_client
    sessions = RedisSessions(client, prefix, timedelta(minutes=30))
    token, session = sessions.create(7)
    assert sessions.load(token) == session
    key = f"{prefix}:console:session:{session.id}"
    assert 1_700_000 < client.pttl(key) <= 1_800_000 and token.encode() not in client.hget(key, "csrf")
    client.pexpire(key, 1)  # as if the idle timeout had passed
    time.sleep(0.05)
    assert sessions.load(token) is None
    other, _ = sessions.create(None)
    sessions.end(other)
    assert sessions.load(other) is None


@pytest.mark.redis
def test_sign_in_counters_on_redis_lock_an_email(redis_client):
    client, prefix = redis_client
    guard = SignInGuard(lambda: RedisCounters(client, prefix), ConsoleConfig(lockout_failures=2, sign_ins_per_minute=3))
    assert guard.failed("a@b.jo") is None and guard.failed("a@b.jo") is not None
    assert guard.before_attempt("a@b.jo", "10.0.0.1").reason == "locked"
    assert 0 < client.pttl(f"{prefix}:console:throttle:lock:email:a@b.jo") <= 15 * 60 * 1000
    guard.before_attempt("b@b.jo", "10.0.0.2")
    guard.before_attempt("b@b.jo", "10.0.0.2")
    assert guard.before_attempt("b@b.jo", "10.0.0.2") is None
    assert guard.before_attempt("b@b.jo", "10.0.0.2").reason == "rate_limited"
