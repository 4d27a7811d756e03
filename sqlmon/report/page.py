"""The report as one HTML page: an overview, a section per monitor (`#monitor-<name>`, which notifications link to),
schema changes, and filters. Style sheet and script are inlined; charts are inline SVG (sqlmon.report.svg). Every
name and message is escaped: monitor names, segment values and alert messages come from users' data."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import Path

from sqlmon import __version__
from sqlmon.config.specs import ThresholdRule
from sqlmon.report.data import AlertMark, Bin, MonitorData, ReportData
from sqlmon.report.svg import (
    PALETTE,
    Level,
    Line,
    Mark,
    TimeAxis,
    histogram_chart,
    number,
    reliability_chart,
    series_chart,
    status_strip,
)

ASSETS = Path(__file__).parent
# Metrics drawn even without a rule: none. These are never drawn unless alerted: bookkeeping, not signals.
QUIET = frozenset({"ks_error", "wasserstein_error", "segments_dropped"})
LINES_PER_CHART = 6
ALERTS_LISTED = 200


def _a(value: object) -> str:
    return escape(str(value), quote=True)


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return f"{value:%Y-%m-%d}" if value.time() == datetime.min.time() else f"{value:%Y-%m-%d %H:%M}"


def levels_of(rule: ThresholdRule | None, unit: str | None) -> list[Level]:
    """The threshold lines of a metric: one per level, two for a [low, high] range."""
    if rule is None:
        return []
    levels = []
    for severity in ("warn", "error"):
        level = getattr(rule, severity)
        if level is None:
            continue
        if isinstance(level, tuple):
            text = f"{severity} outside [{number(level[0], unit)}, {number(level[1], unit)}]"
            levels += [Level(severity, level[0], text), Level(severity, level[1], text)]
        else:
            sign = ">" if rule.direction == "above" else "<"
            levels.append(Level(severity, float(level), f"{severity} {sign} {number(level, unit)}"))
    return levels


_SPAN_PART = re.compile(r"(\d+) (day|hour|minute|s)s?\b")
_SPAN_SECONDS = {"day": 86400, "hour": 3600, "minute": 60, "s": 1}
_RULE = re.compile(r"^threshold (?:([<>]) (.+)|outside \[(.+), (.+)\])$")


def _level_value(text: str, unit: str | None) -> float | None:
    """A level as an alert's rule wrote it (`0.25`, `1 day 2 hours`) back as a number, or None."""
    if unit == "seconds":
        parts = _SPAN_PART.findall(text)
        return float(sum(int(n) * _SPAN_SECONDS[u] for n, u in parts)) if parts else None
    try:
        return float(text)
    except ValueError:
        return None


def alerted_levels(
    item: MonitorData, metric: str, segment: str | None, unit: str | None, columns: Sequence[str | None] | None = None
) -> list[Level]:
    """The levels of the newest threshold alert of each severity on a metric, read back from its rule text: for
    rules the kind sets per value (drift levels that follow the sample size, freshness from `warn_after`), which
    are not in the configuration. Only the chart's own segment counts: a drift rule picks its test by the sample
    size, so a segment's level says nothing of the whole window's. Of the chart's `columns`, each column's newest
    rule counts; when they differ (levels that follow each column's sample size), a severity gets no line."""
    newest: dict[tuple[str, str | None], str] = {}
    for alert in sorted(item.alerts, key=lambda a: a.window_start):
        if columns is not None and alert.column not in columns:
            continue
        if alert.metric == metric and alert.segment == segment and alert.rule.startswith("threshold "):
            newest[(alert.severity, alert.column)] = alert.rule
    by_severity: dict[str, set[str]] = {}
    for (severity, _), rule in newest.items():
        by_severity.setdefault(severity, set()).add(rule)
    rules = {severity: next(iter(found)) for severity, found in by_severity.items() if len(found) == 1}
    levels: list[Level] = []
    for severity, rule in sorted(rules.items()):
        match = _RULE.match(rule)
        if not match:
            continue
        sign, level, low, high = match.groups()
        text = f"{severity} {rule.removeprefix('threshold ')}"
        values = [_level_value(level, unit)] if sign else [_level_value(low, unit), _level_value(high, unit)]
        if None not in values:
            levels += [Level(severity, value, text) for value in values if value is not None]
    return levels


