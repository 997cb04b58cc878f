"""The examples people labelled in the console's inbox of missed messages, as training data.

The inbox's repository (store/curation.py, `CuratedExamples(db).for_training()`) is built beside
this; until it and its table exist in the store there are none, and a training uses the
repository's data/ alone.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from store.database import Database

logger = logging.getLogger(__name__)


def curated_training_examples(db: Database) -> list[tuple[str, str]]:
    """(intent, text) pairs to train on besides data/nlu; [] when the store keeps none."""
    try:
        from store.curation import CuratedExamples  # type: ignore[import-not-found]  (the inbox's repository)
    except ImportError:
        return []
    try:
        return [(str(intent), str(text)) for intent, text in CuratedExamples(db).for_training()]
    except SQLAlchemyError as error:  # its table not migrated yet
        logger.warning("curated examples unreadable, training without them: %s", type(error).__name__)
        return []
