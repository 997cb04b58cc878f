"""Quarterly statements: an agency's billed messages by category and channel, and who pays.

Bodies are billed quarterly (seed 000). A quarter is Jordan's: 2026Q4 runs from 1 October 2026
00:00 to 1 January 2027 00:00 Amman time (UTC+3; Jordan has kept UTC+3 all year since 2022). A
message belongs to the quarter it was queued in; only messages a provider accepted are billed
(store/ledger.py).

Rounding (to the fils, 0.001 JOD): once per statement line, never per message. The seed prices a
message at 0.006842 JOD, under a fils; rounding each message would bill 0.007 (+2.3%) and each
half-shared one 0.003 (-12%), so only line rounding keeps the published rate. Per line (one
category on one channel) the exact sums are kept to the millionth, then:
  amount_jod         = the exact amount, rounded half up to the fils;
  agency_share_jod   = the agency's exact share, rounded half up to the fils;
  ministry_share_jod = amount_jod - agency_share_jod (so every line adds up as printed);
  citizen_charges_jod = the POP prices charged to citizens (whole piasters: exact already).
Totals are the sums of the printed lines.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

from core.messages import SMS, WHATSAPP, utcnow
from routing.billing import MessageKind
from store import Store
from store.ledger import LedgerTotals

AMMAN = timezone(timedelta(hours=3), "Asia/Amman")
FILS = Decimal("0.001")
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")

CATEGORY_ORDER = [kind.value for kind in (
    MessageKind.TRANSACTION_STATUS, MessageKind.AWARENESS, MessageKind.PROMOTIONAL, MessageKind.INTERNAL,
    MessageKind.REPLY,
)]
CHANNEL_ORDER = [SMS, WHATSAPP]
CSV_COLUMNS = [
    "category", "channel", "messages", "segments",
    "amount_jod", "agency_share_jod", "ministry_share_jod", "citizen_charges_jod",
]


class StatementError(ValueError):
    """A statement that cannot be made as asked (unknown agency, malformed quarter); says why."""


def to_fils(amount: Decimal) -> Decimal:
    return amount.quantize(FILS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1-4

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        """`2026Q4` (or `2026q4`, `2026-Q4`); StatementError otherwise."""
        match = _QUARTER.match(text or "")
        if not match:
            raise StatementError(f"quarter {text!r} is not a quarter: write the year and Q1-Q4, e.g. 2026Q4")
        year = int(match.group(1))
        if not 2000 <= year <= 2999:
            raise StatementError(f"quarter {text!r}: the year must be between 2000 and 2999")
        return cls(year, int(match.group(2)))

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> datetime:
        return datetime(self.year, 3 * self.number - 2, 1, tzinfo=AMMAN)

    @property
    def end(self) -> datetime:
        """The first moment after the quarter."""
        if self.number == 4:
            return datetime(self.year + 1, 1, 1, tzinfo=AMMAN)
        return datetime(self.year, 3 * self.number + 1, 1, tzinfo=AMMAN)

    @property
    def last_day(self) -> datetime:
        return self.end - timedelta(days=1)


@dataclass(frozen=True)
class Payer:
    """Whom the statement is for."""

    id: Optional[str]  # None: the ministry-wide statement
    name_ar: str
    name_en: str
    independent: bool = False


MINISTRY_WIDE = Payer(
    None, "وزارة الاقتصاد الرقمي والريادة — جميع الجهات", "Ministry of Digital Economy and Entrepreneurship — all bodies"
)


@dataclass(frozen=True)
class StatementLine:
    category: str
    channel: str
    messages: int
    segments: int
    exact_amount: Decimal
    exact_agency_share: Decimal
    exact_ministry_share: Decimal
    citizen_charges: Decimal

    @property
    def amount(self) -> Decimal:
        return to_fils(self.exact_amount)

    @property
    def agency_share(self) -> Decimal:
        return to_fils(self.exact_agency_share)

    @property
    def ministry_share(self) -> Decimal:
        return self.amount - self.agency_share

    def csv_row(self) -> list[str]:
        return [
            self.category, self.channel, str(self.messages), str(self.segments),
            f"{self.amount:.3f}", f"{self.agency_share:.3f}", f"{self.ministry_share:.3f}",
            f"{to_fils(self.citizen_charges):.3f}",
        ]


@dataclass(frozen=True)
class Totals:
    messages: int
    segments: int
    amount: Decimal
    agency_share: Decimal
    ministry_share: Decimal
    citizen_charges: Decimal


@dataclass(frozen=True)
class Statement:
    payer: Payer
    quarter: Quarter
    lines: list[StatementLine]
    made_at: datetime = field(default_factory=utcnow)

    @property
    def totals(self) -> Totals:
        return Totals(
            messages=sum(line.messages for line in self.lines),
            segments=sum(line.segments for line in self.lines),
            amount=sum((line.amount for line in self.lines), Decimal("0.000")),
            agency_share=sum((line.agency_share for line in self.lines), Decimal("0.000")),
            ministry_share=sum((line.ministry_share for line in self.lines), Decimal("0.000")),
            citizen_charges=sum((to_fils(line.citizen_charges) for line in self.lines), Decimal("0.000")),
        )


def _order(line: StatementLine) -> tuple:
    category = CATEGORY_ORDER.index(line.category) if line.category in CATEGORY_ORDER else len(CATEGORY_ORDER)
    channel = CHANNEL_ORDER.index(line.channel) if line.channel in CHANNEL_ORDER else len(CHANNEL_ORDER)
    return category, line.category, channel, line.channel


def lines_from(totals: list[LedgerTotals]) -> list[StatementLine]:
    """One line per (category, channel): totals of several agencies (a ministry-wide statement) merge."""
    merged: dict[tuple[str, str], list[LedgerTotals]] = {}
    for row in totals:
        merged.setdefault((row.category, row.channel), []).append(row)
    lines = [
        StatementLine(
            category=category,
            channel=channel,
            messages=sum(r.messages for r in rows),
            segments=sum(r.segments for r in rows),
            exact_amount=sum((r.amount for r in rows), Decimal(0)),
            # The ministry's own messages have no agency: their whole cost is the ministry's.
            exact_agency_share=sum((r.agency_share for r in rows if r.agency_id is not None), Decimal(0)),
            exact_ministry_share=sum(
                (r.amount if r.agency_id is None else r.ministry_share for r in rows), Decimal(0)
            ),
            citizen_charges=sum((r.citizen_share for r in rows), Decimal(0)),
        )
        for (category, channel), rows in merged.items()
    ]
    return sorted(lines, key=_order)


def build_statement(store: Store, quarter: Quarter, agency_id: Optional[str] = None) -> Statement:
    """The statement of `agency_id` for `quarter`, or the ministry-wide one (every body's messages
    and the ministry's own answers) when `agency_id` is None. StatementError for an unknown agency."""
    if agency_id is None:
        totals = store.ledger.totals(start=quarter.start, end=quarter.end, every_agency=True)
        return Statement(MINISTRY_WIDE, quarter, lines_from(totals))
    agency = store.agencies.get(agency_id)
    if agency is None:
        known = ", ".join(a.id for a in store.agencies.all()) or "none yet"
        raise StatementError(f"no agency {agency_id!r} (agencies: {known})")
    totals = store.ledger.totals(start=quarter.start, end=quarter.end, agency_id=agency_id)
    payer = Payer(agency.id, agency.name_ar, agency.name_en, bool(agency.independent))
    return Statement(payer, quarter, lines_from(totals))


def statement_csv(statement: Statement) -> str:
    """One row per category and channel (CSV_COLUMNS); no total row, so every row is a line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in statement.lines:
        writer.writerow(line.csv_row())
    return out.getvalue()
