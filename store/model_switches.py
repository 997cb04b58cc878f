"""Switching models on and rolling back from the console, each with its audit entry.

A model whose comparison with the active one shows a regression is switched on by two different
ministry admins: the first asks (a pending request, with the regressions named), a second confirms.
The same admin asking again is refused. Rolling back needs one admin: it returns to a model that
served before. Everything goes through the registry, so every worker's SwitchingBrain swaps live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Sequence

from sqlalchemy import select

from core.messages import utcnow
from store.audit import Actor, record
from store.database import Database
from store.model_registry import ModelRegistry, ModelRegistryError
from store.models import Model, ModelActivation, ModelSwitchRequest

ACTIVATED = "activated"
AWAITING_CONFIRMATION = "awaiting_confirmation"


class SwitchRefused(ModelRegistryError):
    """`code` names why for the console's wording; the message says it for the log and the CLI."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PendingSwitch:
    id: int
    model_id: str
    requested_by: str
    requested_by_id: Optional[int]
    requested_at: datetime
    reason: str


class ModelSwitches:
    def __init__(self, db: Database, registry: ModelRegistry) -> None:
        self._db = db
        self._registry = registry

    def switch_on(self, model_id: str, actor: Actor, regressions: Sequence[str]) -> str:
        """ACTIVATED, or AWAITING_CONFIRMATION when `regressions` (measured by the caller against
        the active model) are not empty and no other admin has asked for this model yet."""
        with self._db.session() as s:
            if not regressions:
                self._registry.activate_in(s, model_id, actor.label)
                record(s, actor, "model.activate", "model", model_id)
                return ACTIVATED
            pending = self._pending(s, model_id)
            if pending is None:
                if s.get(Model, model_id) is None:
                    raise ModelRegistryError(f"no model {model_id!r} (see `tawasol model list`)")
                s.add(ModelSwitchRequest(model_id=model_id, requested_by=actor.label, requested_by_id=actor.staff_id,
                                         requested_at=utcnow(), reason="; ".join(regressions)[:1000]))
                record(s, actor, "model.activate_requested", "model", model_id, after={"regressions": list(regressions)})
                return AWAITING_CONFIRMATION
            if actor.staff_id is None or pending.requested_by_id == actor.staff_id:
                raise SwitchRefused("second_admin_needed",
                                    f"{model_id} regresses: a second, different admin must confirm switching it on")
            pending.confirmed_by, pending.confirmed_by_id, pending.confirmed_at = actor.label, actor.staff_id, utcnow()
            self._registry.activate_in(s, model_id, f"{pending.requested_by} + {actor.label}")
            record(s, actor, "model.activate_confirmed", "model", model_id,
                   before={"requested_by": pending.requested_by}, after={"regressions": list(regressions)})
            return ACTIVATED

    def pending(self, model_id: str) -> Optional[PendingSwitch]:
        with self._db.session() as s:
            row = self._pending(s, model_id)
            return PendingSwitch(row.id, row.model_id, row.requested_by, row.requested_by_id, row.requested_at,
                                 row.reason) if row is not None else None

    def rollback(self, actor: Actor) -> str:
        """Back to the model active before the current one; its id."""
        with self._db.session() as s:
            model_id = self._registry.rollback_in(s, f"rollback by {actor.label}")
            record(s, actor, "model.rollback", "model", model_id)
            return model_id

    def roll_back_to(self, model_id: str, actor: Actor) -> None:
        """Back to any model that served before (a new generation: every worker swaps to it)."""
        with self._db.session() as s:
            served = s.execute(select(ModelActivation.id).where(ModelActivation.model_id == model_id).limit(1)).first()
            if served is None:
                raise SwitchRefused("never_active", f"{model_id} never served: switch it on instead of rolling back")
            self._registry.activate_in(s, model_id, f"rollback by {actor.label}")
            record(s, actor, "model.rollback", "model", model_id)

    @staticmethod
    def _pending(s, model_id: str) -> Optional[ModelSwitchRequest]:  # type: ignore[no-untyped-def]
        return s.execute(
            select(ModelSwitchRequest)
            .where(ModelSwitchRequest.model_id == model_id, ModelSwitchRequest.confirmed_at.is_(None))
            .order_by(ModelSwitchRequest.id.desc()).limit(1)
        ).scalars().first()

