"""Cross-checks of what the YAML declares, against itself: names unique, a monitor's source declared, its threshold
metrics its kind's, the baseline it needs set. No warehouse is involved (that is sqlmon.checks)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from sqlmon.config.errors_pydantic import suggest
from sqlmon.config.specs import MonitorSpec, SourceSpec
from sqlmon.config.yaml_loader import format_key
from sqlmon.errors import ConfigProblem
from sqlmon.monitors.base import SEGMENT_METRICS, MonitorKind

if TYPE_CHECKING:
    from sqlmon.config.loader import Project


def monitor_references(
    monitor: MonitorSpec, kind: MonitorKind[Any], prefix: tuple[Any, ...], project: Project, broken: AbstractSet[str]
) -> list[ConfigProblem]:
    """What is wrong with how a valid monitor refers to the rest of the project. A monitor of a source that was
    itself invalid (`broken`) gets no second problem for it."""
    found: list[ConfigProblem] = []
    source = project.sources.get(monitor.source)
    if source is None and monitor.source not in broken:
        hint = suggest(monitor.source, project.sources)
        found.append(
            ConfigProblem(
                monitor.locate("source"),
                format_key((*prefix, "source")),
                f"unknown source `{monitor.source}`",
                hint
                or (
                    f"declared sources: {', '.join(project.sources)}"
                    if project.sources
                    else "declare it under `sources:`"
                ),
            )
        )
    if monitor.segment_by and kind.snapshot:
        found.append(
            ConfigProblem(
                monitor.locate("segment_by"),
                format_key((*prefix, "segment_by")),
                f"`{kind.type}` describes the table as a whole, not its rows, so it cannot be split by segment",
                "remove `segment_by`",
            )
        )
    metrics = kind.metrics_of(monitor) + (SEGMENT_METRICS if monitor.segment_by else ())
    for metric in monitor.thresholds:
        if metric not in metrics and not kind.open_metrics(monitor):
            hint = suggest(metric, metrics)
            found.append(
                ConfigProblem(
                    monitor.locate("thresholds", metric),
                    format_key((*prefix, "thresholds", metric)),
                    f"`{kind.type}` has no metric `{metric}`",
                    (hint + " " if hint else "") + f"its metrics: {', '.join(metrics)}",
                )
            )
    if found or source is None:  # the checks below read the source and assume the rest is right
        return found
    found += kind.check_source(monitor, source)
    from sqlmon.rules.registry import REGISTRY as RULES  # the rules import the monitor kinds, which import this

    for rule in RULES.all().values():
        found += rule.check(monitor, kind, source, prefix)
    if found:
        return found
    if kind.needs_baseline and project.baseline_of(monitor) is None:
        return [
            ConfigProblem(
                monitor.locate(),
                format_key(prefix),
                f"`{kind.type}` compares against a baseline, and none is set",
                f"add `baseline: {{table: ...}}` or `baseline: {{previous: 7 days}}` to source `{monitor.source}` "
                "or to this monitor",
            )
        ]
    if monitor.baseline is not None and monitor.baseline.previous is not None and not source.windowed:
        return [
            ConfigProblem(
                monitor.locate("baseline"),
                format_key((*prefix, "baseline")),
                "a `previous` baseline needs a source with `timestamp` and `window`",
            )
        ]
    return []


def refuse_dbt_relations(sources: list[SourceSpec], problems: list[ConfigProblem]) -> None:
    """Without a dbt project, `ref`/`source` name nothing: an error at their key."""
    for source in sources:
        if source.table is None:
            key = "ref" if source.ref is not None else "source"
            problems.append(
                ConfigProblem(
                    source.locate(key),
                    source.key(key),
                    f"`{key}` names a dbt {'model' if key == 'ref' else 'source'}, and no dbt project is given",
                    "run with `--dbt-project DIR`, or write `table:`",
                )
            )


def add_unique(registry: dict[str, Any], spec: Any, what: str, problems: list[ConfigProblem]) -> None:
    """Register a source or monitor under its name; a second one with the same name is a problem naming both."""
    if spec.name in registry:
        first = registry[spec.name].locate()
        problems.append(
            ConfigProblem(
                spec.locate("name"),
                spec.key("name"),
                f"duplicate {what} name `{spec.name}` (first declared at {first})",
                f"give each {what} a unique name",
            )
        )
        return
    registry[spec.name] = spec
