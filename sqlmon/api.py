"""The Python API, for schedulers and notebooks: `sqlmon.Project.load(path).run(...)` (docs/api.md).

It does what `sqlmon validate` and `sqlmon run` do, and hands back the run instead of printing it. This module
imports nothing heavy at import time: `import sqlmon` stays as quick as the CLI's start-up, and the warehouse
driver, the monitor kinds and pandas are loaded by the first call that needs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import pandas

    from sqlmon.config.durations import Window
    from sqlmon.config.loader import Project as LoadedProject
    from sqlmon.results import Alert, MetricRow, RunResult

T = TypeVar("T")
Moment = datetime | date | str


class Rows(list[T], Generic[T]):
    """A list of a run's rows (metric values or alerts) that also becomes a DataFrame with the columns of its
    results table, so what a notebook sees is what a BI tool reads from the warehouse."""

    def __init__(self, items: Iterable[T], to_row: Any, columns: Sequence[str]):
        super().__init__(items)
        self._to_row = to_row
        self._columns = list(columns)

    def to_pandas(self) -> pandas.DataFrame:
        import pandas as pd

        return pd.DataFrame([self._to_row(item) for item in self], columns=self._columns)


def _columns(table: str, *extra: str) -> list[str]:
    from sqlmon.store import TABLES

    return [name for name, _ in TABLES[table]] + list(extra)


@dataclass
class Run:
    """One run, as `sqlmon run --format json` reports it: its id and status, the windows computed per source, and
    every metric value and alert. A run that failed on the warehouse is returned too, with `status == "error"`."""

    result: RunResult = field(repr=False)

    def __repr__(self) -> str:  # what a notebook shows for the run
        r = self.result
        return (
            f"Run(run_id={r.run_id!r}, status={r.status!r}, windows={sum(map(len, r.windows.values()))},"
            f" metrics={len(r.metrics)}, alerts={len(r.alerts)}, open_alerts={len(r.open_alerts)})"
        )

    @property
    def run_id(self) -> str:
        return self.result.run_id

    @property
    def status(self) -> str:
        """`success` or `error`."""
        return self.result.status

    @property
    def error(self) -> str | None:
        return self.result.error

    @property
    def as_of(self) -> datetime:
        return self.result.as_of

    @property
    def windows(self) -> dict[str, list[Window]]:
        """Per source, the windows this run computed (each has `start` and `end`)."""
        return self.result.windows

    @property
    def failed_sources(self) -> dict[str, str]:
        return self.result.failed_sources

    @property
    def metrics(self) -> Rows[MetricRow]:
        """Every metric value the run computed; `to_pandas()` has the columns of `sqlmon_metrics` and `status`."""

        def row(metric: MetricRow) -> dict[str, Any]:
            return {**metric.to_row(self.result), "status": metric.status}

        return Rows(self.result.metrics, row, _columns("sqlmon_metrics", "status"))

    @property
    def alerts(self) -> Rows[Alert]:
        """The alerts this run raised; `to_pandas()` has the columns of `sqlmon_alerts`."""
        return Rows(self.result.alerts, lambda a: a.to_row(self.result), _columns("sqlmon_alerts"))

    @property
    def open_alerts(self) -> Rows[Alert]:
        """Alerts of each monitor's latest window that earlier runs raised and this one did not clear."""
        return Rows(self.result.open_alerts, lambda a: a.to_row(self.result), _columns("sqlmon_alerts"))

    def exit_code(self, fail_on: str = "error") -> int:
        """What `sqlmon run --fail-on FAIL_ON` would exit with: 3 for a failed run, 1 for an alert at or above
        `fail_on` (this run's or one still open), else 0."""
        from sqlmon.results import SEVERITY_RANK, at_or_above

        if fail_on not in (*SEVERITY_RANK, "never"):
            raise ValueError(f"fail_on is warn, error or never, not {fail_on!r}")
        if self.status == "error":
            return 3
        return 1 if at_or_above(self.result.current_alerts, fail_on) else 0

    def check(self, fail_on: str = "error") -> None:
        """Raise `RunFailed` when the run failed or an alert reaches `fail_on`: a scheduler's task then fails."""
        code = self.exit_code(fail_on)
        if code == 3:
            raise RunFailed(f"sqlmon run {self.run_id[:12]} failed: {self.error}", self)
        if code == 1:
            from sqlmon.results import SEVERITY_RANK

            current = sorted(self.result.current_alerts, key=lambda a: -SEVERITY_RANK[a.severity])  # worst first
            raise RunFailed(
                f"sqlmon run {self.run_id[:12]}: {len(current)} alert(s), at least one at or above {fail_on}: "
                + "; ".join(f"{a.monitor}: {a.message}" for a in current[:5]),
                self,
            )


