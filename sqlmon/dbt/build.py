"""`sqlmon dbt build`: the monitors run inside `dbt build`, each right after the model it watches is built
(docs/dbt.md "Inside dbt build").

dbt calls sqlmon back when a node finishes, in the worker thread that built it and before dbt schedules the nodes
that depend on it. sqlmon then runs the monitors of that node, in a thread of its own on the dbt adapter's
connection, and waits for them. With `--block-on`, a node whose monitors raise an alert at that severity is reported
to dbt as failed, so dbt skips everything downstream of it, as it does for a failing test. Monitors on dbt sources
and plain tables (dbt builds nothing for them) run once the build is done.

The statistics stay in one place, sqlmon's templates in macros/ and its Python finalisation (p-values, exact KS from
per-value counts, quantile edges that a later statement uses): generating dbt models from them would either freeze
the data-dependent steps at generation time or copy the statistics into dbt's Jinja.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmon.config.loader import Project, load_project
from sqlmon.config.specs import MonitorSpec
from sqlmon.dbt.manifest import REFERABLE
from sqlmon.dbt.runtime import invoke
from sqlmon.dbt.target import DbtOptions, find_profiles
from sqlmon.errors import SqlmonError
from sqlmon.plan import select_monitors
from sqlmon.results import Delivery, RunResult, at_or_above
from sqlmon.runner import notify_runs, run_monitors
from sqlmon.session import utcnow


@dataclass
class Skipped:
    source: str
    relation: str
    reason: str  # e.g. "dbt model `predictions`: error"


@dataclass
class Monitored:
    """One sqlmon run inside the build: the monitors of one dbt node, or those dbt builds nothing for."""

    node: str | None  # the dbt node's unique id; None for the run after the build
    run: RunResult
    blocked: bool = False  # reported to dbt as failed (--block-on)


@dataclass
class BuildResult:
    dbt_success: bool
    counts: dict[str, int]  # dbt node status → how many nodes
    runs: list[Monitored] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notifications: list[Delivery] = field(default_factory=list)  # what each channel was sent for the build


class MonitorsBlocked(Exception):
    """Raised in dbt's callback: dbt reports the node as failed with this message and skips its dependents."""


def _relation(node_relation: Any) -> str:
    """A finished node's relation, named as the manifest names it (sqlmon.dbt.manifest._relation)."""
    parts = (node_relation.database, node_relation.schema, node_relation.alias)
    return ".".join(str(part) for part in parts if part)


class _Monitoring:
    """dbt's event callback: runs the monitors of each node that finished successfully, one node at a time."""

    def __init__(
        self, project: Project, by_relation: dict[str, list[MonitorSpec]], end: datetime | None, block_on: str
    ):
        self.project = project
        self.by_relation = by_relation
        self.end = end
        self.block_on = block_on
        self.adapter = project.warehouse
        self.runs: list[Monitored] = []
        self.ran: list[MonitorSpec] = []  # the monitors of every run, for the build's one message per channel
        self.statuses: dict[str, tuple[str, str]] = {}  # relation → (what dbt built, its status)
        self._lock = threading.Lock()  # dbt may finish nodes on several threads; sqlmon's runs take turns

    def __call__(self, event: Any) -> None:
        if event.info.name != "NodeFinished":
            return
        info = event.data.node_info
        if info.resource_type not in REFERABLE:
            return
        relation = _relation(info.node_relation)
        self.statuses[relation] = (f"dbt {info.resource_type} `{info.node_name}`", info.node_status)
        monitors = self.by_relation.get(relation)
        if info.node_status != "success" or not monitors:
            return
        outcome: list[Any] = []
        # A thread of sqlmon's own gets a dbt connection of its own: a session setting (the UTC time zone) never
        # reaches the connection dbt builds the next models with.
        worker = threading.Thread(target=self._run, args=(monitors, outcome), name=f"sqlmon {info.node_name}")
        with self._lock:
            worker.start()
            worker.join()
        [result] = outcome
        if isinstance(result, BaseException):
            raise result
        blocked = self.block_on != "never" and at_or_above(result.current_alerts, self.block_on)
        self.runs.append(Monitored(info.unique_id, result, blocked))
        if result.run_id:  # a run that stored something (not one sqlmon could not start)
            self.ran += monitors
        if blocked:
            worst = [a for a in result.current_alerts if at_or_above([a], self.block_on)]
            detail = "; ".join(f"{a.monitor}: {a.message}" for a in worst[:3])
            raise MonitorsBlocked(
                f"sqlmon: {len(worst)} alert(s) at or above {self.block_on} on `{info.node_name}` "
                f"(--block-on {self.block_on}): {detail}"
            )

    def _run(self, monitors: list[MonitorSpec], outcome: list[Any]) -> None:
        from sqlmon.engines.dbt_adapter import DbtAdapterEngine

        started = utcnow()
        try:
            engine = DbtAdapterEngine.attach(self.adapter, self.project.secrets)
            try:
                outcome.append(run_monitors(self.project, monitors, end=self.end, engine=engine, notify=False))
            finally:
                engine.close()
        except SqlmonError as exc:  # sqlmon could not run here: reported with the runs; dbt's build goes on
            outcome.append(RunResult("", "error", started, utcnow(), self.end or started, error=str(exc)))
        except BaseException as exc:  # a bug: handed to dbt's thread, which reports the node as failed
            outcome.append(exc)


