"""bench.arbanking77 turns a checkout of the public set into bench.nlu_general's data directory."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data

from bench.arbanking77 import convert


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        writer.writerows(rows)


def _checkout(root: Path) -> Path:
    data = root / "data"
    _write(data / "Banking77_intents.csv", ["label_en", "label_ar"], [["card arrival", "وصول البطاقة"], ["exchange rate", "سعر الصرف"]])
    train = [["وصول البطاقة", f"وين بطاقتي رقم {i}"] for i in range(30)]
    train += [["سعر الصرف", f"كم سعر الصرف اليوم {i}"] for i in range(30)]
    train += [["سعر الصرف", "كم سعر الصرف اليوم 0"]]  # a duplicate is drawn at most once
    _write(data / "Banking77_Arabized_MSA_PAL_train.csv", ["label", "text"], train)
    _write(data / "Banking77_Arabized_MSA_test.csv", ["label", "text"], [["وصول البطاقة", "متى تصل البطاقة؟"]])
    _write(data / "Banking77_Arabized_PAL_test.csv", ["label", "text"], [["سعر الصرف", "قديش\nسعر  الدولار؟"], ["وصول البطاقة", "وينها بطاقتي"]])
    return root


def test_draws_twenty_distinct_examples_an_intent_and_keeps_every_test_message(tmp_path):
    out = tmp_path / "out"
    counts = convert(_checkout(tmp_path / "ArBanking77"), out, seed=0, per_intent=20)
    assert counts == {"intents": 2, "msa": 1, "lev": 2}

    training = load_data(str(out / "train.yml"))
    by_intent: dict[str, list[str]] = {}
    for example in training.intent_examples:
        by_intent.setdefault(example.get("intent"), []).append(example.get("text"))
    assert sorted(by_intent) == ["card_arrival", "exchange_rate"]
    assert all(len(texts) == 20 == len(set(texts)) for texts in by_intent.values())

    lev = [json.loads(line) for line in (out / "test_lev.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [row["intent"] for row in lev] == ["exchange_rate", "card_arrival"]
    assert lev[0]["text"] == "قديش سعر الدولار؟"  # a line break inside a CSV field, runs of spaces


def test_the_same_seed_draws_the_same_examples(tmp_path):
    checkout = _checkout(tmp_path / "ArBanking77")
    convert(checkout, tmp_path / "a", seed=3, per_intent=5)
    convert(checkout, tmp_path / "b", seed=3, per_intent=5)
    convert(checkout, tmp_path / "c", seed=4, per_intent=5)
    first = (tmp_path / "a" / "train.yml").read_text(encoding="utf-8")
    assert first == (tmp_path / "b" / "train.yml").read_text(encoding="utf-8")
    assert first != (tmp_path / "c" / "train.yml").read_text(encoding="utf-8")
