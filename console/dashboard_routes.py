"""`/console/dashboards`: how Tawasol is doing, by date range, from the daily rollups (store/dashboards.py).

Ministry admins see every agency (or pick one); liaison officers only their own agency, whatever
the address asks (another agency's is a 404, as everywhere in the console); agents have no
dashboards. `?format=csv&chart=NAME` exports one chart's numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Optional, Sequence, Union

from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, Response

from catalog.services import Catalog
from console.charts import BarChart, LineChart, bar_chart, line_chart, percent
from console.context import NotFound, Pages, Visit
from console.exports import to_csv
from console.i18n import translate
from console.roles import Viewer
from core.messages import utcnow
from store.dashboards import MINISTRY, OUTCOMES, WAIT_BUCKETS, DayNumbers, amman_day
from store.staff import LIAISON_OFFICER

DEFAULT_DAYS = 30
MAX_DAYS = 800  # a little over two years: the rollup keeps every day, a page need not show more
TOP = 10
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SERIES = (("whatsapp", "in"), ("whatsapp", "out"), ("sms", "in"), ("sms", "out"))
ASPECTS = {"ask_overview": "overview", "ask_fees": "fees", "ask_documents": "documents", "ask_steps": "steps",
           "ask_location": "location", "ask_duration": "duration", "ask_eligibility": "eligibility"}
FILS = Decimal("0.001")


class BadRange(ValueError):
    """A date range the page cannot show; the message says why (in the viewer's language)."""


@dataclass
class ChartBlock:
    name: str
    title: str
    chart: Union[BarChart, LineChart]
    header: Sequence[str]
    rows: list[Sequence[Any]]
    note: str = ""

    @property
    def kind(self) -> str:
        return "lines" if isinstance(self.chart, LineChart) else "bars"


def parse_range(since: str, until: str, today: date, lang: str) -> tuple[date, date]:
    def parse(value: str, default: date) -> date:
        value = (value or "").strip()
        if not value:
            return default
        if not _DATE.match(value):
            raise BadRange(translate(lang, "dash_bad_date"))
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise BadRange(translate(lang, "dash_bad_date")) from None

    last = parse(until, today)
    first = parse(since, last - timedelta(days=DEFAULT_DAYS - 1))
    if last < first:
        raise BadRange(translate(lang, "dash_range_reversed"))
    if (last - first).days + 1 > MAX_DAYS:
        raise BadRange(translate(lang, "dash_range_too_long", days=MAX_DAYS))
    return first, last


def scope_for(viewer: Viewer, agency: str, known: Callable[[str], bool]) -> Optional[str]:
    """Whose numbers: a liaison officer's agency always (another's asked for: 404); an admin's
    choice, None for everyone, `ministry` for the ministry's own."""
    agency = (agency or "").strip()
    if viewer.role == LIAISON_OFFICER:
        if agency and agency != viewer.agency_id:
            raise NotFound()
        return viewer.agency_id
    if not viewer.is_admin:
        raise NotFound()
    if not agency:
        return None
    if agency == "ministry":
        return MINISTRY
    if not known(agency):
        raise NotFound()
    return agency


def _jod(micros: int) -> str:
    return str((Decimal(micros) / 1_000_000).quantize(FILS, rounding=ROUND_HALF_UP))


def dashboard_router(pages: Pages, catalog: Callable[[], Catalog]) -> APIRouter:
    router = APIRouter()

    @router.get("/dashboards")
    def dashboards(request: Request, since: str = "", until: str = "", agency: str = "", format: str = "",
                   chart: str = "") -> Response:
        visit = pages.visit(request)
        viewer = visit.require_viewer()
        store = pages.store()
        scope = scope_for(viewer, agency, lambda a: store.agencies.get(a) is not None)
        now = utcnow()
        today = amman_day(now)
        try:
            first, last = parse_range(since, until, today, visit.lang)
        except BadRange as exc:
            if format == "csv":
                return pages.finish(visit, PlainTextResponse(str(exc), status_code=400))
            return pages.render(visit, "dashboards.html", http_status=400, error=str(exc), blocks=[],
                                form=_form(since, until, agency), agencies=_agencies(store, viewer), scope=scope,
                                live_days=[], quarter="", summary=None)
        numbers = store.dashboards.read(scope, first, last, today=today, top=TOP)
        quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        cost = store.dashboards.cost(scope, quarter_start, today, today=today)
        waits = store.dashboards.ticket_waits(scope, first, last, now)
        quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
        blocks = _blocks(visit, catalog(), store, numbers, cost, waits, first, last, quarter)
        if format == "csv":
            block = next((b for b in blocks if b.name == chart), None)
            if block is None:
                return pages.finish(visit, PlainTextResponse(
                    "chart must be one of: " + ", ".join(b.name for b in blocks), status_code=400))
            body = to_csv(block.header, block.rows)
            suffix = f"{scope or 'all'}-{first.isoformat()}-{last.isoformat()}" if scope != MINISTRY else \
                f"ministry-{first.isoformat()}-{last.isoformat()}"
            return pages.finish(visit, Response(body, media_type="text/csv; charset=utf-8", headers={
                "Content-Disposition": f'attachment; filename="tawasol-{block.name}-{suffix}.csv"'}))
        return pages.render(visit, "dashboards.html", error=None, blocks=blocks, form=_form(since or first.isoformat(),
                            until or last.isoformat(), agency), agencies=_agencies(store, viewer), scope=scope,
                            live_days=[d.isoformat() for d in numbers.live_days], quarter=quarter,
                            summary=waits)

    return router


def _form(since: str, until: str, agency: str) -> dict[str, str]:
    return {"since": since, "until": until, "agency": agency}


def _agencies(store, viewer: Viewer) -> list[tuple[str, str, str]]:
    if not viewer.is_admin:
        return []
    return [(a.id, a.name_ar, a.name_en) for a in store.agencies.all()]


def _blocks(visit: Visit, catalog: Catalog, store, numbers: DayNumbers, cost, waits, first: date,
            last: date, quarter: str) -> list[ChartBlock]:
    lang = visit.lang
    rtl = lang == "ar"

    def t(key: str, **kw: Any) -> str:
        return translate(lang, key, **kw)

    def known(key: str, raw: str) -> str:
        # A key the console has no words for (a new route cause) is shown as stored.
        text = t(key)
        return raw if text == key else text

    def count_rows(metric: str, label: Callable[[str], str], limit: int = TOP) -> list[tuple[str, str, int]]:
        return [(key, label(key), n) for key, n in numbers.top(metric, limit)]

    def bars(name: str, title: str, rows: list[tuple[str, str, int]], header: Sequence[str], note: str = "") -> ChartBlock:
        chart = bar_chart(name, [(label, n, f"{n:,}") for _, label, n in rows], rtl)
        return ChartBlock(name, title, chart, header, [(key, label, n) for key, label, n in rows], note)

    blocks: list[ChartBlock] = []

    # Messages per day by channel and direction.
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    series = [(t(f"dash_series_{channel}_{direction}"), [numbers.per_day.get(d, {}).get((channel, direction), 0)
                                                           for d in days]) for channel, direction in SERIES]
    blocks.append(ChartBlock(
        "messages", t("dash_messages"), line_chart("messages", days, series, rtl),
        ["day"] + [f"{c}_{d}" for c, d in SERIES],
        [[day.isoformat()] + [values[i] for _, values in series] for i, day in enumerate(days)],
    ))

    # What became of citizens' messages: the share of each outcome.
    outcome_counts = {key: numbers.totals.get("outcomes", {}).get((key, ""), [0])[0] for key in OUTCOMES}
    handled = sum(outcome_counts.values())
    outcome_rows = [(key, t(f"dash_outcome_{key}"), outcome_counts[key], percent(outcome_counts[key], handled))
                    for key in OUTCOMES]
    blocks.append(ChartBlock(
        "outcomes", t("dash_outcomes"),
        bar_chart("outcomes", [(label, share, f"{share}% · {n:,}") for _, label, n, share in outcome_rows], rtl, 100),
        ["outcome", "label", "messages", "share_percent"], [list(row) for row in outcome_rows],
        t("dash_outcomes_note", n=f"{handled:,}"),
    ))

    def service_label(service_id: str) -> str:
        service = catalog.service(service_id)
        return service.name.get(lang) if service is not None else service_id

    blocks.append(bars("services", t("dash_services"), count_rows("services", service_label),
                       ["service", "label", "messages"]))
    blocks.append(bars("aspects", t("dash_aspects"),
                       count_rows("aspects", lambda k: known(f"dash_aspect_{ASPECTS.get(k, k)}", k)),
                       ["intent", "label", "messages"]))
    missed = [(key, key, n) for key, n in numbers.top("missed", TOP)]
    blocks.append(ChartBlock("missed", t("dash_missed"), bar_chart("missed", [(k, n, f"{n:,}") for k, _, n in missed], rtl),
                             ["group", "messages"], [(k, n) for k, _, n in missed], t("dash_missed_note")))

    # Delivery and read rates per channel, from outbound messages' current status.
    delivery = numbers.totals.get("delivery", {})
    rate_rows, rate_csv = [], []
    for channel in ("whatsapp", "sms"):
        by_status = {status: cell[0] for (ch, status), cell in delivery.items() if ch == channel}
        read = by_status.get("read", 0)
        delivered = by_status.get("delivered", 0) + read
        accepted = by_status.get("sent", 0) + delivered
        failed = by_status.get("failed", 0)
        outbound = sum(by_status.values())
        delivery_rate, read_rate = percent(delivered, accepted + failed), percent(read, delivered)
        rate_rows.append((t(f"dash_delivered_{channel}"), delivery_rate, f"{delivery_rate}% · {delivered:,}"))
        if channel == "whatsapp":
            rate_rows.append((t("dash_read_whatsapp"), read_rate, f"{read_rate}% · {read:,}"))
        rate_csv.append((channel, outbound, accepted, delivered, read, failed, delivery_rate, read_rate))
    blocks.append(ChartBlock("delivery", t("dash_delivery"), bar_chart("delivery", rate_rows, rtl, 100),
                             ["channel", "outbound", "accepted", "delivered", "read", "failed", "delivery_rate_percent",
                              "read_rate_percent"], rate_csv, t("dash_delivery_note")))

    blocks.append(bars("fallbacks", t("dash_fallbacks"),
                       count_rows("fallbacks", lambda k: known(f"dash_cause_{k}", k)), ["cause", "label", "messages"],
                       t("dash_fallbacks_note")))

    # Cost this quarter by agency and category (billed messages, as the quarterly statement).
    agencies = {a.id: (a.name_ar if rtl else a.name_en) for a in store.agencies.all()}
    by_line: dict[tuple[str, str], list[int]] = {}
    for (agency_id, category, _channel), (n, amount, share) in cost.items():
        cell = by_line.setdefault((agency_id, category), [0, 0, 0])
        cell[0] += n
        cell[1] += amount
        cell[2] += share
    cost_lines = sorted(by_line.items(), key=lambda item: (-item[1][1], -item[1][0], item[0]))
    cost_rows = [(f"{agencies.get(a, t('dash_ministry')) if a else t('dash_ministry')} · {known('dash_category_' + c, c)}",
                  amount / 1_000_000, f"{_jod(amount)} {t('dash_jod')} · {n:,}") for (a, c), (n, amount, _s) in cost_lines]
    cost_csv = sorted(((a or "ministry", c, ch, n, _jod(amount), _jod(share))
                       for (a, c, ch), (n, amount, share) in cost.items()), key=lambda r: (r[0], r[1], r[2]))
    blocks.append(ChartBlock("cost", t("dash_cost"), bar_chart("cost", cost_rows[:TOP * 2], rtl),
                             ["agency", "category", "channel", "billed_messages", "amount_jod", "agency_share_jod"],
                             cost_csv, t("dash_cost_note", quarter=quarter)))

    # Tickets' waiting times.
    wait_rows = [(label, t(f"dash_wait_{label}"), waits.buckets[label]) for label, _ in WAIT_BUCKETS]
    blocks.append(bars("tickets", t("dash_tickets"), wait_rows, ["wait", "label", "tickets"],
                       t("dash_tickets_note", opened=waits.opened, answered=waits.answered, waiting=waits.waiting,
                         median=waits.median_minutes if waits.median_minutes is not None else "—")))
    return blocks
