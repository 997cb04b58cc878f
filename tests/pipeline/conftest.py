"""Pipelines on every combination we run: SQLite or PostgreSQL, in-process or Redis coordination."""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
import redis

from bot.coordination import InProcessCoordination, RedisCoordination
from bot.pipeline import Pipeline
from bot.settings import Settings
from bot.store import Store
from bot.store.migrate import upgrade
from bot.store.testing import (
    drop_abandoned_test_databases,
    empty_all_tables,
    fresh_postgres_database,
    postgres_admin_url,
    postgres_reachable,
)
from pipeline_helpers import FAST

REDIS_URL = os.environ.get("TAWASOL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("pipeline") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    if not postgres_reachable():
        pytest.skip(f"PostgreSQL not reachable at {postgres_admin_url()}")
    drop_abandoned_test_databases()
    with fresh_postgres_database(f"tawasol_test_{os.getpid()}_pipeline") as url:
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


@pytest.fixture(scope="session")
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix of our own; every key under it is deleted after the test."""
    prefix = f"tawasol_test:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["in_process", pytest.param("redis", marks=pytest.mark.redis)])
async def coordination_factory(request):
    """Makes coordination objects that share state as the processes of one deployment would:
    in-process, one shared instance; Redis, one client per call on a common key prefix."""
    if request.param == "in_process":
        shared = InProcessCoordination()
        # new_process=True: what a restarted process gets (its in-memory queue is gone).
        yield lambda new_process=False: InProcessCoordination() if new_process else shared
        return
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    made = []

    def make(new_process=False, **kwargs):
        coordination = RedisCoordination(url, prefix=prefix, **kwargs)
        made.append(coordination)
        return coordination

    yield make
    for coordination in made:
        await coordination.close()


@pytest.fixture
def settings(database_url):
    return Settings(database_url=database_url, whatsapp_rate=1000.0, smpp_tps=1000.0)


@pytest.fixture
def make_pipeline(settings, store, coordination_factory):
    def make(brain, senders, *, coordination=None, tuning=FAST, pipeline_store=None):
        return Pipeline(
            settings, pipeline_store or store, coordination or coordination_factory(), brain, senders, tuning=tuning
        )

    return make
