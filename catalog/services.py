"""The services catalog: government agencies and their services, read from YAML in `data/catalog/`.

Services are data, not code: ministry staff add a service by editing `<agency_id>.yml`, and the bot
recognises it by the phrases in its `names` without retraining any model. This module reads and
validates those files and hands out answers; matching a citizen's message to a service is done
elsewhere (the catalog matcher), over `Service.names` and `Service.generic_names`.

The file format is described in `data/catalog/README.md`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import yaml

from language.analysis import analyse

logger = logging.getLogger(__name__)

ASPECTS = ("overview", "fees", "documents", "steps", "location", "duration", "eligibility")
LANGUAGES = ("ar", "en")

_REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOG_DIR = _REPOSITORY_ROOT / "data" / "catalog"  # the repository's, not the working directory's
_catalog_dir = DEFAULT_CATALOG_DIR

_AGENCY_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SERVICE_ID_TAIL = re.compile(r"^[a-z][a-z0-9_]*$")

_FILE_KEYS = {"agency", "services"}
_AGENCY_KEYS = {"id", "name", "names", "website", "phone"}
_SERVICE_KEYS = {"id", "name", "verified", "names", "generic_names", "answers", "url", "importance"}


def use_catalog_dir(directory: Path) -> None:
    """Where `Catalog.load()` reads from when not told: set once at start-up from the process's
    settings (TAWASOL_CATALOG_DIR), before anything loads the catalog."""
    global _catalog_dir
    _catalog_dir = Path(directory)


def default_catalog_dir() -> Path:
    """The directory `use_catalog_dir` set, else `data/catalog` in the repository."""
    return _catalog_dir


class CatalogError(ValueError):
    """A catalog file that cannot be used. The message names the file, the service and the problem."""

    def __init__(self, file: Union[str, Path], problem: str, service_id: Optional[str] = None) -> None:
        self.file = Path(file)
        self.problem = problem
        self.service_id = service_id
        where = self.file.name + (f": service {service_id}" if service_id else "")
        super().__init__(f"{where}: {problem}")


# --- phrases -------------------------------------------------------------------------------------

def phrase_key(phrase: str) -> str:
    """The form the service matcher sees a phrase in (language: normalised, Arabizi transliterated).

    Two phrases with one key are one phrase to the matcher ("رخصة" and "رخصه", "jawaz" and
    "جواز"): listing them under two services would make its choice arbitrary.
    """
    return analyse(phrase).normalized


# --- the model -----------------------------------------------------------------------------------


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")


@dataclass(frozen=True)
class LocalizedText:
    """The same text in Arabic and English; either may be missing (then the other is used)."""

    ar: str = ""
    en: str = ""

    def get(self, language: str) -> str:
        _check_language(language)
        preferred, other = (self.ar, self.en) if language == "ar" else (self.en, self.ar)
        return preferred or other


@dataclass(eq=False)
class Agency:
    id: str
    name: LocalizedText
    names: tuple[str, ...] = ()  # how people call the agency ("الأحوال المدنية", "ahwal")
    website: Optional[str] = None
    phone: Optional[str] = None
    services: list["Service"] = field(default_factory=list, repr=False)
    source: Optional[Path] = field(default=None, repr=False)


@dataclass(eq=False)
class Service:
    id: str  # "<agency id>.<service>", e.g. "cspd.passport_renew"; a contract with external checks
    name: LocalizedText
    agency: Agency = field(repr=False)
    names: tuple[str, ...]  # phrases that identify this service alone
    generic_names: tuple[str, ...] = ()  # words shared with other services: the bot asks which one
    verified: bool = False  # True only when the agency has confirmed the facts in `answers`
    answers: dict[str, LocalizedText] = field(default_factory=dict, repr=False)
    url: str = ""  # the online route (the agency's page for it), "" when there is none
    importance: Optional[int] = None  # the ministry's rank, 1 first; None: not ranked
    pilot: bool = True  # answered now; False: named only ("not in this service yet")
    verified_by: Optional[str] = None  # who marked it verified, and when (the store's record)
    verified_at: Optional[Any] = None
    related: tuple[str, ...] = ()  # for a not-yet service: catalog services really close to it

    def answer(self, aspect: str, language: str) -> str:
        """The answer about one aspect ("fees", ...) in "ar" or "en"; "" if the catalog has none."""
        if aspect not in ASPECTS:
            raise ValueError(f"aspect must be one of {ASPECTS}, not {aspect!r}")
        text = self.answers.get(aspect)
        return text.get(language) if text else ""


@dataclass
class Catalog:
    agencies: dict[str, Agency] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)  # answered now (pilot)
    errors: list[CatalogError] = field(default_factory=list)  # files skipped by load(skip_bad_files=True)
    # Services the catalog names but does not answer yet (pilot no): the bot says so, and who provides them.
    not_yet: dict[str, Service] = field(default_factory=dict)
    # The bot's own wording as stored (key -> {"ar", "en"}), read with the services so an edit to
    # either moves the same generation; empty: data/replies.yml alone (catalog/replies.py).
    wording: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Union[str, Path, None] = None, *, skip_bad_files: bool = False) -> "Catalog":
        """Read every `*.yml` directly in `directory` (default: `default_catalog_dir()`), in name order.

        A bad file raises `CatalogError`; with `skip_bad_files=True` it is logged, recorded in
        `errors` and left out whole, and the other files still load. A file that clashes with an
        earlier one (a phrase claimed twice) is the bad one.
        """
        directory = Path(directory) if directory is not None else default_catalog_dir()
        if not directory.is_dir():
            raise CatalogError(directory, "catalog directory not found")
        catalog = cls()
        for path in sorted(directory.glob("*.yml")):
            try:
                agency = _read_agency_file(path)
                catalog._check_no_clash(agency)
            except CatalogError as error:
                if not skip_bad_files:
                    raise
                logger.warning("catalog file skipped file=%s problem=%s", path.name, error)
                catalog.errors.append(error)
                continue
            catalog.agencies[agency.id] = agency
            catalog.services.update((service.id, service) for service in agency.services)
        logger.info(
            "catalog loaded directory=%s agencies=%d services=%d skipped_files=%d",
            directory, len(catalog.agencies), len(catalog.services), len(catalog.errors),
        )
        return catalog

    def service(self, service_id: str) -> Optional[Service]:
        return self.services.get(service_id)

    def agency(self, agency_id: str) -> Optional[Agency]:
        return self.agencies.get(agency_id)

    def _check_no_clash(self, agency: Agency) -> None:
        """A phrase never points at two different things, across files.

        Ids need no check here: a file's name is its agency id and its service ids carry that
        prefix, so two files in one directory cannot share one.
        """
        owners = _PhraseOwners()
        for known in self.agencies.values():  # consistent already: this only fills the index
            owners.add_agency(known)
        owners.add_agency(agency)


class _PhraseOwners:
    """Who each phrase (by `phrase_key`) belongs to, raising on the first phrase that is claimed twice.

    A phrase in `names` belongs to one service only; it may not also be another service's generic
    name or an agency's name. Generic names are meant to be shared, so they only clash with names.
    """

    def __init__(self) -> None:
        self.name_of: dict[str, Service] = {}
        self.generic_of: dict[str, list[Service]] = {}
        self.agency_of: dict[str, Agency] = {}

    def add_agency(self, agency: Agency) -> None:
        """Index an agency's services and names, raising a `CatalogError` on the agency's file."""
        path = agency.source or Path(f"{agency.id}.yml")
        for service in agency.services:
            self.add_service(path, service)
        for phrase in agency.names:
            key = phrase_key(phrase)
            if key in self.name_of:
                owner = self.name_of[key].id
                raise CatalogError(path, f"agency name {phrase!r} is also a name of service {owner}")
            if key in self.agency_of and self.agency_of[key] is not agency:
                other = self.agency_of[key].id
                raise CatalogError(path, f"agency name {phrase!r} is also a name of agency {other}")
            self.agency_of[key] = agency

    def add_service(self, path: Path, service: Service) -> None:
        for phrase in service.names:
            key = phrase_key(phrase)
            owner = self.name_of.get(key)
            if owner is not None and owner is not service:
                raise CatalogError(path, f"name {phrase!r} is also a name of service {owner.id}", service.id)
            sharers = [other.id for other in self.generic_of.get(key, []) if other is not service]
            if sharers:
                raise CatalogError(
                    path, f"name {phrase!r} is a generic name of {', '.join(sharers)}", service.id
                )
            if key in self.agency_of:
                raise CatalogError(
                    path, f"name {phrase!r} is a name of agency {self.agency_of[key].id}", service.id
                )
            self.name_of[key] = service
        for phrase in service.generic_names:
            key = phrase_key(phrase)
            owner = self.name_of.get(key)
            if owner is not None and owner is not service:
                raise CatalogError(
                    path, f"generic name {phrase!r} is a name of service {owner.id}", service.id
                )
            self.generic_of.setdefault(key, []).append(service)


# --- reading one file ----------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses repeated keys: PyYAML would silently keep only the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} appears twice", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_agency_file(path: Path) -> Agency:
    try:
        with path.open(encoding="utf-8") as stream:  # a stream, so YAML errors point at the file's line
            data = yaml.load(stream, Loader=_UniqueKeyLoader)
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogError(path, f"cannot read file: {error}") from error
    except yaml.YAMLError as error:
        raise CatalogError(path, f"invalid YAML: {error}") from error
    if not isinstance(data, dict):
        raise CatalogError(path, "the file must be a mapping with 'agency' and 'services'")
    _check_keys(path, data, _FILE_KEYS, "top level", required={"agency", "services"})

    agency = _read_agency(path, data["agency"])
    services = data["services"]
    if not isinstance(services, list) or not services:
        raise CatalogError(path, "'services' must be a non-empty list")
    seen_ids: set[str] = set()
    for position, raw in enumerate(services, start=1):
        service = _read_service(path, agency, raw, position)
        if service.id in seen_ids:
            raise CatalogError(path, "duplicate service id in this file", service.id)
        seen_ids.add(service.id)
        agency.services.append(service)
    return agency


def _read_agency(path: Path, raw: Any) -> Agency:
    if not isinstance(raw, dict):
        raise CatalogError(path, "'agency' must be a mapping")
    _check_keys(path, raw, _AGENCY_KEYS, "agency", required={"id", "name"})
    agency_id = raw["id"]
    if not isinstance(agency_id, str) or not _AGENCY_ID.match(agency_id):
        raise CatalogError(path, f"agency id {agency_id!r} must be lower-case letters, digits and _")
    if path.stem != agency_id:
        raise CatalogError(
            path, f"agency id {agency_id!r} does not match the file name (expected {agency_id}.yml)"
        )
    return Agency(
        id=agency_id,
        name=_read_text(path, raw["name"], "agency name"),
        names=_read_phrases(path, raw.get("names"), "agency names", required=False),
        website=_read_optional_str(path, raw.get("website"), "agency website"),
        phone=_read_optional_str(path, raw.get("phone"), "agency phone"),
        source=path,
    )


def _read_service(path: Path, agency: Agency, raw: Any, position: int) -> Service:
    if not isinstance(raw, dict):
        raise CatalogError(path, f"service #{position} must be a mapping")
    service_id = raw.get("id")
    if not isinstance(service_id, str) or not service_id.strip():
        raise CatalogError(path, f"service #{position} has no id")
    prefix = f"{agency.id}."
    if not service_id.startswith(prefix) or not _SERVICE_ID_TAIL.match(service_id[len(prefix):]):
        raise CatalogError(
            path, f"service id must be '{prefix}<name>' (lower-case letters, digits, _)", service_id
        )

    def fail(problem: str) -> CatalogError:
        return CatalogError(path, problem, service_id)

    try:
        _check_keys(path, raw, _SERVICE_KEYS, "service", required={"id", "name", "names", "answers"})
    except CatalogError as error:
        raise fail(error.problem) from None
    verified = raw.get("verified", False)
    if not isinstance(verified, bool):
        raise fail("'verified' must be true or false")
    url = raw.get("url") or ""
    if not isinstance(url, str):
        raise fail("'url' must be text")
    importance = raw.get("importance")
    if importance is not None and (isinstance(importance, bool) or not isinstance(importance, int)):
        raise fail("'importance' must be a whole number")
    try:
        name = _read_text(path, raw["name"], "name")
        names = _read_phrases(path, raw["names"], "names", required=True)
        generic_names = _read_phrases(path, raw.get("generic_names"), "generic_names", required=False)
        answers = _read_answers(path, raw["answers"])
    except CatalogError as error:
        raise fail(error.problem) from None
    both = {phrase_key(p) for p in names} & {phrase_key(p) for p in generic_names}
    if both:
        raise fail(f"phrase(s) in both names and generic_names: {sorted(both)}")
    return Service(
        id=service_id,
        name=name,
        agency=agency,
        names=names,
        generic_names=generic_names,
        verified=verified,
        answers=answers,
        url=url.strip(),
        importance=importance,
    )


def _read_answers(path: Path, raw: Any) -> dict[str, LocalizedText]:
    if not isinstance(raw, dict) or not raw:
        raise CatalogError(path, "'answers' must be a non-empty mapping of aspect -> {ar, en}")
    unknown = [str(key) for key in raw if key not in ASPECTS]
    if unknown:
        raise CatalogError(
            path, f"unknown aspect(s) {', '.join(unknown)} in answers (known: {', '.join(ASPECTS)})"
        )
    return {
        aspect: _read_text(path, raw[aspect], f"answer '{aspect}'") for aspect in ASPECTS if aspect in raw
    }


def _read_text(path: Path, raw: Any, what: str) -> LocalizedText:
    if raw is None:
        raise CatalogError(path, f"missing {what}")
    if not isinstance(raw, dict):
        raise CatalogError(path, f"{what} must be a mapping like {{ar: ..., en: ...}}")
    unknown = [str(key) for key in raw if key not in LANGUAGES]
    if unknown:
        raise CatalogError(path, f"{what} has unknown language(s) {', '.join(unknown)} (use ar, en)")
    texts = {}
    for language in LANGUAGES:
        value = raw.get(language)
        if value is not None and not isinstance(value, str):
            raise CatalogError(path, f"{what} ({language}) must be text")
        texts[language] = (value or "").strip()
    if not any(texts.values()):
        raise CatalogError(path, f"missing {what}: give it in ar and/or en")
    return LocalizedText(**texts)


def _read_phrases(path: Path, raw: Any, what: str, *, required: bool) -> tuple[str, ...]:
    if raw is None:
        if required:
            raise CatalogError(path, f"missing {what}: list the phrases citizens use")
        return ()
    if not isinstance(raw, list):
        raise CatalogError(path, f"{what} must be a list of phrases")
    phrases: list[str] = []
    seen: set[str] = set()
    for value in raw:
        # Unquoted YAML such as `- no` or `- 2024` arrives as a bool/number: say so instead of guessing.
        if not isinstance(value, str) or not value.strip():
            raise CatalogError(path, f"{what} must contain only non-empty text, found {value!r} (quote it)")
        key = phrase_key(value)
        if key not in seen:
            seen.add(key)
            phrases.append(value.strip())
    if required and not phrases:
        raise CatalogError(path, f"missing {what}: list the phrases citizens use")
    return tuple(phrases)


def _read_optional_str(path: Path, raw: Any, what: str) -> Optional[str]:
    if raw is None:
        return None
    if not isinstance(raw, str):  # an unquoted phone number would lose its leading 0
        raise CatalogError(path, f"{what} must be text in quotes, found {raw!r}")
    return raw.strip() or None


def _check_keys(path: Path, raw: dict, allowed: set[str], where: str, *, required: set[str]) -> None:
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise CatalogError(
            path,
            f"unknown key(s) {', '.join(unknown)} in {where} (allowed: {', '.join(sorted(allowed))})",
        )
    missing = sorted(key for key in required if raw.get(key) is None)
    if missing:
        raise CatalogError(path, f"missing {', '.join(missing)} in {where}")
