"""The agency API as a FastAPI app of its own, mounted by bot/app.py at `/api/v1` (OpenAPI at
`/api/v1/docs`, the schema at `/api/v1/openapi.json`).

Agencies register transactions and their steps, and feed the records alerts are about (document
expiry dates, traffic violations) and subscribe citizens who asked at a counter.

Every call carries `Authorization: Bearer <key>` (`tawasol agency key ID`) and sees only its
agency's transactions: another agency's number is a 404, the same as an unknown one. Every POST
takes an `Idempotency-Key`: a retry answers the first answer and sends nothing twice; the same key
with another body is a 422. A refused request stores nothing and says why:
`{"error": "<code>", "reason": "<words>"}`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Optional

from fastapi import Depends, FastAPI, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.alert_routes import MAX_RECORDS_BYTES, add_alert_routes
from api.lifecycle import transition
from api.notifier import Notifier, language_of_citizen, payer_of
from api.schemas import ErrorOut, EventIn, NotificationIn, NotificationResult, TransactionIn, TransactionOut
from api.wording import opt_out_line
from billing.credit import CreditKeeper
from catalog.services import Catalog
from core.messages import BotReply, TemplateRef, utcnow
from pipeline.outbox import Outbox, PlannedPush
from routing.billing import MessageKind
from store import Store
from store.transactions import (
    Answer,
    IdempotencyClaim,
    IdempotencyKeyReused,
    NewEvent,
    NewTransaction,
    RegistryConflict,
    TransactionNotFound,
    TransactionView,
)

logger = logging.getLogger(__name__)

# Hands notification entry ids to the job engine (jobs.deferred: one job each); raises if it cannot.
Dispatch = Callable[[list[int]], Awaitable[None]]
# Asks the job engine to send a citizen's queued messages (citizen id, the message ids just
# queued: the job's id); raises if it cannot.
SendQueued = Callable[[int, list[int]], Awaitable[None]]

MAX_BODY_BYTES = 16 * 1024
FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks differ; a step days ahead is a mistake
NUMBER_PATH = Path(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# 400: a body that is not JSON at all (FastAPI refuses it before validation).
ERRORS = {status: {"model": ErrorOut} for status in (400, 401, 402, 404, 409, 413, 415, 422)}


class ApiError(Exception):
    def __init__(self, status_code: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.status_code, self.error, self.reason = status_code, error, reason


def _error(status_code: int, error: str, reason: str, headers: Optional[dict[str, str]] = None) -> JSONResponse:
    return JSONResponse({"error": error, "reason": reason}, status_code=status_code, headers=headers)


def _request_hash(request: Request, body: Any) -> str:
    canonical = json.dumps(body.dict() if body is not None else None, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.url.path}\n{canonical}".encode()).hexdigest()


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def record_json(view: TransactionView, *, full: bool = False) -> dict[str, Any]:
    """A transaction as the API shows it (TransactionOut); times in UTC, whatever zone they came in."""
    t = view.transaction
    body: dict[str, Any] = {
        "number": t.number,
        "agency_id": t.agency_id,
        "service_id": t.service_id,
        "citizen_phone": t.citizen_phone,
        "citizen_language": t.language,
        "registered_at": _utc(t.registered_at),
        "assigned_employee_phone": t.assigned_employee_phone,
        "manager_phone": t.manager_phone,
        "escalate_after_days": t.escalate_after_days,
        "state": t.state,
        "events": [
            {
                "id": e.id, "type": e.type, "at": _utc(e.at), "note": e.note, "destination": e.destination,
                "document_number": e.document_number, "employee_phone": e.employee_phone,
            }
            for e in view.events
        ],
    }
    if full:
        body["notifications"] = [
            {
                "event_id": n.event_id, "escalation_id": n.escalation_id, "recipient": n.recipient,
                "message_id": n.message_id, "channel": n.channel, "status": n.status, "sender": n.sender,
                "route_reason": n.route_reason, "route_cause": n.route_cause, "skipped": n.skipped,
                "text": n.text, "segments": n.segments,
                "timeline": [{"status": s.status, "at": _utc(s.at), "detail": s.detail} for s in n.timeline],
            }
            for n in view.notifications
        ]
        body["escalations"] = [
            {"period": e.period, "due_at": _utc(e.due_at), "sent_at": _utc(e.sent_at) if e.sent_at else None}
            for e in view.escalations
        ]
    return body


def create_api(
    *,
    store: Callable[[], Store],
    outbox: Callable[[], Outbox],
    catalog: Callable[[], Catalog],
    credit: Callable[[], Optional[CreditKeeper]] = lambda: None,
    dispatch: Callable[[], Optional[Dispatch]] = lambda: None,
    send_queued: Callable[[], Optional[SendQueued]] = lambda: None,
) -> FastAPI:
    """The API over the process's store and outbox (callables: they exist once the runtime started).
    `credit`: the agencies' message credit (billing/credit.py); None counts nothing. `dispatch`:
    how a step's notification entries reach the job engine (the bot layer's arq enqueue); None
    sends them in this process, after the step is stored. `send_queued`: how a one-off
    notification's queued messages reach the job engine; None sends them in this process."""
    api = FastAPI(
        title="Tawasol agency API",
        version="1",
        description=__doc__,
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )

    @api.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status_code, exc.error, exc.reason)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Routing's own refusals (no such path, a method the path has not): the same JSON shape
        # with a reason as every other refusal, not FastAPI's {"detail": …} (schemathesis found it).
        error = {400: "not_json", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, error, str(exc.detail), headers=getattr(exc, "headers", None))

    @api.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors()[:10]:
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
            problems.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
        return _error(422, "invalid_request", "; ".join(problems))

    @api.middleware("http")
    async def bounded_body(request: Request, call_next: Any) -> Any:
        length = request.headers.get("content-length")
        # A records upload is thousands of rows, read as it streams in (api/alert_routes.py counts
        # its bytes as they come); every other body is a small object.
        limit = MAX_RECORDS_BYTES if request.url.path.endswith("/records") else MAX_BODY_BYTES
        if length is not None and (not length.isdigit() or int(length) > limit):
            return _error(413, "body_too_large", f"a request body is at most {limit} bytes")
        return await call_next(request)

    async def agency_of(authorization: Optional[str] = Header(None)) -> str:
        scheme, _, key = (authorization or "").partition(" ")
        if not authorization or scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, "unauthorized", "send Authorization: Bearer <key> (tawasol agency key ID makes one)")
        agency_id = await asyncio.to_thread(store().agencies.agency_of_key, key.strip())
        if agency_id is None:
            raise ApiError(401, "unauthorized", "the API key is wrong or revoked")
        return agency_id

    def claim(
        request: Request, body: Any, key: Optional[str]
    ) -> Optional[IdempotencyClaim]:
        if key is None:
            return None
        if not 1 <= len(key) <= 255 or not key.isprintable():
            raise ApiError(422, "bad_idempotency_key", "Idempotency-Key is 1 to 255 printable characters")
        return IdempotencyClaim(key, _request_hash(request, body))

    async def replay(agency_id: str, key: Optional[IdempotencyClaim]) -> Optional[JSONResponse]:
        """Claim an Idempotency-Key for this request: the first answer again when the key was used
        before (None: this request is the first, and goes on)."""
        if key is None:
            return None
        try:
            stored = await asyncio.to_thread(store().transactions.claim_key, agency_id, key)
        except IdempotencyKeyReused as reused:
            raise ApiError(422, "idempotency_key_reused", str(reused))
        if stored is None:
            return None
        if stored.status_code == 0:
            raise ApiError(
                409, "in_progress",
                "the first request with this Idempotency-Key has not finished: retry later (a new key sends again)",
            )
        return respond(stored)

    def respond(answer: Any) -> JSONResponse:
        headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
        return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)

    async def notify(answer: Answer, agency_id: str) -> None:
        """Hand the step's notification entries (stored with it) to the job engine, or, with none,
        send them here; either way a failure only delays them: the notification sweep has them."""
        if answer.event_id is None:
            return
        keeper = credit()
        if keeper is not None:
            # Transaction status is urgent: never refused, but it uses the agency's credit.
            await keeper.reserve(agency_id, MessageKind.TRANSACTION_STATUS.value, 1)
        try:
            send = dispatch()
            if send is not None:
                await send(list(answer.entry_ids))
                return
            notifier = Notifier(store(), outbox(), catalog)
            for entry_id in answer.entry_ids:
                await notifier.deliver(entry_id)
        except Exception:
            logger.exception("notifying event_id=%s failed; the notification sweep sends it", answer.event_id)

    @api.post("/transactions", status_code=201, response_model=TransactionOut, responses=ERRORS)
    async def register_transaction(
        request: Request,
        body: TransactionIn,
        agency_id: str = Depends(agency_of),
        idempotency_key: Optional[str] = Header(None, alias="Idempotency-Key"),
    ) -> JSONResponse:
        """Register a transaction; the citizen hears its number, service and date (the employee
        it is assigned to gets an SMS). 201 with the record; the same content again: 200 with the
        same record, nothing sent; another content under the same number: 409."""
        key = claim(request, body, idempotency_key)
        service = catalog().service(body.service_id)
        if service is None:
            raise ApiError(422, "unknown_service", f"no service {body.service_id!r} in the catalog")
        if service.agency.id != agency_id:
            raise ApiError(422, "service_of_another_agency", f"{body.service_id} belongs to another agency")
        now = utcnow()
        registered_at = body.registered_at or now
        if registered_at > now + FUTURE_TOLERANCE:
            raise ApiError(422, "in_the_future", "registered_at is in the future")
        new = NewTransaction(
            agency_id=agency_id,
            number=body.number,
            service_id=body.service_id,
            citizen_phone=body.citizen_phone,
            language=body.citizen_language,
            registered_at=registered_at,
            assigned_employee_phone=body.assigned_employee_phone,
            manager_phone=body.manager_phone,
            escalate_after_days=body.escalate_after_days,
            content_hash=hashlib.sha256(
                json.dumps(body.dict(), sort_keys=True, default=str).encode()
            ).hexdigest(),
        )
        try:
            answer = await asyncio.to_thread(
                store().transactions.register, new, idempotency=key, respond=record_json
            )
        except RegistryConflict as conflict:
            raise ApiError(409, conflict.code, conflict.reason)
        except IdempotencyKeyReused as reused:
            raise ApiError(422, "idempotency_key_reused", str(reused))
        if not answer.replayed:
            await notify(answer, agency_id)
        return respond(answer)

    @api.post("/transactions/{number}/events", status_code=201, response_model=TransactionOut, responses=ERRORS)
    async def add_event(
        request: Request,
        body: EventIn,
        number: str = NUMBER_PATH,
        agency_id: str = Depends(agency_of),
        idempotency_key: Optional[str] = Header(None, alias="Idempotency-Key"),
    ) -> JSONResponse:
        """Record a step; the citizen hears it in their language. 409 when the step makes no sense
        in the transaction's state (`issued` after `rejected`, anything after `completed`)."""
        key = claim(request, body, idempotency_key)
        now = utcnow()
        at = body.at or now
        if at > now + FUTURE_TOLERANCE:
            raise ApiError(422, "in_the_future", "at is in the future")
        new = NewEvent(
            type=body.type, at=at, note=body.note, destination=body.destination,
            document_number=body.document_number, employee_phone=body.employee_phone,
        )
        try:
            answer = await asyncio.to_thread(
                store().transactions.add_event, agency_id, number, new,
                transition=transition, idempotency=key, respond=record_json,
            )
        except TransactionNotFound:
            raise ApiError(404, "not_found", f"this agency has no transaction {number}")
        except RegistryConflict as conflict:
            raise ApiError(409, conflict.code, conflict.reason)
        except IdempotencyKeyReused as reused:
            raise ApiError(422, "idempotency_key_reused", str(reused))
        if not answer.replayed:
            await notify(answer, agency_id)
        return respond(answer)

    @api.get("/transactions/{number}", response_model=TransactionOut, responses=ERRORS)
    async def get_transaction(number: str = NUMBER_PATH, agency_id: str = Depends(agency_of)) -> JSONResponse:
        """The record, its steps, every message each step sent (channel, delivery status and the
        routing decision: channel tried, why it moved, final status) and its escalations."""
        view = await asyncio.to_thread(store().transactions.view, agency_id, number)
        if view is None:
            raise ApiError(404, "not_found", f"this agency has no transaction {number}")
        return JSONResponse(record_json(view, full=True))

    add_alert_routes(
        api, store=store, outbox=outbox, catalog=catalog, agency_of=agency_of, claim=claim,
        replay=replay, api_error=ApiError, errors=ERRORS,
    )

    @api.post("/notifications", status_code=201, response_model=NotificationResult, responses=ERRORS)
    async def notify_citizen(
        request: Request,
        body: NotificationIn,
        agency_id: str = Depends(agency_of),
        idempotency_key: Optional[str] = Header(None, alias="Idempotency-Key"),
    ) -> JSONResponse:
        """A one-off message from an agency's system; `category` decides who pays. 201 with the
        messages queued, 200 with `skipped` when the citizen is not to get it (STOP, unreachable)."""
        key = claim(request, body, idempotency_key)
        records = store()
        replayed = await replay(agency_id, key)
        if replayed is not None:
            return replayed
        keeper = credit()
        sender = send_queued()
        try:
            if keeper is not None:
                decision = await keeper.reserve(agency_id, body.category, 1)
                if not decision.allowed:
                    raise ApiError(402, decision.reason or "credit_exhausted", decision.detail or "no message credit left")
            citizen, planned = await _plan_one_off(records, outbox(), agency_id, body)
            answered: list[tuple[int, dict[str, Any]]] = []

            def queue() -> Optional[list[int]]:
                # The messages and the key's answer in one transaction (store/transactions.py).
                status, result = records.transactions.queue_one_off(
                    agency_id, key.key if key is not None else None, planned.rows,
                    lambda ids: _one_off_answer(planned, ids),
                )
                answered.append((status, result))
                return result["message_ids"] or None

            if sender is None:
                # Inline: queued under the citizen's lock and sent now, as any push.
                await outbox().queue(citizen, queue)
            else:
                # The job engine sends them (AGENCY_NOTIFICATIONS=jobs): this process only queues.
                await asyncio.to_thread(queue)
            status, result = answered[0]
            if keeper is not None and not result["message_ids"]:
                await keeper.release(agency_id, 1)  # nothing was sent: nothing to pay for
        except BaseException:
            if key is not None:
                await asyncio.to_thread(records.transactions.release_key, agency_id, key.key)
            raise
        if sender is not None and result["message_ids"]:
            try:
                await sender(citizen, list(result["message_ids"]))
            except Exception:
                # Queued, so not lost: the outbox's sweep for queued messages nobody sent has them.
                logger.exception("handing one-off message_ids=%s to the job engine failed; the outbox's sweep sends them",
                                 result["message_ids"])
        return JSONResponse(result, status_code=status)

    return api