def build(
    root: Path | None,
    options: DbtOptions,
    dbt_args: list[str],
    select: list[str] | None = None,
    end: datetime | None = None,
    block_on: str = "never",
) -> BuildResult:
    # before anything is built: the target (an adapter sqlmon cannot reach is an error) and the monitors, parsing
    # the project first if its manifest is stale
    project = load_project(root, None, options)
    monitors = select_monitors(project, select)
    by_relation: dict[str, list[MonitorSpec]] = defaultdict(list)
    after: list[MonitorSpec] = []  # on dbt sources and tables: dbt builds nothing for them
    for monitor in monitors:
        source = project.sources[monitor.source]
        if source.ref is not None:
            by_relation[str(source.table)].append(monitor)
        else:
            after.append(monitor)

    monitoring = _Monitoring(project, by_relation, end, block_on)
    args = ["build", "--project-dir", str(options.project_dir), "--profiles-dir", str(find_profiles(options).parent)]
    if options.target:
        args += ["--target", options.target]
    outcome = BuildResult(False, {})
    try:
        result = invoke([*args, *dbt_args], callbacks=[monitoring])
        outcome.runs = list(monitoring.runs)
        if result.exception is not None or result.result is None:
            raise SqlmonError(f"`dbt build` could not run: {' '.join(str(result.exception).split())}")
        outcome.dbt_success = bool(result.success)
        for node_result in result.result.results:
            status = str(getattr(node_result.status, "value", node_result.status))
            outcome.counts[status] = outcome.counts.get(status, 0) + 1
        for relation, watching in sorted(by_relation.items()):
            for source_name in sorted({m.source for m in watching}):
                unbuilt = (f"dbt `{project.sources[source_name].ref}`", "not selected in this build")
                what, status = monitoring.statuses.get(relation, unbuilt)
                if status != "success":
                    outcome.skipped.append(Skipped(source_name, relation, f"{what}: {status}"))
        if after:
            outcome.runs.append(Monitored(None, run_monitors(project, after, end=end, notify=False)))
            monitoring.ran += after
    finally:
        # one message per channel for the whole build, once every run is stored, as one `sqlmon run` sends; also
        # when the build broke off, for the runs it stored before
        outcome.runs = outcome.runs or list(monitoring.runs)
        if project.channels and monitoring.ran:
            outcome.notifications = _notify(project, monitoring.ran, combined(outcome, end))
    return outcome


def _notify(project: Project, monitors: list[MonitorSpec], run: RunResult) -> list[Delivery]:
    """The build's message to each channel; a warehouse that cannot be reached for the notification state fails
    the channels, never the build."""
    try:
        return notify_runs(project, monitors, run)
    except SqlmonError as exc:
        error = f"not sent: the notification state could not be read: {exc}"
        return [Delivery(spec.name, spec.type, "failed", error=error) for spec in project.channels.values()]


def combined(result: BuildResult, end: datetime | None) -> RunResult:
    """The runs of one build as one report: every metric, alert and window; the first run's id; error if any run
    failed. Each run is its own row in sqlmon_runs."""
    runs = [item.run for item in result.runs]
    if not runs:
        now = utcnow()
        return RunResult("", "success", now, now, end or now)
    merged = RunResult(
        run_id=next((r.run_id for r in runs if r.run_id), ""),  # a run sqlmon could not start has no id
        status="error" if any(r.status == "error" for r in runs) else "success",
        started_at=min(r.started_at for r in runs),
        finished_at=max(r.finished_at for r in runs),
        as_of=runs[0].as_of,
        statements=sum(r.statements for r in runs),
        error="; ".join(r.error for r in runs if r.error) or None,
        target=runs[0].target,
        notifications=list(result.notifications),
    )
    for run in runs:
        merged.metrics += run.metrics
        merged.alerts += run.alerts
        merged.unstored_alerts += run.unstored_alerts
        merged.failed_sources.update(run.failed_sources)
        merged.open_alerts += run.open_alerts
        merged.warnings += run.warnings
        for source, windows in run.windows.items():
            merged.windows.setdefault(source, []).extend(windows)
    return merged


def summary(result: BuildResult) -> list[str]:
    """What dbt did and which sources' monitors did not run, as the report's first lines."""
    counts = ", ".join(f"{count} {status}" for status, count in sorted(result.counts.items()))
    lines = [f"dbt build: {'success' if result.dbt_success else 'failed'} ({counts or 'no nodes'})"]
    for item in result.runs:
        if item.blocked:
            lines.append(f"  blocked: {item.node} reported to dbt as failed, its downstream models skipped")
    for skipped in result.skipped:
        lines.append(f"  not monitored: source {skipped.source} ({skipped.relation}), {skipped.reason}")
    return lines
