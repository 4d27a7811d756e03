"""`sqlmon report`: one self-contained HTML file of what the monitors measured (docs/report.md).

Reading (sqlmon.report.data) is a few statements over the results tables; drawing (sqlmon.report.svg) and the page
(sqlmon.report.page) are plain Python with no dependency, so a report is as fast to write as its reads.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmon.config.loader import Project
    from sqlmon.dbt.target import DbtOptions

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class ReportSummary:
    path: Path  # as given: relative paths print as the user wrote them
    bytes: int
    monitors: int
    statuses: dict[str, int]  # monitors per status: ok, warn, error, no_data

    @property
    def line(self) -> str:
        """`Report: report.html (9 monitors: 2 error, 1 warn, 6 ok; 402 KB)`: what the commands print."""
        shown = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in self.statuses.items() if n)
        plural = "" if self.monitors == 1 else "s"
        return f"Report: {self.path} ({self.monitors} monitor{plural}: {shown}; {self.bytes / 1024:.0f} KB)"


def write_report(
    root: Path | None,
    out: Path,
    days: int = DEFAULT_DAYS,
    select: list[str] | None = None,
    target: str | None = None,
    dbt: DbtOptions | None = None,
) -> ReportSummary:
    """Load the project at `root` and write its report to `out` (see `report_project`)."""
    from sqlmon.config.loader import load_project

    return report_project(load_project(root, target, dbt), out, days, select)


def report_project(
    project: Project, out: Path, days: int = DEFAULT_DAYS, select: list[str] | None = None
) -> ReportSummary:
    """Read a loaded project's results and write the report to `out`, whole or not at all (a temporary file beside
    it is renamed into place, so a failed or interrupted report never leaves half a page)."""
    from sqlmon.engines import connect
    from sqlmon.errors import SqlmonError
    from sqlmon.plan import select_monitors
    from sqlmon.report.data import read_report
    from sqlmon.report.page import render
    from sqlmon.session import Session, utcnow

    monitors = select_monitors(project, select)
    with connect(project, read_only=True) as engine:
        session = Session(project, engine)
        data = read_report(session.store, monitors, days, project.spec.name, project.target, project.warehouse)
    html = render(data, utcnow()).encode("utf-8")
    target = out.resolve()
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(html)
        os.replace(partial, target)
    except OSError as exc:
        raise SqlmonError(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):  # nothing was written there
            partial.unlink(missing_ok=True)
    statuses = dict.fromkeys(("error", "warn", "ok", "no_data"), 0)
    for item in data.monitors:
        statuses[item.status] += 1
    return ReportSummary(out, len(html), len(data.monitors), statuses)
