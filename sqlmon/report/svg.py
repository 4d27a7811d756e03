"""Charts as inline SVG, drawn in Python: the report needs no chart library, no script to draw, and no request.

Every chart is a string of SVG with classes the page's CSS colours (`value-line`, `threshold warn`, `band`, `alert
error` …) and a `<title>` on each mark, which browsers show on hover. Numbers are written with at most four
significant digits and coordinates to one decimal, which keeps the demo's report in a few hundred KB.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from sqlmon.config.durations import span_text

# Okabe & Ito's palette, told apart with the common colour-vision deficiencies; the first is the single-line colour.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

WIDTH, HEIGHT = 500, 190
LEFT, RIGHT, TOP, BOTTOM = 58, 92, 10, 24


def number(value: float, unit: str | None = None) -> str:
    """A value as the charts label it: a duration for seconds, else four significant digits."""
    if unit == "seconds":
        return span_text(value)
    if value == 0:
        return "0"
    if abs(value) >= 1e6 or abs(value) < 1e-3:
        return f"{value:.3g}"
    return f"{value:.4g}"


def _c(value: float) -> str:
    """A coordinate: one decimal, no trailing zero."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values that cover [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if hi <= lo or not math.isfinite(hi - lo):  # nothing to divide, or a span no double holds
        return [lo] if hi <= lo else [lo, hi]
    raw = (hi - lo) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def duration_ticks(lo: float, hi: float) -> list[float]:
    """Ticks for seconds at whole hours or days, so the axis reads `6 hours`, not `21600`."""
    for unit in (86400, 3600, 60):
        if hi - lo >= 2 * unit:
            ticks = nice_ticks(lo / unit, hi / unit)
            return [t * unit for t in ticks]
    return nice_ticks(lo, hi)


