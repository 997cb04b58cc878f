"""Console trainings in the store (SQLite and PostgreSQL): one at a time, abandoned runs give the
slot up; switching on a model that regresses takes two different admins; rollback to any model
that served; every action in the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from console.accounts import add_staff
from console.config import ConsoleConfig
from core.messages import utcnow
from store.audit import CLI_ACTOR, Actor, AuditFilter
from store.model_registry import ModelRegistryError
from store.model_switches import ACTIVATED, AWAITING_CONFIRMATION, SwitchRefused
from store.models import TrainingRun
from store.training_runs import FAILED, RUNNING, SUCCEEDED, TrainingBusy

T = datetime(2026, 12, 7, 19, 0, tzinfo=timezone.utc)


def _admins(store) -> tuple[Actor, Actor]:
    made = [add_staff(store, ConsoleConfig(), email, "ministry_admin", None, actor=CLI_ACTOR,
                      password="correct horse battery").user for email in ("a@mopd.gov.jo", "b@mopd.gov.jo")]
    return Actor(made[0].email, made[0].id), Actor(made[1].email, made[1].id)


def test_one_training_at_a_time_with_its_progress_and_log(store):
    first, _ = _admins(store)
    run = store.training_runs.start(first)
    with pytest.raises(TrainingBusy, match="one at a time") as busy:
        store.training_runs.start(first)
    assert busy.value.run.id == run.id
    assert store.training_runs.claim(run.id) and not store.training_runs.claim(run.id)  # a retried job runs nothing
    store.training_runs.progress(run.id, "training", 40)
    store.training_runs.append_log(run.id, "line one\nline two\n")
    now = store.training_runs.get(run.id)
    assert (now.status, now.step, now.progress, now.log_tail(1)) == (RUNNING, "training", 40, "line two")
    with pytest.raises(TrainingBusy):
        store.training_runs.start(first)  # running holds the slot too
    store.training_runs.succeed(run.id, "model-x")
    done = store.training_runs.get(run.id)
    assert (done.status, done.model_id, done.active) == (SUCCEEDED, "model-x", False)
    second = store.training_runs.start(first)  # the slot is free again
    store.training_runs.fail(second.id, "boom")
    assert store.training_runs.get(second.id).error == "boom" and store.training_runs.current() is None
    actions = [e.action for e in store.audit.search(AuditFilter(action="model."))]
    assert actions.count("model.train") == 2 and "model.train_succeeded" in actions and "model.train_failed" in actions


def test_a_run_silent_for_long_gives_the_slot_up(store):
    first, second = _admins(store)
    stuck = store.training_runs.start(first)
    store.training_runs.claim(stuck.id)
    with store.db.session() as s:
        s.execute(update(TrainingRun).where(TrainingRun.id == stuck.id).values(heartbeat_at=utcnow() - timedelta(hours=1)))
    fresh = store.training_runs.start(second)
    assert fresh.id != stuck.id
    assert store.training_runs.get(stuck.id).status == FAILED and "abandoned" in store.training_runs.get(stuck.id).error


def _models(store) -> None:
    for n, name in enumerate(["m-old", "m-new"]):
        store.models.register(name, f"/models/{name}.tar.gz", T.replace(minute=n), "lead", f"hash-{name}")
    store.models.activate("m-old", "lead")


def test_a_model_without_regressions_is_switched_on_by_one_admin(store):
    _models(store)
    first, _ = _admins(store)
    assert store.model_switches.switch_on("m-new", first, []) == ACTIVATED
    assert store.models.active().model.id == "m-new"
    entry = store.audit.search(AuditFilter(action="model.activate"))[0]
    assert (entry.actor, entry.target_id) == ("a@mopd.gov.jo", "m-new")


def test_a_regressing_model_needs_a_second_different_admin(store):
    _models(store)
    first, second = _admins(store)
    regressions = ["intent accuracy 97.0% -> 80.0%"]
    assert store.model_switches.switch_on("m-new", first, regressions) == AWAITING_CONFIRMATION
    assert store.models.active().model.id == "m-old"
    assert store.model_switches.pending("m-new").requested_by == "a@mopd.gov.jo"
    with pytest.raises(SwitchRefused, match="different admin") as refused:
        store.model_switches.switch_on("m-new", first, regressions)
    assert refused.value.code == "second_admin_needed" and store.models.active().model.id == "m-old"
    with pytest.raises(SwitchRefused):
        store.model_switches.switch_on("m-new", CLI_ACTOR, regressions)  # no staff id: not a second admin
    assert store.model_switches.switch_on("m-new", second, regressions) == ACTIVATED
    active = store.models.active()
    assert active.model.id == "m-new" and store.model_switches.pending("m-new") is None
    actions = [e.action for e in store.audit.search(AuditFilter(action="model."))]
    assert actions[:2] == ["model.activate_confirmed", "model.activate_requested"]


def test_roll_back_to_any_model_that_served_and_to_the_previous_one(store):
    _models(store)
    first, _ = _admins(store)
    store.models.register("m-never", "/models/m-never.tar.gz", T.replace(minute=9), "lead")
    store.model_switches.switch_on("m-new", first, [])
    with pytest.raises(SwitchRefused, match="never served"):
        store.model_switches.roll_back_to("m-never", first)
    store.model_switches.roll_back_to("m-old", first)
    assert store.models.active().model.id == "m-old"
    assert store.model_switches.rollback(first) == "m-new"  # back before the rollback
    assert [e.action for e in store.audit.search(AuditFilter(action="model.rollback"))] == ["model.rollback"] * 2
    with pytest.raises(ModelRegistryError):
        store.model_switches.switch_on("nope", first, ["x"])


def test_scores_and_the_snapshot_are_kept_with_the_model(store):
    store.models.register("m-s", "/models/m-s.tar.gz", T, "a@mopd.gov.jo", "abc", {"n": 1},
                          snapshot_path="/models/snapshots/m-s.data.tar.gz")
    store.models.set_scores("m-s", {"n": 2})
    model = store.models.get("m-s")
    assert (model.scores, model.snapshot_path) == ({"n": 2}, "/models/snapshots/m-s.data.tar.gz")
