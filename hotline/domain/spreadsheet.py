"""CSV files coordinators open in a spreadsheet: no cell is ever run as a formula.

OWASP's rule, with no exception: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return is written with a leading `'`. An exception for a sign followed by a digit let
`-2+3+cmd|' /C calc'!A0` through, so there is none: a phone number in E.164 is written
`'+8613800138000`, which a spreadsheet shows as text (digits and plus sign intact, never turned
into a number), and the roster import reads the quote away, so an export imports back unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """Write a value as a cell a spreadsheet will not read as a formula."""
    text = "" if value is None else str(value)
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