@dataclass(frozen=True)
class TimeAxis:
    """The x axis every time-series chart of a report shares, so charts line up window for window."""

    start: datetime
    end: datetime

    def x(self, when: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1.0
        return LEFT + (WIDTH - LEFT - RIGHT) * (when - self.start).total_seconds() / span

    def ticks(self) -> list[datetime]:
        days = max((self.end - self.start).days, 1)
        step = next((s for s in (1, 2, 7, 14, 28, 56, 91, 182, 364) if days / s <= 6), 364)
        first = self.start.replace(hour=0, minute=0, second=0, microsecond=0)
        if first < self.start:
            first += timedelta(days=1)
        ticks, when = [], first
        while when <= self.end:
            ticks.append(when)
            when += timedelta(days=step)
        return ticks


@dataclass(frozen=True)
class Line:
    label: str  # the column, or "" for a metric of the whole monitor
    points: Sequence[tuple[datetime, float | None]]
    band: Sequence[tuple[datetime, float | None, float | None, float | None]] = ()  # (start, expected, lower, upper)


@dataclass(frozen=True)
class Mark:
    """An alert on a line: where, how bad, and what it said."""

    line: int
    start: datetime
    value: float | None
    severity: str
    message: str


@dataclass(frozen=True)
class Level:
    severity: str  # warn | error
    value: float
    text: str  # `warn > 0.1`


def _y_scale(values: Sequence[float], levels: Sequence[Level]) -> tuple[float, float, list[Level], list[Level]]:
    """The y range: the values' own, widened to the threshold levels unless a level would squash the data into a
    quarter of the height; those levels are named beside the chart instead of drawn."""
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    shown, off = [], []
    for level in levels:
        wider_lo, wider_hi = min(lo, level.value), max(hi, level.value)
        span = hi - lo
        if span == 0 or (wider_hi - wider_lo) <= 4 * span:
            shown.append(level)
        else:
            off.append(level)
    lo = min([lo, *(level.value for level in shown)])
    hi = max([hi, *(level.value for level in shown)])
    if hi == lo:  # a constant: put it on an axis from zero, or centred when it is negative
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = (0.0, max(hi * 1.25, 1.0)) if lo >= 0 else (lo - pad, hi + pad)
    else:
        pad = (hi * 0.5 - lo * 0.5) * 0.12  # halves first: a span near the largest double must not overflow
        lo, hi = lo - pad, hi + pad
        if lo < 0 <= min(values, default=0):  # a rate or count does not go below zero on its axis
            lo = 0.0
    return lo, hi, shown, off


def series_chart(
    axis: TimeAxis,
    lines: Sequence[Line],
    levels: Sequence[Level],
    marks: Sequence[Mark],
    unit: str | None,
    title: str,
) -> str:
    """A metric over time: one line per column, threshold levels, the anomaly rule's band, and alert markers."""
    values = [v for line in lines for _, v in line.points if v is not None]
    values += [b for line in lines for _, _, lo, hi in line.band for b in (lo, hi) if b is not None]
    lo, hi, shown, off = _y_scale(values, levels)
    plot_h = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_h * (1 - (value * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5))

    show: Callable[[float], str] = lambda v: number(v, unit)  # noqa: E731
    parts = [_frame(title)]
    ticks = duration_ticks(lo, hi) if unit == "seconds" else nice_ticks(lo, hi)
    for tick in ticks:
        if lo <= tick <= hi:
            parts.append(
                f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_c(y(tick))}" y2="{_c(y(tick))}"/>'
                f'<text class="tick" x="{LEFT - 4}" y="{_c(y(tick) + 3)}" text-anchor="end">{escape(show(tick))}</text>'
            )
    for when in axis.ticks():
        x = _c(axis.x(when))
        parts.append(
            f'<line class="grid" x1="{x}" x2="{x}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>'
            f'<text class="tick" x="{x}" y="{HEIGHT - 8}" text-anchor="middle">{when:%b %d}</text>'
        )
    for line in lines:
        parts.extend(_band(axis, line, y, show))
    for level in shown:
        parts.append(
            f'<line class="threshold {level.severity}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_c(y(level.value))}"'
            f' y2="{_c(y(level.value))}"><title>{escape(level.text)}</title></line>'
            f'<text class="level {level.severity}" x="{WIDTH - RIGHT + 4}" y="{_c(y(level.value) + 3)}">'
            f"{escape(level.text)}</text>"
        )
    for index, line in enumerate(lines):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<path class="value-line" stroke="{colour}" d="{_path(axis, line.points, y)}"/>')
        for when, value in line.points:
            if value is None:
                continue
            label = f"{line.label + ': ' if line.label else ''}{when:%Y-%m-%d %H:%M} = {show(value)}"
            parts.append(
                f'<circle class="point" fill="{colour}" cx="{_c(axis.x(when))}" cy="{_c(y(value))}" r="2">'
                f"<title>{escape(label)}</title></circle>"
            )
    for mark in marks:
        if mark.value is None or not lines:
            continue
        value = min(max(mark.value, lo), hi)
        parts.append(
            f'<circle class="alert {mark.severity}" cx="{_c(axis.x(mark.start))}" cy="{_c(y(value))}" r="5">'
            f"<title>{escape(f'{mark.start:%Y-%m-%d %H:%M} = {show(mark.value)}, {mark.severity}: {mark.message}')}"
            "</title></circle>"
        )
    for index, level in enumerate(off):
        above = level.value > hi
        parts.append(
            f'<text class="level {level.severity}" x="{WIDTH - RIGHT + 4}" '
            f'y="{TOP + 10 + 12 * index if above else HEIGHT - BOTTOM - 12 * index}">'
            f"{'↑' if above else '↓'} {escape(level.text)}</text>"
        )
    if not values:
        parts.append(f'<text class="empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no values</text>')
    parts.append("</svg>")
    return "".join(parts)


def _frame(title: str, width: int = WIDTH, height: int = HEIGHT) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img"><title>{escape(title)}</title>'
    )


