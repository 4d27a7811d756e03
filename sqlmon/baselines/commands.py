"""`sqlmon baseline create | list | show | drop`: frozen baselines, as the CLI sees them (sqlmon.baselines.profile
does the work)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlmon.aligned import table as aligned
from sqlmon.baselines.profile import DEFAULT_CELLS, Profile
from sqlmon.config.durations import Window
from sqlmon.config.errors_pydantic import suggest
from sqlmon.errors import ConfigError, ConfigProblem
from sqlmon.plan import time_range
from sqlmon.session import Session, utcnow


def _problem(key: str, message: str, hint: str | None = None) -> ConfigError:
    return ConfigError([ConfigProblem(None, key, message, hint)])


def create(
    root: Path | None,
    target: str | None,
    name: str,
    source_name: str,
    start: datetime | None,
    end: datetime | None,
    cells: int = DEFAULT_CELLS,
) -> Profile:
    session = Session.open(root, target=target)
    try:
        project = session.project
        source = project.sources.get(source_name)
        if source is None:
            raise _problem(
                "--source", f"no source `{source_name}`", suggest(source_name, project.sources) or "see sqlmon.yml"
            )
        if (start or end) and source.timestamp is None:
            raise _problem("--start", f"source `{source.name}` has no `timestamp`, so it cannot be cut by time")
        columns = session.catalog.columns(source.resolved_table)
        if columns is None:
            raise _problem("--source", f"table {source.table} of source `{source.name}` does not exist")
        window = None
        if start or end:
            first, last = time_range(session.executor, source)
            if first is None or last is None:
                raise _problem("--source", f"table {source.table} of source `{source.name}` has no rows to profile")
            window = Window(start or first, end or last + timedelta(microseconds=1))
        return session.profiles.create(
            session.executor, name, source, columns, window, created_at=utcnow(), cells=cells
        )
    finally:
        session.engine.close()


def listing(root: Path | None, target: str | None) -> list[str]:
    session = Session.open(root, read_only=True, target=target)
    try:
        rows = session.profiles.versions()
    finally:
        session.engine.close()
    if not rows:
        return ["No baseline profiles yet; make one with `sqlmon baseline create NAME --source SOURCE`."]
    listed = [
        [name, version, created, source, table, f"{start or '…'} … {end or '…'}" if start or end else "all rows", n]
        for name, version, created, source, table, start, end, n in rows
    ]
    headers = ["name", "version", "created (UTC)", "source", "table", "rows from … to", "columns"]
    return aligned(headers, listed).splitlines()


def show(root: Path | None, target: str | None, name: str, version: int | None) -> list[str]:
    session = Session.open(root, read_only=True, target=target)
    try:
        profile = session.profiles.get(name, version)
    finally:
        session.engine.close()
    if profile is None:
        raise _missing(name, version)
    span = f"{profile.window.start} … {profile.window.end}" if profile.window else "all rows"
    lines = [
        f"{profile.name} version {profile.version}: source {profile.source} ({profile.table}), {span}, "
        f"created {profile.created_at} UTC; {profile.cells:,} cells per numeric column",
        "",
    ]
    columns = []
    for column in sorted(profile.columns.values(), key=lambda c: c.ordinal):
        stats = column.stats
        if column.quantiles:
            median = column.quantiles.get(500, (None, None))[0]
            summary = (
                f"min {stats.get('min'):.6g}  median {median:.6g}  max {stats.get('max'):.6g}"
                f"  sd {stats.get('stddev') or 0:.6g}"
                if stats.get("min") is not None and median is not None
                else "no finite values"
            )
            valid = stats.get("valid")
        elif column.categories:
            top = sorted(((c, n) for c, n in column.categories.items() if c is not None), key=lambda item: -item[1])
            summary = f"{len(top)} categories; largest: " + ", ".join(f"{c} ({n:,.0f})" for c, n in top[:3])
            valid = sum(column.categories.values())
        else:
            summary, valid = "schema only", None
        columns.append([column.name, column.data_type, f"{valid:,.0f}" if valid is not None else "-", summary])
    return lines + aligned(["column", "type", "valid", "summary"], columns).splitlines()


def drop(root: Path | None, target: str | None, name: str, version: int | None) -> str:
    session = Session.open(root, target=target)
    try:
        gone = session.profiles.drop(name, version)
    finally:
        session.engine.close()
    if not gone:
        raise _missing(name, version)
    return f"Dropped {gone} version(s) of baseline profile `{name}`."


def _missing(name: str, version: int | None) -> ConfigError:
    which = f"`{name}` version {version}" if version is not None else f"`{name}`"
    return _problem("NAME", f"no baseline profile {which}", "see `sqlmon baseline list`")
