"""The not-delivered timer, as a sweep the job engine runs periodically (and `tawasol jobs run-due
--as-of` on demand): every push a channel took but did not confirm delivered within
TAWASOL_DELIVERY_TIMEOUT_MINUTES goes by the fallback channel (WhatsApp → SMS), once.

Durable and idempotent: the deadline is a column written when the push was sent, so a restart
loses nothing, and the move is a conditional update (store.outbound.fall_back), so any number of
workers may run the sweep at the same moment and the citizen gets one SMS. The clock is the
caller's (`now`), so a test or an operator can run what is due at any moment.

What "doubled" means and how far it is prevented: see README, "Routing and delivery".
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from pipeline.outbox import Outbox
from store import Store

BATCH = 500  # pushes per query; the sweep goes on until none is left due


async def run_delivery_fallbacks(store: Store, outbox: Outbox, now: datetime) -> int:
    """Move every push undelivered past its deadline as of `now` to its fallback channel; returns
    how many pushes were moved (0 when another worker moved them first)."""
    moved = 0
    while True:
        overdue = await asyncio.to_thread(store.outbound.overdue, now, BATCH)
        moved += await outbox.move_undelivered(overdue, now)
        if len(overdue) < BATCH:
            return moved
