"""Plain aligned text tables, for the reports and the commands that list rows (no terminal library needed; pipes
and CI logs read them as they are)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], paint: Callable[[str, str], str] | None = None) -> str:
    """Columns padded to their widest cell, a rule of dashes under the headers, no trailing spaces.

    `paint(header, text)` may wrap a body cell in colour codes: it gets the text before padding, so the codes never
    count towards a column's width.
    """
    cells = [[str(h) for h in headers]] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def pad(header: str, value: str, width: int, body: bool) -> str:
        shown = paint(header, value) if paint and body else value
        return shown + " " * (width - len(value))

    lines = [
        "  ".join(pad(h, value, width, n > 0) for h, value, width in zip(headers, row, widths, strict=True)).rstrip()
        for n, row in enumerate(cells)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"  # counts read as counts
        return f"{value:.4g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)
