"""CSV files coordinators open in a spreadsheet: no cell is ever run as a formula.

OWASP's rule: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written
with a leading `'`, and the roster import reads that quote away, so an export imports back
unchanged. One exception, for the whole cell only: a phone number in E.164 (`+8613800138000`, a
`+` and 7 to 15 ASCII digits, nothing else) is written as it is. A bare number cannot act as a
formula, and Excel and LibreOffice show a CSV's `'` literally, so every number would read
`'+86…`. A sign followed by digits and anything more (`-2+3+cmd|' /C calc'!A0`) is escaped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
E164 = re.compile(r"\+[0-9]{7,15}")  # a whole cell that is a phone number: nothing in it can be a formula


def cell(value: object) -> str:
    """Write a value as a cell a spreadsheet will not read as a formula."""
    text = "" if value is None else str(value)
    if E164.fullmatch(text):
        return text
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def uncell(text: str) -> str:
    """Read a cell back as the value `cell` was given (the quote it added goes)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def to_csv(header: tuple[str, ...], rows: Iterable[Iterable[object]]) -> str:
    """Write rows as CSV text, every cell written with `cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return buffer.getvalue()
