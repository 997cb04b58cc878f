"""Turn the public ArBanking77 set into a `bench.nlu_general` data directory.

ArBanking77 (SinaLab, Birzeit University; CC BY-SA 4.0; github.com/SinaLab/ArBanking77) is the
77-intent Banking77 set in Modern Standard Arabic and Palestinian Arabic. Its training file mixes
the two; its MSA and Palestinian test files are separate. It is not in this repository: point
`--source` at a checkout of it (nothing is downloaded).

    uv run python -m bench.arbanking77 --source ~/ArBanking77 --out /tmp/arbanking77 --seed 0
    uv run python -m bench.nlu_general --data /tmp/arbanking77

Training examples: `--per-intent` (20) drawn at random (seeded) from the training file, MSA and
Palestinian mixed as they come, as an intent set of "twenty examples an intent" would be.
Test sets: all of `test_msa.jsonl` and `test_lev.jsonl` (Palestinian is a Levantine dialect).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from collections import defaultdict
from pathlib import Path

_TRAIN = "Banking77_Arabized_MSA_PAL_train.csv"
_TESTS = {"msa": "Banking77_Arabized_MSA_test.csv", "lev": "Banking77_Arabized_PAL_test.csv"}
_INTENTS = "Banking77_intents.csv"


def _rows(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(r["label"].strip(), " ".join(r["text"].split())) for r in csv.DictReader(handle)]


def _intent_names(data: Path) -> dict[str, str]:
    """Arabic label -> the English intent name as a Rasa intent ("card_arrival")."""
    with (data / _INTENTS).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {r["label_ar"].strip(): re.sub(r"\W+", "_", r["label_en"].strip().lower()).strip("_") for r in rows}


def convert(source: Path, out: Path, seed: int, per_intent: int) -> dict[str, int]:
    data = source / "data"
    names = _intent_names(data)
    by_intent: dict[str, set[str]] = defaultdict(set)
    for label, text in _rows(data / _TRAIN):
        by_intent[label].add(text)
    rng = random.Random(seed)
    lines = ['version: "3.1"', "nlu:"]
    for label in sorted(by_intent):
        texts = sorted(by_intent[label])
        lines += [f"- intent: {names[label]}", "  examples: |"]
        lines += [f"    - {text}" for text in rng.sample(texts, min(per_intent, len(texts)))]
    out.mkdir(parents=True, exist_ok=True)
    (out / "train.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = {"intents": len(by_intent)}
    for name, file in _TESTS.items():
        rows = _rows(data / file)
        with (out / f"test_{name}.jsonl").open("w", encoding="utf-8") as handle:
            for label, text in rows:
                handle.write(json.dumps({"text": text, "intent": names[label]}, ensure_ascii=False) + "\n")
        counts[name] = len(rows)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="a checkout of SinaLab/ArBanking77")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-intent", type=int, default=20)
    args = parser.parse_args()
    counts = convert(args.source, args.out, args.seed, args.per_intent)
    print(f"{args.out}: {counts['intents']} intents x {args.per_intent} examples; test: {counts['msa']} MSA, {counts['lev']} Levantine")


if __name__ == "__main__":
    main()
