"""Which model a process serves: TAWASOL_MODEL if set, else the registry's active model, else the
newest archive in models/ (a fresh install, nothing registered yet, still answers).

Also what `tawasol train` records (who trained it, a hash of the training data) and how archives
already in models/ join the registry (`tawasol model list` / `activate` adopt them).
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from sqlalchemy.exc import SQLAlchemyError

from bot.settings import MODELS_DIR, Settings, newest_model
from bot.training import CONFIG, DOMAIN, REPOSITORY, TRAINING_FILES
from store import Store

logger = logging.getLogger(__name__)

ARCHIVE_SUFFIX = ".tar.gz"


@dataclass(frozen=True)
class ServedModel:
    path: Optional[str]
    generation: int  # the registry's activation id; 0: not from the registry


def model_id_of(path: Path) -> str:
    name = path.name
    return name[: -len(ARCHIVE_SUFFIX)] if name.endswith(ARCHIVE_SUFFIX) else path.stem


def training_data_hash() -> str:
    """SHA-256 of what a model is trained from (config, domain, data/nlu, data/rules.yml), by path and
    content, so two models with the same hash were trained from the same data."""
    digest = hashlib.sha256()
    for entry in [CONFIG, DOMAIN, *TRAINING_FILES]:
        files = sorted(p for p in entry.rglob("*") if p.is_file()) if entry.is_dir() else [entry]
        for file in files:
            digest.update(str(file.relative_to(REPOSITORY)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def who_trains(given: Optional[str] = None) -> str:
    if given:
        return given
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def register_trained(store: Store, path: Path, trained_by: str, data_hash: Optional[str]) -> str:
    model_id = model_id_of(path)
    store.models.register(
        model_id,
        str(path.resolve()),
        datetime.fromtimestamp(path.stat().st_mtime, timezone.utc),
        trained_by,
        data_hash,
    )
    return model_id


def adopt_archives(store: Store, models_dir: Path = MODELS_DIR) -> list[str]:
    """Register the archives in models/ that are not registered yet (trained before the registry,
    or copied in by hand): who trained them and from what is not known."""
    adopted = []
    for archive in sorted(models_dir.glob(f"*{ARCHIVE_SUFFIX}")) if models_dir.is_dir() else []:
        if store.models.get(model_id_of(archive)) is None:
            adopted.append(register_trained(store, archive, "unknown", None))
    return adopted


def served_model(settings: Settings, store: Optional[Store]) -> ServedModel:
    """The model this process should serve now (see the module's docstring)."""
    if settings.model_from_env or store is None:
        return ServedModel(settings.model_path, 0)
    try:
        active = store.models.active()
    except SQLAlchemyError as error:  # a database not migrated yet: the archive rule still holds
        logger.warning("model registry unreadable, serving the newest archive: %s", type(error).__name__)
        active = None
    if active is None:
        return ServedModel(settings.model_path or newest_model(MODELS_DIR), 0)
    if not Path(active.model.path).is_file():
        logger.error("active model %s has no archive at its path; serving the newest archive", active.model.id)
        return ServedModel(settings.model_path, 0)
    return ServedModel(active.model.path, active.generation)
