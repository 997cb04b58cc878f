"""Engine and sessions: SQLite (WAL, busy timeout) for one machine, PostgreSQL (psycopg2) in production."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import orjson
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _json_dumps(value: Any) -> str:
    # orjson: several times faster than json.dumps on every JSON column write, and it keeps Arabic
    # as UTF-8 instead of \u escapes, so staff can read the columns they query directly.
    return orjson.dumps(value).decode("utf-8")


def make_engine(url: str, **kwargs: Any) -> Engine:
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        if ":memory:" not in url and url.rstrip("/") != "sqlite:":
            # SQLAlchemy 1.4 opens and closes a file database's connection for every transaction
            # (NullPool): with PRAGMAs, 8 ms of each answered message in bench/e2e. Keep them open.
            kwargs.setdefault("poolclass", QueuePool)
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False}, **kwargs)
        _tune_sqlite(engine)
        return engine
    # No pool_pre_ping: it costs a round trip and a PostgreSQL transaction per checkout (half of our
    # commits in bench/e2e). After a server restart the first use of a stale connection fails once,
    # SQLAlchemy then drops the whole pool, and that work is retried (the webhook answers 500 and
    # Meta redelivers; the sweeper re-answers a received message).
    return create_engine(url, future=True, pool_size=10, max_overflow=10, **kwargs)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; fsync at checkpoints
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when
        # another writer got in between (the busy timeout does not apply to that upgrade). Taking the
        # write lock up front makes concurrent workers queue on busy_timeout instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One engine and its session factory. A session is one transaction (`with db.session() as s:`)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, future=True, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Commit on success, roll back on any exception (which is re-raised)."""
        with self._sessions() as session:
            with session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()