def chart_levels(
    item: MonitorData, metric: str, segment: str | None, unit: str | None, columns: Sequence[str | None] | None = None
) -> list[Level]:
    """The monitor's own thresholds for the metric; else the levels its alerts broke; else the kind's defaults."""
    if metric in item.spec.thresholds:
        return levels_of(item.spec.thresholds[metric], unit)
    return alerted_levels(item, metric, segment, unit, columns) or levels_of(item.thresholds.get(metric), unit)


def charted_metrics(item: MonitorData) -> list[str]:
    """The metrics drawn over time: the kind's headline ones, those with a rule, and any that alerted or has an
    anomaly band; the others are in the monitor's table of latest values."""
    present = {metric for metric, _, _ in item.series}
    alerted = {a.metric for a in item.alerts}
    banded = {metric for metric, _, _ in item.bands}
    wanted = [*item.headline, *item.thresholds, *sorted(alerted | banded)]
    ordered: list[str] = []
    for metric in wanted:
        if metric in present and metric not in ordered and (metric not in QUIET or metric in alerted):
            ordered.append(metric)
    return ordered


def _series_figures(item: MonitorData, axis: TimeAxis) -> list[str]:
    figures = []
    segments: list[str | None] = [None, *item.segments]
    for metric in charted_metrics(item):
        unit = item.units.get(metric)
        for segment in segments:
            columns = sorted(
                {c for m, c, s in item.series if m == metric and s == segment}, key=lambda c: (c is not None, c or "")
            )
            if not columns:
                continue
            chunks = [columns[i : i + LINES_PER_CHART] for i in range(0, len(columns), LINES_PER_CHART)]
            for number_, chunk in enumerate(chunks, 1):
                levels = chart_levels(item, metric, segment, unit, chunk)
                figures.append(_series_figure(item, axis, metric, segment, chunk, levels, unit, number_, len(chunks)))
    return figures


def _series_figure(
    item: MonitorData,
    axis: TimeAxis,
    metric: str,
    segment: str | None,
    columns: Sequence[str | None],
    levels: Sequence[Level],
    unit: str | None,
    part: int,
    parts: int,
) -> str:
    lines, marks = [], []
    for index, column in enumerate(columns):
        key = (metric, column, segment)
        points = [(p.start, p.value) for p in item.series[key]]
        band = [(b.start, b.expected, b.lower, b.upper) for b in item.bands.get(key, [])]
        lines.append(Line(column or "", points, band))
        marks += [
            Mark(index, a.window_start, a.value, a.severity, a.message)
            for a in item.alerts
            if (a.metric, a.column, a.segment) == key
        ]
    title = metric + (f" (segment {segment})" if segment is not None else "")
    if parts > 1:
        title += f", part {part} of {parts}"
    legend = "".join(
        f'<span class="swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>{_a(line.label)}'
        for i, line in enumerate(lines)
        if line.label
    )
    svg = series_chart(axis, lines, levels, marks, unit, f"{item.name}: {title}")
    return (
        f'<figure class="chart" data-chart="series" data-metric="{_a(metric)}" data-segment="{_a(segment or "")}">'
        f"<figcaption><b>{_a(title)}</b>{legend}</figcaption>{svg}</figure>"
    )


