"""A service's edit form: what staff may change, read from the posted fields and checked before
anything is stored. A refused form stores nothing and says, per field, what to fix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from catalog.records import ANSWER_COLUMNS
from catalog.validation import MAX_ALIAS_CHARS, MAX_ALIASES, answer_problem, name_problem, text_problem

NAME_FIELDS = ("name_ar", "name_en")


@dataclass
class ServiceForm:
    values: dict[str, Any] = field(default_factory=dict)  # the row's editable columns, as posted
    errors: dict[str, str] = field(default_factory=dict)  # field -> what is wrong with it

    @property
    def ok(self) -> bool:
        return not self.errors


def read_form(posted: Mapping[str, str], before: Mapping[str, Any]) -> ServiceForm:
    """The posted fields as row values, each checked; `before`: the service as stored."""
    form = ServiceForm()
    text = lambda name: (posted.get(name) or "").replace("\r\n", "\n").strip()  # noqa: E731
    for name in NAME_FIELDS:
        form.values[name] = text(name)
        problem = name_problem(form.values[name])
        if problem:
            form.errors[name] = problem
    if not form.values["name_ar"] and not form.values["name_en"]:
        form.errors["name_ar"] = "give the service a name in Arabic or English"
    aliases = [line.strip() for line in text("aliases").split("\n") if line.strip()]
    form.values["aliases"] = list(dict.fromkeys(aliases))
    if len(form.values["aliases"]) > MAX_ALIASES:
        form.errors["aliases"] = f"{len(aliases)} names, at most {MAX_ALIASES}"
    for alias in form.values["aliases"]:
        problem = text_problem(alias, MAX_ALIAS_CHARS)
        if problem:
            form.errors["aliases"] = f"{alias[:40]!r} {problem}"
            break
    form.values["pilot"] = posted.get("pilot") == "yes"
    form.values["verified"] = posted.get("verified") == "yes"
    for column in ANSWER_COLUMNS:
        form.values[column] = text(column)
        problem = answer_problem(form.values[column])
        if problem:
            form.errors[column] = problem
        elif form.values["pilot"] and before.get(column) and not form.values[column]:
            form.errors[column] = "missing answer: it had one; write it, or turn 'answered now' off"
    if form.values["pilot"] and not any(form.values[c] for c in ANSWER_COLUMNS):
        form.errors.setdefault("description_ar", "missing answer: a service answered now needs at least one")
    form.values["url"] = text("url")
    problem = text_problem(form.values["url"], 1024)
    if problem:
        form.errors["url"] = problem
    elif form.values["url"] and not form.values["url"].startswith(("https://", "http://")):
        form.errors["url"] = "a link starts with https://"
    importance = text("importance")
    if importance:
        try:
            form.values["importance"] = int(importance)
            if form.values["importance"] < 0:
                raise ValueError
        except ValueError:
            form.errors["importance"] = "a whole number (1 is the most important), or empty"
            form.values["importance"] = importance
    else:
        form.values["importance"] = None
    return form
