"""Removing a message's text and personal fields while keeping the row, for retention and erasure.

What stays is what statements and dashboards count: the row itself, its channel, direction, kind,
status, segments, cost, intent, service and language, its status timeline and its ledger entry.
What goes: the text, the provider's extras and rendered bodies (they hold the text too), the menu
offered, and the number, which keeps only its first four and last three characters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.orm import Session

from store.messages import MESSAGES
from store.models import IntentChange, Ticket, TrainingExample, UnrecognisedMessage

REVIEW = UnrecognisedMessage.__table__
TICKETS = Ticket.__table__

_ADDRESS = MESSAGES.c.address
# core.privacy.mask_phone's shape, in SQL both databases run (substr/length/||), so a batch is one UPDATE.
MASKED_ADDRESS = case(
    (func.length(_ADDRESS) > 6, func.substr(_ADDRESS, 1, 4) + literal("*****") + func.substr(_ADDRESS, func.length(_ADDRESS) - 2, 3)),
    else_=literal("******"),
)


def redact_messages(session: Session, ids: Sequence[int], now: datetime) -> int:
    """Redact these messages (those not redacted already); returns how many this call redacted.

    The `redacted_at IS NULL` condition makes it safe to run twice, or on two workers at once."""
    if not ids:
        return 0
    result = session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id.in_(ids), MESSAGES.c.redacted_at.is_(None))
        .values(
            text="",
            payload=None,
            raw=None,
            body=None,
            reply=None,
            choices=None,
            address=MASKED_ADDRESS,
            redacted_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def redact_review_rows(session: Session, message_ids: Sequence[int]) -> int:
    """The staff-review copies of these messages' texts."""
    if not message_ids:
        return 0
    return session.execute(
        update(REVIEW).where(REVIEW.c.message_id.in_(message_ids), REVIEW.c.text != "").values(text="")
    ).rowcount


def redact_training_examples(session: Session, message_ids: Sequence[int]) -> int:
    """The training examples staff made of these messages (the inbox): blanked, and so left out of
    every later training snapshot and comparison (store/curation.py skips empty texts)."""
    if not message_ids:
        return 0
    examples = list(session.execute(
        select(TrainingExample.id).where(TrainingExample.message_id.in_(message_ids), TrainingExample.text != "")
    ).scalars())
    if not examples:
        return 0
    session.execute(update(TrainingExample).where(TrainingExample.id.in_(examples)).values(text="", normalized=""))
    session.execute(update(IntentChange).where(IntentChange.example_id.in_(examples)).values(text=""))
    return len(examples)
