"""Reports of a run: a text summary for people, JSON for machines."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmon.runner import MetricRow, RunResult


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned text table (no terminal library needed; pipes and CI logs read it as it is)."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"  # counts read as counts
        return f"{value:.4g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _latest(metrics: Sequence[MetricRow]) -> list[MetricRow]:
    """Each monitor's rows of its latest window: the current state, which a summary shows."""
    latest: dict[str, Any] = {}
    for row in metrics:
        key = row.window.start if row.window else None
        if row.monitor not in latest or (key is not None and key > latest[row.monitor]):
            latest[row.monitor] = key
    return [r for r in metrics if (r.window.start if r.window else None) == latest[r.monitor]]


def text_report(result: RunResult, fail_on: str, exit_code: int) -> str:
    lines = [f"sqlmon run {result.run_id[:12]}: {result.status}, as of {result.as_of.isoformat(sep=' ')}"]
    for source, windows in result.windows.items():
        if windows:
            lines.append(
                f"  {source}: {len(windows)} window(s) computed, {windows[0].start:%Y-%m-%d %H:%M} → "
                f"{windows[-1].end:%Y-%m-%d %H:%M}"
            )
        elif any(r.source == source and r.window is None for r in result.metrics):
            lines.append(f"  {source}: measured whole (no timestamp column, so no windows)")
        else:
            lines.append(f"  {source}: no new window to compute")
    seconds = (result.finished_at - result.started_at).total_seconds()
    plural = "s" if result.statements != 1 else ""
    lines.append(f"  {result.statements} SQL statement{plural}, {seconds:.1f} s")
    if result.error:
        lines += ["", f"error: {result.error}"]
        if not result.metrics and not result.alerts:
            return "\n".join(lines)
    latest = _latest(result.metrics)
    rows = [r for r in latest if r.ruled]
    if rows:
        lines += ["", "Latest window of each monitor (metrics with a threshold rule):"]
        segmented = any(r.segment is not None for r in rows)  # the column appears only when it says something
        lines.append(
            table(
                ["monitor", "window", *(["segment"] if segmented else []), "column", "metric", "value", "status"],
                [
                    [
                        r.monitor,
                        f"{r.window.start:%Y-%m-%d %H:%M}" if r.window else "now",
                        *([r.segment or "(all)"] if segmented else []),
                        r.column,
                        r.metric,
                        r.value,
                        r.status.upper() if r.status != "ok" else "ok",
                    ]
                    for r in rows
                ],
            )
        )
    if len(latest) > len(rows):
        lines.append(
            f"({len(latest) - len(rows)} more metric value(s) without a rule are stored; "
            "`--format json` lists them all.)"
        )
    lines.append("")
    if result.warnings:
        lines.append(f"Segments cut ({len(result.warnings)}):")
        lines += [
            f"  {w.monitor}, window {f'{w.window.start:%Y-%m-%d %H:%M}' if w.window else 'now'}: {w.message}"
            for w in result.warnings
        ]
        lines.append("")
    if result.alerts:
        lines.append(f"Alerts ({len(result.alerts)}):")
        lines.append(
            table(
                ["window", "severity", "monitor", "message"],
                [
                    [
                        f"{a.window_start:%Y-%m-%d %H:%M}" if a.window_start else "-",
                        a.severity.upper(),
                        a.monitor,
                        a.message,
                    ]
                    for a in sorted(result.alerts, key=lambda a: (a.window_start or datetime.min, a.monitor))
                ],
            )
        )
    else:
        lines.append("No alerts.")
    errors = sum(a.severity == "error" for a in result.alerts)
    warns = len(result.alerts) - errors
    lines.append(f"\n{errors} error(s), {warns} warning(s); exit {exit_code} (--fail-on {fail_on})")
    return "\n".join(lines)


def json_report(result: RunResult, exit_code: int, extra: dict[str, Any] | None = None) -> str:
    def window(w: Any) -> dict[str, str] | None:
        return {"start": w.start.isoformat(), "end": w.end.isoformat()} if w else None

    payload = {
        "run_id": result.run_id,
        "status": result.status,
        "error": result.error,
        "exit_code": exit_code,
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat(),
        "as_of": result.as_of.isoformat(),
        "statements": result.statements,
        "windows": {source: [window(w) for w in ws] for source, ws in result.windows.items()},
        "metrics": [
            {
                "monitor": r.monitor,
                "monitor_type": r.monitor_type,
                "source": r.source,
                "column": r.column,
                "segment": r.segment,
                "metric": r.metric,
                "value": r.value,
                "window": window(r.window),
                "status": r.status,
                "detail": r.detail,
            }
            for r in result.metrics
        ],
        "alerts": [
            {
                "monitor": a.monitor,
                "column": a.column,
                "segment": a.segment,
                "metric": a.metric,
                "value": a.value,
                "severity": a.severity,
                "rule": a.rule,
                "message": a.message,
                "window_start": a.window_start.isoformat() if a.window_start else None,
            }
            for a in result.alerts
        ],
        "warnings": [
            {
                "monitor": w.monitor,
                "window": window(w.window),
                "segments": w.segments,
                "kept": w.kept,
                "message": w.message,
            }
            for w in result.warnings
        ],
        **(extra or {}),
    }
    return json.dumps(_finite(payload), indent=2, allow_nan=False)


def _finite(value: Any) -> Any:
    """JSON has no NaN or Infinity: a non-finite metric value becomes null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
