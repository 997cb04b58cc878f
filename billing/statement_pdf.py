"""A statement as a PDF: Arabic first (shaped, right to left), the English beside it.

fpdf2 draws glyphs in the order it is given them and does not join Arabic letters by itself without
HarfBuzz (uharfbuzz, not a dependency), so each Arabic string is shaped (arabic-reshaper picks each
letter's joined form) and put in visual order (python-bidi) before it is drawn. The font is DejaVu
Sans, which has the Arabic presentation forms; a machine without it gets a clear error, not a PDF
of empty boxes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import arabic_reshaper
from bidi.algorithm import get_display
from fpdf import FPDF

from billing.statements import Statement, StatementLine, to_fils

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

CATEGORY_NAMES = {
    "transaction_status": ("حالة معاملة", "Transaction status"),
    "awareness": ("توعية وإرشاد", "Awareness"),
    "promotional": ("ترويجية", "Promotional"),
    "internal": ("اتصال داخلي", "Internal"),
    "reply": ("إجابات أسئلة المواطنين", "Answers to citizens"),
}
CHANNEL_NAMES = {"sms": ("رسالة نصية", "SMS"), "whatsapp": ("واتساب", "WhatsApp")}

# Columns right to left, as an Arabic reader reads them: (Arabic, English, width in mm).
COLUMNS = [
    ("الفئة", "Category", 36),
    ("القناة", "Channel", 22),
    ("الرسائل", "Messages", 17),
    ("الأجزاء", "Segments", 17),
    ("المبلغ", "Amount", 20),
    ("حصة الجهة", "Agency share", 23),
    ("حصة الوزارة", "Ministry share", 23),
    ("رسوم المواطنين", "Citizen charges", 28),
]
# Month names as Jordan writes them; dates are spelt out because python-bidi reorders a
# "2026-10-01" inside Arabic text into "01-10-2026".
MONTHS_AR = [
    "كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران",
    "تموز", "آب", "أيلول", "تشرين الأول", "تشرين الثاني", "كانون الأول",
]
MARGIN = 12
ROW = 10  # mm: two lines (Arabic above, English below) in a header or label cell


class FontMissing(RuntimeError):
    """The Arabic-capable font is not installed."""


def shaped(text: str) -> str:
    """Arabic as it must be drawn: letters joined, in visual (right-to-left) order."""
    return get_display(arabic_reshaper.reshape(text))


def _font_paths(font_dir: Path) -> dict[str, Path]:
    paths = {style: font_dir / name for style, name in FONT_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise FontMissing(
            f"the PDF statement needs DejaVu Sans for its Arabic; not found: {', '.join(missing)} "
            "(Debian/Ubuntu: apt-get install fonts-dejavu-core), or ask for --format csv"
        )
    return paths


class _StatementPdf(FPDF):
    def __init__(self, font_dir: Path) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        for style, path in _font_paths(font_dir).items():
            self.add_font("DejaVu", style, str(path))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)

    def pair(self, arabic: str, english: str, *, size: float = 10, bold: bool = False, gap: float = 1.5) -> None:
        """A line with the Arabic at the right margin and the English at the left; two lines
        (Arabic first) when they would touch."""
        self.set_font("DejaVu", "B" if bold else "", size)
        arabic = shaped(arabic)
        height = size * 0.5
        y = self.get_y()
        self.set_xy(MARGIN, y)
        self.cell(self.epw, height, arabic, align="R")
        if self.get_string_width(arabic) + self.get_string_width(english) + 8 > self.epw:
            y += height + 1
        self.set_xy(MARGIN, y)
        self.cell(self.epw, height, english, align="L")
        self.set_y(y + height + gap)

    def two_line_cell(self, x: float, y: float, width: float, arabic: str, english: str, *, bold: bool) -> None:
        self.set_xy(x, y + 0.8)
        self.set_font("DejaVu", "B" if bold else "", 8)
        self.cell(width, 4.2, shaped(arabic), align="C")
        self.set_xy(x, y + 5)
        self.set_font("DejaVu", "", 6.5)
        self.set_text_color(80, 80, 80)
        self.cell(width, 4, english, align="C")
        self.set_text_color(0, 0, 0)

    def table_row(self, cells: Sequence, *, y: float, fill: bool, bold: bool = False) -> None:
        """`cells` in the columns' (right-to-left) order; a cell is a number string or an (ar, en) pair."""
        if fill:
            self.set_fill_color(236, 240, 245)
            self.rect(MARGIN, y, self.epw, ROW, style="F")
        right = MARGIN + self.epw
        for (_, _, width), value in zip(COLUMNS, cells):
            x = right - width
            self.rect(x, y, width, ROW)
            if isinstance(value, tuple):
                self.two_line_cell(x, y, width, value[0], value[1], bold=bold)
            else:
                self.set_xy(x, y)
                self.set_font("DejaVu", "B" if bold else "", 8.5)
                self.cell(width - 1.5, ROW, value, align="R")
            right = x


def _date_ar(day) -> str:
    return f"{day.day} {MONTHS_AR[day.month - 1]} {day.year}"


