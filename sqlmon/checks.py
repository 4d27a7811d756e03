"""Checks of a project against the warehouse: tables, columns and types that YAML alone cannot verify."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlmon.baselines.profile import Profile
from sqlmon.catalog import Catalog
from sqlmon.config.errors_pydantic import suggest
from sqlmon.config.loader import Project
from sqlmon.config.specs import MonitorSpec, SourceSpec
from sqlmon.errors import ConfigError, ConfigProblem
from sqlmon.monitors import registry
from sqlmon.monitors.base import MonitorContext, Relation
from sqlmon.sql.files import FileTable
from sqlmon.sql.types import ColumnInfo

TIME_TYPES = ("timestamp", "date")  # the logical types a source's `timestamp` column may have


def _column_problem(
    monitor: MonitorSpec, name: str, table: str, columns: dict[str, ColumnInfo], role: str
) -> ConfigProblem:
    path = _find_column_path(monitor, name)
    hint = suggest(name, columns) or f"its columns: {', '.join(columns)}"
    return ConfigProblem(
        monitor.locate(*path), monitor.key(*path), f"column `{name}` is not in {role} table {table}", hint
    )


def _find_column_path(monitor: MonitorSpec, name: str) -> tuple[Any, ...]:
    return registry.get(monitor.type).column_path(monitor, name)


def check_project(
    project: Project, monitors: Iterable[MonitorSpec], catalog: Catalog, *, every_source: bool = False
) -> None:
    """Raise ConfigError with every problem found: missing tables, missing columns, unusable column types.

    The sources of `monitors` are checked, and with `every_source` also those no monitor reads (`sqlmon validate`
    checks the whole project; a run checks only what it runs, so a source nobody uses cannot stop it)."""
    problems: list[ConfigProblem] = []
    checked_sources: set[str] = set()
    for monitor in monitors:
        source = project.sources[monitor.source]
        columns = catalog.columns(source.resolved_table)
        if source.name not in checked_sources:
            checked_sources.add(source.name)
            problems += _check_source(source, columns, catalog)
        if columns is None:
            continue
        kind = registry.get(monitor.type)
        used = kind.columns_used(monitor, columns)
        missing = [name for name in used if name not in columns]
        problems += [_column_problem(monitor, name, source.resolved_table, columns, "source") for name in missing]
        problems += _check_segment_columns(monitor, source, columns)
        baseline = project.baseline_of(monitor)
        baseline_columns = profile = None
        if baseline is not None and baseline.profile is not None and kind.reads_baseline_of(monitor):
            profile, found_problems = _check_profile(project, monitor, used, columns, catalog)
            problems += found_problems
            baseline_columns = profile.column_infos() if profile is not None else None
        elif baseline is not None and baseline.table is not None and kind.reads_baseline_of(monitor):
            baseline_columns = catalog.columns(baseline.table)
            problems += _check_baseline_table(monitor, source, baseline.table, used, columns, baseline_columns, catalog)
        if not missing:
            ctx = MonitorContext(
                source=source,
                columns=columns,
                current=Relation(source.resolved_table),
                window=None,
                baseline_columns=baseline_columns,
                profile=profile,
                tables={table: catalog.columns(table) for table in kind.tables_used(monitor)},
            )
            for problem in kind.check(monitor, ctx):  # a kind names keys within its monitor; make them full
                problems.append(replace(problem, key=monitor.key(problem.key) if problem.key else monitor.key()))
        from sqlmon.rules.registry import REGISTRY as RULES

        for rule in RULES.all().values():
            problems += rule.check_warehouse(monitor, catalog)
    if every_source:
        for source in project.sources.values():
            if source.name not in checked_sources:
                problems += _check_source(source, catalog.columns(source.resolved_table), catalog)
    if problems:  # monitors sharing a source or baseline would each report its problem; say it once
        raise ConfigError(list({str(problem): problem for problem in problems}.values()))


def _missing_table_hint(table: str, catalog: Catalog) -> str:
    """The closest table the warehouse has, written as `table` is, like a misspelled column gets: one of the same
    schema when that schema exists (compared by name alone: the shared `main.` would make any two look alike), else
    the closest `schema.name`, for a misspelled schema."""
    candidates = catalog.table_names(table)
    schema, _, name = table.rpartition(".")
    same_schema = {c.rpartition(".")[2]: c for c in candidates if c.rpartition(".")[0] == schema}
    if same_schema:
        match = difflib.get_close_matches(name, list(same_schema), n=1, cutoff=0.6)  # as `suggest` does
        return f"did you mean `{same_schema[match[0]]}`?" if match else _NO_TABLE_HINT
    return suggest(table, candidates) or _NO_TABLE_HINT


_NO_TABLE_HINT = "check the name, including its schema"


def _files_problem(
    declared: SourceSpec | MonitorSpec, path: tuple[str, ...], files: FileTable, catalog: Catalog
) -> ConfigProblem:
    """Why a `file` source or baseline has no columns: an engine that is not DuckDB, or no file that matches."""
    where = (declared.locate(*path), declared.key(*path))
    if catalog.engine.dialect != "duckdb":
        return ConfigProblem(
            *where,
            f"files are read by DuckDB, and this target's warehouse is {catalog.engine.dialect}",
            "load them into a table of the warehouse, or monitor them from a DuckDB target",
        )
    return ConfigProblem(*where, f"no file matches `{files.written}`", f"looked for {files.path}")


def _check_source(source: SourceSpec, columns: dict[str, ColumnInfo] | None, catalog: Catalog) -> list[ConfigProblem]:
    """The source's table (or files) exists, and its timestamp column is a date or timestamp."""
    if columns is None and isinstance(source.table, FileTable):
        return [_files_problem(source, ("file",), source.table, catalog)]
    if columns is None:
        return [
            ConfigProblem(
                source.locate("table"),
                source.key("table"),
                f"table `{source.table}` does not exist in the warehouse",
                _missing_table_hint(source.resolved_table, catalog),
            )
        ]
    if source.timestamp is None:
        return []
    ts = columns.get(source.timestamp)
    if ts is None:
        times = [name for name, column in columns.items() if column.logical in TIME_TYPES]
        listed = (
            f"its date and timestamp columns: {', '.join(times)}" if times else "it has no date or timestamp column"
        )
        return [
            ConfigProblem(
                source.locate("timestamp"),
                source.key("timestamp"),
                f"column `{source.timestamp}` is not in table {source.table}",
                suggest(source.timestamp, times) or listed,  # only a time column can be the timestamp
            )
        ]
    if ts.logical not in TIME_TYPES:
        return [
            ConfigProblem(
                source.locate("timestamp"),
                source.key("timestamp"),
                f"column `{source.timestamp}` has type {ts.data_type}; windows need a date or timestamp column",
            )
        ]
    return []


