"""The bot's own wording in the console (ministry admins): greetings, menus, fallbacks, handoff and
notification texts, each in Arabic and English, previewed as WhatsApp and SMS would send them
(segments, cost) before saving. A save is one store transaction with its audit entry and a new
catalog generation, so every process answers with the new text within about a second
(catalog/live.py) and no cached answer keeps the old one. Texts are shown escaped (Jinja2) and sent
as plain text; markup, control characters, over-long texts and changed {placeholders} are refused."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from actions.catalog_access import seed_wording_into
from catalog.replies import MAX_REPLY_CHARS, placeholders, seed_wording, wording_problem
from console.context import NotFound, Pages, Visit
from console.preview import ChannelPreview, PreviewTools, render_on_channels
from core.messages import BotReply
from store.audit import Actor
from store.replies import LANGUAGES, ReplyStoreError

# What a preview fills the {placeholders} with: plausible values, so length and segments are real.
SAMPLES = {
    "ar": {"ticket": "T-000123", "agency": "دائرة الأحوال المدنية والجوازات", "service": "تجديد جواز السفر",
           "stop": "ايقاف CSPD", "topics": "جواز السفر", "keywords": "جواز، هوية، رخصة", "number": "2026-000123",
           "date": "2026-12-20", "document": "جواز السفر", "when": "ينتهي بعد 30 يومًا", "code": "CSPD"},
    "en": {"ticket": "T-000123", "agency": "Civil Status and Passports Department", "service": "Passport renewal",
           "stop": "STOP CSPD", "topics": "passport", "keywords": "passport, ID card, licence", "number": "2026-000123",
           "date": "2026-12-20", "document": "passport", "when": "expires in 30 days", "code": "CSPD"},
}
# Keys shown first, by what staff look for: the greeting, the menus, the fallbacks, the handoff.
GROUPS = (
    ("wording_greetings", ("greet", "goodbye", "thank", "affirm", "deny", "help", "bot_challenge")),
    ("wording_menus", ("list_agencies", "list_services_of", "more_agencies", "menu_button", "choose_service",
                       "choose_button", "which_service", "more_about", "talk_to_agent", "menu_out_of_range")),
    ("wording_fallbacks", ("default_fallback", "not_understood", "out_of_scope", "no_service", "not_in_catalog", "not_in_catalog_named",
                           "closest_services", "still_about", "apology", "media_not_supported", "slow_down",
                           "nothing_more")),
    ("wording_handoff", ("handoff", "handoff_queued", "complaint", "complaint_queued", "handoff_taken",
                         "agent_reply_heading", "handed_back")),
)


@dataclass
class WordingForm:
    texts: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def read_wording_form(key: str, posted: dict[str, str]) -> WordingForm:
    form = WordingForm()
    for lang in LANGUAGES:
        text = (posted.get(f"text_{lang}") or "").replace("\r\n", "\n").replace("\r", "\n").strip()
        form.texts[lang] = text
        problem = wording_problem(key, text)
        if problem:
            form.errors[lang] = problem
    return form


def preview_wording(tools: PreviewTools, key: str, texts: dict[str, str]) -> dict[str, list[ChannelPreview]]:
    """Each language's text, its placeholders filled with samples, as each channel would send it."""
    shown = {}
    for lang in LANGUAGES:
        names = placeholders(texts[lang])
        filled = texts[lang].format(**{n: SAMPLES[lang].get(n, n) for n in names}) if names else texts[lang]
        shown[lang] = render_on_channels(tools, BotReply(filled, language=lang))
    return shown


def wording_router(pages: Pages, preview_tools: Optional[Callable[[], Optional[PreviewTools]]] = None) -> APIRouter:
    router = APIRouter()
    seeded: list[bool] = []

    def _store() -> Any:
        store = pages.store()
        if not seeded:  # the service seeds at start-up; a console mounted alone does it here
            seed_wording_into(store)
            seeded.append(True)
        return store

    @router.get("/wording")
    def wording(request: Request) -> Response:
        visit = pages.visit(request)
        visit.require_admin()
        rows = {row.key: row for row in _store().replies.all()}
        grouped = [(title, [rows[k] for k in keys if k in rows]) for title, keys in GROUPS]
        listed = {k for _, keys in GROUPS for k in keys}
        grouped.append(("wording_other", [row for key, row in rows.items() if key not in listed]))
        return pages.render(visit, "wording.html", groups=grouped)

    def _page(visit: Visit, key: str, form: Optional[WordingForm] = None, *, http_status: int = 200,
              saved: bool = False, preview: Optional[dict[str, list[ChannelPreview]]] = None,
              preview_available: bool = True) -> Response:
        row = _store().replies.get(key)
        if row is None:
            raise NotFound()
        seed = seed_wording().get(key) or {"ar": "", "en": ""}
        return pages.render(
            visit, "wording_entry.html", http_status=http_status, row=row, texts=form.texts if form else row.texts(),
            errors=form.errors if form else {}, seed=seed, names=placeholders(seed["ar"] or seed["en"]),
            saved=saved, preview=preview, preview_available=preview_available, max_chars=MAX_REPLY_CHARS,
        )

    @router.get("/wording/{key}")
    def entry(request: Request, key: str, saved: str = "") -> Response:
        visit = pages.visit(request)
        visit.require_admin()
        return _page(visit, key[:64], saved=bool(saved))

    @router.post("/wording/{key}")
    async def edit(request: Request, key: str) -> Response:
        visit = await asyncio.to_thread(pages.visit, request)
        viewer = visit.require_admin()
        posted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        visit.check_csrf(posted.get("csrf_token", ""))
        key = key[:64]
        if await asyncio.to_thread(lambda: _store().replies.get(key)) is None:
            raise NotFound()
        form = read_wording_form(key, posted)
        if posted.get("action") == "preview":
            tools = preview_tools() if preview_tools is not None else None
            if tools is None or form.errors:
                return await asyncio.to_thread(_page, visit, key, form, http_status=400 if form.errors else 200,
                                               preview_available=tools is not None)
            return await asyncio.to_thread(_page, visit, key, form, preview=preview_wording(tools, key, form.texts))
        if form.errors:
            return await asyncio.to_thread(_page, visit, key, form, http_status=400)
        try:
            await asyncio.to_thread(pages.store().replies.update, key, form.texts, Actor(viewer.email, viewer.staff_id))
        except ReplyStoreError:
            raise NotFound() from None
        return pages.finish(visit, RedirectResponse(f"/console/wording/{key}?saved=1", status_code=303))

    return router
