"""One run: plan windows → compute every monitor's metrics in the warehouse → evaluate rules → store → report."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmon import __version__
from sqlmon.alerts.rules import Alert, evaluate
from sqlmon.checks import Catalog, check_project
from sqlmon.config.durations import Window, window_floor, windows_between
from sqlmon.config.errors_pydantic import suggest
from sqlmon.config.loader import Project, load_project
from sqlmon.config.specs import MonitorSpec, SourceSpec
from sqlmon.engines import connect
from sqlmon.engines.base import Engine
from sqlmon.errors import ConfigError, ConfigProblem, SqlmonError
from sqlmon.monitors import registry
from sqlmon.monitors.base import Aggregate, MetricValue, MonitorContext, MonitorOutput, Relation, Segment
from sqlmon.planner import Executor, QueryLog, SegmentCut
from sqlmon.profiles import Profiles
from sqlmon.sql.compiler import SqlCompiler
from sqlmon.store import RunRecord, Store

if TYPE_CHECKING:
    from sqlmon.dbt.target import DbtOptions


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass
class MetricRow:
    monitor: str
    monitor_type: str
    source: str
    column: str | None
    metric: str
    value: float | None
    window: Window | None
    status: str  # ok | warn | error
    detail: str | None = None
    ruled: bool = False  # whether a threshold rule judged this value
    segment: str | None = None  # the segment label (docs/results.md); None for the whole window


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
class RunResult:
    run_id: str
    status: str  # success | error
    started_at: datetime
    finished_at: datetime
    as_of: datetime
    metrics: list[MetricRow] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    windows: dict[str, list[Window]] = field(default_factory=dict)  # per source, the windows computed
    warnings: list[SegmentWarning] = field(default_factory=list)
    statements: int = 0
    error: str | None = None


@dataclass
class Computed:
    """A monitor's output on one window: over all rows, and per segment (label → output, largest segment first)."""

    overall: MonitorOutput
    segments: dict[str, MonitorOutput] = field(default_factory=dict)
    cut: SegmentCut | None = None


def segment_context(ctx: MonitorContext, segment: Segment) -> MonitorContext:
    """The context of one segment: the window's rows of that segment, compared with the baseline's rows of the same
    segment when the baseline has the segment columns (a `previous` baseline always does), else the whole baseline."""
    baseline = ctx.baseline
    if baseline is not None and all(c in (ctx.baseline_columns or {}) for c in segment.columns):
        baseline = replace(baseline, segment=segment)
    return replace(ctx, current=replace(ctx.current, segment=segment), baseline=baseline)


def select_monitors(project: Project, select: list[str] | None) -> list[MonitorSpec]:
    """`--select` takes monitor names, `source:NAME` or `type:KIND`; none selects every enabled monitor."""
    enabled = [m for m in project.monitors.values() if m.enabled]
    if not select:
        return enabled
    chosen: dict[str, MonitorSpec] = {}
    problems = []
    for selector in select:
        kind, _, value = selector.rpartition(":")
        if kind == "source":
            matched = [m for m in enabled if m.source == value]
        elif kind == "type":
            matched = [m for m in enabled if m.type == value]
        elif kind == "":
            matched = [m for m in project.monitors.values() if m.name == value]
        else:
            matched = []
        if not matched:
            pools = {"": project.monitors, "source": project.sources, "type": registry.kinds()}
            pool = pools.get(kind, {})
            hint = suggest(selector, [f"{kind}:{name}" if kind else name for name in pool])
            problems.append(
                ConfigProblem(
                    None,
                    "--select",
                    f"`{selector}` matches no monitor",
                    hint or "use a monitor name, source:NAME or type:KIND",
                )
            )
        chosen.update({m.name: m for m in matched})
    if problems:
        raise ConfigError(problems)
    return [m for m in project.monitors.values() if m.name in chosen]