def _path(axis: TimeAxis, points: Sequence[tuple[datetime, float | None]], y: Callable[[float], float]) -> str:
    """An SVG path through the points; a window without a value breaks the line rather than bridging the gap."""
    commands, pen_down = [], False
    for when, value in points:
        if value is None:
            pen_down = False
            continue
        commands.append(f"{'L' if pen_down else 'M'}{_c(axis.x(when))} {_c(y(value))}")
        pen_down = True
    return "".join(commands)


def _band(axis: TimeAxis, line: Line, y: Callable[[float], float], show: Callable[[float], str]) -> list[str]:
    """The anomaly rule's expected value (dashed) and its band (shaded), in runs of windows that have both bounds."""
    parts: list[str] = []
    run: list[tuple[datetime, float, float]] = []
    runs = []
    for when, _, lower, upper in line.band:
        if lower is None or upper is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append((when, lower, upper))
    if run:
        runs.append(run)
    for segment in runs:
        top = "".join(f"{'L' if i else 'M'}{_c(axis.x(w))} {_c(y(u))}" for i, (w, _, u) in enumerate(segment))
        bottom = "".join(f"L{_c(axis.x(w))} {_c(y(lo))}" for w, lo, _ in reversed(segment))
        first, last = segment[0], segment[-1]
        parts.append(
            f'<path class="band" d="{top}{bottom}Z"><title>anomaly band, {first[0]:%Y-%m-%d} to '
            f"{last[0]:%Y-%m-%d}</title></path>"
        )
    expected = [(when, value) for when, value, _, _ in line.band]
    if any(value is not None for _, value in expected):
        parts.append(f'<path class="expected" d="{_path(axis, expected, y)}"/>')
    return parts


def histogram_chart(
    labels: Sequence[str],
    baseline: Sequence[float | None],
    current: Sequence[float | None],
    title: str,
    edges: Sequence[float | None] | None = None,
) -> str:
    """Baseline against current: a pair of bars per bin or category, heights as shares of each side. Numeric bins
    are labelled at their edges (`edges`, one more than the bins; None for an open end), categories under their
    bars."""
    width, height = WIDTH, 200
    left, right, top, bottom = 48, 12, 10, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([*(v for v in (*baseline, *current) if v is not None), 1e-12])
    ticks = nice_ticks(0, peak, 4)
    hi = max(ticks[-1], peak)
    percent = "{:.0%}" if hi >= 0.05 else "{:.1%}"
    parts = [_frame(title, width, height)]
    for tick in ticks:
        yy = top + plot_h * (1 - tick / hi)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{_c(yy)}" y2="{_c(yy)}"/>'
            f'<text class="tick" x="{left - 4}" y="{_c(yy + 3)}" text-anchor="end">{percent.format(tick)}</text>'
        )
    n = max(len(labels), 1)
    group = plot_w / n
    bar = max(group * 0.4, 0.6)
    every = max(1, math.ceil(n / (10 if edges is not None else 12)))
    for index, label in enumerate(labels):
        x0 = left + group * index + group * 0.1
        for offset, side, shares in ((0.0, "baseline", baseline), (bar, "current", current)):
            share = shares[index] if index < len(shares) else None
            if share is None:
                continue
            h = plot_h * share / hi
            parts.append(
                f'<rect class="bar {side}" x="{_c(x0 + offset)}" y="{_c(top + plot_h - h)}" width="{_c(bar)}"'
                f' height="{_c(max(h, 0))}"><title>{escape(f"{label}: {side} {share:.2%}")}</title></rect>'
            )
        if edges is None and index % every == 0:
            text = label if len(label) <= 12 else label[:11] + "…"
            parts.append(
                f'<text class="tick" x="{_c(x0 + bar)}" y="{height - bottom + 14}" text-anchor="middle">'
                f"{escape(text)}</text>"
            )
    if edges is not None:
        for index, edge in enumerate(edges):
            if edge is None or not math.isfinite(edge) or index % every:
                continue
            x = left + group * index
            parts.append(
                f'<line class="grid" x1="{_c(x)}" x2="{_c(x)}" y1="{height - bottom}" y2="{height - bottom + 4}"/>'
                f'<text class="tick" x="{_c(x)}" y="{height - bottom + 14}" text-anchor="middle">'
                f"{escape(number(edge))}</text>"
            )
    kind = ("bin" if n == 1 else "bins") if edges is not None else ("category" if n == 1 else "categories")
    parts.append(
        f'<text class="axis-note" x="{left}" y="{height - 6}">{n} {kind}; bars: baseline (grey), current (blue)'
        "</text></svg>"
    )
    return "".join(parts)


