"""A model's scores on the fixed held-out sets, and a new model compared with the active one.

The scores are plain JSON, kept with the model in the registry (`models.scores`), so a comparison
needs no parsing: it reads two scorecards. Only scorecards measured on the same held-out files
(`heldout_hash`) are compared; the training job measures the active model again when its
scorecard is older than the files.

What counts as a regression (flagged red in the console; switching such a model on takes a second
admin): intent or service accuracy down by `ACCURACY_DROP` or more; an intent with at least
`MIN_SUPPORT` held-out messages whose F1 dropped by `F1_DROP` or more; the median parse time more
than `SLOWER_FACTOR` times the active model's and `SLOWER_MS` more (the machine's load moves it by
a few milliseconds, so a small change is not a regression).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

ACCURACY_DROP = 0.005  # half a point: ~9 of the 1,706 held-out messages
F1_DROP = 0.05
MIN_SUPPORT = 10
SLOWER_FACTOR = 1.5
SLOWER_MS = 10.0
UNLABELLED = "-"


@dataclass(frozen=True)
class Parsed:
    """One held-out message and what a model made of it."""

    key: str  # "<set>:<line>", stable while the held-out files are
    text: str
    gold_intent: str
    intent: Optional[str]
    gold_service: Optional[str]  # None: no service; UNLABELLED: the line does not say
    service: Optional[str]
    milliseconds: float


def scorecard(parsed: Sequence[Parsed], heldout_hash: str, sets: Sequence[str]) -> dict[str, Any]:
    """The JSON kept with a model: accuracies, per-intent precision/recall/F1, median parse time,
    and every message it got wrong (intent or service), by key."""
    n = len(parsed)
    labelled = [p for p in parsed if p.gold_service != UNLABELLED]
    per_intent = _per_intent(parsed)
    wrong = {
        p.key: {"text": p.text, "gold_intent": p.gold_intent, "intent": p.intent,
                "gold_service": p.gold_service, "service": p.service}
        for p in parsed
        if p.intent != p.gold_intent or (p.gold_service != UNLABELLED and p.service != p.gold_service)
    }
    times = sorted(p.milliseconds for p in parsed)
    return {
        "heldout_hash": heldout_hash,
        "sets": list(sets),
        "n": n,
        "intent_accuracy": sum(p.intent == p.gold_intent for p in parsed) / n if n else 0.0,
        "service_n": len(labelled),
        "service_accuracy": sum(p.service == p.gold_service for p in labelled) / len(labelled) if labelled else 0.0,
        "per_intent": per_intent,
        "median_parse_ms": _median(times),
        "wrong": wrong,
    }


def _per_intent(parsed: Iterable[Parsed]) -> dict[str, dict[str, float]]:
    true_positive: dict[str, int] = defaultdict(int)
    predicted: dict[str, int] = defaultdict(int)
    support: dict[str, int] = defaultdict(int)
    for p in parsed:
        support[p.gold_intent] += 1
        if p.intent is not None:
            predicted[p.intent] += 1
        if p.intent == p.gold_intent:
            true_positive[p.gold_intent] += 1
    table = {}
    for intent in sorted(set(support) | set(predicted)):
        precision = true_positive[intent] / predicted[intent] if predicted[intent] else 0.0
        recall = true_positive[intent] / support[intent] if support[intent] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[intent] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                         "support": support[intent]}
    return table


def _median(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


@dataclass(frozen=True)
class IntentRow:
    intent: str
    support: int
    active_f1: Optional[float]
    new_f1: Optional[float]
    regressed: bool

    @property
    def delta(self) -> Optional[float]:
        return None if self.active_f1 is None or self.new_f1 is None else self.new_f1 - self.active_f1


@dataclass(frozen=True)
class Metric:
    active: float
    new: float
    regressed: bool

    @property
    def delta(self) -> float:
        return self.new - self.active


@dataclass(frozen=True)
class Comparison:
    intent_accuracy: Metric
    service_accuracy: Metric
    median_parse_ms: Metric
    intents: list[IntentRow]
    newly_wrong: list[dict[str, Any]]  # the messages the active model got right and the new one does not
    newly_right: int
    n: int
    regressions: list[str] = field(default_factory=list)  # what regressed, in words an admin reads

    @property
    def regresses(self) -> bool:
        return bool(self.regressions)


class NotComparable(ValueError):
    """One of the two has no scores, or they were measured on different held-out files."""


def compare(new: Optional[Mapping[str, Any]], active: Optional[Mapping[str, Any]]) -> Comparison:
    if not new or not active:
        raise NotComparable("a model without scores cannot be compared")
    if new.get("heldout_hash") != active.get("heldout_hash"):
        raise NotComparable("the two models were scored on different held-out files")
    regressions: list[str] = []
    intent_accuracy = _metric(new, active, "intent_accuracy", regressions, "intent accuracy")
    service_accuracy = _metric(new, active, "service_accuracy", regressions, "service accuracy")
    new_ms, active_ms = float(new["median_parse_ms"]), float(active["median_parse_ms"])
    slower = new_ms > active_ms * SLOWER_FACTOR and new_ms - active_ms > SLOWER_MS
    if slower:
        regressions.append(f"median parse time {active_ms:.1f} ms -> {new_ms:.1f} ms")
    rows = []
    new_intents, active_intents = new["per_intent"], active["per_intent"]
    for intent in sorted(set(new_intents) | set(active_intents)):
        a, b = active_intents.get(intent), new_intents.get(intent)
        support = int((a or b or {}).get("support", 0))
        a_f1 = float(a["f1"]) if a else None
        b_f1 = float(b["f1"]) if b else None
        regressed = support >= MIN_SUPPORT and a_f1 is not None and (b_f1 or 0.0) <= a_f1 - F1_DROP
        if regressed:
            regressions.append(f"{intent} F1 {a_f1:.2f} -> {b_f1 or 0.0:.2f}")
        rows.append(IntentRow(intent, support, a_f1, b_f1, regressed))
    new_wrong, active_wrong = new["wrong"], active["wrong"]
    newly_wrong = [{"key": key, **item} for key, item in sorted(new_wrong.items()) if key not in active_wrong]
    newly_right = sum(1 for key in active_wrong if key not in new_wrong)
    return Comparison(intent_accuracy, service_accuracy, Metric(active_ms, new_ms, slower), rows, newly_wrong,
                      newly_right, int(new["n"]), regressions)


def _metric(new: Mapping[str, Any], active: Mapping[str, Any], name: str, regressions: list[str], words: str) -> Metric:
    a, b = float(active[name]), float(new[name])
    regressed = b <= a - ACCURACY_DROP
    if regressed:
        regressions.append(f"{words} {a:.1%} -> {b:.1%}")
    return Metric(a, b, regressed)
