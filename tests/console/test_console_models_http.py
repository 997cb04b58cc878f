"""The models pages over HTTP: admins only, one training at a time, the comparison with its
regressions, and the server's own check that a regressing model takes a second admin (a forged
form post from the first admin again changes nothing)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

import pytest

from console.accounts import add_staff
from console.model_hooks import ModelHooks
from store.audit import CLI_ACTOR, AuditFilter
from tests.console.conftest import ConsoleServer, serve_console
from tests.console.seed import ADMIN, AGENT, LIAISON, PASSWORD
from tests.console.test_console_http import client, sign_in
from tests.brain.scorecards import card

SECOND_ADMIN = "second@mopd.gov.jo"
T = datetime(2026, 12, 7, 19, 0, tzinfo=timezone.utc)


class StartedRuns:
    """The job engine's side of the hook: which runs the console asked to start."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    async def __call__(self, run_id: int) -> bool:
        self.ids.append(run_id)
        return True


@pytest.fixture
def started() -> StartedRuns:
    return StartedRuns()


@pytest.fixture
def console(tmp_path, sqlite_template, started) -> Iterator[ConsoleServer]:
    for server in serve_console(tmp_path, sqlite_template, model_hooks=ModelHooks(start_training=started)):
        add_staff(server.store, server.settings.console, SECOND_ADMIN, "ministry_admin", None, actor=CLI_ACTOR,
                  password=PASSWORD)
        yield server


def _two_models(store) -> None:
    store.models.register("m-active", "/models/m-active.tar.gz", T, "lead", "a" * 64, card(wrong_fees=1))
    store.models.register("m-worse", "/models/m-worse.tar.gz", T.replace(hour=20), ADMIN, "b" * 64, card(wrong_fees=9),
                          snapshot_path="/models/snapshots/m-worse.data.tar.gz")
    store.models.activate("m-active", "lead")


def test_only_ministry_admins_see_the_models(console):
    _two_models(console.store)
    with client(console) as anonymous:
        assert anonymous.get("/console/models").headers["location"] == "/console/login"
    for email in (LIAISON, AGENT):
        c, csrf = sign_in(console, email)
        for path in ("/console/models", "/console/models/m-worse/compare", "/console/models/training/1"):
            assert c.get(path).status_code == 404, (email, path)
        assert c.post("/console/models/train", data={"csrf_token": csrf}).status_code == 404
        assert c.post("/console/models/m-worse/activate", data={"csrf_token": csrf}).status_code == 404
        assert c.post("/console/models/rollback", data={"csrf_token": csrf}).status_code == 404
    assert console.store.models.active().model.id == "m-active"
    admin, csrf = sign_in(console, ADMIN)
    assert admin.post("/console/models/m-worse/activate", data={"csrf_token": "forged"}).status_code == 403
    page = admin.get("/console/models")
    assert page.status_code == 200 and 'id="active-badge"' in page.text and "m-worse" in page.text
    assert admin.get("/console/models/no-such-model/compare").status_code == 404
    assert admin.get("/console/models/bad%20id!/compare").status_code == 404


def test_train_starts_a_run_and_a_second_request_is_refused_while_it_runs(console, started):
    admin, csrf = sign_in(console, ADMIN)
    answer = admin.post("/console/models/train", data={"csrf_token": csrf})
    assert answer.status_code == 303
    run = console.store.training_runs.latest()
    assert started.ids == [run.id] and run.status == "queued" and run.requested_by == ADMIN
    other, other_csrf = sign_in(console, SECOND_ADMIN)
    refused = other.post("/console/models/train", data={"csrf_token": other_csrf})
    assert refused.status_code == 409 and "تدريب واحد في كل مرة" in refused.text
    assert started.ids == [run.id]
    page = admin.get("/console/models")
    assert 'id="train" disabled' in page.text and 'data-live="yes"' in page.text
    console.store.training_runs.claim(run.id)
    console.store.training_runs.progress(run.id, "training", 35)
    console.store.training_runs.append_log(run.id, "training ArabicIntentClassifier ...\n")
    fragment = admin.get(f"/console/models/training/{run.id}")
    assert 'data-status="running"' in fragment.text and 'value="35"' in fragment.text
    assert "training ArabicIntentClassifier" in fragment.text
    console.store.training_runs.succeed(run.id, "m-new")
    assert 'href="/console/models/m-new/compare"' in admin.get(f"/console/models/training/{run.id}").text
    assert admin.post("/console/models/train", data={"csrf_token": csrf}).status_code == 303  # free again