def reliability_chart(bins: Sequence[tuple[float, float, float]], title: str) -> str:
    """A reliability diagram: per score bin, the mean score (x) against the share of positives (y), marks sized by
    the bin's rows; a calibrated model lies on the diagonal."""
    size, pad = 240, 36
    plot = size - 2 * pad + 12
    total = sum(count for _, _, count in bins) or 1.0

    def xy(p: float, o: float) -> tuple[str, str]:
        return _c(pad + plot * p), _c(pad - 12 + plot * (1 - o))

    parts = [_frame(title, size, size)]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, _ = xy(tick, 0)
        _, yy = xy(0, tick)
        parts.append(
            f'<line class="grid" x1="{x}" x2="{x}" y1="{xy(0, 1)[1]}" y2="{xy(0, 0)[1]}"/>'
            f'<line class="grid" x1="{xy(0, 0)[0]}" x2="{xy(1, 0)[0]}" y1="{yy}" y2="{yy}"/>'
            f'<text class="tick" x="{x}" y="{_c(float(xy(0, 0)[1]) + 12)}" text-anchor="middle">{tick:g}</text>'
            f'<text class="tick" x="{pad - 4}" y="{_c(float(yy) + 3)}" text-anchor="end">{tick:g}</text>'
        )
    (x0, y0), (x1, y1) = xy(0, 0), xy(1, 1)
    parts.append(f'<line class="diagonal" x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}"/>')
    ordered = sorted(bins)
    if ordered:
        d = "".join(f"{'L' if i else 'M'}{' '.join(xy(p, o))}" for i, (p, o, _) in enumerate(ordered))
        parts.append(f'<path class="value-line" stroke="{PALETTE[0]}" d="{d}"/>')
    for predicted, observed, count in ordered:
        x, yy = xy(predicted, observed)
        radius = 2 + 6 * math.sqrt(count / total)
        text = f"mean score {predicted:.3f}, positives {observed:.3f}, {count:,.0f} rows"
        parts.append(
            f'<circle class="point" fill="{PALETTE[0]}" cx="{x}" cy="{yy}" r="{_c(radius)}"><title>{escape(text)}'
            "</title></circle>"
        )
    parts.append(
        f'<text class="axis-note" x="{pad}" y="{size - 4}">mean score per bin → share of positives ↑</text></svg>'
    )
    return "".join(parts)


def status_strip(axis: TimeAxis, statuses: Sequence[tuple[datetime, datetime, str]], width: int = 240) -> str:
    """One cell per window, as wide as the window on the report's time axis and coloured by its worst alert: the
    overview's history at a glance. Worse cells are drawn last, so a thin error is never covered by an ok."""
    height = 14
    span = (axis.end - axis.start).total_seconds() or 1.0

    def x(when: datetime) -> float:
        return min(max(width * (when - axis.start).total_seconds() / span, 0.0), float(width))

    parts = [f'<svg class="strip" viewBox="0 0 {width} {height}" width="{width}" height="{height}">']
    order = {"ok": 0, "warn": 1, "error": 2}
    for start, end, status in sorted(statuses, key=lambda s: order.get(s[2], 0)):
        left, right = x(start), x(max(end, start))
        cell = max(right - left - 0.6, 1.2)  # a hair of gap between neighbours; never invisible
        parts.append(
            f'<rect class="cell {status}" x="{_c(min(left, width - cell))}" y="1" width="{_c(cell)}" height="12">'
            f"<title>{start:%Y-%m-%d %H:%M}: {status}</title></rect>"
        )
    parts.append("</svg>")
    return "".join(parts)
