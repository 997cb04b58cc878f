"""Reading `PUT /api/v1/records` as it arrives: a JSON list of objects, or CSV with a header row,
row by row, so a 10,000-row upload is never held whole (neither the body nor a parsed document).
Each row is checked alone; a bad row is refused with its reason and the others go on."""

from __future__ import annotations

import codecs
import csv
import json
from typing import AsyncIterator, Iterator, Optional, Union

MAX_ROWS = 10_000
MAX_ROW_CHARS = 4_000  # one record is a few dozen characters; far more is not a record
CSV_COLUMNS = ("citizen_phone", "document_type", "document_number", "expires_on")


class UploadError(ValueError):
    """The body as a whole cannot be read (not a JSON list, no CSV header): nothing after it counts."""


# A row as read: its fields, or why it could not be read at all.
RawRow = Union[dict, str]


async def json_rows(chunks: AsyncIterator[bytes]) -> AsyncIterator[RawRow]:
    """The elements of a JSON list, one at a time; a non-object element is a row refused."""
    decoder = json.JSONDecoder()
    text = codecs.getincrementaldecoder("utf-8")(errors="strict")
    buffer = ""
    started = finished = False
    position = 0

    async for chunk in chunks:
        try:
            buffer += text.decode(chunk)
        except UnicodeDecodeError:
            raise UploadError("the body is not UTF-8") from None
        while True:
            position = _skip_space(buffer, position)
            if position >= len(buffer):
                break
            if finished:
                raise UploadError("text after the end of the JSON list")
            if not started:
                if buffer[position] != "[":
                    raise UploadError("a JSON body is a list of records: [{...}, {...}]")
                started, position = True, position + 1
                continue
            if buffer[position] == "]":
                finished, position = True, position + 1
                continue
            if buffer[position] == ",":
                position += 1
                continue
            try:
                value, end = decoder.raw_decode(buffer, position)
            except json.JSONDecodeError as error:
                if len(buffer) - position > MAX_ROW_CHARS:
                    raise UploadError(f"malformed JSON near character {error.pos}: {error.msg}") from None
                break  # the element continues in the next chunk
            if end >= len(buffer) and not isinstance(value, (dict, list)):
                break  # a bare number or word may continue in the next chunk
            position = end
            yield value if isinstance(value, dict) else "each record is a JSON object"
        buffer, position = buffer[position:], 0
    if not finished:
        raise UploadError("the JSON list is not closed" if started else "the body is empty: send a JSON list or CSV")


def _skip_space(buffer: str, position: int) -> int:
    while position < len(buffer) and buffer[position] in " \t\r\n":
        position += 1
    return position


async def csv_rows(chunks: AsyncIterator[bytes]) -> AsyncIterator[RawRow]:
    """CSV rows as dicts by the header's column names (which must be the four of a record)."""
    text = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    pending = ""
    header: Optional[list[str]] = None

    def lines_of(data: str, final: bool) -> Iterator[str]:
        nonlocal pending
        # Any of CR LF, LF or a bare CR ends a line (a CR split from its LF makes an empty line, skipped).
        pending += data.replace("\r\n", "\n").replace("\r", "\n")
        parts = pending.split("\n")
        pending = "" if final else parts.pop()
        return iter(p for p in parts if p.strip())

    async for chunk in chunks:
        try:
            decoded = text.decode(chunk)
        except UnicodeDecodeError:
            raise UploadError("the body is not UTF-8") from None
        for row in _csv_records(lines_of(decoded, final=False)):
            if header is None:
                header = _header(row)
                continue
            yield _as_record(header, row)
        if len(pending) > MAX_ROW_CHARS:
            raise UploadError("a CSV line is too long to be a record")
    for row in _csv_records(lines_of(text.decode(b"", final=True), final=True)):
        if header is None:
            header = _header(row)
            continue
        yield _as_record(header, row)
    if header is None:
        raise UploadError("the CSV body is empty: its first line names the columns " + ",".join(CSV_COLUMNS))


def _csv_records(lines: Iterator[str]) -> Iterator[list[str]]:
    # Records are single-line (no field holds a new line); quoted fields are still unquoted.
    try:
        yield from csv.reader(lines)
    except csv.Error as error:
        raise UploadError(f"the CSV could not be read: {error}") from None


def _header(row: list[str]) -> list[str]:
    names = [name.strip().lower() for name in row]
    if sorted(names) != sorted(CSV_COLUMNS):
        raise UploadError("the CSV's first line names the columns: " + ",".join(CSV_COLUMNS))
    return names


def _as_record(header: list[str], row: list[str]) -> RawRow:
    if len(row) != len(header):
        return f"{len(row)} fields where the header has {len(header)}"
    return dict(zip(header, (value.strip() for value in row)))