async def _plan_one_off(store: Store, outbox: Outbox, agency_id: str, body: NotificationIn) -> tuple[int, PlannedPush]:
    """(the citizen, the push planned for them: rows on the router's channel, or why none)."""
    agency = await asyncio.to_thread(store.agencies.get, agency_id)
    citizen = await asyncio.to_thread(store.citizens.for_phone, body.citizen_phone)
    language = await asyncio.to_thread(language_of_citizen, store, citizen)
    english = language == "en" and body.text_en
    text = body.text_en if english else body.text_ar
    language = "en" if english else "ar"
    category = MessageKind(body.category)
    # A message about the citizen's own transaction at this agency was asked for: STOP (alerts,
    # announcements) does not silence it; staff messages are work, not broadcasts.
    asked_for = category is MessageKind.INTERNAL or (
        category is MessageKind.TRANSACTION_STATUS
        and await asyncio.to_thread(store.transactions.has_transaction_with, citizen, agency_id)
    )
    template = None
    if body.template is not None:
        template = TemplateRef(body.template.name, body.template.language or language, list(body.template.parameters))
    reply = BotReply(text=f"{text}\n{opt_out_line(agency_id, language)}", language=language, template=template)
    planned = await outbox.plan_push(
        citizen, reply, category.value, category=category, agency=payer_of(agency), asked_for=asked_for
    )
    return citizen, planned


def _one_off_answer(planned: PlannedPush, message_ids: list[int]) -> tuple[int, dict[str, Any]]:
    """201 with the messages queued, or 200 with why none (`skipped`)."""
    result = planned.result
    answer = {
        "message_ids": message_ids, "channel": result.channel if message_ids else None,
        "skipped": None if message_ids else (result.skipped or "unreachable"), "route_reason": result.reason,
    }
    return (201 if message_ids else 200), answer
