"""Chart geometry for the dashboards: bars and lines laid out on the server, drawn by the template as
inline SVG (no script, nothing fetched; the page's Content-Security-Policy allows neither).

Right to left in Arabic: bars grow from the right edge towards the left with their labels on the
right, a day chart runs from the earliest day on the right to today on the left, and every text is
anchored at its start, which the SVG's `direction` makes the right edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Optional, Sequence

WIDTH = 640
LABEL_WIDTH = 230
VALUE_ROOM = 90
ROW = 26
BAR = 16
PALETTE = ("#0b6e4f", "#2f6fb0", "#c77d1a", "#8e3b8a", "#a4262c", "#4d7c0f")


@dataclass(frozen=True)
class Bar:
    label: str
    shown: str  # the value as printed beside the bar
    x: float
    y: float
    width: float
    label_x: float
    value_x: float
    text_y: float
    color: str


@dataclass(frozen=True)
class BarChart:
    name: str
    height: float
    bars: list[Bar]
    direction: str


@dataclass(frozen=True)
class Series:
    label: str
    total: int
    color: str
    points: str  # "x,y x,y ..." for <polyline>


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


@dataclass
class LineChart:
    name: str
    height: float
    direction: str
    series: list[Series] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    plot: tuple[float, float, float, float] = (0, 0, 0, 0)  # left, top, right, bottom


def bar_chart(name: str, rows: Sequence[tuple[str, float, str]], rtl: bool, max_value: Optional[float] = None) -> BarChart:
    """`rows`: (label, value, value as printed). Bars scale to the largest value (or `max_value`)."""
    room = WIDTH - LABEL_WIDTH - VALUE_ROOM
    top = max([max_value or 0] + [value for _, value, _ in rows]) or 1
    bars = []
    for index, (label, value, shown) in enumerate(rows):
        length = max(room * value / top, 1.0 if value else 0.0)
        y = 6 + index * ROW
        if rtl:
            x = WIDTH - LABEL_WIDTH - length
            bars.append(Bar(label, shown, x, y, length, WIDTH - 6, x - 6, y + BAR - 3, PALETTE[0]))
        else:
            x = float(LABEL_WIDTH)
            bars.append(Bar(label, shown, x, y, length, 6, x + length + 6, y + BAR - 3, PALETTE[0]))
    return BarChart(name, 12 + max(len(rows), 1) * ROW, bars, "rtl" if rtl else "ltr")


def line_chart(name: str, days: list[date], series: Sequence[tuple[str, list[int]]], rtl: bool,
               day_label=lambda d: d.strftime("%m-%d")) -> LineChart:
    """One line per series over `days` (values in the same order as the days)."""
    height = 260.0
    axis = 56.0
    left, right = (24.0, WIDTH - axis) if rtl else (axis, WIDTH - 24.0)  # room for the edge days' labels
    top, bottom = 12.0, height - 30.0
    chart = LineChart(name, height, "rtl" if rtl else "ltr", plot=(left, top, right, bottom))
    peak = max([1] + [max(values) if values else 0 for _, values in series])
    step = (right - left) / max(len(days) - 1, 1)

    def x_of(index: int) -> float:
        return right - index * step if rtl else left + index * step

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * value / peak

    for index, (label, values) in enumerate(series):
        points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(values))
        if len(values) == 1:  # one day: a short flat stroke, so it is seen
            points += f" {x_of(0) + (-6 if rtl else 6):.1f},{y_of(values[0]):.1f}"
        chart.series.append(Series(label, sum(values), PALETTE[index % len(PALETTE)], points))
    every = max(1, round(len(days) / 6))
    chart.x_ticks = [Tick(x_of(i), bottom + 18, day_label(day)) for i, day in enumerate(days) if i % every == 0]
    label_x = WIDTH - 6 if rtl else 6.0
    chart.y_ticks = [Tick(label_x, y_of(peak * f) + 4, f"{round(peak * f):,}") for f in (0, 0.5, 1)]
    return chart


def percent(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0
