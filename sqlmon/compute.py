"""The compute stage: every monitor of one source on one window, as two phases of batched statements."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlmon.config.durations import Window
from sqlmon.config.specs import MonitorSpec
from sqlmon.errors import SqlmonError
from sqlmon.executor import SegmentCut
from sqlmon.monitors import registry
from sqlmon.monitors.base import MetricValue, MonitorContext, MonitorOutput, Relation, Segment
from sqlmon.session import Session


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


def context(
    session: Session,
    monitor: MonitorSpec,
    window: Window | None,
    previous_schema: dict[str, str] | None,
    as_of: datetime | None = None,
) -> MonitorContext:
    """What a monitor's kind plans with: the relations of its window and baseline, and the columns of each."""
    source = session.project.sources[monitor.source]
    catalog = session.catalog
    table = source.resolved_table
    columns = catalog.columns(table) or {}
    current = Relation(table, source.timestamp, window) if window is not None else Relation(table)
    baseline_spec = session.project.baseline_of(monitor)
    baseline = baseline_columns = profile = None
    if baseline_spec is not None and baseline_spec.profile is not None:
        profile = session.profiles.get(baseline_spec.profile, baseline_spec.version)
        if profile is None:  # checked before the run; gone since (dropped by someone else)
            raise SqlmonError(f"baseline profile `{baseline_spec.profile}` does not exist")
        baseline = session.profiles.relation(profile)
        baseline_columns = profile.column_infos()
    elif baseline_spec is not None and baseline_spec.table is not None:
        baseline = Relation(baseline_spec.table)
        baseline_columns = catalog.columns(baseline_spec.table)
    elif baseline_spec is not None and baseline_spec.previous is not None and window is not None:
        span = Window(window.start - baseline_spec.previous, window.start)
        baseline = Relation(table, source.timestamp, span)
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
        tables={table: catalog.columns(table) for table in registry.get(monitor.type).tables_used(monitor)},
        as_of=as_of,
    )


def compute(
    session: Session,
    source: str,
    window: Window | None,
    monitors: list[MonitorSpec],
    previous_schema: dict[str, str] | None = None,
    execute: bool = True,
    as_of: datetime | None = None,
) -> dict[str, Computed]:
    """Every monitor of one source on one window, in two phases of batched statements.

    A segmented monitor first finds its largest segments (one statement); each segment is then planned like a
    monitor of its own, so its requests join the same batches as everyone else's. With `execute=False` (compile)
    the window's statements are only written down, and nothing is returned.
    """
    executor = session.executor
    contexts = {m.name: context(session, m, window, previous_schema, as_of) for m in monitors}
    kinds = {m.name: registry.get(m.type) for m in monitors}

    # Monitors split by the same columns share one statement that finds the segments, cut to the largest cap. A kind
    # that watches for a source that stopped finds them in the whole table, so a segment without rows in the window
    # is still computed (0 rows, a lag that grows) rather than missing.
    finders: dict[str, tuple[Relation, tuple[str, ...]]] = {}
    limits: dict[tuple[Relation, tuple[str, ...]], int] = defaultdict(int)
    for m in monitors:
        if m.segment_by:
            current = contexts[m.name].current
            if kinds[m.name].fills_empty_windows:
                current = replace(current, timestamp=None, window=None)
            finders[m.name] = finder = (current, tuple(m.segment_by))
            limits[finder] = max(limits[finder], m.max_segments)
    cuts = {
        m.name: executor.segments(*finders[m.name], limits[finders[m.name]], source, window).first(m.max_segments)
        for m in monitors
        if m.name in finders
    }
    units: list[tuple[MonitorSpec, str | None, MonitorContext]] = [(m, None, contexts[m.name]) for m in monitors]
    units += [
        (m, segment.label, segment_context(contexts[m.name], segment))
        for m in monitors
        if m.name in cuts
        for segment in cuts[m.name].kept
    ]
    phase1 = [r for m, _, ctx in units for r in kinds[m.name].baseline_requests(m, ctx)]
    base = executor.run(phase1, source, window)
    phase2 = [r for m, _, ctx in units for r in kinds[m.name].window_requests(m, ctx, base)]
    results = executor.run(phase2, source, window, execute=execute)
    if not execute:
        return {}
    computed: dict[str, Computed] = {}
    for m, label, ctx in units:
        output = kinds[m.name].finalize(m, ctx, base, results)
        if label is None:
            computed[m.name] = Computed(output, dict(output.segments), cut=cuts.get(m.name))
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
