"""The job engine's tests: a Redis database of their own (arq's queue, the keys a forget deletes)."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
import redis

from jobs.context import JobContext, JobSettings
from tests.availability import unavailable

# Database 11, not 0: the erasure deletes keys under the production prefix ("tawasol:tracker:<id>"),
# and other suites on the shared server use database 0 with small citizen ids too.
JOBS_REDIS_URL = os.environ.get("TAWASOL_TEST_JOBS_REDIS_URL", "redis://127.0.0.1:6379/11")


@pytest.fixture
def jobs_redis():
    client = redis.Redis.from_url(JOBS_REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        unavailable(f"Redis at {JOBS_REDIS_URL}")
    before = set(client.keys("*"))
    yield client
    made = set(client.keys("*")) - before
    if made:
        client.delete(*made)
    client.close()


@pytest.fixture
def queue_name():
    return f"tawasol_test:arq:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def context(store, *, redis_url=None, retention_days: int = 365) -> JobContext:
    return JobContext(JobSettings(store.db.url, redis_url, timedelta(days=retention_days)), store)
