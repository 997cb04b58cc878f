"""The exact files a model is trained from, copied into one directory and packed beside the model,
with one hash over them: the model can be trained again from the archive alone.

    <name>/config.yml  domain.yml  data/rules.yml  data/nlu/*.yml
           data/nlu/curated.yml   the examples people labelled in the console (when there are any)
           catalog/               the catalog directory the service extractor read while training
           MANIFEST.json          each file's SHA-256, the hash over them all, how to train again

The hash covers what the model learns from (config, domain, rules, NLU data with the curated
examples), by path and content in a fixed order, so two snapshots with the same hash train the
same model; the catalog copy is kept for reproduction but, like `training_data_hash`, not hashed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import yaml

from bot.training import CONFIG, DOMAIN, REPOSITORY

NLU_DIR = REPOSITORY / "data" / "nlu"
RULES = REPOSITORY / "data" / "rules.yml"
CURATED_FILE = "data/nlu/curated.yml"
REPRODUCE = "rasa train --config config.yml --domain domain.yml --data data/nlu data/rules.yml"


@dataclass(frozen=True)
class Snapshot:
    directory: Path  # train from these files
    data_hash: str
    curated: int  # curated examples added

    @property
    def config(self) -> Path:
        return self.directory / "config.yml"

    @property
    def domain(self) -> Path:
        return self.directory / "domain.yml"

    @property
    def training_files(self) -> list[Path]:
        return [self.directory / "data" / "nlu", self.directory / "data" / "rules.yml"]


def take_snapshot(directory: Path, curated: Sequence[tuple[str, str]], catalog_dir: Path) -> Snapshot:
    """Copy the training files into `directory` (made; must not exist) with the curated examples."""
    directory.mkdir(parents=True)
    shutil.copy2(CONFIG, directory / "config.yml")
    shutil.copy2(DOMAIN, directory / "domain.yml")
    (directory / "data").mkdir()
    shutil.copy2(RULES, directory / "data" / "rules.yml")
    shutil.copytree(NLU_DIR, directory / "data" / "nlu")
    if curated:
        (directory / CURATED_FILE).write_text(curated_yaml(curated), encoding="utf-8")
    if catalog_dir.is_dir():
        shutil.copytree(catalog_dir, directory / "catalog")
    hashed = _hashed_files(directory)
    data_hash = hash_files(directory, hashed)
    manifest = {
        "data_hash": data_hash,
        "files": {str(f.relative_to(directory)): hashlib.sha256(f.read_bytes()).hexdigest() for f in hashed},
        "curated_examples": len(curated),
        "catalog": "catalog/ (the catalog directory read while training; not in the hash)",
        "train_again": REPRODUCE,
    }
    (directory / "MANIFEST.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return Snapshot(directory, data_hash, len(curated))


def curated_yaml(examples: Iterable[tuple[str, str]]) -> str:
    """Rasa's NLU format for (intent, text) pairs, one block per intent."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for intent, text in examples:
        line = " ".join(text.split())  # one line each: Rasa's example list is line-based
        if line and line not in by_intent[intent]:
            by_intent[intent].append(line)
    # Written by hand, not by yaml.dump: each example is one literal line of a block scalar, as
    # in data/nlu (yaml.dump would quote some and fold the block into an escaped string).
    lines = ["# Examples labelled in the console (the inbox of missed messages).", 'version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in by_intent[intent]]
    return "\n".join(lines) + "\n"


def _hashed_files(directory: Path) -> list[Path]:
    # In `training_data_hash`'s order and paths: without curated examples the two hashes agree.
    nlu = sorted(p for p in (directory / "data" / "nlu").rglob("*") if p.is_file())
    return [directory / "config.yml", directory / "domain.yml", *nlu, directory / "data" / "rules.yml"]


def hash_files(root: Path, files: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.relative_to(root)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def pack(snapshot: Snapshot, archive: Path) -> Path:
    """The snapshot as one .tar.gz (its directory's name at the top); the directory is removed."""
    with tarfile.open(archive, "w:gz") as packed:
        packed.add(snapshot.directory, arcname=snapshot.directory.name)
    shutil.rmtree(snapshot.directory)
    return archive
