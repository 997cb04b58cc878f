"""The Alembic migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from core.messages import utcnow
from store import Store
from store.database import make_engine
from store.migrate import downgrade, upgrade
from store.models import metadata
from tests.availability import unavailable


def test_migrated_schema_matches_the_models(store):
    with store.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_every_table_exists_with_the_dedupe_constraint(store):
    inspector = inspect(store.db.engine)
    assert set(metadata.tables) <= set(inspector.get_table_names())
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("messages")}
    assert ("channel", "direction", "provider_id") in uniques
    identity_uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("channel_identities")}
    assert ("channel", "address") in identity_uniques


def test_downgrade_to_base_and_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'round_trip.db'}"
    upgrade(url)
    downgrade(url, "base")
    store = Store(url)
    try:
        assert "messages" not in inspect(store.db.engine).get_table_names()
    finally:
        store.close()
    upgrade(url)
    store = Store(url)
    try:
        assert "messages" in inspect(store.db.engine).get_table_names()
    finally:
        store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request, tmp_path):
    """A database with no tables yet: a new SQLite file, or a new PostgreSQL database of its own (the
    session's shared one must stay at head for the other tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    from tests.databases import fresh_postgres_database, postgres_admin_url, postgres_reachable

    if not postgres_reachable():
        unavailable(f"PostgreSQL at {postgres_admin_url()}")
    with fresh_postgres_database(f"tawasol_test_{os.getpid()}_migration_0002") as url:
        yield url


def test_0002_adds_the_route_and_the_ledger_to_a_database_with_messages(empty_database_url):
    url = empty_database_url
    upgrade(url, "0001")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            now = utcnow()
            citizen = connection.execute(
                text("INSERT INTO citizens (created_at) VALUES (:now) RETURNING id"), {"now": now}
            ).scalar_one()
            conversation = connection.execute(
                text(
                    "INSERT INTO conversations (citizen_id, started_at, last_activity_at)"
                    " VALUES (:c, :now, :now) RETURNING id"
                ),
                {"c": citizen, "now": now},
            ).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO messages (conversation_id, citizen_id, direction, channel, address, kind, text, status,"
                    " attempts, created_at, updated_at) VALUES (:v, :c, 'out', 'sms', '962791234567', 'reply', 'queued"
                    " before the upgrade', 'queued', 0, :now, :now)"
                ),
                {"v": conversation, "c": citizen, "now": now},
            )
        upgrade(url)
        columns = {c["name"] for c in inspect(engine).get_columns("messages")}
        assert {"sender", "route_reason", "route_cause"} <= columns
        assert "ledger_entries" in inspect(engine).get_table_names()
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT text, route_reason FROM messages")).one()
        assert tuple(kept) == ("queued before the upgrade", None)

        downgrade(url, "0001")
        inspector = inspect(engine)
        assert "ledger_entries" not in inspector.get_table_names()
        assert not {"sender", "route_reason", "route_cause"} & {c["name"] for c in inspector.get_columns("messages")}
        with engine.connect() as connection:
            assert connection.execute(text("SELECT text FROM messages")).scalar_one() == "queued before the upgrade"
    finally:
        engine.dispose()
