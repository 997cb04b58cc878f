"""The inbox of missed messages (/console/inbox): what the bot did not understand, grouped by meaning,
biggest groups first, and what staff make of each message or group: "this is intent X (and
service Y)" (training examples), "a new question for service Y" (its answer editor), "out of
scope", "dismiss". Ministry admins see every message; liaison officers those whose guessed service
is their agency's (404 for any other, by URL or by a forged form); agents none."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Optional
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from catalog.services import Catalog
from console.context import NotFound, Pages, Visit
from console.filters import day_end, day_start
from console.roles import Viewer
from console.training_view import training_data
from nlu.meaning_groups import group_by_meaning
from nlu.model_text import model_text
from store.audit import Actor
from store.curation import CurationRefused
from store.inbox import DISMISSED, NEW_QUESTION, OUT_OF_SCOPE, MissedFilter, MissedMessage
from store.staff import LIAISON_OFFICER, MINISTRY_ADMIN

CHANNELS = ("whatsapp", "sms")
LANGUAGES = ("ar", "en", "arabizi")
ACTIONS = ("label", "new_question", "out_of_scope", "dismiss")
DONE_FIELDS = ("done", "n", "added", "held", "dup", "elsewhere", "intent")  # what the last action did
MAX_IDS = 1000  # one group's form at most: more is not a form a person sent


@dataclass(frozen=True)
class Group:
    messages: list[MissedMessage]
    normalized: dict[int, str]  # message id -> what the model reads

    @property
    def key(self) -> int:
        return self.messages[0].id

    @property
    def guess(self) -> tuple[Optional[str], Optional[str]]:
        """The bot's most frequent guess in the group: (intent, service)."""
        intent = Counter(m.intent for m in self.messages if m.intent).most_common(1)
        service = Counter(m.service_id for m in self.messages if m.service_id).most_common(1)
        return (intent[0][0] if intent else None), (service[0][0] if service else None)


def require_curator(visit: Visit) -> Viewer:
    """Ministry admins and liaison officers curate; anyone else is told there is nothing here."""
    viewer = visit.require_viewer()
    if viewer.role not in (MINISTRY_ADMIN, LIAISON_OFFICER):
        raise NotFound()
    return viewer


