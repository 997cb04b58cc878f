"""The `messages` table as the inbound, outbound and status repositories share it.

The hot paths (every message: store, answer, send, statuses) use Core statements on the tables: in
bench/e2e's profile ORM object handling was the largest single cost of the web tier and workers.
Statements are built once and executed with parameters: building one per call (coercing each value
into a bind parameter, generating its cache key) was about half of the store's CPU per message.
"""

from __future__ import annotations

from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import Row

from core.messages import STATUS_QUEUED, STATUS_RETRYING
from store.models import Message

MESSAGES = Message.__table__
PENDING_OUTBOUND = (STATUS_QUEUED, STATUS_RETRYING)
INSERT_MESSAGE = insert(MESSAGES)
UPDATE_MESSAGE = update(MESSAGES).where(MESSAGES.c.id == bindparam("target_id"))

# A read-only row of `messages` (attribute access like a Message, no ORM identity or lazy loads).
MessageRow = Row
