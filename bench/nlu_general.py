"""Is our NLU pipeline good at Arabic in general, not just tuned to our data?

Trains `config.yml` on another domain's intent data (as `rasa train nlu -c config.yml --nlu X`
would) and, on the same examples, the baseline it must beat by 5 points: TF-IDF character n-grams
(char_wb 2-5) + LinearSVC on the raw text. Scores both on the MSA and Levantine test sets.

    uv run python -m bench.nlu_general [--data eval/other_domain] [--train-dialect msa]

`--train-dialect msa` trains both on the examples whose `metadata.dialect` is `msa` only: we don't
know whether a public set's training examples are MSA only or mixed, so we measure both regimes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from bench.table import print_table
from bot.training import CONFIG, REPOSITORY


def _load_tests(directory: Path) -> dict[str, list[tuple[str, str]]]:
    sets = {}
    for path in sorted(directory.glob("test_*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        sets[path.stem.removeprefix("test_")] = [(r["text"], r["intent"]) for r in rows]
    return sets


def training_file(train_file: Path, dialect: str | None, directory: Path) -> Path:
    """`train_file` itself, or a copy holding only the examples of one dialect."""
    if dialect is None:
        return train_file
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = load_data(str(train_file))
    # Rasa keeps an example's own metadata under "example" (the intent's under "intent").
    kept = [
        e for e in data.training_examples if (e.get("metadata") or {}).get("example", {}).get("dialect") == dialect
    ]
    if not kept:
        raise SystemExit(f"{train_file}: no training example has metadata.dialect {dialect!r}")
    subset = directory / f"train_{dialect}.yml"
    subset.write_text(TrainingData(kept).nlu_as_yaml(), encoding="utf-8")
    return subset


def baseline_accuracy(train_file: Path, tests: dict[str, list[tuple[str, str]]]) -> dict[str, float]:
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    data = load_data(str(train_file))
    texts = [e.get("text") for e in data.intent_examples]
    labels = [e.get("intent") for e in data.intent_examples]
    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)), LinearSVC())
    model.fit(texts, labels)
    return {name: _accuracy(model.predict([t for t, _ in rows]), rows) for name, rows in tests.items()}


async def pipeline_accuracy(train_file: Path, tests: dict[str, list[tuple[str, str]]]) -> dict[str, float]:
    from rasa.model_training import train_nlu

    from brain.rasa_brain import RasaBrain

    with tempfile.TemporaryDirectory() as directory:
        model = train_nlu(str(CONFIG), str(train_file), directory, fixed_model_name="general")
        brain = RasaBrain.load(model)
        result = {}
        for name, rows in tests.items():
            # The model's own `intent`, as `rasa test nlu` or any other consumer would read it.
            predicted = [(await brain.parse(t))["intent"]["name"] for t, _ in rows]
            result[name] = _accuracy(predicted, rows)
        return result


def _accuracy(predicted, rows) -> float:
    return sum(p == gold for p, (_, gold) in zip(predicted, rows)) / max(len(rows), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPOSITORY / "eval" / "other_domain")
    parser.add_argument("--train-dialect", help="train on the examples of this metadata.dialect only (e.g. msa)")
    args = parser.parse_args()
    from bot.logs import configure

    configure("WARNING")
    tests = _load_tests(args.data)
    with tempfile.TemporaryDirectory() as directory:
        train_file = training_file(args.data / "train.yml", args.train_dialect, Path(directory))
        ours = asyncio.run(pipeline_accuracy(train_file, tests))
        base = baseline_accuracy(train_file, tests)
    rows = [
        [name, len(tests[name]), base[name], ours[name], (ours[name] - base[name]) * 100]
        for name in tests
    ]
    print_table(["test set", "messages", "char n-gram SVM", "config.yml", "gain (points)"], rows)


if __name__ == "__main__":
    main()
