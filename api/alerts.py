"""Alerts to subscribed citizens: document expiry on a date-relative schedule, traffic violations at
once. Sent through the outbox (routing table: WhatsApp inside the window, the approved template
outside it, SMS otherwise), in the citizen's language, as `awareness` (free to the citizen).

**When.** A record expiring on day E with steps (30, 7, 0) comes due at 09:00 Amman time on E-30,
E-7 and E. A sweep at moment T sends, per record, only the latest step due by T — a record fed 10
days before expiry gets one alert ("in 10 days"), not the 30-day one late and then the 7-day one —
and the last step only until a day after it came due: an expiry that passed long ago sends nothing.
Alerts wait between 21:00 and 08:00 (Amman); due steps go at the first run after 08:00.

**Once.** Each step is claimed (store/alerts.py: a unique row per record, expiry date and step)
before it is sent; what another worker or an earlier run claimed is never sent again, and a renewed
record (a new date) starts its own steps. A process killed between the claim and the send loses that
alert rather than risk sending it twice.

**Next step.** Every alert names the catalog service that renews the document (or pays the fine),
and its messages carry that service (`messages.service_id`): the citizen's reply ("كيف بجددها؟")
is answered about it (pipeline/pipeline.py hands the service to the brain as the conversation's).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Callable, Optional, Sequence

from api.notifier import payer_of
from api.wording import agency_name
from catalog.alert_topics import SERVICE_OF_TOPIC, TOPIC_NAMES, TRAFFIC_VIOLATIONS, topic_of_document
from catalog.alert_wording import stop_keyword
from catalog.replies import reply_language, say
from catalog.services import Catalog
from core.amman import AMMAN, local_date, local_time
from core.messages import BotReply, Notice
from pipeline.outbox import Outbox, PushResult
from store import Store
from store.alerts import ALERT_KIND, DEFAULT_DAYS_BEFORE, ClaimedStep, DueRecord
from store.models import Agency

logger = logging.getLogger(__name__)

SEND_AT = time(9, 0)  # a step comes due at 09:00 Amman time on its day
LAST_STEP_GRACE = timedelta(days=1)  # the last step may still go this long after it came due
QUIET_FROM, QUIET_UNTIL = 21, 8  # Amman hours: no alert is sent from 21:00 to 08:00
CONCURRENT_SENDS = 16  # alerts in flight at once (each one citizen; the channels keep their rates)


def step_due(expires_on: date, days_before: int) -> datetime:
    return datetime.combine(expires_on - timedelta(days=days_before), SEND_AT, tzinfo=AMMAN)


def current_step(expires_on: date, days_before: Sequence[int], now: datetime) -> Optional[int]:
    """The step (days before expiry) to send at `now`: the latest one due, if its time has not
    passed (the last step's time passes a day after it came due); None when nothing is due."""
    steps = sorted(set(days_before), reverse=True)
    due = [d for d in steps if step_due(expires_on, d) <= now]
    if not due:
        return None
    latest = due[-1]
    if latest == steps[-1] and now >= step_due(expires_on, latest) + LAST_STEP_GRACE:
        return None
    return latest


def quiet(now: datetime) -> bool:
    hour = now.astimezone(AMMAN).hour
    return hour >= QUIET_FROM or hour < QUIET_UNTIL


def days_left(expires_on: date, now: datetime) -> int:
    return (expires_on - now.astimezone(AMMAN).date()).days


# --- wording ---------------------------------------------------------------------------------------


def _service_name(catalog: Catalog, topic: str, language: str) -> str:
    service = catalog.service(SERVICE_OF_TOPIC[topic])
    return service.name.get(language) if service else TOPIC_NAMES[topic][language]


def expiry_alert(
    record: DueRecord, agency: Agency, catalog: Catalog, language: str, now: datetime
) -> BotReply:
    language = reply_language(language)
    topic = topic_of_document(record.document_type)
    left = days_left(record.expires_on, now)
    if left <= 0:
        when = say("alert.expires_today", language)
    elif left == 1:
        when = say("alert.expires_tomorrow", language)
    elif left == 2:
        when = say("alert.expires_in_two", language)
    else:
        # Arabic counts 3 to 10 with a plural ("أيام"), 11 and more with a singular ("يوماً").
        when = say("alert.expires_in_few" if left <= 10 else "alert.expires_in", language, days=left)
    service = _service_name(catalog, topic, language)
    document = TOPIC_NAMES[topic][language]
    expires = record.expires_on.isoformat()
    stop = stop_keyword(topic, language)
    text = say(
        "alert.expiry", language, agency=agency_name(agency, language), document=document,
        number=record.document_number, when=when, date=expires,
        next_step=say("alert.next_step", language, service=service), stop=stop,
    )
    values = {
        "agency": agency_name(agency, language), "document": document, "number": record.document_number,
        "date": expires, "service_name": service, "stop_keyword": stop,
    }
    return BotReply(text=text, language=language, notice=Notice("document_expiry_alert", values, agency.id))


def violation_alert(
    agency: Agency, catalog: Catalog, language: str, *, plate: str, amount_jod: Decimal, place: str, occurred_at: datetime
) -> BotReply:
    language = reply_language(language)
    moment = f"{local_date(occurred_at)} {local_time(occurred_at)}"
    amount = f"{amount_jod.normalize():f}"
    stop = stop_keyword(TRAFFIC_VIOLATIONS, language)
    text = say(
        "alert.violation", language, agency=agency_name(agency, language), plate=plate, amount=amount, place=place,
        time=moment, service=_service_name(catalog, TRAFFIC_VIOLATIONS, language), stop=stop,
    )
    values = {
        "agency": agency_name(agency, language), "plate": plate, "amount": amount, "place": place,
        "time": moment, "stop_keyword": stop,
    }
    return BotReply(text=text, language=language, notice=Notice("traffic_violation_alert", values, agency.id))


# --- sending ---------------------------------------------------------------------------------------


def outcome_of(result: PushResult) -> str:
    return "sent" if result.message_ids else (result.skipped or "unreachable")


async def push_alert(store: Store, outbox: Outbox, citizen_id: int, reply: BotReply, agency: Agency, service_id: str) -> PushResult:
    """One alert through the outbox; its messages are marked with the service its next step is about."""
    result = await outbox.push(citizen_id, reply, ALERT_KIND, agency=payer_of(agency))
    if result.message_ids:
        await asyncio.to_thread(store.alerts.mark_service, result.message_ids, service_id)
    return result


@dataclass(frozen=True)
class AlertRun:
    due: int  # steps due and not yet claimed before this run
    claimed: int  # claimed by this run (the others went to another worker)
    sent: int  # reached a channel
    skipped: int  # claimed but not sent (opted out, unreachable): recorded with the reason
    waiting: int = 0  # due in quiet hours: sent from 08:00


async def run_alerts(store: Store, outbox: Outbox, catalog: Callable[[], Catalog], now: datetime) -> AlertRun:
    """Send every document-expiry alert step due at `now` (a sweep: idempotent, any number of
    workers at once)."""
    schedules = await asyncio.to_thread(store.alerts.schedules)
    longest = max([max(DEFAULT_DAYS_BEFORE), *(max(d) for d in schedules.values() if d)])
    today = now.astimezone(AMMAN).date()
    records = await asyncio.to_thread(
        store.alerts.subscribed_records, today - LAST_STEP_GRACE - timedelta(days=1), today + timedelta(days=longest)
    )
    wanted: list[tuple[DueRecord, int]] = []
    for record in records:
        step = current_step(record.expires_on, schedules.get((record.agency_id, record.document_type), DEFAULT_DAYS_BEFORE), now)
        if step is not None:
            wanted.append((record, step))
    if not wanted:
        return AlertRun(0, 0, 0, 0)
    claimed_before = await asyncio.to_thread(store.alerts.claimed_steps, [r.record_id for r, _ in wanted])
    due = [(r, s) for r, s in wanted if (r.record_id, r.expires_on, s) not in claimed_before]
    if quiet(now):
        return AlertRun(len(due), 0, 0, 0, waiting=len(due))
    claimed = await asyncio.to_thread(
        store.alerts.claim, [(r.record_id, r.expires_on, s, r.citizen_id) for r, s in due]
    )
    by_id = {r.record_id: r for r, _ in due}
    sent, skipped = await _send_claimed(store, outbox, catalog(), claimed, by_id, now)
    return AlertRun(len(due), len(claimed), sent, skipped)


async def _send_claimed(
    store: Store, outbox: Outbox, catalog: Catalog, claimed: Sequence[ClaimedStep], records: dict[int, DueRecord], now: datetime
) -> tuple[int, int]:
    if not claimed:
        return 0, 0
    languages = await asyncio.to_thread(store.alerts.languages, sorted({c.citizen_id for c in claimed}))
    agencies: dict[str, Agency] = {}
    for agency_id in {records[c.record_id].agency_id for c in claimed}:
        agencies[agency_id] = await asyncio.to_thread(store.agencies.get, agency_id)
    gate = asyncio.Semaphore(CONCURRENT_SENDS)
    results: list[tuple[int, str, Optional[str], list[int]]] = []

    async def send(step: ClaimedStep) -> None:
        record = records[step.record_id]
        topic = topic_of_document(record.document_type)
        reply = expiry_alert(record, agencies[record.agency_id], catalog, languages.get(step.citizen_id, "ar"), now)
        async with gate:
            try:
                result = await push_alert(store, outbox, step.citizen_id, reply, agencies[record.agency_id], SERVICE_OF_TOPIC[topic])
            except Exception:
                # Claimed, so never sent twice: recorded as failed for staff to see.
                logger.exception("alert failed delivery_id=%s record_id=%s", step.delivery_id, step.record_id)
                results.append((step.delivery_id, "failed", None, []))
                return
        results.append((step.delivery_id, outcome_of(result), result.channel, result.message_ids))

    await asyncio.gather(*(send(step) for step in claimed))
    await asyncio.to_thread(store.alerts.finish, results)
    sent = sum(1 for _, outcome, _, _ in results if outcome == "sent")
    logger.info("alerts sent=%d skipped=%d", sent, len(results) - sent)
    return sent, len(results) - sent
