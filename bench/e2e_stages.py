"""Where each message's latency goes, from the timestamps the service itself writes in its store.

    POST sent (load generator) -> row stored (inbound `created_at`: webhook + accept)
    -> answered (the `answered` event: queue wait + fast paths/brain + the answer transaction)
    -> reply accepted by the fake Graph API (`at`: flush, rate limiter, HTTP send)

Read after the run, before the database is dropped. The clocks agree: every process runs on
this machine.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bench.e2e_load import Outcome
from core.messages import STATUS_ANSWERED
from store.database import make_engine
from store.models import DIRECTION_IN, Message, MessageStatusEvent

STAGES = ("webhook POST -> stored", "stored -> answered (queue + answer)", "answered -> reply at Graph API")


def stage_latencies(database_url: str, outcomes: list[Outcome], fake_messages: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Per stage, the milliseconds each answered message spent in it."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Message.address, Message.created_at, MessageStatusEvent.at)
                .join(MessageStatusEvent, MessageStatusEvent.message_id == Message.id)
                .where(Message.direction == DIRECTION_IN, MessageStatusEvent.status == STATUS_ANSWERED)
            ).all()
    finally:
        engine.dispose()
    stored = {address: (created.timestamp(), answered.timestamp()) for address, created, answered in rows}
    first_reply: dict[str, float] = {}
    for sent in fake_messages:
        to = str(sent["to"])
        first_reply[to] = min(first_reply.get(to, sent["at"]), sent["at"])
    stages: dict[str, list[float]] = {name: [] for name in STAGES}
    for outcome in outcomes:
        if outcome.phone not in stored or outcome.phone not in first_reply:
            continue
        created, answered = stored[outcome.phone]
        for name, start, end in zip(
            STAGES, (outcome.sent_at, created, answered), (created, answered, first_reply[outcome.phone])
        ):
            stages[name].append((end - start) * 1000)
    return stages
