"""The model registry in the store (SQLite and PostgreSQL): register, activate, roll back."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from store.model_registry import ModelRegistryError

T = datetime(2026, 12, 7, 19, 0, tzinfo=timezone.utc)


def _three(store) -> None:
    for n, name in enumerate(["m-a", "m-b", "m-c"]):
        assert store.models.register(name, f"/models/{name}.tar.gz", T.replace(minute=n), "lead", f"hash-{name}")


def test_a_model_is_registered_once_with_who_and_what(store):
    _three(store)
    assert not store.models.register("m-a", "/elsewhere", T, "someone")
    models = store.models.models()
    assert [m.id for m in models] == ["m-a", "m-b", "m-c"]
    assert models[0].path == "/models/m-a.tar.gz" and models[0].trained_by == "lead" and models[0].data_hash == "hash-m-a"
    assert store.models.active() is None  # nothing activated: the newest archive is served


def test_each_switch_is_a_new_generation_and_rollback_walks_back_the_history(store):
    _three(store)
    a = store.models.activate("m-a", "lead")
    b = store.models.activate("m-b", "lead")
    c = store.models.activate("m-c", "lead")
    assert (a.model.id, b.model.id, c.model.id) == ("m-a", "m-b", "m-c")
    assert a.generation < b.generation < c.generation
    back = store.models.rollback()
    assert back.model.id == "m-b" and back.generation > c.generation  # workers see the change
    assert store.models.rollback().model.id == "m-a"
    with pytest.raises(ModelRegistryError):
        store.models.rollback()  # nothing before the first
    assert store.models.active().model.id == "m-a"


def test_activating_after_a_rollback_starts_from_there(store):
    _three(store)
    store.models.activate("m-a", "lead")
    store.models.activate("m-b", "lead")
    store.models.rollback()
    store.models.activate("m-c", "lead")
    assert store.models.rollback().model.id == "m-a"


def test_an_unknown_model_cannot_be_activated(store):
    with pytest.raises(ModelRegistryError, match="no model"):
        store.models.activate("nope", "lead")
    with pytest.raises(ModelRegistryError, match="nothing to roll back"):
        store.models.rollback()
