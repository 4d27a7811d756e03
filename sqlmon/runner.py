"""One run, as a pipeline of stages: plan → compute → judge → store → notify the channels of `notify:`; then the
caller reports (sqlmon.notify)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmon import __version__
from sqlmon.checks import check_project
from sqlmon.compute import Computed, compute
from sqlmon.config.durations import Window
from sqlmon.config.loader import Project, load_project
from sqlmon.config.specs import MonitorSpec
from sqlmon.engines import connect
from sqlmon.engines.base import Engine
from sqlmon.errors import ConfigError, ConfigProblem, EngineError, SqlmonError
from sqlmon.judge import RunHistory, judge
from sqlmon.plan import latest_window, plan_source, select_monitors
from sqlmon.progress import Progress
from sqlmon.results import Alert, Delivery, RunResult, SegmentWarning
from sqlmon.session import Session, utcnow

if TYPE_CHECKING:
    from sqlmon.dbt.target import DbtOptions

Broken = dict[str, tuple[MonitorSpec, list[ConfigProblem]]]


def run(
    root: Path | None = None,
    select: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    target: str | None = None,
    dbt: DbtOptions | None = None,
    fail_fast: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    """Compute the windows not yet computed (or those from `start`), store the results, and return them; `progress`
    is told of each source, window and statement as the run goes."""
    project = load_project(root, target, dbt)
    return run_monitors(project, select_monitors(project, select), start, end, fail_fast=fail_fast, progress=progress)


def run_monitors(
    project: Project,
    monitors: list[MonitorSpec],
    start: datetime | None = None,
    end: datetime | None = None,
    engine: Engine | None = None,
    fail_fast: bool = False,
    progress: Progress | None = None,
    notify: bool = True,
) -> RunResult:
    """One run of these monitors of a loaded project (see `run`), on `engine` when given (its caller closes it).
    With `notify=False` the channels are not told: a caller that makes several runs (`sqlmon dbt build`) sends one
    message for all of them (`notify_runs`).

    A source whose statements fail on the warehouse stores nothing and makes the run an error, while the other
    sources' monitors still run and store their windows; with `fail_fast` the first failure ends the run, which then
    stores nothing but its run row.
    """
    started = utcnow()
    owned = engine is None
    engine = engine or connect(project)
    try:
        session = Session(project, engine, progress=progress)
        selected = list(monitors)
        broken = _broken_monitors(session, monitors)
        monitors = [m for m in monitors if m.name not in broken]
        session.store.ensure()
        result = RunResult(
            run_id=uuid.uuid4().hex,
            status="success",
            started_at=started,
            finished_at=started,
            as_of=end or started,
            target=f"{project.target} ({project.warehouse})",
            sqlmon_version=__version__,
        )
        _report_broken(project, broken, result)
        try:
            _compute_all(session, monitors, start, result, fail_fast)
            result.open_alerts = _still_open(session, monitors, result)
        except SqlmonError as exc:
            result.status = "error"
            result.error = f"{result.error}\nthen: {exc}" if result.error else str(exc)
            result.discard_results()
        result.finished_at = utcnow()
        result.statements = len(session.log.statements)
        try:
            session.store.write(result)
        except EngineError as exc:
            if result.error is None:
                raise
            # the warehouse went away mid-run: what failed first is the cause to report, not the failed write
            raise EngineError(f"{result.error}\nand the run could not be stored: {exc}") from None
        if (
            project.channels and notify
        ):  # after the write: what is sent is what is stored, and a failed send undoes nothing
            from sqlmon.notify.dispatch import notify_run

            result.notifications = notify_run(session, selected, result)
        return result
    finally:
        if owned:
            engine.close()


def _broken_monitors(session: Session, monitors: list[MonitorSpec]) -> Broken:
    """Monitors the warehouse no longer supports (a table or column gone), checked one by one.

    A monitor that never produced a window is misconfigured: the run stops with every problem (exit 2) and writes
    nothing. A monitor that worked before was broken by a change upstream: it is skipped and reported as an error
    alert, while every other monitor — the schema contract that explains the change among them — still runs.
    """
    stored = session.store.stored_windows()
    problems: list[ConfigProblem] = []
    broken: Broken = {}
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


def _report_broken(project: Project, broken: Broken, result: RunResult) -> None:
    for monitor, problems in broken.values():
        window = latest_window(project.sources[monitor.source], result.as_of)
        message = "not computed: " + "; ".join(p.message for p in problems)
        window_start = window.start if window else result.as_of
        result.alerts.append(
            Alert(
                monitor.name, monitor.type, None, "monitor_error", None, "error", "monitor error", message, window_start
            )
        )
        result.status = "error"
        result.error = f"{len(broken)} monitor(s) could not run: " + ", ".join(broken)


def _compute_all(
    session: Session, monitors: list[MonitorSpec], start: datetime | None, result: RunResult, fail_fast: bool
) -> None:
    """Per source: plan its windows, then compute and judge each in time order, so a rule that reads history sees
    the windows this run computed before it. A source that fails is taken back out whole (see `run_monitors`)."""
    stored = session.store.stored_windows()
    history = RunHistory(session.store, result)
    by_source: dict[str, list[MonitorSpec]] = defaultdict(list)
    for monitor in monitors:
        by_source[monitor.source].append(monitor)
    for index, (source_name, source_monitors) in enumerate(by_source.items(), 1):
        mark = result.checkpoint()
        try:
            _compute_source(
                session, source_name, source_monitors, start, stored, history, result, (index, len(by_source))
            )
        except SqlmonError as exc:
            result.failed_sources[source_name] = str(exc)  # what the channels are told, --fail-fast or not
            if fail_fast:
                raise
            result.rollback(mark)
            history.forget(source_monitors)
    if result.failed_sources:
        failed = result.failed_sources
        if len(failed) == 1:
            [(name, cause)] = failed.items()
            message = f"source `{name}` failed, nothing of it stored: {cause}"
        else:
            message = f"{len(failed)} of {len(by_source)} sources failed, nothing of them stored: " + "; ".join(
                f"`{name}`: {cause}" for name, cause in failed.items()
            )
        # what the other sources computed stands: the run is an error, and is stored
        result.status = "error"
        result.error = f"{result.error}\n{message}" if result.error else message


def _compute_source(
    session: Session,
    source_name: str,
    monitors: list[MonitorSpec],
    start: datetime | None,
    stored: dict[str, dict[datetime, datetime]],
    history: RunHistory,
    result: RunResult,
    place: tuple[int, int] = (1, 1),
) -> None:
    source = session.project.sources[source_name]
    plan = plan_source(session, source, monitors, result.as_of, start, stored)
    session.progress.source_started(source.name, *place, len(plan.steps))
    result.schemas += plan.schema
    result.windows[source.name] = plan.windows
    if plan.note:
        result.notes[source.name] = plan.note
    for step in plan.steps:
        outputs = compute(
            session,
            source.name,
            step.window,
            step.monitors,
            previous_schema=step.previous_schema,
            as_of=result.as_of,
        )
        for monitor in step.monitors:
            _judge_computed(monitor, step.window, outputs[monitor.name], history, result, source.window)
        session.progress.window_done(source.name)


def _still_open(session: Session, monitors: list[MonitorSpec], result: RunResult) -> list[Alert]:
    """The stored alerts of each monitor's latest window, unless this run computed that window again or a later
    one: a re-run with nothing new to compute still reports (and exits on) what is wrong."""
    latest_run: dict[str, datetime] = {}
    for monitor, window_start in result.replaced:
        latest_run[monitor] = max(window_start, latest_run.get(monitor, window_start))
    types = {m.name: m.type for m in monitors}
    still = []
    for monitor, column, segment, metric, value, severity, rule, message, window_start in session.store.open_alerts(
        list(types)
    ):
        if monitor in latest_run and latest_run[monitor] >= window_start:
            continue
        number = None if value is None else float(value)
        still.append(
            Alert(monitor, types[monitor], column, metric, number, severity, rule, message, window_start, segment)
        )
    return still


def _judge_computed(
    monitor: MonitorSpec,
    window: Window | None,
    computed: Computed,
    history: RunHistory,
    result: RunResult,
    period: timedelta | None,
) -> None:
    result.replaced.add((monitor.name, window.start if window else result.as_of))
    cut = computed.cut
    if cut is not None and cut.dropped:
        result.warnings.append(SegmentWarning(monitor.name, window, cut.total, len(cut.kept)))
    judge(monitor, window, None, computed.overall, history, result, period)
    for label, output in computed.segments.items():
        judge(monitor, window, label, output, history, result, period)


def notify_runs(
    project: Project, monitors: list[MonitorSpec], result: RunResult, engine: Engine | None = None
) -> list[Delivery]:
    """Tell the channels about stored runs of these monitors at once (`result` merges them): one message per
    channel, as one `sqlmon run` would send."""
    from sqlmon.notify.dispatch import notify_run

    owned = engine is None
    engine = engine or connect(project)
    try:
        return notify_run(Session(project, engine), monitors, result)
    finally:
        if owned:
            engine.close()
