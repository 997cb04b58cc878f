"""The examples people labelled in the console's inbox of missed messages, as training data
(store/curation.py keeps them; this is what a training's snapshot takes from it)."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from store.curation import CuratedExamples
from store.database import Database

logger = logging.getLogger(__name__)


def curated_training_examples(db: Database) -> list[tuple[str, str]]:
    """(intent, text) pairs to train on besides data/nlu, under their intents after staff's renames,
    merges and moves; never a held-out one."""
    try:
        return [(str(intent), str(text)) for intent, text in CuratedExamples(db).for_training()]
    except SQLAlchemyError as error:  # its table not migrated yet
        logger.warning("curated examples unreadable, training without them: %s", type(error).__name__)
        return []
