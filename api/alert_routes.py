"""The agency API's alert calls: records to alert on, traffic violations, subscriptions made for a
citizen, and the agency's alert schedules (api/alerts.py sends; README "Alerts")."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator, Awaitable, Callable, Optional

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.alerts import push_alert, outcome_of, violation_alert
from api.records_upload import MAX_ROWS, UploadError, csv_rows, json_rows
from api.schemas import (
    RecordIn,
    RecordsResult,
    ScheduleIn,
    ScheduleOut,
    SubscriptionIn,
    SubscriptionResult,
    ViolationIn,
    ViolationResult,
)
from catalog.alert_topics import DOCUMENT_TYPES, SERVICE_OF_TOPIC, TRAFFIC_VIOLATIONS
from catalog.services import Catalog
from core.privacy import mask_phone
from pipeline.outbox import Outbox
from store import Store
from store.alerts import DEFAULT_DAYS_BEFORE, RecordRow

logger = logging.getLogger(__name__)

MAX_RECORDS_BYTES = 4 * 1024 * 1024  # 10,000 records of a few hundred bytes each, with room
UPSERT_BATCH = 1000  # rows stored per transaction while the upload streams in

_CSV = "text/csv"
_JSON = "application/json"

RECORDS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            _JSON: {"schema": {"type": "array", "maxItems": MAX_ROWS, "items": {"$ref": "#/components/schemas/RecordIn"}}},
            _CSV: {
                "schema": {"type": "string"},
                "example": "citizen_phone,document_type,document_number,expires_on\n962791234567,passport,P1234567,2027-03-31\n",
            },
        },
    }
}


class BodyTooLarge(Exception):
    pass


async def _bounded(stream: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if seen > limit:
            raise BodyTooLarge()
        yield chunk


def _reason(error: ValidationError) -> str:
    problems = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "__root__")
        problems.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
    return "; ".join(problems)


def add_alert_routes(
    api: FastAPI,
    *,
    store: Callable[[], Store],
    outbox: Callable[[], Outbox],
    catalog: Callable[[], Catalog],
    agency_of: Callable[..., Awaitable[str]],
    claim: Callable[[Request, Any, Optional[str]], Any],
    replay: Callable[[str, Any], Awaitable[Optional[JSONResponse]]],
    api_error: Callable[[int, str, str], Exception],
    errors: dict,
) -> None:
    """Mount the alert calls on `api` (create_api passes its key check, its Idempotency-Key
    claim and replay, and its error type)."""

    @api.put("/records", response_model=RecordsResult, responses=errors, openapi_extra=RECORDS_BODY)
    async def put_records(
        request: Request, agency_id: str = Depends(agency_of), content_type: Optional[str] = Header(None)
    ) -> JSONResponse:
        """Feed the records alerts are about: a JSON list, or CSV (`Content-Type: text/csv`, header
        `citizen_phone,document_type,document_number,expires_on`); up to 10,000 rows, read as they
        arrive. Each row is accepted (`created`, `renewed` — a new expiry date, whose pending alerts
        replace the old date's —, `updated`, `unchanged`) or refused with its reason; records are
        keyed by (document_type, document_number) within the agency. Subscribed citizens are alerted
        on the agency's schedule (`/alert-schedules`)."""
        kind = (content_type or _JSON).split(";")[0].strip().lower()
        if kind not in (_JSON, _CSV):
            raise api_error(415, "unsupported_media_type", "send application/json (a list of records) or text/csv")
        chunks = _bounded(request.stream(), MAX_RECORDS_BYTES)
        reader = csv_rows(chunks) if kind == _CSV else json_rows(chunks)
        outcomes: list[dict[str, Any]] = []
        batch: list[tuple[int, RecordRow]] = []
        records = store()

        async def flush() -> None:
            if not batch:
                return
            stored = await asyncio.to_thread(records.alerts.upsert_records, agency_id, [row for _, row in batch])
            outcomes.extend({"row": n, "accepted": True, "outcome": o} for (n, _), o in zip(batch, stored))
            batch.clear()

        number = 0
        try:
            async for raw in reader:
                number += 1
                if number > MAX_ROWS:
                    outcomes.append({
                        "row": number, "accepted": False, "error": "over_limit",
                        "reason": f"a request holds at most {MAX_ROWS:,} records: this row and any after it were "
                        "not read; send them in another request",
                    })
                    break
                if isinstance(raw, str):
                    outcomes.append({"row": number, "accepted": False, "error": "invalid", "reason": raw})
                    continue
                try:
                    record = RecordIn.parse_obj(raw)
                except ValidationError as error:
                    outcomes.append({"row": number, "accepted": False, "error": "invalid", "reason": _reason(error)})
                    continue
                batch.append((number, RecordRow(record.citizen_phone, record.document_type, record.document_number, record.expires_on)))
                if len(batch) >= UPSERT_BATCH:
                    await flush()
            await flush()
        except BodyTooLarge:
            raise api_error(
                413, "body_too_large",
                f"a records upload is at most {MAX_RECORDS_BYTES // (1024 * 1024)} MB; rows before row {number} "
                f"that were accepted are stored ({sum(1 for o in outcomes if o['accepted'])})",
            )
        except UploadError as error:
            stored = sum(1 for o in outcomes if o["accepted"])
            raise api_error(422, "unreadable_body", f"{error} (after {number} row(s); {stored} accepted row(s) are stored)")
        outcomes.sort(key=lambda o: o["row"])
        accepted = sum(1 for o in outcomes if o["accepted"])
        logger.info("records upload agency=%s rows=%d accepted=%d", agency_id, len(outcomes), accepted)
        return JSONResponse({"accepted": accepted, "refused": len(outcomes) - accepted, "rows": outcomes})

    @api.post("/violations", status_code=201, response_model=ViolationResult, responses=errors)
    async def post_violation(
        request: Request,
        body: ViolationIn,
        agency_id: str = Depends(agency_of),
        idempotency_key: Optional[str] = Header(None, alias="Idempotency-Key"),
    ) -> JSONResponse:
        """Record a traffic violation; a citizen subscribed to `traffic_violations` is alerted at
        once (201 either way: `alerted` says whether, `skipped` why not)."""
        key = claim(request, body, idempotency_key)
        records = store()
        replayed = await replay(agency_id, key)
        if replayed is not None:
            return replayed
        try:
            result = await _violation(records, outbox(), catalog(), agency_id, body)
        except BaseException:
            if key is not None:
                await asyncio.to_thread(records.transactions.release_key, agency_id, key.key)
            raise
        if key is not None:
            await asyncio.to_thread(records.transactions.finish_key, agency_id, key.key, 201, result)
        return JSONResponse(result, status_code=201)

    async def subscription(body: SubscriptionIn, agency_id: str, subscribe: bool) -> JSONResponse:
        records = store()
        citizen = await asyncio.to_thread(records.citizens.for_phone, body.citizen_phone)
        change = records.subscriptions.subscribe if subscribe else records.subscriptions.unsubscribe
        changed = await asyncio.to_thread(change, citizen, body.topic, source="agency", agency_id=agency_id)
        logger.info(
            "subscription by agency=%s topic=%s subscribed=%s changed=%s to=%s",
            agency_id, body.topic, subscribe, changed, mask_phone(body.citizen_phone),
        )
        return JSONResponse(
            {"citizen_phone": body.citizen_phone, "topic": body.topic, "subscribed": subscribe, "changed": changed},
            status_code=201 if subscribe and changed else 200,
        )

    @api.post("/subscriptions", status_code=201, response_model=SubscriptionResult, responses=errors)
    async def subscribe(body: SubscriptionIn, agency_id: str = Depends(agency_of)) -> JSONResponse:
        """Subscribe a citizen who asked the agency to (at a counter, through a bank): recorded as
        done by this agency. 201 when new, 200 when they already were. Free to the citizen."""
        return await subscription(body, agency_id, True)

    @api.delete("/subscriptions", response_model=SubscriptionResult, responses=errors)
    async def unsubscribe(body: SubscriptionIn, agency_id: str = Depends(agency_of)) -> JSONResponse:
        """Unsubscribe a citizen from a topic at their request (the same body as POST)."""
        return await subscription(body, agency_id, False)

    @api.get("/alert-schedules", response_model=list[ScheduleOut], responses=errors)
    async def get_schedules(agency_id: str = Depends(agency_of)) -> JSONResponse:
        """The agency's alert schedule per document type (days before expiry; 0 is the day itself)."""
        own = await asyncio.to_thread(store().alerts.schedules, agency_id)
        return JSONResponse([
            {"document_type": d, "days_before": list(own.get((agency_id, d), DEFAULT_DAYS_BEFORE)), "default": (agency_id, d) not in own}
            for d in DOCUMENT_TYPES
        ])

    @api.put("/alert-schedules/{document_type}", response_model=ScheduleOut, responses=errors)
    async def put_schedule(document_type: str, body: ScheduleIn, agency_id: str = Depends(agency_of)) -> JSONResponse:
        """Set the agency's schedule for one document type: `{"days_before": [60, 30, 7, 0]}`."""
        if document_type not in DOCUMENT_TYPES:
            raise api_error(404, "not_found", f"no document type {document_type[:40]!r}: one of {', '.join(DOCUMENT_TYPES)}")
        days = await asyncio.to_thread(store().alerts.set_schedule, agency_id, document_type, body.days_before)
        return JSONResponse({"document_type": document_type, "days_before": list(days), "default": False})


async def _violation(store: Store, outbox: Outbox, catalog: Catalog, agency_id: str, body: ViolationIn) -> dict[str, Any]:
    from api.notifier import language_of_citizen

    violation_id, citizen = await asyncio.to_thread(
        store.alerts.add_violation, agency_id, body.citizen_phone, body.plate, body.occurred_at, body.amount_jod, body.place
    )
    if not await asyncio.to_thread(store.subscriptions.is_subscribed, citizen, TRAFFIC_VIOLATIONS):
        await asyncio.to_thread(store.alerts.finish_violation, violation_id, "not_subscribed", None, [])
        return {"violation_id": violation_id, "alerted": False, "message_ids": [], "channel": None, "skipped": "not_subscribed"}
    agency = await asyncio.to_thread(store.agencies.get, agency_id)
    language = await asyncio.to_thread(language_of_citizen, store, citizen)
    reply = violation_alert(
        agency, catalog, language, plate=body.plate, amount_jod=body.amount_jod, place=body.place, occurred_at=body.occurred_at
    )
    result = await push_alert(store, outbox, citizen, reply, agency, SERVICE_OF_TOPIC[TRAFFIC_VIOLATIONS])
    outcome = outcome_of(result)
    await asyncio.to_thread(store.alerts.finish_violation, violation_id, outcome, result.channel, result.message_ids)
    return {
        "violation_id": violation_id, "alerted": bool(result.message_ids), "message_ids": result.message_ids,
        "channel": result.channel, "skipped": None if result.message_ids else outcome,
    }