class RunFailed(Exception):
    """Raised by `Run.check`; `.run` is the run, for whoever wants its metrics and alerts."""

    def __init__(self, message: str, run: Run):
        super().__init__(message)
        self.run = run


def _moment(value: Moment | None, name: str) -> datetime | None:
    """A datetime, date or ISO text, as naive UTC (how sqlmon cuts windows); an aware one is converted."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{name}: `{value}` is not a date or time; write e.g. 2026-10-01 or 2026-10-01T06:00"
            ) from None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


class Project:
    """A loaded sqlmon project: `sqlmon.yml` and its monitor files, validated (offline) when loaded."""

    def __init__(self, loaded: LoadedProject):
        self._project = loaded

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        target: str | None = None,
        *,
        dbt_project: str | Path | None = None,
        profiles_dir: str | Path | None = None,
    ) -> Project:
        """Read the project in `path` (default: the current folder or its nearest parent with sqlmon.yml), with
        `target` one of `targets:` (or, with `dbt_project`, of the dbt profile). Raises `sqlmon.ConfigError`, whose
        `problems` name file, line and key, when the YAML is invalid."""
        from sqlmon.config.loader import load_project

        dbt = None
        if dbt_project is not None:
            from sqlmon.dbt.target import DbtOptions

            dbt = DbtOptions(
                Path(dbt_project).resolve(), Path(profiles_dir).resolve() if profiles_dir else None, target
            )
        root = Path(path) if path is not None else None
        return cls(load_project(root, None if dbt else target, dbt))

    @property
    def root(self) -> Path:
        return self._project.root

    @property
    def target(self) -> str:
        return self._project.target

    @property
    def sources(self) -> list[str]:
        return list(self._project.sources)

    @property
    def monitors(self) -> list[str]:
        return list(self._project.monitors)

    def validate(self, offline: bool = False) -> None:
        """What `sqlmon validate` checks: unless `offline`, the tables, columns and types in the warehouse (opened
        read-only). Raises `sqlmon.ConfigError` listing every problem; returns None when there is none."""
        if offline:
            return
        from sqlmon.catalog import Catalog
        from sqlmon.checks import check_project
        from sqlmon.engines import connect
        from sqlmon.errors import keep_secrets

        keep_secrets(self._project.secrets)
        with connect(self._project, read_only=True) as engine:
            check_project(self._project, list(self._project.monitors.values()), Catalog(engine), every_source=True)

    def report(
        self, out: str | Path = "report.html", days: int = 30, select: str | Sequence[str] | None = None
    ) -> Path:
        """`sqlmon report`: write the self-contained HTML report of the stored results to `out` (docs/report.md)
        and return its path. Raises `sqlmon.SqlmonError` when the results schema holds no results yet."""
        from sqlmon.errors import SqlmonError, keep_secrets
        from sqlmon.report import report_project

        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3660:
            raise SqlmonError(f"days is a whole number of days from 1 to 3660, not {days!r}")
        keep_secrets(self._project.secrets)
        selectors = [select] if isinstance(select, str) else list(select or [])
        return report_project(self._project, Path(out), days, selectors or None).path.resolve()

    def run(
        self,
        start: Moment | None = None,
        end: Moment | None = None,
        select: str | Sequence[str] | None = None,
        fail_fast: bool = False,
    ) -> Run:
        """`sqlmon run`: compute the windows due (or those from `start`, a backfill) that end by `end` (default:
        now, UTC), store them, and return the run. `select` takes what `--select` takes: monitor names,
        `source:NAME`, `type:KIND`. Raises `sqlmon.ConfigError` for an invalid project or selection and
        `sqlmon.EngineError` when the warehouse cannot be opened; a run that fails on the warehouse is returned
        with `status == "error"` (see `Run.check`)."""
        from sqlmon.errors import keep_secrets
        from sqlmon.plan import select_monitors
        from sqlmon.runner import run_monitors

        keep_secrets(self._project.secrets)  # the last project loaded in this process may be another one
        selectors = [select] if isinstance(select, str) else list(select or [])
        monitors = select_monitors(self._project, selectors or None)
        result = run_monitors(
            self._project, monitors, _moment(start, "start"), _moment(end, "end"), fail_fast=fail_fast
        )
        return Run(result)
