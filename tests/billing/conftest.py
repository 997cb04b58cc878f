"""Pipelines for the billing tests: the real store (SQLite and PostgreSQL), in-process coordination
(billing does not depend on how processes share state), the pipeline tests' channel doubles."""

from __future__ import annotations

import pytest

from coordination import InProcessCoordination
from core.messages import SMS, WHATSAPP
from pipeline.outbox import Outbox
from pipeline.pipeline import Pipeline
from routing.policy import RoutingPolicy
from tests.pipeline.pipeline_helpers import FAST, FAST_RETRY

RATES = {WHATSAPP: 1000.0, SMS: 1000.0}


@pytest.fixture
def make_pipeline(store):
    def make(brain, senders, *, routing: RoutingPolicy = RoutingPolicy()):
        coordination = InProcessCoordination()
        outbox = Outbox(store, coordination, senders, RATES, routing=routing, retry=FAST_RETRY)
        return Pipeline(store, coordination, brain, outbox, tuning=FAST)

    return make
