"""The rows of the text report's table of latest values, with what is fine folded: a monitor's `ok` values of one
window are one line (`34 columns`, `null_rate`, `ok`), while each `warn` and `error` value keeps its own line.

`columns: all` on a wide table judges one metric per column; listed one by one, 34 lines of `null_rate 0 ok` would
push the lines that matter off the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmon.config.durations import span_text
from sqlmon.results import MetricRow


def _window(row: MetricRow) -> str:
    return f"{row.window.start:%Y-%m-%d %H:%M}" if row.window else "now"


def _value(row: MetricRow) -> Any:
    return span_text(row.value) if row.unit == "seconds" and row.value is not None else row.value


def _counted(values: Sequence[str | None], plural: str) -> str | None:
    """The one value they share, or how many distinct ones there are (`34 columns`)."""
    distinct = list(dict.fromkeys(values))
    return distinct[0] if len(distinct) == 1 else f"{len(distinct)} {plural}"


def latest_rows(rows: Sequence[MetricRow], segmented: bool) -> list[list[Any]]:
    """Table rows, per monitor and window in the order of `rows`: each `warn`/`error` value as it is, then the `ok`
    values — one as it is, two or more folded into one line."""
    groups: dict[tuple[str, str], list[MetricRow]] = {}
    for row in rows:
        groups.setdefault((row.monitor, _window(row)), []).append(row)
    table: list[list[Any]] = []
    for (monitor, window), group in groups.items():
        ok = [row for row in group if row.status == "ok"]
        listed = [row for row in group if row.status != "ok"] + (ok if len(ok) == 1 else [])
        for row in listed:
            segment = [row.segment or "(all)"] if segmented else []
            table.append([monitor, window, *segment, row.column, row.metric, _value(row), _status(row)])
        if len(ok) > 1:
            segments = [_counted([r.segment or "(all)" for r in ok], "segments")] if segmented else []
            column, metric = _counted([r.column for r in ok], "columns"), _counted([r.metric for r in ok], "metrics")
            table.append([monitor, window, *segments, column, metric, None, f"{len(ok)} ok"])
    return table


def _status(row: MetricRow) -> str:
    return row.status.upper() if row.status != "ok" else "ok"
