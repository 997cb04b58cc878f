"""The Alembic migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from store import Store
from store.migrate import downgrade, upgrade
from store.models import metadata


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