def test_without_a_job_engine_the_run_fails_saying_why(tmp_path, sqlite_template):
    async def nothing_runs(_run_id: int) -> bool:
        return False

    for server in serve_console(tmp_path, sqlite_template, model_hooks=ModelHooks(start_training=nothing_runs)):
        admin, csrf = sign_in(server, ADMIN)
        answer = admin.post("/console/models/train", data={"csrf_token": csrf})
        assert answer.status_code == 503 and "REDIS_URL" in answer.text
        assert server.store.training_runs.latest().status == "failed"
        assert server.store.training_runs.current() is None


def test_the_comparison_flags_regressions_and_the_server_wants_a_second_admin(console):
    _two_models(console.store)
    admin, csrf = sign_in(console, ADMIN)
    page = admin.get("/console/models/m-worse/compare")
    assert page.status_code == 200 and 'id="regressions"' in page.text
    assert 'id="metric-intent_accuracy" class="regressed"' in page.text
    assert 'id="intent-ask_fees" class="regressed"' in page.text
    assert 'id="newly-wrong-count">8<' in page.text and "ask_fees question 8" in page.text
    asked = admin.post("/console/models/m-worse/activate", data={"csrf_token": csrf})
    assert asked.status_code == 202 and 'id="pending-switch"' in asked.text
    again = admin.post("/console/models/m-worse/activate", data={"csrf_token": csrf})  # the same admin, forged or not
    assert again.status_code == 409 and "مسؤول آخر" in again.text
    assert console.store.models.active().model.id == "m-active"
    second, second_csrf = sign_in(console, SECOND_ADMIN)
    second.cookies.set("tawasol_lang", "en", path="/")
    english = second.get("/console/models/m-worse/compare")
    assert "Switching it on awaits another admin" in english.text and "Confirm switching on" in english.text
    confirmed = second.post("/console/models/m-worse/activate", data={"csrf_token": second_csrf})
    assert confirmed.status_code == 303 and console.store.models.active().model.id == "m-worse"
    rolled = second.post("/console/models/rollback", data={"csrf_token": second_csrf})
    assert rolled.status_code == 303 and console.store.models.active().model.id == "m-active"
    to = admin.post("/console/models/m-worse/rollback", data={"csrf_token": csrf})
    assert to.status_code == 303 and console.store.models.active().model.id == "m-worse"
    actions = [(e.action, e.actor) for e in console.store.audit.search(AuditFilter(action="model."))]
    assert actions == [("model.rollback", ADMIN), ("model.rollback", SECOND_ADMIN),
                       ("model.activate_confirmed", SECOND_ADMIN), ("model.activate_requested", ADMIN)]


def test_a_model_that_does_not_regress_is_switched_on_by_one_admin(console):
    store = console.store
    store.models.register("m-active", "/models/m-active.tar.gz", T, "lead", None, card(wrong_fees=3))
    store.models.register("m-better", "/models/m-better.tar.gz", T.replace(hour=21), ADMIN, None, card(wrong_fees=0))
    store.models.register("m-unscored", "/models/m-unscored.tar.gz", T.replace(hour=22), ADMIN)
    store.models.activate("m-active", "lead")
    admin, csrf = sign_in(console, ADMIN)
    page = admin.get("/console/models/m-better/compare")
    assert 'id="no-regressions"' in page.text and "class=\"regressed\"" not in page.text
    assert admin.post("/console/models/m-better/activate", data={"csrf_token": csrf}).status_code == 303
    assert store.models.active().model.id == "m-better"
    # A model without scores cannot be shown not to regress: two admins.
    assert 'id="not-comparable"' in admin.get("/console/models/m-unscored/compare").text
    assert admin.post("/console/models/m-unscored/activate", data={"csrf_token": csrf}).status_code == 202
    assert store.models.active().model.id == "m-better"
