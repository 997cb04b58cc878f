"""The services catalog in the store: services, the catalog side of agencies, and the generation.

Rows in and out are plain dicts keyed by the columns (catalog/records.py builds them and the
in-memory catalog from them; this module does not know that package). Every change bumps the
generation in the same transaction and writes its audit entry there too, so a process that sees a
new generation sees the whole change, and no change goes unrecorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.messages import utcnow
from store.audit import Actor
from store.audit import record as _record
from store.database import Database
from store.models import Agency, CatalogGeneration, CatalogService

SERVICE_COLUMNS = tuple(
    c.name for c in CatalogService.__table__.columns if c.name not in ("created_at", "updated_at")
)
# What an import or a form may set; `verified_by`/`verified_at` follow `verified`, and the id is the key.
EDITABLE = tuple(c for c in SERVICE_COLUMNS if c not in ("id", "verified_by", "verified_at"))
AGENCY_CATALOG_COLUMNS = ("name_ar", "name_en", "nicknames", "website", "phone")
_GENERATION_ROW = 1


_UNRECORDED = Actor("")  # `record` is skipped for changes made as this actor


class _RollBack(Exception):
    """Raised inside a dry run's transaction so the session rolls everything back."""


class CatalogStoreError(ValueError):
    """A change that cannot be made (an unknown service or agency); the message says which."""


