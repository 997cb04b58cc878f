"""A migrated store on SQLite (a fresh file per test) and on PostgreSQL (one database per session,
emptied before each test)."""

from __future__ import annotations

import os
import shutil

import pytest

from bot.store import Store
from bot.store.migrate import upgrade
from bot.store.testing import (
    drop_abandoned_test_databases,
    empty_all_tables,
    fresh_postgres_database,
    postgres_admin_url,
    postgres_reachable,
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    if not postgres_reachable():
        pytest.skip(f"PostgreSQL not reachable at {postgres_admin_url()}")
    drop_abandoned_test_databases()
    with fresh_postgres_database(f"tawasol_test_{os.getpid()}_store") as url:
        upgrade(url)
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path, sqlite_template):
    if request.param == "sqlite":
        path = tmp_path / "tawasol.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url):
    store = Store(database_url)
    empty_all_tables(store.db)
    yield store
    store.close()