class Session:
    """A project connected to its warehouse: what compile and run share."""

    def __init__(self, project: Project, engine: Engine, log: QueryLog | None = None):
        self.project = project
        self.engine = engine
        self.compiler = SqlCompiler(engine.dialect)
        self.catalog = Catalog(engine)
        self.log = log or QueryLog()
        self.store = Store(engine, self.compiler, project.spec.results_schema)
        self.profiles = Profiles(self.store)
        self.executor = Executor(engine, self.compiler, self.log, self.profiles)

    @classmethod
    def open(
        cls, root: Path | None = None, read_only: bool = False, target: str | None = None, dbt: DbtOptions | None = None
    ) -> Session:
        project = load_project(root, target, dbt)
        return cls(project, connect(project, read_only=read_only))

    # --- windows --------------------------------------------------------------------------------------------------

    def time_range(self, source: SourceSpec) -> tuple[datetime | None, datetime | None]:
        assert source.timestamp is not None
        relation = Relation(source.table)
        low = Aggregate.of(relation, "common.min_value", column=source.timestamp)
        high = Aggregate.of(relation, "common.max_value", column=source.timestamp)
        results = self.executor.run([low, high], source.name, None)
        return _as_datetime(results[low]), _as_datetime(results[high])

    def windows_for(
        self,
        source: SourceSpec,
        monitor: MonitorSpec,
        as_of: datetime,
        start: datetime | None,
        stored: dict[str, dict[datetime, datetime]],
        data_range: tuple[datetime | None, datetime | None],
    ) -> list[Window]:
        """The windows a run computes for a monitor.

        With `start` (a backfill): every window from there, replacing what is stored. Otherwise every window of the
        backfill horizon that is not stored yet — gaps included — and, for a monitor that has not run for longer
        than the horizon, everything since its last stored window.
        """
        assert source.window is not None and source.backfill is not None
        low, high = data_range
        if low is None or high is None:
            return []
        # labels and other late data: a window is due only once the kind's delay has passed since it ended
        end = window_floor(as_of - registry.get(monitor.type).delay(monitor), source.window)  # type: ignore[union-attr]
        done = stored.get(monitor.name, {})
        if start is not None:
            first = start
        else:
            first = end - source.backfill
            if done:
                first = min(first, max(done.values()))
        first = max(window_floor(first, source.window), window_floor(low, source.window))
        windows = [w for w in windows_between(first, end, source.window) if w.start <= high]
        return windows if start is not None else [w for w in windows if w.start not in done]

    def latest_window(self, source: SourceSpec, as_of: datetime) -> Window | None:
        if source.window is None:
            return None
        end = window_floor(as_of, source.window)
        return Window(end - source.window, end)

    # --- computing ------------------------------------------------------------------------------------------------

    def context(
        self, monitor: MonitorSpec, window: Window | None, previous_schema: dict[str, str] | None
    ) -> MonitorContext:
        source = self.project.sources[monitor.source]
        columns = self.catalog.columns(source.table) or {}
        current = Relation(source.table, source.timestamp, window) if window is not None else Relation(source.table)
        baseline_spec = self.project.baseline_of(monitor)
        baseline = baseline_columns = profile = None
        if baseline_spec is not None and baseline_spec.profile is not None:
            profile = self.profiles.get(baseline_spec.profile, baseline_spec.version)
            if profile is None:  # checked before the run; gone since (dropped by someone else)
                raise SqlmonError(f"baseline profile `{baseline_spec.profile}` does not exist")
            baseline = self.profiles.relation(profile)
            baseline_columns = profile.column_infos()
        elif baseline_spec is not None and baseline_spec.table is not None:
            baseline = Relation(baseline_spec.table)
            baseline_columns = self.catalog.columns(baseline_spec.table)
        elif baseline_spec is not None and baseline_spec.previous is not None and window is not None:
            span = Window(window.start - baseline_spec.previous, window.start)
            baseline = Relation(source.table, source.timestamp, span)
            baseline_columns = columns
        return MonitorContext(
            source=source,
            columns=columns,
            current=current,
            window=window,
            baseline=baseline,
            baseline_columns=baseline_columns,
            previous_schema=previous_schema,
            profile=profile,
            tables={table: self.catalog.columns(table) for table in registry.get(monitor.type).tables_used(monitor)},  # type: ignore[union-attr]
        )

    def compute(
        self,
        source: str,
        window: Window | None,
        monitors: list[MonitorSpec],
        previous_schema: dict[str, str] | None = None,
        execute: bool = True,
    ) -> dict[str, Computed]:
        """Every monitor of one source on one window, in two phases of batched statements.

        A segmented monitor first finds its largest segments (one statement); each segment is then planned like a
        monitor of its own, so its requests join the same batches as everyone else's.
        """
        contexts = {m.name: self.context(m, window, previous_schema) for m in monitors}
        kinds = {m.name: registry.get(m.type) for m in monitors}
        # monitors split by the same columns share one statement that finds the segments, cut to the largest cap
        limits: dict[tuple[str, ...], int] = defaultdict(int)
        for m in monitors:
            if m.segment_by:
                limits[tuple(m.segment_by)] = max(limits[tuple(m.segment_by)], m.max_segments)
        cuts = {
            m.name: self.executor.segments(
                contexts[m.name].current, m.segment_by, limits[tuple(m.segment_by)], source, window
            ).first(m.max_segments)
            for m in monitors
            if m.segment_by
        }
        units = [(m, None, contexts[m.name]) for m in monitors]
        units += [
            (m, segment.label, segment_context(contexts[m.name], segment))
            for m in monitors
            if m.name in cuts
            for segment in cuts[m.name].kept
        ]
        phase1 = [r for m, _, ctx in units for r in kinds[m.name].baseline_requests(m, ctx)]  # type: ignore[union-attr]
        base = self.executor.run(phase1, source, window)
        phase2 = [r for m, _, ctx in units for r in kinds[m.name].window_requests(m, ctx, base)]  # type: ignore[union-attr]
        results = self.executor.run(phase2, source, window, execute=execute)
        if not execute:
            return {}
        computed: dict[str, Computed] = {}
        for m, label, ctx in units:
            output = kinds[m.name].finalize(m, ctx, base, results)  # type: ignore[union-attr]
            if label is None:
                computed[m.name] = Computed(output, cut=cuts.get(m.name))
            else:
                computed[m.name].segments[label] = output
        for name, cut in cuts.items():
            columns = ", ".join(cut.kept[0].columns) if cut.kept else ""
            detail = (
                f"{cut.total} segments by {columns}; the {len(cut.kept)} largest by rows are computed (max_segments)"
                if cut.dropped
                else None
            )
            computed[name].overall.metrics += [
                MetricValue("segment_count", float(cut.total)),
                MetricValue("segments_dropped", float(cut.dropped), detail=detail),
            ]
        return computed


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    return datetime.combine(value, datetime.min.time())  # a DATE column


