"""Throwaway databases for tests (SQLite files and fresh PostgreSQL databases); not used in production.

PostgreSQL is reached through TAWASOL_TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432, trust auth).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from store.database import Database
from store.models import metadata

DEFAULT_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str:
    return os.environ.get("TAWASOL_TEST_POSTGRES_URL", DEFAULT_POSTGRES_ADMIN_URL)


def postgres_reachable() -> bool:
    engine = create_engine(postgres_admin_url(), connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


@contextmanager
def fresh_postgres_database(name: str) -> Iterator[str]:
    """Create database `name` (dropping a leftover of the same name), yield its URL, drop it after."""
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT", future=True)
    quoted = '"' + name.replace('"', '""') + '"'
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {quoted}"))
        yield make_url(postgres_admin_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        admin.dispose()


def drop_abandoned_test_databases(prefix: str = "tawasol_test_") -> list[str]:
    """Drop `<prefix><pid>_...` databases whose test process is gone (a run killed before teardown)."""
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT", future=True)
    dropped = []
    try:
        with admin.connect() as connection:
            names = connection.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"), {"pattern": f"{prefix}%"}
            ).scalars()
            for name in list(names):
                pid = name[len(prefix):].split("_", 1)[0]
                if pid.isdigit() and not _process_alive(int(pid)):
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    dropped.append(name)
    finally:
        admin.dispose()
    return dropped


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def empty_all_tables(db: Database) -> None:
    """Delete every row (faster than migrating a new database for each test)."""
    tables = [t.name for t in metadata.sorted_tables]
    with db.engine.begin() as connection:
        if db.dialect == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(text(f"DELETE FROM {table}"))