def _check_segment_columns(
    monitor: MonitorSpec, source: SourceSpec, columns: dict[str, ColumnInfo]
) -> list[ConfigProblem]:
    return [
        ConfigProblem(
            monitor.locate("segment_by", index),
            monitor.key("segment_by", index),
            f"segment column `{name}` is not in source table {source.table}",
            suggest(name, columns) or f"its columns: {', '.join(columns)}",
        )
        for index, name in enumerate(monitor.segment_by)
        if name not in columns
    ]


def _check_baseline_table(
    monitor: MonitorSpec,
    source: SourceSpec,
    table: str,
    used: list[str],
    columns: dict[str, ColumnInfo],
    baseline_columns: dict[str, ColumnInfo] | None,
    catalog: Catalog,
) -> list[ConfigProblem]:
    """The baseline table exists, holds the monitored columns, and types them numeric where the source does."""
    if baseline_columns is None and isinstance(table, FileTable):
        return [_files_problem(monitor if monitor.baseline else source, ("baseline", "file"), table, catalog)]
    if baseline_columns is None:
        declared = monitor if monitor.baseline else source
        return [
            ConfigProblem(
                declared.locate("baseline", "table"),
                declared.key("baseline", "table"),
                f"baseline table `{table}` does not exist in the warehouse",
                _missing_table_hint(table, catalog),
            )
        ]
    problems = [
        _column_problem(monitor, name, table, baseline_columns, "baseline")
        for name in used
        if name not in baseline_columns and name in columns
    ]
    for name in used:
        now, then = columns.get(name), baseline_columns.get(name)
        if now is not None and then is not None and now.numeric != then.numeric:
            path = _find_column_path(monitor, name)
            problems.append(
                ConfigProblem(
                    monitor.locate(*path),
                    monitor.key(*path),
                    f"column `{name}` is {now.data_type} in {source.table} but {then.data_type} in baseline table"
                    f" {table}; both sides must be numeric, or both not",
                    "cast one side in a view, or compare against a baseline with the same types",
                )
            )
    return problems


def _check_profile(
    project: Project, monitor: MonitorSpec, used: list[str], columns: dict[str, ColumnInfo], catalog: Catalog
) -> tuple[Profile | None, list[ConfigProblem]]:
    """A frozen baseline exists, holds the monitor's columns, and the kind can compare with one."""
    baseline = project.baseline_of(monitor)
    assert baseline is not None and baseline.profile is not None
    source = project.sources[monitor.source]
    declared = monitor if monitor.baseline else source
    where = (declared.locate("baseline", "profile"), declared.key("baseline", "profile"))
    if not registry.get(monitor.type).supports_profile:
        supported = ", ".join(name for name, kind in registry.kinds().items() if kind.supports_profile)
        return None, [
            ConfigProblem(
                *where,
                f"{monitor.type} cannot compare with a frozen profile",
                f"give it a `table` or `previous` baseline; profiles serve {supported}",
            )
        ]
    profile = catalog.profiles(project).get(baseline.profile, baseline.version)
    if profile is None:
        version = f" version {baseline.version}" if baseline.version is not None else ""
        return None, [
            ConfigProblem(
                *where,
                f"baseline profile `{baseline.profile}`{version} does not exist in {project.spec.results_schema}",
                f"create it with `sqlmon baseline create {baseline.profile} --source {source.name}`"
                + (", or see `sqlmon baseline list`" if version else ""),
            )
        ]
    held = profile.column_infos()
    label = f"{baseline.profile} (version {profile.version})"
    return profile, [
        _column_problem(monitor, name, label, held, "baseline profile")
        for name in used
        if name not in held and name in columns
    ]
