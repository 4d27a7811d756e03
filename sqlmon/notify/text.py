"""The text report: a summary of the run for people, in a terminal or a CI log.

On a terminal, severities and statuses are coloured (unless NO_COLOR is set, https://no-color.org); in a pipe or a
file, and in every message built from `render`, the text is plain.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TextIO

import click

from sqlmon.aligned import table
from sqlmon.notify.base import Notifier, Report
from sqlmon.notify.folding import latest_rows
from sqlmon.results import Alert, MetricRow, RunResult


def _latest(metrics: Sequence[MetricRow]) -> list[MetricRow]:
    """Each monitor's rows of its latest window: the current state, which a summary shows."""
    latest: dict[str, Any] = {}
    for row in metrics:
        key = row.window.start if row.window else None
        if row.monitor not in latest or (key is not None and key > latest[row.monitor]):
            latest[row.monitor] = key
    return [r for r in metrics if (r.window.start if r.window else None) == latest[r.monitor]]


COLOURS = {"error": "red", "warn": "yellow", "ok": "green", "success": "green"}
COLOURED = {"status", "severity"}  # the table columns that carry a severity


def wants_colour(stream: TextIO) -> bool:
    """A terminal, and no NO_COLOR of any non-empty value."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def _colour(text: str) -> str:
    word = text.split()[-1].lower() if text.strip() else ""
    colour = COLOURS.get(word)
    return click.style(text, fg=colour, bold=True if word == "error" else None) if colour else text


def _painter(colour: bool) -> Callable[[str, str], str] | None:
    return (lambda header, text: _colour(text) if header in COLOURED else text) if colour else None


def text_report(result: RunResult, fail_on: str, exit_code: int, colour: bool = False) -> str:
    paint = _painter(colour)
    status = _colour(result.status) if colour else result.status
    lines = [f"sqlmon run {result.run_id[:12]}: {status}, as of {result.as_of.isoformat(sep=' ')}"]
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
        if source in result.notes:
            lines.append(f"  {source}: {result.notes[source]}")
    for source in result.failed_sources:
        lines.append(f"  {source}: failed on the warehouse; nothing of it stored (error below)")
    seconds = (result.finished_at - result.started_at).total_seconds()
    plural = "s" if result.statements != 1 else ""
    lines.append(f"  {result.statements} SQL statement{plural}, {seconds:.1f} s")
    if result.error:
        lines += ["", f"error: {result.error}"]
        if not result.metrics and not result.current_alerts:
            return "\n".join(lines)
    latest = _latest(result.metrics)
    rows = [r for r in latest if r.ruled]
    if rows:
        lines += ["", "Latest window of each monitor (metrics with a threshold rule):"]
        segmented = any(r.segment is not None for r in rows)  # the column appears only when it says something
        lines.append(
            table(
                ["monitor", "window", *(["segment"] if segmented else []), "column", "metric", "value", "status"],
                latest_rows(rows, segmented),
                paint,
            )
        )
    if len(latest) > len(rows):
        lines.append(
            f"({len(latest) - len(rows)} more metric value(s) without a rule are stored; "
            "`--format json` lists them all.)"
        )
    lines += _not_judged(latest)
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
        lines.append(_alert_table(result.alerts, paint))
    elif not result.open_alerts:
        lines.append("No alerts.")
    else:
        lines.append("No new alerts.")
    if result.open_alerts:
        lines += ["", f"Still open from earlier runs ({len(result.open_alerts)}): the latest window of these monitors"]
        lines.append(_alert_table(result.open_alerts, paint))
    if result.notifications:
        lines += ["", "Notifications (after the results were stored):"]
        lines += [f"  {delivery.line}" for delivery in result.notifications]
    current = result.current_alerts
    errors = sum(a.severity == "error" for a in current)
    warns = len(current) - errors
    still = f" ({len(result.open_alerts)} still open from earlier runs)" if result.open_alerts else ""
    lines.append(f"\n{errors} error(s), {warns} warning(s){still}; exit {exit_code} (--fail-on {fail_on})")
    return "\n".join(lines)


MAX_NOTES = 8


def _not_judged(latest: Sequence[MetricRow]) -> list[str]:
    """Rules that apply but could not judge the latest window (too few rows, too little history), and why: a rule
    that stays silent says so."""
    by_subject: dict[tuple[str, str | None, str | None], list[str]] = {}
    for row in latest:
        for note in row.notes:
            notes = by_subject.setdefault((row.monitor, row.column, row.segment), [])
            if note not in notes:
                notes.append(note)
    if not by_subject:
        return []
    lines = [f"Not judged in the latest window ({len(by_subject)}):"]
    for (monitor, column, segment), notes in list(by_subject.items())[:MAX_NOTES]:
        subject = monitor + (f", {column}" if column else "") + (f" (segment {segment})" if segment else "")
        lines.append(f"  {subject}: {'; '.join(notes)}")
    if len(by_subject) > MAX_NOTES:
        lines.append(f"  ({len(by_subject) - MAX_NOTES} more; `--format json` lists every metric's notes)")
    return lines


def _alert_table(alerts: Sequence[Alert], paint: Callable[[str, str], str] | None) -> str:
    return table(
        ["window", "severity", "monitor", "message"],
        [
            [
                f"{a.window_start:%Y-%m-%d %H:%M}" if a.window_start else "-",
                a.severity.upper(),
                a.monitor,
                a.message,
            ]
            for a in sorted(alerts, key=lambda a: (a.window_start or datetime.min, a.monitor))
        ],
        paint,
    )


class TextNotifier(Notifier):
    name = "text"

    def render(self, report: Report) -> str:
        return text_report(report.run, report.fail_on, report.exit_code)

    def send(self, report: Report) -> None:
        # the decision is made here, not left to click's own stripping, so NO_COLOR is honoured on a terminal too
        colour = wants_colour(sys.stdout)
        click.echo(text_report(report.run, report.fail_on, report.exit_code, colour), color=colour)
