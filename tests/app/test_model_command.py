"""`tawasol model list | activate | rollback` as an operator runs them (issue 22's contract: one line
per model, its id first, `active` on the active one), with two real model archives."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.model_choice import register_trained, served_model
from bot.settings import Settings

pytestmark = pytest.mark.slow  # the session's trained model is one of the two


@pytest.fixture
def two_models(store, trained_model, tmp_path):
    first = tmp_path / "20261201-first.tar.gz"
    second = tmp_path / "20261202-second.tar.gz"
    shutil.copy(trained_model, first)
    shutil.copy(trained_model, second)
    register_trained(store, first, "amal", "a" * 64)
    register_trained(store, second, "omar", "b" * 64)
    return first, second


def run(database_url: str, *args: str):
    return CliRunner().invoke(app, ["model", *args], env={"DATABASE_URL": database_url, "USER": "lead"})


def lines_for(output: str, *ids: str) -> dict[str, str]:
    return {line.split()[0]: line for line in output.splitlines() if line.split() and line.split()[0] in ids}


def test_list_activate_and_rollback_keep_the_contract(store, database_url, two_models):
    ids = ("20261201-first", "20261202-second")
    listed = run(database_url, "list")
    assert listed.exit_code == 0, listed.stderr
    lines = lines_for(listed.stdout, *ids)
    assert set(lines) == set(ids)
    assert not any(line.split()[-1] == "active" for line in lines.values())  # nothing activated yet
    assert "by amal" in lines[ids[0]] and "data aaaaaaaaaaaa" in lines[ids[0]]

    assert run(database_url, "activate", ids[0]).exit_code == 0
    assert run(database_url, "activate", ids[1]).exit_code == 0
    lines = lines_for(run(database_url, "list").stdout, *ids)
    assert lines[ids[1]].split()[-1] == "active" and lines[ids[0]].split()[-1] != "active"
    assert store.models.active().model.id == ids[1]

    back = run(database_url, "rollback")
    assert back.exit_code == 0 and ids[0] in back.stdout
    lines = lines_for(run(database_url, "list").stdout, *ids)
    assert lines[ids[0]].split()[-1] == "active" and lines[ids[1]].split()[-1] != "active"

    nothing_before = run(database_url, "rollback")
    assert nothing_before.exit_code == 1 and "nothing to roll back" in nothing_before.stderr
    unknown = run(database_url, "activate", "no-such-model")
    assert unknown.exit_code == 1 and "no model" in unknown.stderr


def test_the_service_serves_the_active_model_else_the_newest_archive(store, database_url, two_models):
    first, second = two_models
    settings = Settings(database_url=database_url, model_path=str(second))  # as if second were the newest
    assert served_model(settings, store).path == str(second)  # registry empty of activations
    store.models.activate("20261201-first", "lead")
    chosen = served_model(settings, store)
    assert chosen.path == str(first.resolve()) and chosen.generation > 0
    pinned = Settings(database_url=database_url, model_path=str(second), model_from_env=True)
    assert served_model(pinned, store).path == str(second)  # TAWASOL_MODEL wins over the registry
