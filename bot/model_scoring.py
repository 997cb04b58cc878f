"""A model archive scored on the fixed held-out sets (eval/, which curation never writes to): the
scorecard kept with the model in the registry (brain/scorecard.py says what it holds)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

from bot.nlu_commands import parse_record
from bot.training import REPOSITORY
from brain.scorecard import UNLABELLED, Parsed, scorecard

logger = logging.getLogger(__name__)

# Written independently of the training data (eval/README.md); the large catalog's set needs
# another catalog, and the dialogue sets go through the whole service: neither is an NLU held-out set.
HELDOUT_FILES = tuple(REPOSITORY / "eval" / name for name in
                      ("tawasol_heldout.jsonl", "tawasol_heldout_b.jsonl", "tawasol_heldout_c.jsonl"))


# (text, intent, service_id): labelled inbox messages kept aside (store/curation.py `held_out`).
KeptAside = Sequence[tuple[str, str, Optional[str]]]


def heldout_hash(files: Sequence[Path] = HELDOUT_FILES, kept_aside: KeptAside = ()) -> str:
    """Names what a scorecard was measured on: two cards compare only when these are equal."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    for text, intent, service_id in kept_aside:
        digest.update(json.dumps([text, intent, service_id], ensure_ascii=False).encode())
    return digest.hexdigest()


async def score_model(
    model_path: str,
    files: Sequence[Path] = HELDOUT_FILES,
    said: Optional[Callable[[int, int], None]] = None,
    kept_aside: KeptAside = (),
) -> dict:
    """Parse every held-out message with the model at `model_path`, and the labelled inbox messages
    `kept_aside` (never trained on); `said(done, total)` hears how far."""
    from brain.rasa_brain import RasaBrain

    items = []
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                items.append((f"{file.stem}:{number}", json.loads(line)))
    for number, (text, intent, service_id) in enumerate(kept_aside, start=1):
        item = {"text": text, "intent": intent}
        if service_id:
            item["service_id"] = service_id
        items.append((f"inbox:{number}", item))
    brain = RasaBrain.load(model_path)
    parsed = []
    for done, (key, item) in enumerate(items, start=1):
        started = time.perf_counter()
        record = parse_record(item["text"], await brain.parse(item["text"]))
        milliseconds = (time.perf_counter() - started) * 1000
        gold_service = item["service_id"] if "service_id" in item else UNLABELLED
        parsed.append(Parsed(key, item["text"], item["intent"], record["intent"], gold_service, record["service_id"],
                             milliseconds))
        if said is not None and (done % 100 == 0 or done == len(items)):
            said(done, len(items))
    sets = [f.name for f in files] + (["inbox (kept aside)"] if kept_aside else [])
    card = scorecard(parsed, heldout_hash(files, kept_aside), sets)
    logger.info("model scored path=%s intent_accuracy=%.4f service_accuracy=%.4f median_ms=%.1f",
                Path(model_path).name, card["intent_accuracy"], card["service_accuracy"], card["median_parse_ms"])
    return card
