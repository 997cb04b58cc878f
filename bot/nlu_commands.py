"""`tawasol nlu parse` and `tawasol nlu evaluate`."""

from __future__ import annotations

import contextlib
import json
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, TextIO

from brain.rasa_brain import RasaBrain, entity_value
from bot.training import CONFIG, DOMAIN, REPOSITORY

NLU_DATA = REPOSITORY / "data" / "nlu"


def parse_record(text: str, parse: dict[str, Any]) -> dict[str, Any]:
    """The public shape of one parse: what `nlu parse` prints, and what evaluation compares."""
    top = parse.get("intent") or {}  # the best guess: the dialogue, not the contract, distrusts a low one
    return {
        "text": text,
        "intent": top.get("name"),
        "confidence": round(float(top.get("confidence") or 0.0), 4),
        "service_id": entity_value(parse, "service"),
        "entities": [
            {k: e[k] for k in ("entity", "value", "start", "end") if k in e}
            for e in parse.get("entities", [])
            if e.get("entity") != "language"
        ],
        "language": parse.get("language") or "ar",
    }


async def parse_lines(source: TextIO, sink: TextIO, model: str, database_url: Optional[str] = None) -> None:
    """`database_url`: the store whose catalog the service answers from (seeded from the catalog
    directory when empty), so parse sees the services the service sees; None: the YAML directory."""
    # `sink` carries JSON lines only: anything a library prints goes to stderr meanwhile.
    with contextlib.redirect_stdout(sys.stderr):
        if database_url is not None:
            from actions.catalog_access import use_store_catalog
            from store import Store
            from store.migrate import upgrade

            upgrade(database_url)
            use_store_catalog(Store(database_url))
        brain = RasaBrain.load(model)
        await _parse_each(brain, source, sink)


async def _parse_each(brain: RasaBrain, source: TextIO, sink: TextIO) -> None:
    for line in source:
        text = line.rstrip("\r\n")
        parse = await brain.parse(text)
        sink.write(json.dumps(parse_record(text, parse), ensure_ascii=False) + "\n")
        sink.flush()


# --- evaluation -------------------------------------------------------------------------------


def _split_training_data(share: float, seed: int = 13) -> tuple[Any, list[tuple[str, str]]]:
    """Stratified split of data/nlu: (training data for a temporary model, held-out pairs)."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = load_data(str(NLU_DATA))
    by_intent: dict[str, list[Any]] = {}
    for example in data.intent_examples:
        by_intent.setdefault(example.get("intent"), []).append(example)
    rng = random.Random(seed)
    kept, held = [], []
    for intent, examples in sorted(by_intent.items()):
        rng.shuffle(examples)
        cut = max(1, int(len(examples) * share))
        held += [(e.get("text"), intent) for e in examples[:cut]]
        kept += examples[cut:]
    return TrainingData(training_examples=kept), held


def _train_split_model(training_data: Any, directory: Path) -> Path:
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter

    nlu_file = directory / "nlu.yml"
    RasaYAMLWriter().dump(nlu_file, training_data)
    model = train_nlu(str(CONFIG), str(nlu_file), str(directory), domain=str(DOMAIN), fixed_model_name="split")
    if not model:
        raise RuntimeError("training the held-out split model failed")
    return Path(model)


def report(title: str, rows: Iterable[tuple[str, str, Optional[str], Optional[str]]]) -> dict[str, float]:
    """Print accuracy, per-intent F1 and confusions; rows are (gold intent, predicted, gold service,
    predicted service), with gold service "-" where the row has no service label."""
    from sklearn.metrics import classification_report

    rows = list(rows)
    gold = [r[0] for r in rows]
    predicted = [r[1] for r in rows]
    intent_accuracy = sum(g == p for g, p in zip(gold, predicted)) / max(len(rows), 1)
    print(f"\n== {title}: {len(rows)} messages")
    print(f"intent accuracy: {intent_accuracy:.2%}")
    result = {"intent_accuracy": intent_accuracy}
    with_service = [r for r in rows if r[2] != "-"]
    if with_service:
        service_accuracy = sum(r[2] == r[3] for r in with_service) / len(with_service)
        print(f"service accuracy: {service_accuracy:.2%} ({len(with_service)} labelled)")
        result["service_accuracy"] = service_accuracy
    print(classification_report(gold, predicted, digits=3, zero_division=0))
    confusions = Counter((g, p) for g, p in zip(gold, predicted) if g != p)
    print("confusions (gold -> predicted), worst first:")
    for (g, p), count in confusions.most_common(15):
        print(f"  {count:4d}  {g} -> {p}")
    if with_service:
        misses = Counter((r[2], r[3]) for r in with_service if r[2] != r[3])
        print("service confusions (gold -> predicted), worst first:")
        for (g, p), count in misses.most_common(15):
            print(f"  {count:4d}  {g} -> {p}")
    return result


def _model_question_words(model: Optional[str]) -> Any:
    """The question words the model learnt (nlu/unlisted.py), as its service extractor loads them."""
    import tarfile

    from nlu.unlisted import QuestionWords

    if model and Path(model).is_file():
        with tarfile.open(model) as archive:
            for member in archive.getmembers():
                if member.name.endswith("question_words.json") and (stream := archive.extractfile(member)):
                    return QuestionWords(frozenset(json.load(stream)))
    return QuestionWords()


def _large_finder(catalog: Any, model: Optional[str]) -> Any:
    from nlu.catalog_names import resolver_from_catalog
    from nlu.embeddings import USE
    from nlu.service_finder import ServiceFinder
    from nlu.service_index import ServiceIndex

    return ServiceFinder(resolver_from_catalog(catalog), ServiceIndex(catalog, USE), _model_question_words(model))


def _found_in_large(finder: Any, text: str, intent: Optional[str]) -> tuple[Optional[str], bool]:
    """(service, asked which) for one message with the large catalog; the intent is the model's."""
    from language.analysis import analyse

    analysis = analyse(text)
    norms, spans = [t.norm for t in analysis.tokens], [(t.start, t.end) for t in analysis.tokens]
    encoded = analysis.normalized if analysis.language == "arabizi" else text
    found = finder.find(norms, spans, encoded, intent)
    return found.service_id, bool(found.ambiguous)


