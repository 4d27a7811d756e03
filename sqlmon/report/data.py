"""What the report shows, read from the results schema: a handful of statements over sqlmon's own tables (already
aggregates), limited to the report's days and monitors. The page (sqlmon.report.page) never queries anything."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlglot import exp

from sqlmon.config.specs import MonitorSpec, ThresholdRule
from sqlmon.errors import SqlmonError
from sqlmon.results import SEVERITY_RANK
from sqlmon.store import Store, timestamp_value

SeriesKey = tuple[str, str | None, str | None]  # (metric, column, segment)


@dataclass(frozen=True)
class Point:
    start: datetime
    end: datetime
    value: float | None


@dataclass(frozen=True)
class Band:
    start: datetime
    expected: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class AlertMark:
    metric: str
    column: str | None
    segment: str | None
    window_start: datetime
    value: float | None
    severity: str
    rule: str
    message: str


@dataclass(frozen=True)
class Bin:
    side: str
    index: int
    lower: float | None
    upper: float | None
    category: str | None
    count: float
    fraction: float | None


@dataclass(frozen=True)
class SchemaChange:
    observed_at: datetime
    source: str
    table: str
    column: str
    change: str  # added | removed | retyped
    detail: str


@dataclass
class MonitorData:
    spec: MonitorSpec
    description: str | None
    headline: tuple[str, ...]
    thresholds: dict[str, ThresholdRule]
    units: dict[str, str]
    series: dict[SeriesKey, list[Point]] = field(default_factory=dict)
    bands: dict[SeriesKey, list[Band]] = field(default_factory=dict)
    alerts: list[AlertMark] = field(default_factory=list)
    # the newest window with histograms: (column, segment) → bins of each side
    histogram_window: datetime | None = None
    histograms: dict[tuple[str | None, str | None], list[Bin]] = field(default_factory=dict)
    latest_window: datetime | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def source(self) -> str:
        return self.spec.source

    @property
    def open_alerts(self) -> list[AlertMark]:
        """The alerts of the newest window: what is wrong now (as the view `sqlmon_open_alerts` has it)."""
        return [a for a in self.alerts if a.window_start == self.latest_window]

    @property
    def status(self) -> str:
        """ok | warn | error by the open alerts; no_data when nothing is stored in the report's days."""
        if self.latest_window is None:
            return "no_data"
        worst = max((SEVERITY_RANK.get(a.severity, 0) for a in self.open_alerts), default=0)
        return {0: "ok", 1: "warn", 2: "error"}[worst]

    @property
    def segments(self) -> list[str]:
        return sorted({segment for _, _, segment in self.series if segment is not None})

    def worst_by_window(self) -> list[tuple[datetime, datetime, str]]:
        """Per window with metrics, its span and the worst severity alerted there (`ok` when none): the status
        strip of the overview."""
        spans = {p.start: p.end for points in self.series.values() for p in points}
        worst: dict[datetime, int] = dict.fromkeys(spans, 0)
        for alert in self.alerts:
            if alert.window_start in worst:
                worst[alert.window_start] = max(worst[alert.window_start], SEVERITY_RANK.get(alert.severity, 0))
        return [(start, spans[start], {0: "ok", 1: "warn", 2: "error"}[rank]) for start, rank in sorted(worst.items())]


@dataclass
class ReportData:
    project: str
    target: str
    warehouse: str
    schema: str
    days: int
    since: datetime | None  # windows starting after it are shown
    until: datetime | None  # the end of the newest window
    monitors: list[MonitorData]
    schema_changes: list[SchemaChange]
    last_run: tuple[datetime, str] | None  # (finished_at, status)


def _literal_list(values: Sequence[str]) -> list[exp.Expression]:
    return [exp.Literal.string(v) for v in values]