def _line_cells(line: StatementLine) -> list:
    category = CATEGORY_NAMES.get(line.category, (line.category, line.category))
    channel = CHANNEL_NAMES.get(line.channel, (line.channel, line.channel))
    return [
        category, channel, f"{line.messages:,}", f"{line.segments:,}", f"{line.amount:.3f}",
        f"{line.agency_share:.3f}", f"{line.ministry_share:.3f}", f"{to_fils(line.citizen_charges):.3f}",
    ]


def _price_notes(statement: Statement) -> list[tuple[str, str]]:
    """The SMS price the quarter's messages were billed at (the tariff is configurable, and a change
    mid-quarter shows as two prices), read from the lines rather than assumed."""
    prices = sorted({
        (line.exact_amount / line.segments).normalize()
        for line in statement.lines
        if line.channel == "sms" and line.segments and line.exact_amount
    })
    if not prices:
        return []
    shown = " / ".join(f"{price:f}" for price in prices)
    return [(f"سعر الرسالة النصية {shown} دينار لكل جزء.", f"An SMS costs {shown} JOD a segment.")]


def statement_pdf(statement: Statement, *, font_dir: Path = FONT_DIR) -> bytes:
    """The statement as an A4 PDF (bytes). FontMissing when DejaVu Sans is not installed."""
    pdf = _StatementPdf(font_dir)
    pdf.set_title(f"Tawasol statement {statement.payer.id or 'ministry'} {statement.quarter.label}")
    pdf.add_page()
    quarter = statement.quarter
    payer = statement.payer

    pdf.pair("تواصل — كشف حساب الرسائل الفصلي", "Tawasol — quarterly messaging statement", size=15, bold=True, gap=3)
    pdf.pair(payer.name_ar, payer.name_en, size=12, bold=True)
    if payer.id is not None:
        kind_ar = "جهة مستقلة: تدفع كامل كلفة رسائلها" if payer.independent else "جهة حكومية: تتقاسم الوزارة معها بعض الفئات"
        kind_en = "Independent body: pays all its messages" if payer.independent else "Government body: shares some categories with the ministry"
        pdf.pair(f"رمز الجهة: {payer.id}", f"Agency ID: {payer.id}", size=9)
        pdf.pair(kind_ar, kind_en, size=9)
    period_en = f"{quarter.label}: {quarter.start:%d %b %Y} – {quarter.last_day:%d %b %Y} (Amman time)"
    period_ar = f"الربع {quarter.number} من {quarter.year}: من {_date_ar(quarter.start)} إلى {_date_ar(quarter.last_day)}"
    pdf.pair(period_ar, period_en, size=9)
    pdf.pair("المبالغ بالدينار الأردني", "Amounts in Jordanian dinars (JOD)", size=9, gap=4)

    y = pdf.get_y()
    pdf.set_draw_color(120, 130, 140)
    pdf.set_line_width(0.2)
    headers = [(ar, en) for ar, en, _ in COLUMNS]
    if payer.id is None:  # a ministry-wide statement sums every body's share
        headers[5] = ("حصة الجهات", "Agencies' share")
    pdf.table_row(headers, y=y, fill=True, bold=True)
    y += ROW
    if not statement.lines:
        pdf.set_xy(MARGIN, y + 2)
        pdf.pair("لا رسائل مفوترة في هذا الربع", "No billed messages in this quarter", size=10)
        y = pdf.get_y()
    for index, line in enumerate(statement.lines):
        if y + ROW > pdf.h - MARGIN - 30:
            pdf.add_page()
            y = pdf.get_y()
        pdf.table_row(_line_cells(line), y=y, fill=index % 2 == 1)
        y += ROW
    totals = statement.totals
    pdf.table_row(
        [("المجموع", "Total"), ("", ""), f"{totals.messages:,}", f"{totals.segments:,}", f"{totals.amount:.3f}",
         f"{totals.agency_share:.3f}", f"{totals.ministry_share:.3f}", f"{totals.citizen_charges:.3f}"],
        y=y, fill=True, bold=True,
    )
    pdf.set_y(y + ROW + 5)

    owed_ar = f"المستحق على الجهة: {totals.agency_share:.3f} دينار" if payer.id else f"حصة الوزارة: {totals.ministry_share:.3f} دينار"
    owed_en = f"Due from the agency: {totals.agency_share:.3f} JOD" if payer.id else f"The ministry's share: {totals.ministry_share:.3f} JOD"
    pdf.pair(owed_ar, owed_en, size=11, bold=True, gap=3)
    notes = [
        *_price_notes(statement),
        ("التقريب إلى الفلس مرة واحدة لكل سطر، لا لكل رسالة.", "Rounded to the fils once per line, not per message."),
        ("رسائل واتساب تحاسب عليها Meta ولا تسعّر هنا.", "WhatsApp is billed by Meta: counted, not priced here."),
        ("تحتسب فقط الرسائل التي قبلها مزود الخدمة.", "Only messages a provider accepted are billed."),
        ("رسوم المواطنين يدفعها المواطن، لا الجهة.", "Citizen charges are paid by citizens, not the agency."),
    ]
    for arabic, english in notes:
        pdf.pair(arabic, english, size=7.5, gap=1)
    return bytes(pdf.output())
