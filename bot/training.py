"""Training the Rasa model from the repository's config, domain and training data."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Optional

REPOSITORY = Path(__file__).resolve().parent.parent
CONFIG = REPOSITORY / "config.yml"
DOMAIN = REPOSITORY / "domain.yml"
# Only these: data/ also holds the catalog and the bot's wording, which are not training data.
TRAINING_FILES = [REPOSITORY / "data" / "nlu", REPOSITORY / "data" / "rules.yml"]

logger = logging.getLogger(__name__)


def train_model(output: Path, fixed_name: Optional[str] = None) -> Path:
    from rasa.api import train

    started = time.perf_counter()
    result = train(
        domain=str(DOMAIN),
        config=str(CONFIG),
        training_files=[str(p) for p in TRAINING_FILES],
        output=str(output),
        fixed_model_name=fixed_name,
    )
    if result.code != 0 or not result.model:
        raise RuntimeError(f"training failed (rasa exit code {result.code})")
    logger.info("model trained path=%s seconds=%.1f", result.model, time.perf_counter() - started)
    return Path(result.model)