class ReportReader:
    """The report's statements: each reads one results table once, for every selected monitor, and only the rows
    of finished runs (as the views do)."""

    def __init__(self, store: Store):
        self.store = store

    def _finished(self, table: str | None = None) -> exp.Condition:
        runs = exp.select("run_id").from_(self.store.table("sqlmon_runs"))
        return exp.column("run_id", table=table).isin(query=runs)

    def newest_windows(self, monitors: Sequence[str]) -> dict[str, datetime]:
        """Each monitor's newest stored window: its report counts its days back from there."""
        query = (
            exp.select("monitor", exp.func("MAX", exp.column("window_start")))
            .from_(self.store.table("sqlmon_metrics"))
            .where(exp.and_(self._finished(), exp.column("monitor").isin(*_literal_list(monitors))))
            .group_by("monitor")
        )
        return {monitor: newest for monitor, newest in self.store.query(query) if newest is not None}

    @staticmethod
    def _in_range(since: dict[str, datetime], table: str | None = None) -> exp.Condition:
        """Each monitor's rows after its own start: a monitor measured at the run's time (a source without a
        timestamp) does not push the others' windows out of the report."""
        return exp.or_(
            *[
                exp.and_(
                    exp.column("monitor", table=table).eq(exp.Literal.string(monitor)),
                    exp.GT(this=exp.column("window_start", table=table), expression=timestamp_value(start)),
                )
                for monitor, start in sorted(since.items())
            ]
        )

    def _windowed(self, table: str, columns: Sequence[str], since: dict[str, datetime]) -> list[tuple[Any, ...]]:
        if not self.store.has(table):  # a schema of an older layout: the table comes with the next run
            return []
        query = (
            exp.select(*columns)
            .from_(self.store.table(table))
            .where(exp.and_(self._finished(), self._in_range(since)))
            .order_by("window_start")
        )
        return self.store.query(query)

    def metrics(self, since: dict[str, datetime]) -> list[tuple[Any, ...]]:
        columns = ("monitor", "metric", "column_name", "segment", "window_start", "window_end", "value")
        return self._windowed("sqlmon_metrics", columns, since)

    def alerts(self, since: dict[str, datetime]) -> list[tuple[Any, ...]]:
        columns = ("monitor", "metric", "column_name", "segment", "window_start", "value", "severity", "rule")
        return self._windowed("sqlmon_alerts", (*columns, "message"), since)

    def anomalies(self, since: dict[str, datetime]) -> list[tuple[Any, ...]]:
        columns = ("monitor", "metric", "column_name", "segment", "window_start", "expected", "lower", "upper")
        return self._windowed("sqlmon_anomalies", columns, since)

    def histograms(self, since: dict[str, datetime]) -> list[tuple[Any, ...]]:
        """The bins of each monitor's newest window with bins, only (joined on that window)."""
        if not self.store.has("sqlmon_histograms"):
            return []
        table = self.store.table("sqlmon_histograms")
        newest = (
            exp.select("monitor", exp.alias_(exp.func("MAX", exp.column("window_start")), "newest"))
            .from_(table.copy())
            .where(exp.and_(self._finished(), self._in_range(since)))
            .group_by("monitor")
        )
        names = ("monitor", "column_name", "segment", "window_start", "side", "bin", "lower", "upper", "category")
        query = (
            exp.select(*[exp.column(name, table="h") for name in (*names, "count", "fraction")])
            .from_(exp.alias_(table, "h", table=True))
            .join(
                exp.alias_(exp.Subquery(this=newest), "n", table=True),
                on=exp.and_(
                    exp.column("monitor", table="h").eq(exp.column("monitor", table="n")),
                    exp.column("window_start", table="h").eq(exp.column("newest", table="n")),
                ),
            )
            .where(self._finished("h"))
            .order_by(exp.column("monitor", table="h"), exp.column("bin", table="h"))
        )
        return self.store.query(query)

    def schemas(self, sources: Sequence[str], since: datetime) -> list[tuple[Any, ...]]:
        """The column snapshots of these sources' tables observed after `since`, and for each (source, table) the
        last finished one before it: what the first snapshot in the range is compared with."""
        if not sources or not self.store.has("sqlmon_schemas"):
            return []
        snapshots = self.store.table("sqlmon_schemas")
        of_sources = exp.column("source").isin(*_literal_list(sources))
        before = (
            exp.select("source", "table_name", exp.alias_(exp.func("MAX", exp.column("observed_at")), "observed_at"))
            .from_(snapshots.copy())
            .where(
                exp.and_(
                    self._finished(),
                    of_sources.copy(),
                    exp.LTE(this=exp.column("observed_at"), expression=timestamp_value(since)),
                )
            )
            .group_by("source", "table_name")
        )
        columns = ("source", "table_name", "observed_at", "column_name", "data_type")
        in_range = (
            exp.select(*columns)
            .from_(snapshots.copy())
            .where(
                exp.and_(
                    self._finished(),
                    of_sources.copy(),
                    exp.GT(this=exp.column("observed_at"), expression=timestamp_value(since)),
                )
            )
        )
        first = (
            exp.select(*[exp.column(c, table="s") for c in columns])
            .from_(exp.alias_(snapshots, "s", table=True))
            .join(
                exp.alias_(exp.Subquery(this=before), "f", table=True),
                on=exp.and_(*[exp.column(c, table="s").eq(exp.column(c, table="f")) for c in columns[:3]]),
            )
        )
        return self.store.query(exp.union(in_range, first, distinct=False))

    def last_run(self) -> tuple[datetime, str] | None:
        """When the newest finished run ended, and how (runs are timed by the clock, windows by the data)."""
        query = (
            exp.select("finished_at", "status")
            .from_(self.store.table("sqlmon_runs"))
            .order_by(exp.Ordered(this=exp.column("finished_at"), desc=True))
            .limit(1)
        )
        rows = self.store.query(query)
        return (rows[0][0], rows[0][1]) if rows else None


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None


