"""The catalogue of approved WhatsApp templates (`data/whatsapp_templates.yml`, or the file
TAWASOL_WHATSAPP_TEMPLATES names), by notification kind.

A push carries a `Notice` (its kind and named values); outside the 24-hour window the channel asks
the catalogue for the template of that kind — the agency's own approved one if the file lists it
under `agencies:`, else the shared one — and fills its parameters from the values in the approved
order. No template for the kind, or a value missing: no template fits, and the router sends the
push by SMS instead. The approved bodies kept here give the text staff see.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.messages import Notice, TemplateRef

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "whatsapp_templates.yml"
DEFAULT_LANGUAGE = "ar"
_PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


class TemplateError(ValueError):
    """An unknown kind, a missing value, or a catalogue file that does not make sense."""


@dataclass(frozen=True)
class TemplateSpec:
    kind: str
    name: str  # as approved in WhatsApp Manager
    parameters: tuple[str, ...]  # value names, in {{1}}, {{2}}, ... order
    bodies: Mapping[str, str]  # language code -> approved body text
    category: str = "UTILITY"

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.bodies)


class TemplateCatalog:
    def __init__(self, specs: list[TemplateSpec], agency_specs: Mapping[str, list[TemplateSpec]] | None = None):
        self._by_kind = {spec.kind: spec for spec in specs}
        self._by_agency = {agency: {s.kind: s for s in found} for agency, found in (agency_specs or {}).items()}
        every = [*specs, *(s for found in (agency_specs or {}).values() for s in found)]
        self._by_name = {spec.name: spec for spec in every}

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> TemplateCatalog:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> TemplateCatalog:
        entries = data.get("templates")
        if not isinstance(entries, dict):
            raise TemplateError(f"{source}: expected a 'templates' mapping")
        specs = _specs(entries, source)
        agencies = data.get("agencies") or {}
        if not isinstance(agencies, dict):
            raise TemplateError(f"{source}: 'agencies' must map an agency id to its templates by kind")
        agency_specs = {}
        for agency, kinds in agencies.items():
            if not isinstance(kinds, dict):
                raise TemplateError(f"{source}: agencies.{agency} must map notification kinds to templates")
            agency_specs[str(agency)] = _specs(kinds, f"{source}: agencies.{agency}")
        return cls(specs, agency_specs)

    def kinds(self) -> list[str]:
        return sorted(self._by_kind)

    def spec(self, kind: str) -> TemplateSpec:
        try:
            return self._by_kind[kind]
        except KeyError:
            raise TemplateError(f"no WhatsApp template for notification kind {kind!r}") from None

    def for_notice(self, notice: Notice, language: str) -> TemplateRef | None:
        """The template that carries `notice` outside the window, or None when none fits (no
        template for its kind, or a value it needs is missing: logged)."""
        spec = self._by_agency.get(notice.agency or "", {}).get(notice.kind) or self._by_kind.get(notice.kind)
        if spec is None:
            logger.info("whatsapp.templates no_template kind=%s agency=%s", notice.kind, notice.agency)
            return None
        try:
            return self._ref(spec, language, notice.values)
        except TemplateError as exc:
            logger.warning("whatsapp.templates unusable kind=%s agency=%s: %s", notice.kind, notice.agency, exc)
            return None

    def by_name(self, name: str) -> TemplateSpec | None:
        return self._by_name.get(name)

    def ref(self, kind: str, language: str, values: Mapping[str, Any]) -> TemplateRef:
        """The template for `kind` in `language` (Arabic if that language is not approved),
        its parameters taken from `values` in the approved order."""
        return self._ref(self.spec(kind), language, values)

    def _ref(self, spec: TemplateSpec, language: str, values: Mapping[str, Any]) -> TemplateRef:
        kind = spec.kind
        if language not in spec.bodies:
            fallback = DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in spec.bodies else spec.languages[0]
            logger.info(
                "whatsapp.templates language_fallback kind=%s wanted=%s using=%s", kind, language, fallback
            )
            language = fallback
        missing = [name for name in spec.parameters if values.get(name) in (None, "")]
        if missing:
            raise TemplateError(f"template {kind!r} needs values for: {', '.join(missing)}")
        return TemplateRef(
            name=spec.name, language=language, parameters=[str(values[n]) for n in spec.parameters]
        )

    def preview(self, ref: TemplateRef) -> str | None:
        """The text the citizen will read, if we know the approved body."""
        spec = self._by_name.get(ref.name)
        body = spec.bodies.get(ref.language) if spec else None
        if body is None:
            return None

        def fill(match: re.Match) -> str:
            index = int(match.group(1)) - 1
            return ref.parameters[index] if 0 <= index < len(ref.parameters) else match.group(0)

        return _PLACEHOLDER.sub(fill, body)

    def approved(self) -> dict[str, dict[str, Any]]:
        """name -> {"languages": [...], "parameters": n}: what the fake Graph API needs to act as Meta."""
        return {
            spec.name: {"languages": list(spec.languages), "parameters": len(spec.parameters)}
            for spec in self._by_name.values()
        }


def _specs(entries: Mapping[str, Any], source: str) -> list[TemplateSpec]:
    specs = []
    for kind, entry in entries.items():
        try:
            specs.append(_spec(str(kind), entry))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TemplateError(f"{source}: template {kind!r}: {exc}") from None
    return specs


def _spec(kind: str, entry: Mapping[str, Any]) -> TemplateSpec:
    name = entry["name"]
    parameters = tuple(str(p) for p in entry.get("parameters") or ())
    bodies = {str(lang): str(text) for lang, text in (entry.get("body") or {}).items()}
    if not name or not bodies:
        raise ValueError("needs a name and a body in at least one language")
    for lang, text in bodies.items():
        used = {int(n) for n in _PLACEHOLDER.findall(text)}
        if used != set(range(1, len(parameters) + 1)):
            raise ValueError(
                f"body[{lang}] uses placeholders {sorted(used)} but {len(parameters)} parameters are named"
            )
    return TemplateSpec(
        kind=kind,
        name=str(name),
        parameters=parameters,
        bodies=bodies,
        category=str(entry.get("category", "UTILITY")),
    )
