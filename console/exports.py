"""CSV exports of conversations and tickets, within the viewer's agency and a date range.

Cells that a spreadsheet would read as a formula (=, +, -, @ first) get a leading apostrophe:
citizens write the text, and an export must not run it on a staff member's machine."""

from __future__ import annotations

import csv
import io
from typing import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Arabic right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return "\ufeff" + out.getvalue()
