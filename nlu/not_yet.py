"""Well-known government services that are not in the pilot yet (data/catalog/not_yet/services.yml).

The list only lets the bot name what it understood ("company registration is not in this service
yet", and who provides it); a service on no list at all is still recognised as "not ours" by
nlu/unlisted.py. Names are matched exactly like catalog names (nlu/services.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional, Union

import yaml

from catalog.live import live_catalog
from catalog.records import slug
from catalog.services import Catalog, default_catalog_dir
from language.analysis import analyse
from nlu.services import STOPWORDS, ServiceResolver, stems

logger = logging.getLogger(__name__)

NOT_YET_FILE = Path("not_yet") / "services.yml"
_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$")  # an exported catalog id may carry its agency


class NotYetError(ValueError):
    """The not-yet list cannot be used: the message names the entry and the problem."""


@dataclass(frozen=True)
class NotYetService:
    id: str
    name: dict[str, str]  # {"ar": ..., "en": ...}
    agency: dict[str, str]
    names: tuple[str, ...]
    related: tuple[str, ...] = ()  # catalog service ids really close to it

    def name_in(self, language: str) -> str:
        return self.name.get(language) or self.name.get("ar", "")

    def agency_in(self, language: str) -> str:
        return self.agency.get(language) or self.agency.get("ar", "")


@dataclass(frozen=True)
class NotYetList:
    services: dict[str, NotYetService]

    def get(self, service_id: Optional[str]) -> Optional[NotYetService]:
        return self.services.get(service_id or "")

    def resolver(self) -> ServiceResolver:
        return ServiceResolver.from_names({s.id: s.names for s in self.services.values()})

    def vocabularies(self) -> dict[str, "NameWords"]:
        """Each service's name words, for telling whose word a word of a message is."""
        return {s.id: NameWords.of(s.names) for s in self.services.values()}


@dataclass(frozen=True)
class NameWords:
    """The words a not-yet service's names are made of (all its names, every language), as forms.

    "ترخيص التكسي" is one of the vehicle licence's catalog names, yet "تكسي" is also the taxi
    permit's word ("تصريح تكسي", "taxi permit"): in a message that names the taxi permit, the
    taxi is the permit's. So a catalog service found only through such words is not what the
    message is about (service_extractor.py)."""

    forms: frozenset[str]

    @classmethod
    def of(cls, names: Iterable[str]) -> "NameWords":
        forms: set[str] = set()
        for name in names:
            for token in analyse(name).tokens:
                if token.norm and token.norm not in STOPWORDS:
                    forms |= stems(token.norm, strip_suffixes=False)
        return cls(frozenset(forms))

    def has(self, token: str) -> bool:
        """Whether a message token (clitics and all) is one of these words."""
        return bool(token) and token not in STOPWORDS and not self.forms.isdisjoint(stems(token))


def not_yet_path(catalog_dir: Union[str, Path, None] = None) -> Path:
    return Path(catalog_dir if catalog_dir is not None else default_catalog_dir()) / NOT_YET_FILE


def load_not_yet(path: Path) -> NotYetList:
    """Read the list; a missing file is an empty list, a bad one raises NotYetError naming the entry."""
    if not path.exists():
        return NotYetList({})
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise NotYetError(f"{path}: {error}") from error
    services: dict[str, NotYetService] = {}
    for position, raw in enumerate(data.get("services") or [], start=1):
        entry_id = raw.get("id") if isinstance(raw, dict) else None
        where = f"{path.name}: entry #{position} ({entry_id})"
        if not isinstance(entry_id, str) or not _ID.match(entry_id) or entry_id in services:
            raise NotYetError(f"{where}: id must be unique lower-case letters, digits and _")
        name, agency, names = raw.get("name"), raw.get("agency"), raw.get("names")
        if (not isinstance(name, dict) or not isinstance(agency, dict) or not (name.get("ar") or name.get("en"))
                or not (agency.get("ar") or agency.get("en"))):
            raise NotYetError(f"{where}: name and agency need {{ar: ...}} and/or {{en: ...}}")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise NotYetError(f"{where}: names must be a non-empty list of phrases (quote them)")
        related = raw.get("related") or []
        if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
            raise NotYetError(f"{where}: related must be a list of catalog service ids")
        services[entry_id] = NotYetService(
            entry_id, dict(name), dict(agency), tuple(n.strip() for n in names), tuple(related)
        )
    return NotYetList(services)


@lru_cache(maxsize=4)
def not_yet_list(catalog_dir: Optional[str] = None) -> NotYetList:
    """The list beside the catalog, loaded once per process; a bad file is logged and left out."""
    path = not_yet_path(catalog_dir)
    try:
        return load_not_yet(path)
    except NotYetError as error:
        logger.error("not-yet list unavailable, unlisted services will not be named: %s", error)
        return NotYetList({})


# --- the not-yet list in the store: services with pilot "no" ----------------------------------------


def not_yet_of_catalog(catalog: Catalog) -> NotYetList:
    """The not-yet list of a catalog read from the store: its services that are named, not answered."""
    services = {}
    for service in catalog.not_yet.values():
        names = tuple(dict.fromkeys(n for n in (*service.names, service.name.ar, service.name.en) if n))
        if not names:
            continue
        agency = {"ar": service.agency.name.ar or service.agency.name.en, "en": service.agency.name.en or service.agency.name.ar}
        name = {"ar": service.name.ar or service.name.en, "en": service.name.en or service.name.ar}
        services[service.id] = NotYetService(service.id, name, agency, names, service.related)
    return NotYetList(services)


def rows_of_not_yet(listed: NotYetList, known: dict[str, dict]) -> tuple[list[dict], list[dict]]:
    """(agency rows, service rows with pilot no) for the seed's not-yet list. Its agencies are given by
    name only: one the catalog has already (same Arabic name) is that one, else a new id is made from
    the English name. `known`: agency rows by id."""
    by_name = {row["name_ar"]: agency_id for agency_id, row in known.items() if row.get("name_ar")}
    agencies: dict[str, dict] = {}
    services = []
    for entry in listed.services.values():
        agency_ar, agency_en = entry.agency.get("ar", ""), entry.agency.get("en", "") or entry.agency.get("ar", "")
        agency_id = by_name.get(agency_ar)
        if agency_id is None:
            base = slug(agency_en, 31) or "agency"
            agency_id, n = base, 2
            while agency_id in known or agency_id in agencies:
                agency_id, n = f"{base[:28]}_{n}", n + 1
            agencies[agency_id] = {"id": agency_id, "name_ar": agency_ar, "name_en": agency_en}
            by_name[agency_ar] = agency_id
        services.append({
            "id": entry.id, "agency_id": agency_id, "name_ar": entry.name.get("ar", ""),
            "name_en": entry.name.get("en", ""),
            "aliases": [] if set(entry.names) <= {entry.name.get("ar"), entry.name.get("en")} else list(entry.names), "related": list(entry.related),
            "pilot": False,
        })
    return list(agencies.values()), services


_live_not_yet: tuple[int, Optional[Catalog], NotYetList] = (-1, None, NotYetList({}))


def current_not_yet() -> NotYetList:
    """The not-yet list the process answers from: the live catalog's (the store's) when there is
    one, else the YAML file beside the catalog directory."""
    global _live_not_yet
    live = live_catalog()
    if live is None:
        return not_yet_list()
    generation, catalog = live.snapshot()
    if _live_not_yet[1] is not catalog:
        _live_not_yet = (generation, catalog, not_yet_of_catalog(catalog))
    return _live_not_yet[2]
