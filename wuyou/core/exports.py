"""Tables as CSV people open in Excel or WPS: formula injection escaped, Chinese readable (reliability bar).

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by spreadsheet programs as a formula
(CSV injection, OWASP): such text gets a leading apostrophe, which the programs show as text. Numbers stay numbers
(a negative amount is not text someone typed). The file starts with a UTF-8 byte-order mark so that Excel reads
Chinese names right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def csv_cell(value: object) -> str:
    """One cell as text: None is empty, numbers as written, text that a spreadsheet would run is escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole file: the byte-order mark, the header and the rows, every cell through csv_cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return BOM + out.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> HttpResponse:
    """A download of the table (`filename` without path; ASCII, e.g. `satisfaction-2026-11.csv`)."""
    safe = "".join(c for c in filename if c.isascii() and (c.isalnum() or c in "-_.")).lstrip(".") or "export.csv"
    response = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response
