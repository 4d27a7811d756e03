"""What a run produces, row by row: each type is one row of a results table (docs/results.md), with its `to_row`.

The table layouts (column names and SQL types) are in `sqlmon.store.TABLES`; a test checks that every `to_row` gives
exactly its table's columns, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmon.config.durations import Window
from sqlmon.config.specs import Severity
from sqlmon.monitors.base import FailingRow, HistogramBin

SEVERITY_RANK = {"warn": 1, "error": 2}
# the lists of a RunResult that computing a source appends to
_APPENDED = ("metrics", "alerts", "anomalies", "histograms", "samples", "schemas", "warnings")


@dataclass
class Alert:
    """A metric value that broke a rule: one row of `sqlmon_alerts`."""

    monitor: str
    monitor_type: str
    column: str | None
    metric: str
    value: float | None
    severity: Severity
    rule: str
    message: str
    window_start: datetime | None
    segment: str | None = None  # the segment label; None for the whole window

    def to_row(self, run: RunResult) -> dict[str, Any]:
        return {
            "run_id": run.run_id,
            "monitor": self.monitor,
            "column_name": self.column,
            "segment": self.segment,
            "metric": self.metric,
            "value": self.value,
            "severity": self.severity,
            "rule": self.rule,
            "message": self.message,
            "window_start": self.window_start,
            "created_at": run.started_at,
        }


def at_or_above(alerts: Iterable[Alert], level: str) -> bool:
    """Whether any alert reaches `level` (`warn`, `error`; `never` is never reached)."""
    if level == "never":
        return False
    return any(SEVERITY_RANK[a.severity] >= SEVERITY_RANK[level] for a in alerts)


@dataclass
class MetricRow:
    """One metric value of one window, as judged: one row of `sqlmon_metrics`, and a line of the reports."""

    monitor: str
    monitor_type: str
    source: str
    column: str | None
    metric: str
    value: float | None
    window: Window | None
    status: str  # ok | warn | error
    detail: str | None = None
    ruled: bool = False  # whether a rule judged this value
    segment: str | None = None  # the segment label (docs/results.md); None for the whole window
    unit: str | None = None  # `seconds` for durations, which the reports write in words
    # why a rule that applies to this metric did not judge it (a drift level below its sample size, an anomaly rule
    # still learning), for the reports
    notes: list[str] = field(default_factory=list)

    def to_row(self, run: RunResult) -> dict[str, Any]:
        # a source without a timestamp is measured whole: its "window" is the moment of the run
        return {
            "run_id": run.run_id,
            "monitor": self.monitor,
            "monitor_type": self.monitor_type,
            "source": self.source,
            "column_name": self.column,
            "segment": self.segment,
            "metric": self.metric,
            "value": self.value,
            "window_start": self.window.start if self.window else run.as_of,
            "window_end": self.window.end if self.window else run.as_of,
            "computed_at": run.started_at,
        }


@dataclass
class HistogramRow:
    """One bin of one side of a histogram a monitor computed: one row of `sqlmon_histograms`."""

    monitor: str
    segment: str | None
    window_start: datetime
    bin: HistogramBin

    def to_row(self, run: RunResult) -> dict[str, Any]:
        b = self.bin
        return {
            "run_id": run.run_id,
            "monitor": self.monitor,
            "column_name": b.column,
            "segment": self.segment,
            "window_start": self.window_start,
            "side": b.side,
            "bin": b.bin,
            "lower": b.lower,
            "upper": b.upper,
            "category": b.category,
            "count": b.count,
            "fraction": b.fraction,
        }


@dataclass
class SampleRow:
    """The key of one failing row a validity monitor sampled: one row of `sqlmon_samples`."""

    monitor: str
    window_start: datetime
    row: FailingRow

    def to_row(self, run: RunResult) -> dict[str, Any]:
        return {
            "run_id": run.run_id,
            "monitor": self.monitor,
            "column_name": self.row.column,
            "window_start": self.window_start,
            "sample": self.row.sample,
            "row_key": self.row.key,
            "rules": self.row.rules,
            "computed_at": run.started_at,
        }


@dataclass
class AnomalyRow:
    """One anomaly rule's verdict on one metric value: one row of `sqlmon_anomalies`, stored for every judged window
    (not only those that alerted), so a chart can draw the band."""

    monitor: str
    column: str | None
    segment: str | None
    metric: str
    window: Window | None
    value: float | None
    expected: float | None
    lower: float | None
    upper: float | None
    score: float | None
    training_size: int
    method: str
    sensitivity: float
    seasonality: str | None
    status: str  # ok | warn | error | small_change | insufficient_history | no_value

    def to_row(self, run: RunResult) -> dict[str, Any]:
        return {
            "run_id": run.run_id,
            "monitor": self.monitor,
            "column_name": self.column,
            "segment": self.segment,
            "metric": self.metric,
            "window_start": self.window.start if self.window else run.as_of,
            "window_end": self.window.end if self.window else run.as_of,
            "value": self.value,
            "expected": self.expected,
            "lower": self.lower,
            "upper": self.upper,
            "score": self.score,
            "training_size": self.training_size,
            "method": self.method,
            "sensitivity": self.sensitivity,
            "seasonality": self.seasonality,
            "status": self.status,
            "computed_at": run.started_at,
        }


@dataclass
class SchemaRow:
    """One column of a source table as the run saw it: one row of `sqlmon_schemas`."""

    source: str
    table_name: str
    column_name: str
    data_type: str
    ordinal: int
    observed_at: datetime

    def to_row(self, run: RunResult) -> dict[str, Any]:
        return {
            "run_id": run.run_id,
            "source": self.source,
            "table_name": self.table_name,
            "column_name": self.column_name,
            "data_type": self.data_type,
            "ordinal": self.ordinal,
            "observed_at": self.observed_at,
        }


@dataclass
class SegmentWarning:
    """A window with more segments than `max_segments`: only the largest were computed."""

    monitor: str
    window: Window | None
    segments: int  # how many the window has
    kept: int

    @property
    def message(self) -> str:
        return (
            f"{self.segments} segments in this window, only the {self.kept} largest by rows are computed "
            f"(max_segments: {self.kept}); the other {self.segments - self.kept} count in the overall metrics only"
        )


@dataclass
class Delivery:
    """What one notification channel did after a run: `sent` a message, had `nothing` new to say, or `failed`
    (the run's outcome is unchanged; the alerts are sent again by the next run)."""

    channel: str
    type: str
    status: str  # sent | nothing | failed
    alerts: int = 0
    resolved: int = 0
    error: str | None = None  # never holds a secret

    @property
    def line(self) -> str:
        where = f"{self.channel} ({self.type})"
        if self.status == "failed":
            return f"{where}: FAILED, sent again on the next run: {self.error}"
        if self.status == "nothing":
            return f"{where}: nothing new"
        counts = [f"{self.alerts} alert(s)"] if self.alerts else []
        counts += [f"{self.resolved} resolved"] if self.resolved else []
        return f"{where}: sent {', '.join(counts)}" + (f"; {self.error}" if self.error else "")


@dataclass
class NotificationRow:
    """One alert key in one channel's message (or its failed delivery): one row of `sqlmon_notifications`, from
    which the next run knows what each channel was told."""

    channel: str
    event: str  # opened | changed | repeated | resolved
    monitor: str
    column: str | None
    segment: str | None
    metric: str
    severity: str
    value: float | None
    message: str
    rule: str | None
    window_start: datetime | None
    status: str  # sent | failed
    error: str | None
    sent_at: datetime

    def to_row(self, run: RunResult) -> dict[str, Any]:
        return {
            "run_id": run.run_id,
            "channel": self.channel,
            "event": self.event,
            "monitor": self.monitor,
            "column_name": self.column,
            "segment": self.segment,
            "metric": self.metric,
            "severity": self.severity,
            "value": self.value,
            "message": self.message,
            "rule": self.rule,
            "window_start": self.window_start,
            "status": self.status,
            "error": self.error,
            "as_of": run.as_of,
            "sent_at": self.sent_at,
        }


@dataclass(frozen=True)
class Checkpoint:
    lengths: dict[str, int]
    replaced: set[tuple[str, datetime]]
    windows: dict[str, list[Window]]
    notes: dict[str, str]


@dataclass
class RunResult:
    """One run: its row of `sqlmon_runs` and everything it computed, which the store writes in one transaction."""

    run_id: str
    status: str  # success | error
    started_at: datetime
    finished_at: datetime
    as_of: datetime
    metrics: list[MetricRow] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    anomalies: list[AnomalyRow] = field(default_factory=list)
    # Alerts of a monitor's latest window that an earlier run raised and this run did not clear (by computing that
    # window again or a later one): the state the exit code reports, not stored again.
    open_alerts: list[Alert] = field(default_factory=list)
    windows: dict[str, list[Window]] = field(default_factory=dict)  # per source, the windows computed
    notes: dict[str, str] = field(default_factory=dict)  # per source, what the report adds (data older than the run)
    warnings: list[SegmentWarning] = field(default_factory=list)
    statements: int = 0
    error: str | None = None
    target: str = ""  # `default (duckdb)`: the target's name and what it reaches
    sqlmon_version: str = ""
    histograms: list[HistogramRow] = field(default_factory=list)
    samples: list[SampleRow] = field(default_factory=list)
    schemas: list[SchemaRow] = field(default_factory=list)
    # (monitor, window_start) pairs this run computed again: their stored rows are replaced, not duplicated
    replaced: set[tuple[str, datetime]] = field(default_factory=set)
    # per source whose computation failed on the warehouse, the cause; nothing of that source is stored
    failed_sources: dict[str, str] = field(default_factory=dict)
    unstored_alerts: list[Alert] = field(default_factory=list)  # monitor errors of a run that stored nothing
    # per notification channel (`notify:`), what it did after the results were stored
    notifications: list[Delivery] = field(default_factory=list)

    def to_row(self, run: RunResult | None = None) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "sqlmon_version": self.sqlmon_version,
            "target": self.target,
            "error": self.error,
        }

    @property
    def current_alerts(self) -> list[Alert]:
        """What is wrong as this run leaves it: the alerts it raised, and those still open from earlier runs."""
        return [*self.alerts, *self.open_alerts]

    def checkpoint(self) -> Checkpoint:
        """How much the run holds now, so a source that fails part-way can be taken back out (`rollback`)."""
        return Checkpoint(
            {name: len(getattr(self, name)) for name in _APPENDED},
            set(self.replaced),
            dict(self.windows),
            dict(self.notes),
        )

    def rollback(self, mark: Checkpoint) -> None:
        """Forget everything computed since `mark`: a source stores all of its windows or none."""
        for name, length in mark.lengths.items():
            del getattr(self, name)[length:]
        self.replaced, self.windows, self.notes = set(mark.replaced), dict(mark.windows), dict(mark.notes)

    def discard_results(self) -> None:
        """A failed run stores nothing but its run row: no partial metrics. Its monitor errors are kept aside, not
        stored: the channels must still hear that those monitors could not run."""
        self.unstored_alerts += [a for a in self.alerts if a.metric == "monitor_error"]
        self.metrics, self.alerts, self.windows, self.anomalies = [], [], {}, []
        self.histograms, self.samples, self.schemas, self.replaced = [], [], [], set()