def _histogram_figures(item: MonitorData) -> list[str]:
    figures = []
    for (column, segment), bins in sorted(item.histograms.items(), key=lambda kv: (kv[0][1] or "", kv[0][0] or "")):
        sides = {b.side for b in bins}
        where = f" (segment {segment})" if segment is not None else ""
        caption = f"{column or item.name}{where}, window {_when(item.histogram_window)}"
        if {"predicted", "observed"} <= sides:
            svg = reliability_chart(_reliability_points(bins), f"{item.name}: reliability of {caption}")
            kind, text = "reliability", f"reliability: {caption}"
        else:
            categorical = any(b.category is not None for b in bins)
            names, base, cur, edges = _sides(bins, categorical)
            svg = histogram_chart(names, base, cur, f"{item.name}: {caption}", None if categorical else edges)
            kind, text = ("bars" if categorical else "histogram"), f"baseline vs current: {caption}"
        figures.append(
            f'<figure class="chart" data-chart="{kind}" data-segment="{_a(segment or "")}">'
            f"<figcaption><b>{_a(text)}</b></figcaption>{svg}</figure>"
        )
    return figures


def _bin_name(b: Bin) -> str:
    if b.category is not None:
        return "other" if b.category == "__other__" else b.category
    lo = "−∞" if b.lower is None else number(b.lower)
    hi = "∞" if b.upper is None else number(b.upper)
    return f"{lo}–{hi}"


def _sides(
    bins: Sequence[Bin], categorical: bool
) -> tuple[list[str], list[float | None], list[float | None], list[float | None]]:
    """Bin names, each side's shares by bin, and (numeric bins) the edges: the current side's bins, in order, with
    the baseline's share of the same bin."""
    by_side: dict[str, dict[int, Bin]] = {}
    for b in bins:
        by_side.setdefault(b.side, {})[b.index] = b
    indexes = sorted(set(by_side.get("current", {})) | set(by_side.get("baseline", {})))
    names, base, cur = [], [], []
    for index in indexes:
        b = by_side.get("current", {}).get(index) or by_side["baseline"][index]
        names.append(_bin_name(b))
        base.append(_share(by_side.get("baseline", {}).get(index)))
        cur.append(_share(by_side.get("current", {}).get(index)))
    edges: list[float | None] = []
    if not categorical and indexes:
        ordered = [by_side.get("current", {}).get(i) or by_side["baseline"][i] for i in indexes]
        edges = [b.lower for b in ordered] + [ordered[-1].upper]
    return names, base, cur, edges


def _share(b: Bin | None) -> float | None:
    return None if b is None else (b.fraction or 0.0)


def _reliability_points(bins: Sequence[Bin]) -> list[tuple[float, float, float]]:
    predicted = {b.index: b for b in bins if b.side == "predicted"}
    observed = {b.index: b for b in bins if b.side == "observed"}
    points = []
    for index, p in predicted.items():
        o = observed.get(index)
        if o is not None and p.count > 0 and p.fraction is not None and o.fraction is not None:
            points.append((p.fraction, o.fraction, p.count))
    return points


def _subject(alert: AlertMark) -> str:
    subject = f"{alert.metric} of {alert.column}" if alert.column else alert.metric
    return subject + (f" ({alert.segment})" if alert.segment is not None else "")


def _latest_table(item: MonitorData) -> str:
    """Every metric of the newest window, one row per column and segment: the numbers behind the charts."""
    if item.latest_window is None:
        return ""
    latest = {
        key: points[-1].value
        for key, points in item.series.items()
        if points and points[-1].start == item.latest_window
    }
    metrics = sorted({metric for metric, _, _ in latest})
    rows = sorted({(c, s) for _, c, s in latest}, key=lambda cs: (cs[1] is not None, cs[1] or "", cs[0] or ""))
    head = "".join(f"<th>{_a(m)}</th>" for m in metrics)
    body = []
    for column, segment in rows:
        cells = []
        for metric in metrics:
            value = latest.get((metric, column, segment))
            cells.append(f'<td class="num">{"—" if value is None else _a(number(value, item.units.get(metric)))}</td>')
        label = (column or "(monitor)") + (f" · {segment}" if segment is not None else "")
        body.append(f"<tr><td>{_a(label)}</td>{''.join(cells)}</tr>")
    return (
        f"<details><summary>Latest values, window {_when(item.latest_window)} ({len(latest)} "
        f"number{'' if len(latest) == 1 else 's'})</summary>"
        f'<div class="scroll"><table><tr><th></th>{head}</tr>{"".join(body)}</table></div></details>'
    )


