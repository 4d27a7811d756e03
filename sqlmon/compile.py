"""`sqlmon compile`: the statements a run makes, written in a chosen dialect, without computing any window."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmon.compute import compute
from sqlmon.config.durations import Window
from sqlmon.config.loader import load_project
from sqlmon.config.specs import MonitorSpec
from sqlmon.engines import connect
from sqlmon.monitors import registry
from sqlmon.plan import latest_window, select_monitors, time_range
from sqlmon.session import Session, utcnow
from sqlmon.sql.compiler import SqlCompiler
from sqlmon.sql.files import READERS, FileTable

if TYPE_CHECKING:
    from sqlmon.dbt.target import DbtOptions


def compile_project(
    root: Path | None,
    select: list[str] | None,
    dialect: str | None,
    end: datetime | None,
    target: str | None = None,
    dbt: DbtOptions | None = None,
) -> str:
    project = load_project(root, target, dbt)
    monitors = select_monitors(project, select)
    with connect(project, read_only=True) as engine:
        session = Session(project, engine)
        from sqlmon.checks import check_project

        check_project(project, monitors, session.catalog)
        compiler = SqlCompiler(dialect or engine.dialect)
        by_source: dict[str, list[MonitorSpec]] = defaultdict(list)
        for monitor in monitors:
            by_source[monitor.source].append(monitor)
        out = [f"-- sqlmon compile: {len(monitors)} monitor(s), dialect {compiler.dialect.name}"]
        for source_name, source_monitors in by_source.items():
            source = project.sources[source_name]
            window = _window(session, source_name, end or utcnow())
            scanning = [m for m in source_monitors if not registry.get(m.type).snapshot]
            catalog_only = [m.name for m in source_monitors if m not in scanning]
            first = len(session.log.statements)
            if scanning and (window is not None or not source.windowed):
                compute(session, source_name, window, scanning, execute=False, as_of=end or utcnow())
            statements = session.log.statements[first:]
            out.append("")
            out.append(
                f"-- source {source.name} ({source.table}), window {window or 'whole table'}: "
                f"{len(statements)} statement(s)"
            )
            if isinstance(source.table, FileTable) and compiler.dialect.name != "duckdb":
                reader = READERS[source.table.file_format]
                out.append(
                    f"-- the files are read with DuckDB's {reader}: in {compiler.dialect.name}, load them into a table"
                )
            if scanning:
                out.append(f"-- monitors: {', '.join(m.name for m in scanning)}")
            if catalog_only:
                out.append(f"-- reading the catalog only (no scan): {', '.join(catalog_only)}")
            if source.windowed and window is None:
                out.append("-- the table has no rows yet, so there is no window to show")
            for number, statement in enumerate(statements, 1):
                out.append(f"\n-- {number}. {statement.purpose}")
                out.append(compiler.to_sql(statement.tree) + ";")
        return "\n".join(out)


def _window(session: Session, source_name: str, as_of: datetime) -> Window | None:
    """The latest complete window that has data, as a run at `as_of` would compute last."""
    source = session.project.sources[source_name]
    if not source.windowed:
        return None
    assert source.window is not None
    _, high = time_range(session.executor, source)
    latest = latest_window(source, as_of)
    if high is None or latest is None:
        return None
    from sqlmon.config.durations import window_floor

    start = min(latest.start, window_floor(high, source.window))
    return Window(start, start + source.window)
