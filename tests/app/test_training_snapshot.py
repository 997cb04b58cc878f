"""The training data snapshot kept with a console-trained model: the exact files, one hash, the
curated examples in Rasa's format; and the curated examples' source when the inbox has none."""

from __future__ import annotations

import json
import tarfile

import yaml

from bot.model_choice import training_data_hash
from bot.training import REPOSITORY
from bot.training_snapshot import curated_yaml, pack, take_snapshot
from store.curated_training import curated_training_examples


def test_without_curated_examples_the_snapshot_hash_is_the_training_data_hash(tmp_path):
    snapshot = take_snapshot(tmp_path / "m1", [], REPOSITORY / "data" / "catalog")
    assert snapshot.data_hash == training_data_hash()
    assert (snapshot.directory / "config.yml").read_bytes() == (REPOSITORY / "config.yml").read_bytes()
    assert (snapshot.directory / "catalog").is_dir() and not (snapshot.directory / "data/nlu/curated.yml").exists()
    manifest = json.loads((snapshot.directory / "MANIFEST.json").read_text())
    assert manifest["data_hash"] == snapshot.data_hash and "data/nlu/aspects_fees.yml" in manifest["files"]


def test_curated_examples_are_trained_from_and_change_the_hash(tmp_path):
    curated = [("ask_fees", "قديش رسوم  جواز\nالسفر"), ("ask_fees", "- how much: the passport"), ("greet", "مرحبا")]
    snapshot = take_snapshot(tmp_path / "m2", curated, tmp_path / "no-catalog")
    assert snapshot.data_hash != training_data_hash() and snapshot.curated == 3
    data = yaml.safe_load((snapshot.directory / "data/nlu/curated.yml").read_text(encoding="utf-8"))
    assert data["nlu"][0] == {"intent": "ask_fees", "examples": "- قديش رسوم جواز السفر\n- - how much: the passport\n"}
    archive = pack(snapshot, tmp_path / "m2.data.tar.gz")
    assert not snapshot.directory.exists()
    with tarfile.open(archive) as packed:
        assert "m2/data/nlu/curated.yml" in packed.getnames() and "m2/MANIFEST.json" in packed.getnames()


def test_the_rasa_loader_reads_the_curated_file(tmp_path):
    from rasa.shared.nlu.training_data.loading import load_data

    path = tmp_path / "curated.yml"
    path.write_text(curated_yaml([("ask_fees", "كم الرسوم: للجواز"), ("ask_duration", "how long?")]), encoding="utf-8")
    examples = {(e.get("intent"), e.get("text")) for e in load_data(str(path)).intent_examples}
    assert examples == {("ask_fees", "كم الرسوم: للجواز"), ("ask_duration", "how long?")}


def test_no_curated_examples_until_the_inbox_keeps_them(store):
    assert curated_training_examples(store.db) == []
