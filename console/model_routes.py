"""Ministry admins only: the trained models, training a new one in the background (progress and
log while it runs), comparing it with the active one, switching it on, and rolling back.

Every switch goes through the registry (store/model_switches.py), so every worker's SwitchingBrain
swaps within seconds; each action has its audit entry. The comparison is made here on the server
from the two models' stored scores, never taken from the form: a model that regresses needs a
second, different admin to confirm.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from console.context import NotFound, Pages, Visit
from console.model_hooks import ModelHooks
from console.row_ids import RowId
from brain.scorecard import Comparison, NotComparable, compare
from store.audit import Actor
from store.model_registry import ModelRegistryError, RegisteredModel
from store.model_switches import ACTIVATED, SwitchRefused
from store.training_runs import TrainingBusy

MODEL_ID = re.compile(r"[A-Za-z0-9._-]{1,200}")
NEWLY_WRONG_SHOWN = 200


def regressions_against_active(model: RegisteredModel, active: Optional[RegisteredModel]) -> list[str]:
    """What switching `model` on would make worse; a model that cannot be compared counts as a
    regression (nobody can say it is not one)."""
    if active is None or active.id == model.id:
        return []
    try:
        return compare(model.scores, active.scores).regressions
    except NotComparable as error:
        return [f"not compared: {error}"]


def model_router(pages: Pages, hooks: ModelHooks) -> APIRouter:
    router = APIRouter()

    def _model(model_id: str) -> RegisteredModel:
        model = pages.store().models.get(model_id) if MODEL_ID.fullmatch(model_id) else None
        if model is None:
            raise NotFound()
        return model

    def _list_page(visit: Visit, http_status: int = 200, error: Optional[str] = None, **extra: Any) -> Response:
        store = pages.store()
        active = store.models.active()
        models = list(reversed(store.models.models()))  # newest first
        data: dict[str, Any] = {"busy": None, "detail": None, "notice": None}
        data.update(extra)
        return pages.render(visit, "models.html", http_status=http_status, models=models,
                            active_id=active.model.id if active else None, run=store.training_runs.latest(),
                            error=error, **data)

    @router.get("/models")
    def models(request: Request, notice: str = "") -> Response:
        visit = pages.visit(request)
        visit.require_admin()
        return _list_page(visit, notice=notice if notice in ("rolled_back", "activated") else None)

    @router.post("/models/train")
    async def train(request: Request, csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        runs = pages.store().training_runs
        try:
            run = runs.start(Actor(viewer.email, viewer.staff_id))
        except TrainingBusy as busy:
            return _list_page(visit, http_status=409, error="training_busy", busy=busy.run)
        if not await hooks.start_training(run.id):
            runs.fail(run.id, "no job engine: set REDIS_URL and run `tawasol jobs worker`")
            return _list_page(visit, http_status=503, error="no_job_engine")
        return pages.finish(visit, RedirectResponse("/console/models", status_code=303))

    @router.get("/models/training/{run_id}")
    def training(request: Request, run_id: RowId) -> Response:
        """The run's status, progress and log tail: the fragment the models page polls."""
        visit = pages.visit(request)
        visit.require_admin()
        run = pages.store().training_runs.get(run_id)
        if run is None:
            raise NotFound()
        return pages.render(visit, "_training_run.html", run=run)

    @router.get("/models/{model_id}/compare")
    def comparison(request: Request, model_id: str) -> Response:
        visit = pages.visit(request)
        visit.require_admin()
        return _compare_page(visit, _model(model_id))

    def _compare_page(visit: Visit, model: RegisteredModel, http_status: int = 200, error: Optional[str] = None,
                      notice: Optional[str] = None) -> Response:
        store = pages.store()
        active = store.models.active()
        result: Optional[Comparison] = None
        not_comparable = None
        if active is not None and active.model.id != model.id:
            try:
                result = compare(model.scores, active.model.scores)
            except NotComparable as reason:
                not_comparable = str(reason)
        return pages.render(
            visit, "model_compare.html", http_status=http_status, model=model,
            active=active.model if active else None, comparison=result, not_comparable=not_comparable,
            newly_wrong=result.newly_wrong[:NEWLY_WRONG_SHOWN] if result else [],
            pending=store.model_switches.pending(model.id), error=error, notice=notice,
        )

    @router.post("/models/{model_id}/activate")
    def activate(request: Request, model_id: str, csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        model = _model(model_id)
        store = pages.store()
        active = store.models.active()
        regressions = regressions_against_active(model, active.model if active else None)
        try:
            outcome = store.model_switches.switch_on(model.id, Actor(viewer.email, viewer.staff_id), regressions)
        except SwitchRefused as refused:
            return _compare_page(visit, model, http_status=409, error=refused.code)
        except ModelRegistryError:
            raise NotFound()
        if outcome == ACTIVATED:
            return pages.finish(visit, RedirectResponse("/console/models?notice=activated", status_code=303))
        return _compare_page(visit, model, http_status=202, notice="awaiting_second_admin")

    @router.post("/models/rollback")
    def rollback(request: Request, csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        try:
            pages.store().model_switches.rollback(Actor(viewer.email, viewer.staff_id))
        except ModelRegistryError as error:
            return _list_page(visit, http_status=409, error="nothing_to_roll_back", detail=str(error))
        return pages.finish(visit, RedirectResponse("/console/models?notice=rolled_back", status_code=303))

    @router.post("/models/{model_id}/rollback")
    def roll_back_to(request: Request, model_id: str, csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        model = _model(model_id)
        try:
            pages.store().model_switches.roll_back_to(model.id, Actor(viewer.email, viewer.staff_id))
        except SwitchRefused as refused:
            return _list_page(visit, http_status=409, error=refused.code)
        return pages.finish(visit, RedirectResponse("/console/models?notice=rolled_back", status_code=303))

    return router