def _asked_which(record: dict[str, Any]) -> bool:
    return any(e.get("entity") == "service_candidates" for e in record["entities"])


def side_by_side(table: list[tuple[str, int, float, float, Optional[float], Optional[float]]]) -> None:
    """Service accuracy and the share answered with a clarifying question, per catalog."""
    print("\n== services: the 27-service catalog beside the large one")
    print(f"{'file':32s} {'n':>5s} {'27: service':>12s} {'27: asked':>10s} {'large: service':>15s} {'large: asked':>13s}")
    for name, n, accuracy, asked, large_accuracy, large_asked in table:
        large = f"{large_accuracy:15.2%} {large_asked:13.2%}" if large_accuracy is not None and large_asked is not None else f"{'-':>15s} {'-':>13s}"
        print(f"{name:32s} {n:5d} {accuracy:12.2%} {asked:10.2%} {large}")


async def evaluate(
    heldouts: Sequence[Path], share: float, model: Optional[str], large_catalog: Any = None
) -> dict[str, dict[str, float]]:
    """`model`: for the held-out files (the settings' choice when the caller gives none).
    `large_catalog`: a `Catalog` to score the held-out files' services against as well (the
    model's intents, the service finder over that catalog), side by side with the shipped one."""
    results: dict[str, dict[str, float]] = {}
    if share > 0:
        training_data, held = _split_training_data(share)
        with tempfile.TemporaryDirectory() as directory:
            split_brain = RasaBrain.load(str(_train_split_model(training_data, Path(directory))))
            rows = []
            for text, intent in held:
                record = parse_record(text, await split_brain.parse(text))
                rows.append((intent, record["intent"], "-", None))
            results["split"] = report(f"data/nlu, {share:.0%} held out (model trained on the rest)", rows)
    present = [path for path in heldouts if path.exists()]
    if present:
        brain = RasaBrain.load(model)
    large = _large_finder(large_catalog, model) if large_catalog is not None and present else None
    table = []
    for heldout in present:
        rows, asked, large_hits, large_asked = [], 0, 0, 0
        for line in heldout.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            record = parse_record(item["text"], await brain.parse(item["text"]))
            rows.append((item["intent"], record["intent"], item.get("service_id"), record["service_id"]))
            asked += _asked_which(record)
            if large is not None:
                service, which = _found_in_large(large, item["text"], record["intent"])
                large_hits += service == item.get("service_id")
                large_asked += which
        results[heldout.stem] = report(f"{heldout.name} (written independently of the training data)", rows)
        n = max(len(rows), 1)
        results[heldout.stem]["asked_which"] = asked / n
        if large is not None:
            results[heldout.stem]["large_service_accuracy"] = large_hits / n
            results[heldout.stem]["large_asked_which"] = large_asked / n
        table.append((
            heldout.name, len(rows), results[heldout.stem].get("service_accuracy", 0.0), asked / n,
            large_hits / n if large is not None else None, large_asked / n if large is not None else None,
        ))
    if table:
        side_by_side(table)
    return results