def run(
    root: Path | None = None,
    select: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    target: str | None = None,
    dbt: DbtOptions | None = None,
) -> RunResult:
    """Compute the windows not yet computed (or those from `start`), store the results, and return them."""
    project = load_project(root, target, dbt)
    return run_monitors(project, select_monitors(project, select), start, end)


def run_monitors(
    project: Project,
    monitors: list[MonitorSpec],
    start: datetime | None = None,
    end: datetime | None = None,
    engine: Engine | None = None,
) -> RunResult:
    """One run of these monitors of a loaded project (see `run`), on `engine` when given (its caller closes it)."""
    started = utcnow()
    as_of = end or started
    owned = engine is None
    engine = engine or connect(project)
    try:
        session = Session(project, engine)
        broken = _broken_monitors(session, monitors)
        monitors = [m for m in monitors if m.name not in broken]
        session.store.ensure()
        result = RunResult(
            run_id=uuid.uuid4().hex, status="success", started_at=started, finished_at=started, as_of=as_of
        )
        record = RunRecord(run={}, metrics=[], histograms=[], alerts=[], schemas=[], replaced=set())
        _report_broken(session, broken, as_of, result, record)
        try:
            _compute_all(session, monitors, as_of, start, result, record)
        except SqlmonError as exc:
            result.status, result.error = "error", str(exc)
            record = RunRecord(run={}, metrics=[], histograms=[], alerts=[], schemas=[], replaced=set())
            result.metrics, result.alerts, result.windows = [], [], {}
        result.finished_at = utcnow()
        result.statements = len(session.log.statements)
        record.run = {
            "run_id": result.run_id,
            "started_at": result.started_at,
            "finished_at": result.finished_at,
            "status": result.status,
            "sqlmon_version": __version__,
            "target": f"{project.target} ({project.warehouse})",
            "error": result.error,
        }
        session.store.write(record)
        return result
    finally:
        if owned:
            engine.close()


