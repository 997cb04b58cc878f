"""Intents and their examples (/console/intents, ministry admins): the training data as it stands
(data/nlu/ with every curated change), where an admin adds an example, moves one to another intent,
renames or merges an intent. Each is a curated change in the store (store/curation.py), applied
when the next training snapshot is built; the files are never edited.

Checks: an example whose normalised text (what the model reads) the intent already has is refused;
one another intent has is shown with a warning and needs a second, confirmed submit. The intents
the dialogue's rules act on (domain.yml) keep their names: renaming or merging one away is refused.
"""

from __future__ import annotations

import asyncio
from typing import Optional
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from console.context import NotFound, Pages, Visit
from console.training_view import TrainingData, training_data
from nlu.model_text import model_text
from store.audit import Actor
from store.curation import INTENT_NAME, MAX_EXAMPLE_CHARS, CurationRefused


def intent_router(pages: Pages) -> APIRouter:
    router = APIRouter()

    async def _data() -> TrainingData:
        return await asyncio.to_thread(training_data, pages.store())

    @router.get("/intents")
    async def intents(request: Request) -> Response:
        visit = await asyncio.to_thread(pages.visit, request)
        visit.require_admin()
        data = await _data()
        changes = await asyncio.to_thread(pages.store().curation.recent_changes)
        return await asyncio.to_thread(pages.render, visit, "intents.html", data=data, changes=changes)

    @router.get("/intents/{intent}")
    async def intent_page(request: Request, intent: str) -> Response:
        visit = await asyncio.to_thread(pages.visit, request)
        visit.require_admin()
        data = await _data()
        if intent not in data.examples:
            raise NotFound()
        return await asyncio.to_thread(_page, visit, data, intent, done=request.query_params.get("done", ""))

    def _page(visit: Visit, data: TrainingData, intent: str, *, http_status: int = 200, error: Optional[str] = None,
              warning: Optional[str] = None, text: str = "", done: str = "") -> Response:
        return pages.render(visit, "intent.html", http_status=http_status, data=data, intent=intent,
                            examples=data.examples[intent], error=error, warning=warning, text=text, done=done,
                            model_text=model_text)

    @router.post("/intents/new")
    async def new_intent(request: Request) -> Response:
        """A new intent with its first example (which no intent may have already: move it instead)."""
        visit = await asyncio.to_thread(pages.visit, request)
        viewer = visit.require_admin()
        posted = await request.form()
        visit.check_csrf(str(posted.get("csrf_token", "")))
        data = await _data()
        name = str(posted.get("intent", "")).strip()
        text = " ".join(str(posted.get("text", "")).split())
        key = await asyncio.to_thread(_refusal, data, name, text, new=True)
        if key is None:
            key = await _add(viewer, name, text)
        if key is not None:
            return pages.render(visit, "refused.html", http_status=400, message=key)
        return pages.finish(visit, RedirectResponse(f"/console/intents/{quote(name)}?done=added", status_code=303))

    @router.post("/intents/{intent}/examples")
    async def add_example(request: Request, intent: str) -> Response:
        visit = await asyncio.to_thread(pages.visit, request)
        viewer = visit.require_admin()
        posted = await request.form()
        visit.check_csrf(str(posted.get("csrf_token", "")))
        data = await _data()
        if intent not in data.examples:
            raise NotFound()
        text = " ".join(str(posted.get("text", "")).split())
        key = await asyncio.to_thread(_refusal, data, intent, text, new=False)
        owner = data.intent_of.get(model_text(text))
        if key is None and owner is not None and posted.get("confirm") != "1":
            # Another intent has it: the model would learn both; shown, and added only if confirmed.
            return await asyncio.to_thread(_page, visit, data, intent, http_status=409, warning=owner, text=text)
        if key is None:
            key = await _add(viewer, intent, text)
        if key is not None:
            return await asyncio.to_thread(_page, visit, data, intent, http_status=400, error=key, text=text)
        return pages.finish(visit, RedirectResponse(f"/console/intents/{quote(intent)}?done=added", status_code=303))

    def _refusal(data: TrainingData, intent: str, text: str, *, new: bool) -> Optional[str]:
        """Why this example cannot be added to `intent`, or None."""
        if new and (not INTENT_NAME.match(intent) or intent in data.examples):
            return "intent_new_name_taken" if intent in data.examples else "curation_bad_intent_name"
        if not text:
            return "curation_empty_example"
        if len(text) > MAX_EXAMPLE_CHARS:
            return "curation_example_too_long"
        norm = model_text(text)
        owner = data.intent_of.get(norm)
        if owner == intent:
            return "intent_duplicate"
        if new and owner is not None:
            return "intent_elsewhere_new"
        if norm in pages.store().curation.held_out_normalized():
            return "intent_held_out"
        return None

    async def _add(viewer, intent: str, text: str) -> Optional[str]:
        try:
            await asyncio.to_thread(pages.store().curation.add_example, intent, text, model_text(text),
                                    Actor(viewer.email, viewer.staff_id))
        except CurationRefused as refused:
            return f"curation_{refused}"
        return None

    @router.post("/intents/{intent}/move")
    async def move_example(request: Request, intent: str) -> Response:
        visit = await asyncio.to_thread(pages.visit, request)
        viewer = visit.require_admin()
        posted = await request.form()
        visit.check_csrf(str(posted.get("csrf_token", "")))
        data = await _data()
        text = str(posted.get("text", ""))
        to = str(posted.get("to", "")).strip()
        if intent not in data.examples or text not in data.examples[intent]:
            raise NotFound()
        if to not in data.examples or to == intent:
            return _page(visit, data, intent, http_status=400, error="intent_move_target")
        await asyncio.to_thread(pages.store().curation.move_example, text, intent, to, Actor(viewer.email, viewer.staff_id))
        return pages.finish(visit, RedirectResponse(f"/console/intents/{quote(intent)}?done=moved", status_code=303))

    @router.post("/intents/{intent}/rename")
    async def rename(request: Request, intent: str) -> Response:
        """To a new name: a rename; to an existing intent: a merge into it."""
        visit = await asyncio.to_thread(pages.visit, request)
        viewer = visit.require_admin()
        posted = await request.form()
        visit.check_csrf(str(posted.get("csrf_token", "")))
        data = await _data()
        if intent not in data.examples:
            raise NotFound()
        to = str(posted.get("to", "")).strip()
        if intent in data.dialogue:
            return _page(visit, data, intent, http_status=400, error="intent_dialogue_needs_it")
        if not INTENT_NAME.match(to) or to == intent:
            return _page(visit, data, intent, http_status=400, error="curation_bad_intent_name")
        merge = to in data.examples
        await asyncio.to_thread(pages.store().curation.rename_intent, intent, to, Actor(viewer.email, viewer.staff_id),
                                merge=merge)
        return pages.finish(visit, RedirectResponse(f"/console/intents/{quote(to)}?done={'merged' if merge else 'renamed'}",
                                                    status_code=303))

    return router