@dataclass
class ImportOutcome:
    """What one import did (or, dry, would do), by service id."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    agencies_added: list[str] = field(default_factory=list)
    agencies_changed: list[str] = field(default_factory=list)
    generation: int = 0

    @property
    def changes(self) -> int:
        return len(self.added) + len(self.changed) + len(self.agencies_added) + len(self.agencies_changed)


def service_dict(service: CatalogService) -> dict[str, Any]:
    return {name: getattr(service, name) for name in SERVICE_COLUMNS}


def agency_dict(agency: Agency) -> dict[str, Any]:
    return {"id": agency.id, **{name: getattr(agency, name) for name in AGENCY_CATALOG_COLUMNS}}


def _audited(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as the audit log keeps it (JSON: times as text)."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


class CatalogRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- reading ----------------------------------------------------------------------------------

    def generation(self) -> int:
        """The catalog's generation: one indexed read, cheap enough for every process once a second."""
        with self._db.session() as s:
            return s.execute(
                select(CatalogGeneration.generation).where(CatalogGeneration.id == _GENERATION_ROW)
            ).scalar() or 0

    def is_empty(self) -> bool:
        with self._db.session() as s:
            return s.execute(select(CatalogService.id).limit(1)).first() is None

    def snapshot(self) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
        """(generation, agency rows, service rows), read in one transaction so they agree."""
        with self._db.session() as s:
            generation = s.execute(
                select(CatalogGeneration.generation).where(CatalogGeneration.id == _GENERATION_ROW)
            ).scalar() or 0
            services = [service_dict(row) for row in s.execute(select(CatalogService)).scalars()]
            agency_ids = {row["agency_id"] for row in services}
            agencies = [
                agency_dict(row)
                for row in s.execute(select(Agency).where(Agency.id.in_(agency_ids))).scalars()
            ] if agency_ids else []
        return generation, agencies, services

    def agency_ids(self) -> set[str]:
        return set(self.agency_names())

    def agency_names(self) -> dict[str, str]:
        """Every agency's id and Arabic name (agencies of the API with no service included)."""
        with self._db.session() as s:
            return dict(s.execute(select(Agency.id, Agency.name_ar)).all())

    def agency_row(self, agency_id: str) -> Optional[dict[str, Any]]:
        with self._db.session() as s:
            row = s.get(Agency, agency_id)
            return agency_dict(row) if row is not None else None

    def service(self, service_id: str) -> Optional[dict[str, Any]]:
        with self._db.session() as s:
            row = s.get(CatalogService, service_id)
            return service_dict(row) if row is not None else None

    # --- writing ----------------------------------------------------------------------------------

    def apply(
        self,
        agencies: Iterable[Mapping[str, Any]],
        services: Sequence[Mapping[str, Any]],
        actor: Actor,
        *,
        dry_run: bool = False,
        progress: Optional[Callable[[int], None]] = None,
        audit: bool = True,
    ) -> ImportOutcome:
        """Add or update agencies (catalog columns only) and services, in ONE transaction.

        A row sets only the keys it carries (a spreadsheet has no generic names: they stay); a row
        equal to what is stored changes nothing. `dry_run`: the same outcome, rolled back.
        `progress(n)` is called after each service row. `audit=False` only for the start-up seed
        of an empty catalog (no one's change: the repository's own YAML)."""
        outcome = ImportOutcome()
        if not audit:
            actor = _UNRECORDED
        try:
            with self._db.session() as s:
                for row in agencies:
                    self._apply_agency(s, row, actor, outcome)
                s.flush()
                for row in services:
                    self._apply_service(s, row, actor, outcome)
                    if progress is not None:
                        progress(1)
                if outcome.changes and not dry_run:
                    outcome.generation = self._bump(s)
                else:
                    outcome.generation = self._current(s)
                if dry_run:
                    raise _RollBack()
        except _RollBack:
            pass
        return outcome

    def update_service(
        self, service_id: str, changes: Mapping[str, Any], actor: Actor, *, agency_id: Optional[str] = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Change one service (a console edit); (before, after). `agency_id`: the editor's scope; a
        service of another agency is unknown to them. Marking it verified records who and when."""
        with self._db.session() as s:
            service = s.get(CatalogService, service_id, with_for_update=True)
            if service is None or (agency_id is not None and service.agency_id != agency_id):
                raise CatalogStoreError(f"no service {service_id}")
            before = service_dict(service)
            self._set(service, changes, actor)
            after = service_dict(service)
            if after != before:
                record(s, actor, "catalog.service.change", "service", service_id, agency_id=service.agency_id,
                       before=_audited(_diff(before, after)), after=_audited(_diff(after, before)))
                self._bump(s)
            return before, after

    def _apply_agency(self, s: Session, row: Mapping[str, Any], actor: Actor, outcome: ImportOutcome) -> None:
        agency = s.get(Agency, row["id"])
        given = {k: row[k] for k in AGENCY_CATALOG_COLUMNS if k in row and row[k] is not None}
        if agency is None:
            agency = Agency(id=row["id"], name_ar=given.get("name_ar") or given.get("name_en") or row["id"],
                            name_en=given.get("name_en") or given.get("name_ar") or row["id"],
                            sms_sender_ids=[], nicknames=given.get("nicknames"),
                            website=given.get("website"), phone=given.get("phone"))
            s.add(agency)
            record(s, actor, "catalog.agency.add", "agency", agency.id, agency_id=agency.id, after=_audited(given))
            outcome.agencies_added.append(agency.id)
            return
        before = agency_dict(agency)
        for key, value in given.items():
            setattr(agency, key, value)
        after = agency_dict(agency)
        if after != before:
            record(s, actor, "catalog.agency.change", "agency", agency.id, agency_id=agency.id,
                   before=_audited(_diff(before, after)), after=_audited(_diff(after, before)))
            outcome.agencies_changed.append(agency.id)

    def _apply_service(self, s: Session, row: Mapping[str, Any], actor: Actor, outcome: ImportOutcome) -> None:
        service = s.get(CatalogService, row["id"])
        if service is None:
            if s.get(Agency, row["agency_id"]) is None:
                raise CatalogStoreError(f"service {row['id']}: unknown agency {row['agency_id']}")
            service = CatalogService(id=row["id"], agency_id=row["agency_id"], **_defaults())
            self._set(service, row, actor)
            s.add(service)
            record(s, actor, "catalog.service.add", "service", service.id, agency_id=service.agency_id,
                   after=_audited(service_dict(service)))
            outcome.added.append(service.id)
            return
        before = service_dict(service)
        self._set(service, row, actor)
        after = service_dict(service)
        if after == before:
            outcome.unchanged.append(service.id)
            return
        record(s, actor, "catalog.service.change", "service", service.id, agency_id=service.agency_id,
               before=_audited(_diff(before, after)), after=_audited(_diff(after, before)))
        outcome.changed.append(service.id)

    @staticmethod
    def _set(service: CatalogService, changes: Mapping[str, Any], actor: Actor) -> None:
        was_verified = bool(service.verified)
        for key in EDITABLE:
            if key in changes:
                value = changes[key]
                if key in ("aliases", "generic_names", "related"):
                    value = list(value or [])
                elif key in ("pilot", "verified"):
                    value = bool(value)
                elif key != "importance" and key != "agency_id":
                    value = value or ""
                setattr(service, key, value)
        if service.verified and not was_verified:
            service.verified_by, service.verified_at = actor.label, utcnow()
        elif not service.verified:
            service.verified_by = service.verified_at = None

    def _bump(self, s: Session) -> int:
        return bump_generation(s)

    @staticmethod
    def _current(s: Session) -> int:
        row = s.get(CatalogGeneration, _GENERATION_ROW)
        return row.generation if row is not None else 0


def bump_generation(s: Session) -> int:
    """Move the generation on, inside the caller's transaction (a catalog change, or the bot's
    wording: store/replies.py): every process reloads what it answers from when it sees the move."""
    row = s.get(CatalogGeneration, _GENERATION_ROW, with_for_update=True)
    if row is None:
        row = CatalogGeneration(id=_GENERATION_ROW, generation=0)
        s.add(row)
    row.generation = (row.generation or 0) + 1
    row.changed_at = utcnow()
    s.flush()
    return row.generation


def record(session: Session, actor: Actor, *args: Any, **kwargs: Any) -> None:
    if actor is not _UNRECORDED:
        _record(session, actor, *args, **kwargs)


def _defaults() -> dict[str, Any]:
    """A new service's columns before the row sets them (the ORM's defaults apply only at flush)."""
    values: dict[str, Any] = {name: "" for name in EDITABLE if name.endswith(("_ar", "_en")) or name == "url"}
    values.update(aliases=[], generic_names=[], related=[], pilot=True, verified=False, importance=None)
    return values


def _diff(these: Mapping[str, Any], those: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of `these` whose value differs in `those`."""
    return {k: v for k, v in these.items() if those.get(k) != v}
