"""The models workers may serve and which one is active, with its history so a rollback works.

`active()` is what a worker reads between messages: the newest activation not rolled back (its id
is the generation: any switch, forward or back, changes it). An empty registry has no active model;
the caller then serves the newest archive in models/ (a fresh install still works).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select, update

from core.messages import utcnow
from store.database import Database
from store.models import Model, ModelActivation


class ModelRegistryError(ValueError):
    """The switch asked for cannot be made: the message says why."""


@dataclass(frozen=True)
class RegisteredModel:
    id: str
    path: str
    trained_at: datetime
    trained_by: str
    data_hash: Optional[str]
    scores: Optional[dict[str, Any]]
    activated_at: Optional[datetime]  # when it was last made active; None: never
    snapshot_path: Optional[str] = None  # its training data, packed (the console's training job)


@dataclass(frozen=True)
class ActiveModel:
    generation: int  # the activation's id: changes with every switch
    model: RegisteredModel


class ModelRegistry:
    def __init__(self, db: Database) -> None:
        self._db = db

    def register(
        self,
        model_id: str,
        path: str,
        trained_at: datetime,
        trained_by: str,
        data_hash: Optional[str] = None,
        scores: Optional[dict[str, Any]] = None,
        snapshot_path: Optional[str] = None,
    ) -> bool:
        """Add a model; False (and nothing changed) when the id is registered already."""
        with self._db.session() as s:
            if s.get(Model, model_id) is not None:
                return False
            s.add(Model(id=model_id, path=path, trained_at=trained_at, trained_by=trained_by,
                        data_hash=data_hash, scores=scores, snapshot_path=snapshot_path))
            return True

    def set_scores(self, model_id: str, scores: dict[str, Any]) -> None:
        """Keep a model's held-out scores (measured again when the held-out files changed)."""
        with self._db.session() as s:
            row = s.get(Model, model_id)
            if row is None:
                raise ModelRegistryError(f"no model {model_id!r}")
            row.scores = scores

    def models(self) -> list[RegisteredModel]:
        """Every registered model, oldest training first."""
        with self._db.session() as s:
            rows = s.execute(select(Model).order_by(Model.trained_at, Model.id)).scalars().all()
            last = self._last_activations(s)
            return [_registered(row, last.get(row.id)) for row in rows]

    def get(self, model_id: str) -> Optional[RegisteredModel]:
        with self._db.session() as s:
            row = s.get(Model, model_id)
            return _registered(row, self._last_activations(s).get(model_id)) if row else None

    def active(self) -> Optional[ActiveModel]:
        with self._db.session() as s:
            activation = self._current(s)
            if activation is None:
                return None
            row = s.get(Model, activation.model_id)
            return ActiveModel(activation.id, _registered(row, activation.activated_at))

    def activate(self, model_id: str, by: str) -> ActiveModel:
        """Make `model_id` the active model (a new generation, even if it already was)."""
        with self._db.session() as s:
            self.activate_in(s, model_id, by)
        active = self.active()
        assert active is not None
        return active

    def rollback(self) -> ActiveModel:
        """Back to the model active before the current one (the current activation is marked rolled
        back, so a second rollback goes one further back)."""
        with self._db.session() as s:
            self.rollback_in(s)
        active = self.active()
        assert active is not None
        return active

    def rollback_in(self, s: Any, by: str = "rollback") -> str:
        """`rollback` inside the caller's transaction; the id of the model active again."""
        current = self._current(s)
        if current is None:
            raise ModelRegistryError("no model is active: nothing to roll back")
        earlier = s.execute(
            select(ModelActivation)
            .where(ModelActivation.rolled_back_at.is_(None), ModelActivation.id < current.id,
                   ModelActivation.model_id != current.model_id)
            .order_by(ModelActivation.id.desc())
            .limit(1)
        ).scalars().first()
        if earlier is None:
            raise ModelRegistryError(f"{current.model_id} is the first model activated: nothing to roll back to")
        # Everything after the earlier activation is undone (a model activated twice in a row
        # counts once), and the earlier model comes back as a new generation.
        s.execute(
            update(ModelActivation)
            .where(ModelActivation.id > earlier.id, ModelActivation.rolled_back_at.is_(None))
            .values(rolled_back_at=utcnow())
        )
        s.add(ModelActivation(model_id=earlier.model_id, activated_at=utcnow(), activated_by=by))
        s.flush()
        s.execute(
            update(ModelActivation).where(ModelActivation.id == earlier.id).values(rolled_back_at=utcnow())
        )
        return earlier.model_id

    @staticmethod
    def activate_in(s: Any, model_id: str, by: str) -> None:
        """`activate` inside the caller's transaction (with its audit entry, say)."""
        if s.get(Model, model_id) is None:
            raise ModelRegistryError(f"no model {model_id!r} (see `tawasol model list`)")
        s.add(ModelActivation(model_id=model_id, activated_at=utcnow(), activated_by=by))

    @staticmethod
    def _current(s: Any) -> Optional[ModelActivation]:
        return s.execute(
            select(ModelActivation)
            .where(ModelActivation.rolled_back_at.is_(None))
            .order_by(ModelActivation.id.desc())
            .limit(1)
        ).scalars().first()

    @staticmethod
    def _last_activations(s: Any) -> dict[str, datetime]:
        rows = s.execute(select(ModelActivation.model_id, ModelActivation.activated_at)).all()
        last: dict[str, datetime] = {}
        for model_id, at in rows:
            if model_id not in last or at > last[model_id]:
                last[model_id] = at
        return last


def _registered(row: Model, activated_at: Optional[datetime]) -> RegisteredModel:
    return RegisteredModel(row.id, row.path, row.trained_at, row.trained_by, row.data_hash, row.scores, activated_at,
                           row.snapshot_path)
