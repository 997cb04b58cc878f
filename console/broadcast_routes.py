"""Broadcasts (a liaison officer's manual push) and the requests to the ministry for credit and
sender IDs. A liaison officer works only their agency's; a ministry admin any agency's, approves
large broadcasts and decides requests. Everything that changes something is a CSRF-checked form
and lands in the audit log (the store writes it in the same transaction)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

import yaml
from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import JSONResponse, RedirectResponse, Response

from console.broadcast_hooks import BroadcastHooks
from console.context import NotFound, Pages, Visit
from console.roles import Viewer
from console.row_ids import RowId
from routing.billing import BodyType, MessageKind, charge
from store.audit import Actor
from catalog.alert_topics import TOPIC_NAMES, TOPICS  # the topics a broadcast may go to
from store.broadcasts import (
    AWAITING_APPROVAL,
    CANCELLED,
    DONE,
    DRAFT,
    PAUSED,
    SCHEDULED,
    SENDING,
    parse_phone_csv,
)
from store.models import Broadcast, CreditRequest, SenderIdRequest
from store.staff import LIAISON_OFFICER, MINISTRY_ADMIN
from store.staff_requests import RequestError

TEMPLATES_FILE = Path(__file__).resolve().parents[1] / "data" / "whatsapp_templates.yml"
CATEGORIES = (MessageKind.AWARENESS, MessageKind.PROMOTIONAL, MessageKind.INTERNAL, MessageKind.TRANSACTION_STATUS)
MAX_TEXT = 1000
MAX_CSV_BYTES = 900_000  # under the console's 1 MB form limit


def broadcast_templates() -> list[str]:
    """The approved WhatsApp templates a broadcast may use outside the window (kinds named broadcast_*)."""
    try:
        data = yaml.safe_load(TEMPLATES_FILE.read_text(encoding="utf-8")) or {}
    except OSError:
        return []
    return sorted(kind for kind in (data.get("templates") or {}) if kind.startswith("broadcast_"))


def _may_broadcast(viewer: Viewer) -> bool:
    return viewer.role in (LIAISON_OFFICER, MINISTRY_ADMIN)


def _actor(viewer: Viewer) -> Actor:
    return Actor(viewer.email, viewer.staff_id)


def broadcast_router(pages: Pages, catalog, hooks: BroadcastHooks) -> APIRouter:  # type: ignore[no-untyped-def]
    router = APIRouter()

    def _viewer(visit: Visit) -> Viewer:
        viewer = visit.require_viewer()
        if not _may_broadcast(viewer):
            raise NotFound()
        return viewer

    def _own(viewer: Viewer, broadcast_id: int) -> Broadcast:
        broadcast = pages.store().broadcasts.get(broadcast_id)
        if broadcast is None or (viewer.scope is not None and broadcast.agency_id != viewer.scope):
            raise NotFound()  # another agency's broadcast looks like none at all
        return broadcast

    def _cost(text: str, category: str, independent: bool) -> dict:
        segments = hooks.sms_segments(text) if text else 0
        priced = charge(category, BodyType.INDEPENDENT if independent else BodyType.GOVERNMENT, segments)
        return {"segments": segments, "characters": len(text), "cost": f"{priced.sms_cost:.6f}",
                "agency_pays": f"{priced.body_pays:.6f}"}

    def _agency_choices(viewer: Viewer):  # type: ignore[no-untyped-def]
        store = pages.store()
        return store.agencies.all() if viewer.is_admin else [store.agencies.get(viewer.agency_id)]

    def _compose(visit: Visit, viewer: Viewer, http_status: int = 200, error: Optional[str] = None,
                 form: Optional[dict] = None) -> Response:
        form = form or {"title": "", "text_ar": "", "text_en": "", "category": "awareness", "template": "",
                        "source": "csv", "topic": TOPICS[0], "service": "", "since": "", "until": "",
                        "send_at": "", "agency": viewer.agency_id or ""}
        agency = pages.store().agencies.get(form.get("agency") or viewer.agency_id) if (form.get("agency") or viewer.agency_id) else None
        independent = bool(agency and agency.independent)
        services = [s for s in catalog().services.values() if viewer.sees_service(s.id)]
        return pages.render(
            visit, "broadcast_compose.html", http_status=http_status, error=error, form=form,
            categories=[c.value for c in CATEGORIES], templates=broadcast_templates(), topics=TOPICS, topic_names=TOPIC_NAMES,
            services=sorted(services, key=lambda s: s.id), agencies=_agency_choices(viewer),
            cost_ar=_cost(form["text_ar"], form["category"], independent),
            cost_en=_cost(form["text_en"], form["category"], independent),
            policy=pages.store().broadcasts.policy(),
        )

    @router.get("/broadcasts")
    def listing(request: Request) -> Response:
        visit = pages.visit(request)
        viewer = _viewer(visit)
        store = pages.store()
        return pages.render(visit, "broadcasts.html", broadcasts=store.broadcasts.for_agency(viewer.scope),
                            policy=store.broadcasts.policy(), error=None)

    @router.post("/broadcasts/policy")
    def set_policy(request: Request, approval_threshold: str = Form(""), quiet_start: str = Form("21:00"),
                   quiet_end: str = Form("08:00"), csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        store = pages.store()
        try:
            threshold = int(approval_threshold) if approval_threshold.strip() else None
            if threshold is not None and threshold < 0:
                raise ValueError(threshold)
            store.broadcasts.set_policy(approval_threshold=threshold, quiet_start=quiet_start.strip(),
                                        quiet_end=quiet_end.strip(), actor=_actor(viewer))
        except ValueError:
            return pages.render(visit, "broadcasts.html", http_status=400, broadcasts=store.broadcasts.for_agency(None),
                                policy=store.broadcasts.policy(), error="bad_policy")
        return pages.finish(visit, RedirectResponse("/console/broadcasts", status_code=303))

    @router.get("/broadcasts/new")
    def compose(request: Request) -> Response:
        visit = pages.visit(request)
        return _compose(visit, _viewer(visit))

    @router.post("/broadcasts/segments")
    def segments(request: Request, text_ar: str = Form(""), text_en: str = Form(""), category: str = Form("awareness"),
                 agency: str = Form(""), csrf_token: str = Form("")) -> Response:
        """The live count under the text boxes (console/static/compose.js posts here as one types)."""
        visit = pages.visit(request)
        viewer = _viewer(visit)
        visit.check_csrf(csrf_token)
        if category not in {c.value for c in CATEGORIES}:
            return JSONResponse({"error": "bad_category"}, status_code=400)
        record = pages.store().agencies.get(agency if viewer.is_admin and agency else viewer.agency_id or "")
        independent = bool(record and record.independent)
        body = {"ar": _cost(text_ar[:MAX_TEXT], category, independent), "en": _cost(text_en[:MAX_TEXT], category, independent)}
        return pages.finish(visit, JSONResponse(body))

    @router.post("/broadcasts")
    async def create(request: Request, title: str = Form(""), text_ar: str = Form(""), text_en: str = Form(""),
                     category: str = Form("awareness"), template: str = Form(""), source: str = Form("csv"),
                     topic: str = Form(""), service: str = Form(""), since: str = Form(""), until: str = Form(""),
                     send_at: str = Form(""), agency: str = Form(""), action: str = Form("save"),
                     numbers: Optional[UploadFile] = File(None), csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = _viewer(visit)
        visit.check_csrf(csrf_token)
        agency_id = agency if viewer.is_admin else viewer.agency_id
        form = {"title": title[:128], "text_ar": text_ar[:MAX_TEXT], "text_en": text_en[:MAX_TEXT], "category": category,
                "template": template, "source": source, "topic": topic, "service": service, "since": since,
                "until": until, "send_at": send_at, "agency": agency_id or ""}
        store = pages.store()
        if category not in {c.value for c in CATEGORIES}:
            form["category"] = "awareness"
            return _compose(visit, viewer, 400, "bad_category", form)
        if action == "preview":
            return _compose(visit, viewer, 200, None, form)
        record = store.agencies.get(agency_id or "")
        if record is None:
            return _compose(visit, viewer, 400, "choose_agency", form)
        if not text_ar.strip() and not text_en.strip():
            return _compose(visit, viewer, 400, "broadcast_needs_text", form)
        if len(text_ar) > MAX_TEXT or len(text_en) > MAX_TEXT:
            return _compose(visit, viewer, 400, "broadcast_text_too_long", form)
        if template and template not in broadcast_templates():
            return _compose(visit, viewer, 400, "bad_template", form)
        when = _local_time(send_at)
        if send_at.strip() and when is None:
            return _compose(visit, viewer, 400, "bad_date", form)
        spec: Optional[dict] = None
        csv_rows: list = []
        if source == "csv":
            data = await numbers.read(MAX_CSV_BYTES + 1) if numbers is not None else b""
            if len(data) > MAX_CSV_BYTES:
                return _compose(visit, viewer, 400, "csv_too_large", form)
            csv_rows, bad = parse_phone_csv(data)
            if not csv_rows:
                return _compose(visit, viewer, 400, "csv_no_numbers", form)
            spec = {"file": (numbers.filename or "")[:128] if numbers else "", "not_numbers": bad}
        elif source == "topic":
            if topic not in TOPICS:
                return _compose(visit, viewer, 400, "bad_topic", form)
            spec = {"topic": topic}
        elif source == "asked":
            if not viewer.sees_service(service) or catalog().service(service) is None or \
                    (record.id != service.split(".", 1)[0]):
                return _compose(visit, viewer, 400, "bad_service", form)
            start, end = _local_time(since), _local_time(until)
            if start is None or end is None or end <= start:
                return _compose(visit, viewer, 400, "bad_date", form)
            spec = {"service": service, "from": start.isoformat(), "until": end.isoformat()}
        else:
            return _compose(visit, viewer, 400, "bad_source", form)
        text_for_count = text_ar or text_en
        broadcast_id = store.broadcasts.create(
            agency_id=record.id, title=title or text_for_count[:40], text_ar=text_ar, text_en=text_en,
            template=template or None, category=category, source=source, spec=spec, send_at=when,
            segments_ar=hooks.sms_segments(text_ar) if text_ar else 0,
            segments_en=hooks.sms_segments(text_en) if text_en else 0, actor=_actor(viewer),
        )
        if source == "csv":
            store.broadcasts.add_numbers(broadcast_id, csv_rows)
        elif source == "topic":
            store.broadcasts.expand(broadcast_id, subscribers_of=topic)
        else:
            store.broadcasts.expand(broadcast_id, asked_services=[service], asked_from=_local_time(since),
                                    asked_until=_local_time(until))
        store.broadcasts.apply_opt_outs(broadcast_id, record.id)
        return pages.finish(visit, RedirectResponse(f"/console/broadcasts/{broadcast_id}", status_code=303))

    def _detail(visit: Visit, viewer: Viewer, broadcast: Broadcast, http_status: int = 200,
                error: Optional[str] = None) -> Response:
        store = pages.store()
        agency = store.agencies.get(broadcast.agency_id)
        delivery = store.broadcasts.delivery(broadcast.id).as_dict()
        policy = store.broadcasts.policy()
        body = BodyType.INDEPENDENT if agency.independent else BodyType.GOVERNMENT
        worst = max(broadcast.segments_ar or 0, broadcast.segments_en or 0, 1)
        per_recipient = charge(broadcast.category, body, worst)
        count = broadcast.recipients_count
        estimate = {
            "messages": count,
            "sms_cost": f"{per_recipient.sms_cost * count:.3f}",
            "agency_pays": f"{per_recipient.body_pays * count:.3f}",
            "per_recipient": f"{per_recipient.sms_cost:.6f}",
        }
        remaining = agency.message_credit
        over_credit = remaining is not None and count > remaining and broadcast.status in (DRAFT, AWAITING_APPROVAL, PAUSED)
        needs_approval = (policy.approval_threshold is not None and count > policy.approval_threshold
                          and broadcast.approved_by is None)
        # Delivery reports keep arriving after the last message went: a finished broadcast's page
        # follows them too.
        live = broadcast.status in (SCHEDULED, SENDING, DONE)
        return pages.render(visit, "broadcast.html", http_status=http_status, b=broadcast, agency=agency,
                            delivery=delivery, estimate=estimate, remaining=remaining, over_credit=over_credit,
                            needs_approval=needs_approval, policy=policy, live=live, error=error,
                            send_at_local=_show_local(broadcast.send_at))

    @router.get("/broadcasts/{broadcast_id}")
    def detail(request: Request, broadcast_id: RowId) -> Response:
        visit = pages.visit(request)
        viewer = _viewer(visit)
        return _detail(visit, viewer, _own(viewer, broadcast_id))

    @router.get("/broadcasts/{broadcast_id}/progress")
    def progress_json(request: Request, broadcast_id: RowId) -> Response:
        visit = pages.visit(request)
        viewer = _viewer(visit)
        broadcast = _own(viewer, broadcast_id)
        delivery = pages.store().broadcasts.delivery(broadcast.id)
        return pages.finish(visit, JSONResponse({"status": broadcast.status, **delivery.as_dict()}))

    @router.post("/broadcasts/{broadcast_id}/{action}")
    async def act(request: Request, broadcast_id: RowId, action: str, csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = _viewer(visit)
        visit.check_csrf(csrf_token)
        broadcast = _own(viewer, broadcast_id)
        store = pages.store()
        repo = store.broadcasts
        actor = _actor(viewer)
        error = None
        if action == "send":
            error = _refusal(broadcast)
            if error is None:
                policy = repo.policy()
                if (policy.approval_threshold is not None and broadcast.recipients_count > policy.approval_threshold
                        and not viewer.is_admin):
                    if not repo.move(broadcast.id, (DRAFT,), AWAITING_APPROVAL, actor=actor):
                        error = "broadcast_changed"
                elif repo.move(broadcast.id, (DRAFT,), SCHEDULED, actor=actor, approved=viewer.is_admin):
                    await hooks.start_sending(broadcast.id, broadcast.send_at)
                else:
                    error = "broadcast_changed"
        elif action in ("approve", "decline"):
            if not viewer.is_admin:
                raise NotFound()
            if action == "approve":
                error = _refusal(broadcast)
                if error is None:
                    if repo.move(broadcast.id, (AWAITING_APPROVAL,), SCHEDULED, actor=actor, approved=True):
                        await hooks.start_sending(broadcast.id, broadcast.send_at)
                    else:
                        error = "broadcast_changed"
            elif not repo.move(broadcast.id, (AWAITING_APPROVAL,), CANCELLED, actor=actor, reason="declined"):
                error = "broadcast_changed"
        elif action == "pause":
            if not repo.move(broadcast.id, (SCHEDULED, SENDING), PAUSED, actor=actor, reason="paused by staff"):
                error = "broadcast_changed"
        elif action == "resume":
            error = _refusal(broadcast, resuming=True)
            if error is None:
                if repo.move(broadcast.id, (PAUSED,), SCHEDULED, actor=actor, reason=""):
                    await hooks.start_sending(broadcast.id, None)
                else:
                    error = "broadcast_changed"
        elif action == "cancel":
            if not repo.move(broadcast.id, (DRAFT, AWAITING_APPROVAL, SCHEDULED, SENDING, PAUSED), CANCELLED,
                             actor=actor, reason="cancelled by staff"):
                error = "broadcast_changed"
        else:
            raise NotFound()
        if error:
            return _detail(visit, viewer, repo.get(broadcast.id), http_status=409 if error == "broadcast_changed" else 402,
                           error=error)
        return pages.finish(visit, RedirectResponse(f"/console/broadcasts/{broadcast.id}", status_code=303))

    def _refusal(broadcast: Broadcast, resuming: bool = False) -> Optional[str]:
        """Why this broadcast may not be sent now, or None. Over the credit: refused with the
        numbers (urgent transaction-status broadcasts too: a broadcast is never urgent)."""
        store = pages.store()
        if broadcast.status in (CANCELLED, DONE):
            return "broadcast_changed"
        agency = store.agencies.get(broadcast.agency_id)
        needed = store.broadcasts.progress(broadcast.id).queued if resuming else broadcast.recipients_count
        if needed == 0 and not resuming:
            return "broadcast_no_recipients"
        if agency.message_credit is not None and needed > agency.message_credit:
            return "broadcast_over_credit"
        return None

    # --- credit and sender-ID requests ---------------------------------------------------------

    def _requests_page(visit: Visit, viewer: Viewer, http_status: int = 200, error: Optional[str] = None) -> Response:
        store = pages.store()
        agency = store.agencies.get(viewer.agency_id) if viewer.agency_id else None
        return pages.render(visit, "requests.html", http_status=http_status, error=error, agency=agency,
                            credit_requests=store.requests.listing(CreditRequest, viewer.scope),
                            sender_requests=store.requests.listing(SenderIdRequest, viewer.scope))

    @router.get("/requests")
    def requests_page(request: Request) -> Response:
        visit = pages.visit(request)
        return _requests_page(visit, _viewer(visit))

    @router.post("/requests/credit")
    def ask_credit(request: Request, amount: str = Form(""), reason: str = Form(""), csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = _viewer(visit)
        visit.check_csrf(csrf_token)
        if not viewer.agency_id:
            return _requests_page(visit, viewer, 400, "requests_for_agencies")
        try:
            pages.store().requests.ask_credit(viewer.agency_id, int(amount or 0), reason, _actor(viewer))
        except (ValueError, RequestError):
            return _requests_page(visit, viewer, 400, "bad_amount")
        return pages.finish(visit, RedirectResponse("/console/requests", status_code=303))

    @router.post("/requests/sender-id")
    def ask_sender_id(request: Request, sender_id: str = Form(""), reason: str = Form(""),
                      csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = _viewer(visit)
        visit.check_csrf(csrf_token)
        if not viewer.agency_id:
            return _requests_page(visit, viewer, 400, "requests_for_agencies")
        try:
            pages.store().requests.ask_sender_id(viewer.agency_id, sender_id, reason, _actor(viewer))
        except RequestError as error:
            return _requests_page(visit, viewer, 400, error.code)
        return pages.finish(visit, RedirectResponse("/console/requests", status_code=303))

    @router.post("/requests/{kind}/{request_id}/{decision}")
    def decide(request: Request, kind: str, request_id: RowId, decision: str, csrf_token: str = Form("")) -> Response:
        visit = pages.visit(request)
        viewer = visit.require_admin()
        visit.check_csrf(csrf_token)
        model = {"credit": CreditRequest, "sender-id": SenderIdRequest}.get(kind)
        if model is None or decision not in ("approve", "decline"):
            raise NotFound()
        if not pages.store().requests.decide(model, request_id, decision == "approve", _actor(viewer)):
            return _requests_page(visit, viewer, 409, "request_decided")
        return pages.finish(visit, RedirectResponse("/console/requests", status_code=303))

    return router


AMMAN = ZoneInfo("Asia/Amman")


def _local_time(value: str) -> Optional[datetime]:
    """A datetime-local field (Amman time) as an aware UTC datetime; None when empty or bad."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=AMMAN)
    return parsed.astimezone(ZoneInfo("UTC"))


def _show_local(value: Optional[datetime]) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(AMMAN).strftime("%Y-%m-%d %H:%M")


__all__ = ["broadcast_router", "broadcast_templates"]