def schema_changes(rows: Sequence[tuple[Any, ...]]) -> list[SchemaChange]:
    """The differences between consecutive snapshots of each source's table, newest first."""
    snapshots: dict[tuple[str, str], dict[datetime, dict[str, str]]] = {}
    for source, table, observed_at, column, data_type in rows:
        snapshots.setdefault((source, table), {}).setdefault(observed_at, {})[column] = data_type
    changes: list[SchemaChange] = []
    for (source, table), by_time in snapshots.items():
        previous: dict[str, str] | None = None
        for observed_at, columns in sorted(by_time.items()):
            if previous is not None:
                for column in columns.keys() - previous.keys():
                    changes.append(SchemaChange(observed_at, source, table, column, "added", columns[column]))
                for column in previous.keys() - columns.keys():
                    changes.append(SchemaChange(observed_at, source, table, column, "removed", previous[column]))
                for column in columns.keys() & previous.keys():
                    if columns[column] != previous[column]:
                        detail = f"{previous[column]} → {columns[column]}"
                        changes.append(SchemaChange(observed_at, source, table, column, "retyped", detail))
            previous = columns
    by_name = sorted(changes, key=lambda c: (c.source, c.table, c.column))
    return sorted(by_name, key=lambda c: c.observed_at, reverse=True)  # newest first; stable, so by name within


def read_report(
    store: Store,
    monitors: Sequence[MonitorSpec],
    days: int,
    project: str,
    target: str,
    warehouse: str,
) -> ReportData:
    """Everything the page shows for these monitors, each over the `days` before its own newest stored window."""
    from sqlmon.monitors import registry
    from sqlmon.rules.threshold import thresholds_of

    if not store.has("sqlmon_metrics"):
        raise SqlmonError(
            f"the results schema `{store.schema}` holds no results yet; run `sqlmon run` first, then the report"
        )
    reader = ReportReader(store)
    data = {
        m.name: MonitorData(
            m,
            m.description,
            registry.get(m.type).headline_of(m),
            thresholds_of(m),
            dict(registry.get(m.type).units),
        )
        for m in monitors
    }
    newest = reader.newest_windows([m.name for m in monitors]) if monitors else {}
    if not newest:
        return ReportData(project, target, warehouse, store.schema, days, None, None, list(data.values()), [], None)
    span = timedelta(days=days)
    since = {monitor: start - span for monitor, start in newest.items()}
    until = max(newest.values())
    for monitor, metric, column, segment, start, end, value in reader.metrics(since):
        item = data[monitor]
        end = end if end is not None else start
        item.series.setdefault((metric, column, segment), []).append(Point(start, end, _number(value)))
        if item.latest_window is None or start > item.latest_window:
            item.latest_window = start
        until = max(until, end)
    for monitor, metric, column, segment, start, value, severity, rule, message in reader.alerts(since):
        mark = AlertMark(metric, column, segment, start, _number(value), severity, rule, message)
        data[monitor].alerts.append(mark)
    for monitor, metric, column, segment, start, expected, lower, upper in reader.anomalies(since):
        band = Band(start, _number(expected), _number(lower), _number(upper))
        data[monitor].bands.setdefault((metric, column, segment), []).append(band)
    for monitor, column, segment, start, side, index, lo, hi, category, count, fraction in reader.histograms(since):
        item = data[monitor]
        item.histogram_window = start
        bin_ = Bin(side, int(index), _number(lo), _number(hi), category, float(count or 0), _number(fraction))
        item.histograms.setdefault((column, segment), []).append(bin_)
    first = min(since.values())
    snapshots = reader.schemas(sorted({m.source for m in monitors}), first)
    changes = [c for c in schema_changes(snapshots) if c.observed_at > first]
    return ReportData(
        project, target, warehouse, store.schema, days, first, until, list(data.values()), changes, reader.last_run()
    )