def _alerts_table(item: MonitorData) -> str:
    if not item.alerts:
        return ""
    newest = sorted(item.alerts, key=lambda a: (a.window_start, a.severity == "error"), reverse=True)
    rows = "".join(
        f'<tr><td class="when">{_when(a.window_start)}</td>'
        f'<td><span class="badge {_a(a.severity)}">{_a(a.severity)}</span></td>'
        f"<td>{_a(_subject(a))}</td><td>{_a(a.message)}</td></tr>"
        for a in newest[:ALERTS_LISTED]
    )
    more = f"<p class='note'>and {len(newest) - ALERTS_LISTED} older alerts</p>" if len(newest) > ALERTS_LISTED else ""
    return (
        f"<details><summary>Alerts in these days ({len(item.alerts)})</summary>"
        f"<table><tr><th>window</th><th>severity</th><th>metric</th><th>message</th></tr>{rows}</table>{more}</details>"
    )


def _monitor_section(item: MonitorData, axis: TimeAxis | None) -> str:
    spec = item.spec
    facts = [f"<b>{_a(spec.type)}</b>", f"source <b>{_a(spec.source)}</b>"]
    if spec.owner:
        facts.append(f"owner {_a(spec.owner)}")
    if spec.tags:
        facts.append("tags " + ", ".join(_a(t) for t in spec.tags))
    facts.append(f"latest window {_when(item.latest_window)}")
    open_alerts = sorted(item.open_alerts, key=lambda a: a.severity != "error")
    alerts = "".join(f'<li class="{_a(a.severity)}">{_a(a.message)}</li>' for a in open_alerts)
    figures = (_series_figures(item, axis) if axis else []) + _histogram_figures(item)
    charts = "".join(figures) if figures else "<p class='note'>Nothing stored for this monitor in these days.</p>"
    description = f"<p>{_a(item.description)}</p>" if item.description else ""
    return (
        f'<section class="monitor card" id="monitor-{_a(item.name)}" data-monitor="{_a(item.name)}"'
        f' data-source="{_a(item.source)}" data-status="{item.status}">'
        f'<h2><a class="anchor" href="#monitor-{_a(item.name)}" title="link to this monitor">#</a>{_a(item.name)} '
        f'<span class="badge {item.status}">{item.status.replace("_", " ")}</span></h2>'
        f'<p class="meta">{" · ".join(facts)}</p>{description}'
        f"{f'<ul class=open-alerts>{alerts}</ul>' if alerts else ''}"
        f'<div class="charts">{charts}</div>{_latest_table(item)}{_alerts_table(item)}</section>'
    )


def _overview(data: ReportData, axis: TimeAxis | None) -> str:
    owners = any(item.spec.owner for item in data.monitors)  # a column of blanks says nothing
    rows = []
    for item in data.monitors:
        strip = status_strip(axis, item.worst_by_window()) if axis else ""
        rows.append(
            f'<tr class="overview-row" data-monitor="{_a(item.name)}" data-source="{_a(item.source)}"'
            f' data-status="{item.status}"><td><a href="#monitor-{_a(item.name)}">{_a(item.name)}</a></td>'
            f"<td>{_a(item.source)}</td><td>{_a(item.spec.type)}</td>"
            f'<td><span class="badge {item.status}">{item.status.replace("_", " ")}</span></td>'
            f'<td class="num">{len(item.open_alerts)}</td><td class="when">{_when(item.latest_window)}</td>'
            + (f"<td>{_a(item.spec.owner or '')}</td>" if owners else "")
            + f"<td>{strip}</td></tr>"
        )
    return (
        '<section class="card" id="overview-section"><h2>Overview</h2><table id="overview"><tr><th>monitor</th>'
        "<th>source</th><th>kind</th><th>status</th><th>open alerts</th><th>latest window</th>"
        + ("<th>owner</th>" if owners else "")
        + f"<th>alerts per window</th></tr>{''.join(rows)}</table></section>"
    )