def _broken_monitors(
    session: Session, monitors: list[MonitorSpec]
) -> dict[str, tuple[MonitorSpec, list[ConfigProblem]]]:
    """Monitors the warehouse no longer supports (a table or column gone), checked one by one.

    A monitor that never produced a window is misconfigured: the run stops with every problem (exit 2) and writes
    nothing. A monitor that worked before was broken by a change upstream: it is skipped and reported as an error
    alert, while every other monitor — the schema contract that explains the change among them — still runs.
    """
    stored = session.store.stored_windows()
    problems: list[ConfigProblem] = []
    broken: dict[str, tuple[MonitorSpec, list[ConfigProblem]]] = {}
    for monitor in monitors:
        try:
            check_project(session.project, [monitor], session.catalog)
        except ConfigError as exc:
            if monitor.name in stored:
                broken[monitor.name] = (monitor, exc.problems)
            else:
                problems += exc.problems
    if problems:
        raise ConfigError(list({str(p): p for p in problems}.values()))
    return broken


def _report_broken(
    session: Session,
    broken: dict[str, tuple[MonitorSpec, list[ConfigProblem]]],
    as_of: datetime,
    result: RunResult,
    record: RunRecord,
) -> None:
    for monitor, problems in broken.values():
        source = session.project.sources[monitor.source]
        window = session.latest_window(source, as_of)
        window_start = window.start if window else as_of
        message = "not computed: " + "; ".join(p.message for p in problems)
        alert = Alert(
            monitor.name, monitor.type, None, "monitor_error", None, "error", "monitor error", message, window_start
        )
        result.alerts.append(alert)
        result.status = "error"
        result.error = f"{len(broken)} monitor(s) could not run: " + ", ".join(broken)
        record.alerts.append(
            {
                "run_id": result.run_id,
                "monitor": monitor.name,
                "column_name": None,
                "segment": None,
                "metric": "monitor_error",
                "value": None,
                "severity": "error",
                "rule": "monitor error",
                "message": message,
                "window_start": window_start,
                "created_at": result.started_at,
            }
        )


