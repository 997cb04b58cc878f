"""The store's CPU per answered message: each call the pipeline makes, timed in process.

One inbound message, its answer and two delivery statuses, as the pipeline stores them, repeated for
N citizens against a fresh database (SQLite by default, or the PostgreSQL URL given). Reports the
CPU milliseconds of this process per call (SQLAlchemy and the driver; not the server's own work).

    uv run python -m bench.store_ops [--messages 400] [--database postgresql://postgres@127.0.0.1/x]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from typing import Any, Callable

from bench.table import print_table
from core.messages import InboundMessage, utcnow
from store import Store
from store.inbound import Understanding
from store.outbound import Billing, NewOutbound
from store.migrate import upgrade


def measure(database_url: str, messages: int) -> dict[str, float]:
    """Milliseconds of CPU per call, by call."""
    upgrade(database_url)
    store = Store(database_url)
    spent: dict[str, float] = defaultdict(float)

    def timed(name: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        result = call(*args, **kwargs)
        spent[name] += time.process_time() - started
        return result

    run = f"{time.time():.0f}"
    try:
        for i in range(messages):
            address = f"96279{i:07d}"
            inbound = InboundMessage(
                channel="whatsapp", provider_id=f"wamid.in.{run}.{i}", address=address,
                text="كم رسوم تجديد جواز السفر؟", received_at=utcnow(),
            )
            stored = timed("add_inbound (webhook)", store.inbound.add, inbound)
            timed("state (worker takes the job)", store.inbound.state, stored.message_id)
            timed("start_next_answer", store.inbound.start_next_answer, stored.citizen_id, stored.message_id)
            reply = NewOutbound(
                citizen_id=stored.citizen_id, channel="whatsapp", address=address, text="الرسوم 50 دينارًا " * 10,
                body={"type": "text", "text": {"body": "الرسوم"}}, reply={"text": "الرسوم"}, reply_key=f"{run}.{i}",
                reply_to_id=stored.message_id, route_reason="reply_on_inbound_channel", billing=Billing("reply"),
            )
            completed = timed(
                "complete_inbound", store.inbound.complete, stored.message_id, outbound=[reply],
                understanding=Understanding("ask_fees", 0.9, "cspd.passport_renew", "ar"),
            )
            provider_id = f"wamid.out.{run}.{i}"
            timed("mark_sent", store.outbound.mark_sent, completed.outbound_ids[0], provider_id)
            for status in ("sent", "delivered"):
                timed(f"status webhook: {status}", store.statuses.record, "whatsapp", [provider_id], status,
                      at=utcnow())
    finally:
        store.close()
    return {name: seconds * 1000 / messages for name, seconds in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/store_ops.db"
    per_call = measure(url, args.messages)
    rows = [[name, ms] for name, ms in per_call.items()] + [["total per answered message", sum(per_call.values())]]
    print_table([f"store call ({url.split(':')[0]}, {args.messages} messages)", "CPU ms"], rows)


if __name__ == "__main__":
    main()