def _schema_changes(data: ReportData) -> str:
    if not data.schema_changes:
        return (
            '<section class="card" id="schema-changes"><h2>Schema changes</h2>'
            "<p class='note'>No column of a monitored table was added, removed or retyped in these days.</p></section>"
        )
    rows = "".join(
        f'<tr class="schema-row" data-source="{_a(c.source)}"><td class="when">{_when(c.observed_at)}</td>'
        f"<td>{_a(c.source)}</td>"
        f"<td>{_a(c.table)}</td><td>{_a(c.column)}</td><td>{_a(c.change)}</td><td>{_a(c.detail)}</td></tr>"
        for c in data.schema_changes
    )
    return (
        '<section class="card" id="schema-changes"><h2>Schema changes</h2><table><tr><th>seen at</th><th>source</th>'
        f"<th>table</th><th>column</th><th>change</th><th>type</th></tr>{rows}</table></section>"
    )


def _select(name: str, label: str, options: Sequence[tuple[str, str]]) -> str:
    choices = "".join(f'<option value="{_a(value)}">{_a(text)}</option>' for value, text in options)
    return f'<label for="filter-{name}">{label}<select id="filter-{name}">{choices}</select></label>'


def _filters(data: ReportData) -> str:
    sources = sorted({m.source for m in data.monitors})
    segments = sorted({s for m in data.monitors for s in m.segments})
    return (
        '<nav class="filters" aria-label="filters">'
        + _select("source", "source", [("", "all"), *[(s, s) for s in sources]])
        + _select("monitor", "monitor", [("", "all"), *[(m.name, m.name) for m in data.monitors]])
        + _select("severity", "status", [("", "any"), ("warn", "warn or error"), ("error", "error")])
        + _select("segment", "segment", [("", "all"), ("__overall__", "overall only"), *[(s, s) for s in segments]])
        + '<button type="button" id="filter-reset">reset</button><span id="filter-count"></span></nav>'
    )


def render(data: ReportData, generated_at: datetime) -> str:
    starts = [p.start for m in data.monitors for points in m.series.values() for p in points]
    # the axis spans the windows there are, not the days asked for: 14 days of data fill a 30-day report's width
    axis = TimeAxis(min(starts), data.until) if starts and data.until else None
    counts = {status: sum(1 for m in data.monitors if m.status == status) for status in ("error", "warn", "ok")}
    if starts and data.until:
        span = f"windows {_when(min(starts))} to {_when(data.until)} (up to {data.days} days back from the newest)"
    else:
        span = "no windows stored yet"
    last = (
        f"last run finished {_when(data.last_run[0])} ({_a(data.last_run[1])})" if data.last_run else "no finished run"
    )
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n) or (
        "no data yet" if data.monitors else "no monitors"
    )
    css = (ASSETS / "report.css").read_text(encoding="utf-8")
    script = (ASSETS / "report.js").read_text(encoding="utf-8")
    sections = "".join(_monitor_section(item, axis) for item in data.monitors)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # No request of any kind: a policy that forbids every fetch but the inlined style and script.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">"
        f"<title>sqlmon report: {_a(data.project)}</title><style>{css}</style></head><body>"
        f'<main id="sqlmon-report"><header><h1>{_a(data.project)}</h1>'
        f'<p class="meta">{summary} · target {_a(data.target)} ({_a(data.warehouse)}), results schema '
        f"<code>{_a(data.schema)}</code> · {span} · {last}</p></header>"
        f"{_filters(data)}{_overview(data, axis)}{_schema_changes(data)}{sections}"
        f'<footer class="note">Written by sqlmon {_a(__version__)} at {generated_at:%Y-%m-%d %H:%M} UTC. One file, '
        "nothing fetched: it works offline and can be attached or archived as it is.</footer>"
        f"</main><script>{script}</script></body></html>\n"
    )
