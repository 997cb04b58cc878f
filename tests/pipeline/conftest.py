"""Pipelines on every combination we run: SQLite or PostgreSQL, in-process or Redis coordination."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from coordination import InProcessCoordination, RedisCoordination
from pipeline_doubles import RATES
from pipeline.outbox import Outbox
from pipeline.pipeline import Pipeline
from store import Store
from tests.availability import unavailable
from pipeline_helpers import FAST, FAST_RETRY

REDIS_URL = os.environ.get("TAWASOL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        unavailable(f"Redis at {REDIS_URL}")
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
def make_pipeline(store, coordination_factory):
    def make(brain, senders, *, coordination=None, tuning=FAST, pipeline_store=None):
        used_store, used_coordination = pipeline_store or store, coordination or coordination_factory()
        outbox = Outbox(used_store, used_coordination, senders, RATES, retry=FAST_RETRY)
        return Pipeline(used_store, used_coordination, brain, outbox, tuning=tuning)

    return make
