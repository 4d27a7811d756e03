"""The judge stage: every metric value of a computed window goes past every rule that applies to it, and becomes the
rows the run stores and reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlmon.config.durations import Window
from sqlmon.config.specs import MonitorSpec
from sqlmon.monitors.base import MonitorOutput
from sqlmon.results import HistogramRow, MetricRow, RunResult, SampleRow
from sqlmon.rules.base import History, Observation
from sqlmon.rules.registry import rules_for
from sqlmon.stats.anomaly import Point
from sqlmon.store import SeriesKey, Store


class RunHistory:
    """A metric's past as a rule sees it mid-run: the stored windows, overlaid with the windows this run has judged
    already (a backfill judges its windows in time order, each against the values computed before it)."""

    def __init__(self, store: Store, run: RunResult):
        self.store = store
        self.run = run
        self._stored: dict[tuple[str, str], dict[SeriesKey, list[Point]]] = {}
        self._dates: dict[tuple[str, str], set[date]] = {}
        self._seen = 0  # how many of the run's metric rows are indexed below
        self._computed: dict[tuple[str, str | None, str | None, str], dict[datetime, Point]] = {}

    def series(self, monitor: str, column: str | None, segment: str | None, metric: str) -> list[Point]:
        if (monitor, metric) not in self._stored:
            self._stored[(monitor, metric)] = self.store.series(monitor, [metric])
        points = {p.start: p for p in self._stored[(monitor, metric)].get((column, segment, metric), [])}
        self._index()
        points.update(self._computed.get((monitor, column, segment, metric), {}))
        return [points[start] for start in sorted(points)]

    def _index(self) -> None:
        """This run's windows so far, which replace what is stored for them; alerted by this run's alerts."""
        fresh = self.run.metrics[self._seen :]
        self._seen = len(self.run.metrics)
        if not fresh:
            return
        alerted = {(a.monitor, a.column, a.segment, a.metric, a.window_start) for a in self.run.alerts}
        for row in fresh:
            start = row.window.start if row.window else self.run.as_of
            end = row.window.end if row.window else self.run.as_of
            key = (row.monitor, row.column, row.segment, row.metric)
            flagged = (*key, start) in alerted
            self._computed.setdefault(key, {})[start] = Point(start, end, row.value, flagged)

    def forget(self, monitors: Sequence[MonitorSpec]) -> None:
        """The run took these monitors' windows back out (their source failed): so does their history."""
        names = {m.name for m in monitors}
        self._computed = {key: points for key, points in self._computed.items() if key[0] not in names}
        self._seen = min(self._seen, len(self.run.metrics))

    def dates(self, table: str, column: str) -> set[date]:
        if (table, column) not in self._dates:
            self._dates[(table, column)] = self.store.dates(table, column)
        return self._dates[(table, column)]

    def values(
        self, monitor: str, column: str | None, segment: str | None, metric: str, before: datetime, limit: int
    ) -> list[tuple[datetime, float | None]]:
        past = dict(self.store.history(monitor, column, segment, metric, before, limit))
        for row in self.run.metrics:
            start = row.window.start if row.window else self.run.as_of
            same = (row.monitor, row.column, row.segment, row.metric) == (monitor, column, segment, metric)
            if same and start < before:
                past[start] = row.value
        return sorted(past.items())[-limit:] if limit > 0 else []


def judge(
    monitor: MonitorSpec,
    window: Window | None,
    segment: str | None,
    output: MonitorOutput,
    history: History,
    run: RunResult,
    period: timedelta | None = None,
) -> None:
    """Judge one monitor's output on one window (one segment of it, or all rows) and add its rows to the run."""
    window_start = window.start if window else run.as_of
    for value in output.metrics:
        observation = Observation(monitor, value, window, window_start, segment, period)
        rules = rules_for(monitor, value)
        status = "ok"
        # the kind's note on a default it could not apply, unless the monitor's own threshold judges the metric
        notes = [value.unjudged] if value.unjudged and value.metric not in monitor.thresholds else []
        for rule in rules:
            verdict = rule.verdict(observation, history)
            notes += verdict.notes
            if verdict.anomaly is not None:
                run.anomalies.append(verdict.anomaly)
            alert = verdict.alert
            if alert is not None:
                run.alerts.append(alert)
                if alert.severity == "error" or status == "ok":
                    status = alert.severity
        run.metrics.append(
            MetricRow(
                monitor.name,
                monitor.type,
                monitor.source,
                value.column,
                value.metric,
                value.value,
                window,
                status,
                value.detail,
                ruled=bool(rules),
                segment=segment,
                unit=value.unit,
                notes=notes,
            )
        )
    run.histograms += [HistogramRow(monitor.name, segment, window_start, b) for b in output.bins]
    run.samples += [SampleRow(monitor.name, window_start, row) for row in output.samples]
