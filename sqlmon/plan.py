"""The plan stage: which monitors a run computes (`--select`), and on which windows of each source."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmon.config.durations import Window, format_duration, window_floor, windows_between
from sqlmon.config.errors_pydantic import suggest
from sqlmon.config.loader import Project
from sqlmon.config.specs import MonitorSpec, SourceSpec
from sqlmon.errors import ConfigError, ConfigProblem
from sqlmon.executor import Executor
from sqlmon.monitors import registry
from sqlmon.monitors.base import Aggregate, Relation, as_datetime
from sqlmon.results import SchemaRow
from sqlmon.session import Session


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
            pools: dict[str, Any] = {"": project.monitors, "source": project.sources, "type": registry.kinds()}
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


def time_range(executor: Executor, source: SourceSpec) -> tuple[datetime | None, datetime | None]:
    """The oldest and newest timestamp of a source: one MIN/MAX statement."""
    assert source.timestamp is not None
    relation = Relation(source.resolved_table)
    low = Aggregate.of(relation, "common.min_value", column=source.timestamp)
    high = Aggregate.of(relation, "common.max_value", column=source.timestamp)
    results = executor.run([low, high], source.name, None)
    return as_datetime(results[low]), as_datetime(results[high])


def latest_window(source: SourceSpec, as_of: datetime) -> Window | None:
    """The last whole window before `as_of`, or None for a source measured whole."""
    if source.window is None:
        return None
    end = window_floor(as_of, source.window)
    return Window(end - source.window, end)


def windows_for(
    source: SourceSpec,
    monitor: MonitorSpec,
    as_of: datetime,
    start: datetime | None,
    stored: dict[str, dict[datetime, datetime]],
    data_range: tuple[datetime | None, datetime | None],
) -> list[Window]:
    """The windows a run computes for a monitor.

    With `start` (a backfill): every window from there, replacing what is stored. Otherwise every window of the
    backfill horizon that is not stored yet — gaps included — and, for a monitor that has not run for longer than
    the horizon, everything since its last stored window. A stored window that ends before its full end (the window
    in progress, as a kind that `observes_now` stored it) is not done: it is computed again.

    Most kinds compute no window after the newest row. A kind that `fills_empty_windows` computes them too, up to
    the run's time, so a source that stopped shows as empty windows; one that `observes_now` adds the window in
    progress, cut at `as_of`.
    """
    assert source.window is not None and source.backfill is not None
    kind = registry.get(monitor.type)
    low, high = data_range
    if (low is None or high is None) and not kind.fills_empty_windows:
        return []
    # labels and other late data: a window is due only once the kind's delay has passed since it ended
    end = window_floor(as_of - kind.delay(monitor), source.window)
    done = stored.get(monitor.name, {})
    if start is not None:
        first = start
    else:
        first = end - source.backfill
        if done:
            first = min(first, max(done.values()))
    first = window_floor(first, source.window)
    if low is not None:  # no window before the first row: the source did not exist yet
        first = max(first, window_floor(low, source.window))
    windows = windows_between(first, end, source.window)
    if not kind.fills_empty_windows:
        assert high is not None
        windows = [w for w in windows if w.start <= high]
    if kind.observes_now and as_of > end and first <= end:
        windows.append(Window(end, as_of))
    if start is not None:
        return windows
    return [w for w in windows if w.start not in done or done[w.start] < w.end]


def stale_data_note(
    source: SourceSpec,
    as_of: datetime,
    data_range: tuple[datetime | None, datetime | None],
    start: datetime | None,
) -> str | None:
    """What to say when a source's newest row is older than the first window a run would compute, so the kinds that
    compute no window after the data compute nothing: the newest row, the horizon, and how to reach the past."""
    oldest, newest = data_range
    if oldest is None or newest is None or start is not None or source.window is None or source.backfill is None:
        return None
    horizon = window_floor(as_of, source.window) - source.backfill
    if newest >= horizon:
        return None
    # the backfill then ends with the newest row, and never starts before the oldest
    reach = max(
        window_floor(newest, source.window) + source.window - source.backfill, window_floor(oldest, source.window)
    )
    return (
        f"newest row {newest:%Y-%m-%d %H:%M} is older than the first window of this run "
        f"({horizon:%Y-%m-%d %H:%M}, backfill {format_duration(source.backfill)}); "
        f"to compute the past, run with --start {reach:%Y-%m-%d}"
    )


@dataclass
class Step:
    """Monitors of one source computed together on one window (None: the whole table)."""

    window: Window | None
    monitors: list[MonitorSpec]
    # snapshot kinds compare with the schema stored as this window began, so runs within a window agree
    previous_schema: dict[str, str] | None = None


@dataclass
class SourcePlan:
    source: SourceSpec
    steps: list[Step] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)  # the windows computed, for the report
    schema: list[SchemaRow] = field(default_factory=list)  # the columns the source has now
    note: str | None = None  # what the report says of the source beyond its windows (data older than the horizon)


def plan_source(
    session: Session,
    source: SourceSpec,
    monitors: list[MonitorSpec],
    as_of: datetime,
    start: datetime | None,
    stored: dict[str, dict[datetime, datetime]],
) -> SourcePlan:
    """What a run computes on one source: snapshot kinds once, on the latest window; the others on every window due."""
    plan = SourcePlan(source)
    if start is None:  # a backfill looks at past windows; today's schema says nothing about them
        columns = session.catalog.columns(source.resolved_table) or {}
        plan.schema = [
            SchemaRow(source.name, source.resolved_table, c.name, c.data_type, i, as_of)
            for i, c in enumerate(columns.values())
        ]
    snapshot = [m for m in monitors if registry.get(m.type).snapshot]
    windowed = [m for m in monitors if m not in snapshot]
    if start is not None:  # a backfill recomputes past windows; a snapshot only describes the present
        snapshot = []
    by_window: dict[Window | None, list[MonitorSpec]] = defaultdict(list)
    if source.windowed and windowed:
        data_range = time_range(session.executor, source)
        # a first run of a kind that computes no window after the data got no window at all (a later run that finds
        # nothing new is the normal case, and freshness is there to say the data stopped)
        idle = False
        for monitor in windowed:
            windows = windows_for(source, monitor, as_of, start, stored, data_range)
            for window in windows:
                by_window[window].append(monitor)
            first_run = monitor.name not in stored
            idle = idle or (first_run and not windows and not registry.get(monitor.type).fills_empty_windows)
        if idle:
            plan.note = stale_data_note(source, as_of, data_range, start)
    elif windowed:
        by_window[None] = list(windowed)
    plan.windows = sorted(w for w in by_window if w is not None)
    if snapshot:
        latest = latest_window(source, as_of)
        previous = session.store.previous_schema(
            source.resolved_table, before=latest.start if latest else as_of, inclusive=latest is not None
        )
        plan.steps.append(Step(latest, snapshot, previous))
    plan.steps += [Step(w, by_window[w]) for w in sorted(by_window, key=lambda w: (w is not None, w))]
    return plan
