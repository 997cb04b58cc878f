"""The NLU training data as written in data/nlu/ (Rasa 3 YAML), read without Rasa: intent -> its
examples, for the console's intents page and the curated training snapshot; and the intents the
dialogue (domain.yml) needs."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import yaml

REPOSITORY = Path(__file__).resolve().parent.parent
NLU_DATA = REPOSITORY / "data" / "nlu"
DOMAIN = REPOSITORY / "domain.yml"


def _examples_of(block: str) -> list[str]:
    found = []
    for line in (block or "").splitlines():
        line = line.strip()
        if line.startswith("- "):
            found.append(line[2:].strip())
    return [e for e in found if e]


def nlu_examples(directory: Path = NLU_DATA) -> dict[str, list[str]]:
    """Every intent's examples, in file order (files by name)."""
    examples: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            if isinstance(item, dict) and "intent" in item:
                texts = examples.setdefault(str(item["intent"]), [])
                texts.extend(e for e in _examples_of(item.get("examples", "")) if e not in texts)
    return examples


def dialogue_intents(domain: Optional[Path] = None) -> frozenset[str]:
    """The intents domain.yml lists: the dialogue's rules act on them, so they must keep their names."""
    data = yaml.safe_load((domain or DOMAIN).read_text(encoding="utf-8")) or {}
    names = []
    for item in data.get("intents") or []:
        names.append(next(iter(item)) if isinstance(item, dict) else str(item))
    return frozenset(names)