def _compute_all(
    session: Session,
    monitors: list[MonitorSpec],
    as_of: datetime,
    start: datetime | None,
    result: RunResult,
    record: RunRecord,
) -> None:
    project = session.project
    stored = session.store.stored_windows()
    by_source: dict[str, list[MonitorSpec]] = defaultdict(list)
    for monitor in monitors:
        by_source[monitor.source].append(monitor)
    for source_name, source_monitors in by_source.items():
        source = project.sources[source_name]
        columns = session.catalog.columns(source.table) or {}
        if start is None:  # a backfill looks at past windows; today's schema says nothing about them
            record.schemas += [
                {
                    "run_id": result.run_id,
                    "source": source.name,
                    "table_name": source.table,
                    "column_name": c.name,
                    "data_type": c.data_type,
                    "ordinal": i,
                    "observed_at": as_of,
                }
                for i, c in enumerate(columns.values())
            ]
        snapshot = [m for m in source_monitors if registry.get(m.type).snapshot]  # type: ignore[union-attr]
        windowed = [m for m in source_monitors if m not in snapshot]
        if start is not None:  # a backfill recomputes past windows; a snapshot only describes the present
            snapshot = []
        plan: dict[Window | None, list[MonitorSpec]] = defaultdict(list)
        if source.windowed and windowed:
            data_range = session.time_range(source)
            for monitor in windowed:
                for window in session.windows_for(source, monitor, as_of, start, stored, data_range):
                    plan[window].append(monitor)
        elif windowed:
            plan[None] = list(windowed)
        result.windows[source.name] = sorted(w for w in plan if w is not None)
        if snapshot:
            window = session.latest_window(source, as_of)
            # the schema as it stood when this window began: runs within one window compare with the same one
            previous = session.store.previous_schema(
                source.table, before=window.start if window else as_of, inclusive=window is not None
            )
            outputs = session.compute(source.name, window, snapshot, previous_schema=previous)
            _collect(session, snapshot, window, as_of, outputs, result, record)
        for window in sorted(plan, key=lambda w: (w is not None, w)):
            outputs = session.compute(source.name, window, plan[window])
            _collect(session, plan[window], window, as_of, outputs, result, record)


def _collect(
    session: Session,
    monitors: list[MonitorSpec],
    window: Window | None,
    as_of: datetime,
    outputs: dict[str, Computed],
    result: RunResult,
    record: RunRecord,
) -> None:
    window_start = window.start if window else as_of
    for monitor in monitors:
        computed = outputs[monitor.name]
        record.replaced.add((monitor.name, window_start))
        cut = computed.cut
        if cut is not None and cut.dropped:
            result.warnings.append(SegmentWarning(monitor.name, window, cut.total, len(cut.kept)))
        _collect_output(session, monitor, window, as_of, None, computed.overall, result, record)
        for label, output in computed.segments.items():
            _collect_output(session, monitor, window, as_of, label, output, result, record)


def _collect_output(
    session: Session,
    monitor: MonitorSpec,
    window: Window | None,
    as_of: datetime,
    segment: str | None,
    output: MonitorOutput,
    result: RunResult,
    record: RunRecord,
) -> None:
    window_start = window.start if window else as_of
    window_end = window.end if window else as_of
    rules = session.project.thresholds_of(monitor)
    for value in output.metrics:
        status = "ok"
        rule = rules.get(value.metric)
        if value.rule is not None and value.metric not in monitor.thresholds:
            rule = value.rule
        if rule is not None:
            alert = evaluate(
                monitor.name,
                monitor.type,
                value.column,
                value.metric,
                value.value,
                value.detail,
                rule,
                window_start,
                segment=segment,
            )
            if alert is not None:
                status = alert.severity
                result.alerts.append(alert)
                record.alerts.append(
                    {
                        "run_id": result.run_id,
                        "monitor": alert.monitor,
                        "column_name": alert.column,
                        "segment": segment,
                        "metric": alert.metric,
                        "value": alert.value,
                        "severity": alert.severity,
                        "rule": alert.rule,
                        "message": alert.message,
                        "window_start": window_start,
                        "created_at": result.started_at,
                    }
                )
        result.metrics.append(
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
                ruled=rule is not None,
                segment=segment,
            )
        )
        record.metrics.append(
            {
                "run_id": result.run_id,
                "monitor": monitor.name,
                "monitor_type": monitor.type,
                "source": monitor.source,
                "column_name": value.column,
                "segment": segment,
                "metric": value.metric,
                "value": value.value,
                "window_start": window_start,
                "window_end": window_end,
                "computed_at": result.started_at,
            }
        )
    for b in output.bins:
        record.histograms.append(
            {
                "run_id": result.run_id,
                "monitor": monitor.name,
                "column_name": b.column,
                "segment": segment,
                "window_start": window_start,
                "side": b.side,
                "bin": b.bin,
                "lower": b.lower,
                "upper": b.upper,
                "category": b.category,
                "count": b.count,
                "fraction": b.fraction,
            }
        )
