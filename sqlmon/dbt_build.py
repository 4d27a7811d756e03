"""`sqlmon dbt build`: `dbt build`, then the monitors of what it built, as one command (docs/dbt.md "Inside dbt build").

dbt orders and builds the models; sqlmon reads the result of every node and computes the monitors whose source is a
model, seed or snapshot that this build built successfully, plus those on dbt sources and plain tables (dbt builds
nothing for them). A model that failed, was skipped or was not selected keeps its old results and is reported.

The statistics stay in one place, sqlmon's templates in macros/ and its Python finalisation (p-values, exact KS from
per-value counts, quantile edges that a later statement uses): generating dbt models from them would either freeze
the data-dependent steps at generation time or copy the statistics into dbt's Jinja.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmon.config.loader import load_project
from sqlmon.dbt import REFERABLE, DbtOptions, find_profiles, invoke, load_target
from sqlmon.errors import SqlmonError
from sqlmon.runner import RunResult, run_monitors, select_monitors


@dataclass
class Skipped:
    source: str
    relation: str
    reason: str  # e.g. "dbt model `predictions`: error"


@dataclass
class BuildResult:
    dbt_success: bool
    counts: dict[str, int]  # dbt node status → how many nodes
    run: RunResult
    skipped: list[Skipped] = field(default_factory=list)


def _relation(node: Any) -> str:
    """The relation a built node wrote, named as the manifest names it (sqlmon.dbt._relation)."""
    return ".".join(str(part) for part in (node.database, node.schema, node.alias or node.name) if part)


def build(
    root: Path | None,
    options: DbtOptions,
    dbt_args: list[str],
    select: list[str] | None = None,
    end: datetime | None = None,
) -> BuildResult:
    load_target(options)  # an adapter sqlmon cannot connect to is an error before anything is built
    args = ["build", "--project-dir", str(options.project_dir), "--profiles-dir", str(find_profiles(options).parent)]
    if options.target:
        args += ["--target", options.target]
    result = invoke([*args, *dbt_args])
    if result.exception is not None or result.result is None:
        raise SqlmonError(f"`dbt build` could not run: {' '.join(str(result.exception).split())}")
    statuses: dict[str, tuple[str, str]] = {}  # relation → (what dbt built, its status)
    counts: dict[str, int] = {}
    for node_result in result.result.results:
        status = str(getattr(node_result.status, "value", node_result.status))
        counts[status] = counts.get(status, 0) + 1
        node = node_result.node
        if node.resource_type in REFERABLE:
            statuses[_relation(node)] = (f"dbt {node.resource_type} `{node.name}`", status)

    project = load_project(root, None, options)  # the build wrote a fresh manifest: no parse here
    monitors = select_monitors(project, select)
    skipped: list[Skipped] = []
    blocked: set[str] = set()
    for source in {m.source for m in monitors}:
        spec = project.sources[source]
        if spec.ref is None:
            continue  # a dbt source or a table: dbt builds nothing for it
        what, status = statuses.get(str(spec.table), (f"dbt `{spec.ref}`", "not selected in this build"))
        if status != "success":
            blocked.add(source)
            skipped.append(Skipped(source, str(spec.table), f"{what}: {status}"))
    run = run_monitors(project, [m for m in monitors if m.source not in blocked], end=end)
    return BuildResult(bool(result.success), counts, run, sorted(skipped, key=lambda s: s.source))


def summary(result: BuildResult) -> list[str]:
    """What dbt did and which sources' monitors did not run, as the report's first lines."""
    counts = ", ".join(f"{count} {status}" for status, count in sorted(result.counts.items()))
    lines = [f"dbt build: {'success' if result.dbt_success else 'failed'} ({counts or 'no nodes'})"]
    for item in result.skipped:
        lines.append(f"  not monitored: source {item.source} ({item.relation}), {item.reason}")
    return lines