def inbox_router(pages: Pages, catalog: Callable[[], Catalog]) -> APIRouter:
    router = APIRouter()

    def services_for(viewer: Viewer) -> list:
        return sorted((s for s in catalog().services.values() if viewer.sees_service(s.id)), key=lambda s: s.id)

    def groups_of(viewer: Viewer, where: MissedFilter) -> list[Group]:
        rows = pages.store().inbox.open(viewer.scope, where)
        grouped = group_by_meaning([m.text for m in rows])
        return [Group([rows[i] for i in members], {rows[i].id: model_text(rows[i].text) for i in members})
                for members in grouped]

    @router.get("/inbox")
    async def inbox(request: Request, agency: str = "", service: str = "", channel: str = "", language: str = "",
                    since: str = "", until: str = "") -> Response:
        visit = await asyncio.to_thread(pages.visit, request)
        viewer = require_curator(visit)
        form = {"agency": agency, "service": service, "channel": channel, "language": language, "since": since,
                "until": until}
        error = None
        try:
            start, end = day_start(since), day_end(until)
        except ValueError:
            error, start, end = "bad_date", None, None
        where = MissedFilter(
            agency_id=agency.strip() or None if viewer.is_admin else None, service_id=service.strip() or None,
            channel=channel if channel in CHANNELS else None, language=language if language in LANGUAGES else None,
            since=start, until=end,
        )
        # A liaison officer who names another agency's service sees nothing, as for an unknown one.
        groups = [] if where.service_id and not viewer.sees_service(where.service_id) else \
            await asyncio.to_thread(groups_of, viewer, where)
        data = await asyncio.to_thread(training_data, pages.store())
        agencies = await asyncio.to_thread(pages.store().agencies.all) if viewer.is_admin else []
        return await asyncio.to_thread(
            pages.render, visit, "inbox.html", groups=groups, form=form, error=error, intents=data.intents,
            services=services_for(viewer), agencies=agencies, channels=CHANNELS, languages=LANGUAGES,
            done={k: request.query_params.get(k, "") for k in DONE_FIELDS}, total=sum(len(g.messages) for g in groups),
            back="/console/inbox" + (("?" + urlencode({k: v for k, v in form.items() if v})) if any(form.values()) else ""),
        )

    @router.post("/inbox/resolve")
    async def resolve(request: Request) -> Response:
        visit = await asyncio.to_thread(pages.visit, request)
        viewer = require_curator(visit)
        posted = await request.form()
        visit.check_csrf(str(posted.get("csrf_token", "")))
        try:
            ids = [int(v) for v in posted.getlist("ids")][:MAX_IDS + 1]
        except ValueError:
            return _refused(pages, visit, "inbox_bad_form")
        if not ids or len(ids) > MAX_IDS:
            return _refused(pages, visit, "inbox_nothing_chosen")
        store = pages.store()
        items = await asyncio.to_thread(store.inbox.visible, viewer.scope, ids)
        if items is None:
            raise NotFound()  # resolved meanwhile, unknown, or another agency's: nothing to act on
        action = str(posted.get("action", ""))
        intent = str(posted.get("intent", "")).strip()
        service = str(posted.get("service", "")).strip() or None
        back = _safe_back(str(posted.get("back", "")))
        if service is not None:
            if catalog().service(service) is None:
                return _refused(pages, visit, "inbox_unknown_service")
            if not viewer.sees_service(service):
                raise NotFound()
        actor = Actor(viewer.email, viewer.staff_id)
        if action == "label":
            data = await asyncio.to_thread(training_data, store)
            if intent not in data.examples:
                return _refused(pages, visit, "inbox_unknown_intent")
            try:
                outcome = await asyncio.to_thread(
                    store.curation.label, items, intent, service, actor, model_text, data.intent_of)
            except CurationRefused as refused:
                return _refused(pages, visit, f"curation_{refused}")
            done = {"done": "labelled", "n": outcome.resolved, "added": outcome.added, "held": outcome.held_out,
                    "dup": len(outcome.duplicates), "elsewhere": len(outcome.elsewhere), "intent": intent}
            return pages.finish(visit, RedirectResponse(_with(back, done), status_code=303))
        if action == "new_question":
            if service is None:
                return _refused(pages, visit, "inbox_service_needed")
            await asyncio.to_thread(store.inbox_actions.resolve, items, NEW_QUESTION, actor, service)
            return pages.finish(visit, RedirectResponse(f"/console/services/{service}", status_code=303))
        if action in ("out_of_scope", "dismiss"):
            resolution = OUT_OF_SCOPE if action == "out_of_scope" else DISMISSED
            n = await asyncio.to_thread(store.inbox_actions.resolve, items, resolution, actor)
            return pages.finish(visit, RedirectResponse(_with(back, {"done": resolution, "n": n}), status_code=303))
        return _refused(pages, visit, "inbox_bad_form")

    return router


def _refused(pages: Pages, visit: Visit, key: str) -> Response:
    return pages.render(visit, "refused.html", http_status=400, message=key)


def _safe_back(value: str) -> str:
    """Back to the inbox with the filters it was on; never anywhere else (an open redirect)."""
    if value.startswith("/console/inbox") and "//" not in value and "\\" not in value:
        return value
    return "/console/inbox"


def _with(back: str, done: dict) -> str:
    base, _, query = back.partition("?")
    kept = [p for p in query.split("&") if p and p.split("=", 1)[0] not in DONE_FIELDS]
    return base + "?" + "&".join(kept + [urlencode(done)])
