"""The results tables in the warehouse: created and migrated by sqlmon, appended to atomically per run.

The table layouts are a contract (docs/results.md): columns may be added, never renamed or removed. Re-running a
monitor's window replaces that window's rows, so a backfill never duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlglot import exp

from sqlmon.engines.base import Engine
from sqlmon.results import RunResult
from sqlmon.sql.compiler import SqlCompiler, table_expression
from sqlmon.stats.anomaly import Point

SeriesKey = tuple[str | None, str | None, str]  # (column, segment, metric)

TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "sqlmon_runs": (
        ("run_id", "VARCHAR"),
        ("started_at", "TIMESTAMPNTZ"),
        ("finished_at", "TIMESTAMPNTZ"),
        ("status", "VARCHAR"),
        ("sqlmon_version", "VARCHAR"),
        ("target", "VARCHAR"),
        ("error", "VARCHAR"),
    ),
    "sqlmon_metrics": (
        ("run_id", "VARCHAR"),
        ("monitor", "VARCHAR"),
        ("monitor_type", "VARCHAR"),
        ("source", "VARCHAR"),
        ("column_name", "VARCHAR"),
        ("segment", "VARCHAR"),
        ("metric", "VARCHAR"),
        ("value", "DOUBLE"),
        ("window_start", "TIMESTAMPNTZ"),
        ("window_end", "TIMESTAMPNTZ"),
        ("computed_at", "TIMESTAMPNTZ"),
    ),
    "sqlmon_histograms": (
        ("run_id", "VARCHAR"),
        ("monitor", "VARCHAR"),
        ("column_name", "VARCHAR"),
        ("segment", "VARCHAR"),
        ("window_start", "TIMESTAMPNTZ"),
        ("side", "VARCHAR"),
        ("bin", "INTEGER"),
        ("lower", "DOUBLE"),
        ("upper", "DOUBLE"),
        ("category", "VARCHAR"),
        ("count", "DOUBLE"),
        ("fraction", "DOUBLE"),
    ),
    "sqlmon_alerts": (
        ("run_id", "VARCHAR"),
        ("monitor", "VARCHAR"),
        ("column_name", "VARCHAR"),
        ("segment", "VARCHAR"),
        ("metric", "VARCHAR"),
        ("value", "DOUBLE"),
        ("severity", "VARCHAR"),
        ("rule", "VARCHAR"),
        ("message", "VARCHAR"),
        ("window_start", "TIMESTAMPNTZ"),
        ("created_at", "TIMESTAMPNTZ"),
    ),
    # Every verdict of an anomaly rule: the band a metric's own history gives each judged window.
    "sqlmon_anomalies": (
        ("run_id", "VARCHAR"),
        ("monitor", "VARCHAR"),
        ("column_name", "VARCHAR"),
        ("segment", "VARCHAR"),
        ("metric", "VARCHAR"),
        ("window_start", "TIMESTAMPNTZ"),
        ("window_end", "TIMESTAMPNTZ"),
        ("value", "DOUBLE"),
        ("expected", "DOUBLE"),
        ("lower", "DOUBLE"),
        ("upper", "DOUBLE"),
        ("score", "DOUBLE"),
        ("training_size", "INTEGER"),
        ("method", "VARCHAR"),
        ("sensitivity", "DOUBLE"),
        ("seasonality", "VARCHAR"),
        ("status", "VARCHAR"),
        ("computed_at", "TIMESTAMPNTZ"),
    ),
    # The keys of failing rows that validity monitors sample (`samples: N`): key columns only, never values.
    "sqlmon_samples": (
        ("run_id", "VARCHAR"),
        ("monitor", "VARCHAR"),
        ("column_name", "VARCHAR"),
        ("window_start", "TIMESTAMPNTZ"),
        ("sample", "INTEGER"),
        ("row_key", "VARCHAR"),
        ("rules", "VARCHAR"),
        ("computed_at", "TIMESTAMPNTZ"),
    ),
    # The columns each run saw in each source table, so schema_contract can report changes between runs.
    "sqlmon_schemas": (
        ("run_id", "VARCHAR"),
        ("source", "VARCHAR"),
        ("table_name", "VARCHAR"),
        ("column_name", "VARCHAR"),
        ("data_type", "VARCHAR"),
        ("ordinal", "INTEGER"),
        ("observed_at", "TIMESTAMPNTZ"),
    ),
    # Frozen baselines (sqlmon.baselines.profile): one row per stored number of a profile version.
    "sqlmon_baselines": (
        ("name", "VARCHAR"),
        ("version", "INTEGER"),
        ("created_at", "TIMESTAMPNTZ"),
        ("source", "VARCHAR"),
        ("table_name", "VARCHAR"),
        ("window_start", "TIMESTAMPNTZ"),
        ("window_end", "TIMESTAMPNTZ"),
        ("column_name", "VARCHAR"),
        ("data_type", "VARCHAR"),
        ("entry", "VARCHAR"),  # schema | stat | quantile | cell | category
        ("position", "INTEGER"),  # ordinal (schema), j (quantile), cell number (cell)
        ("value", "DOUBLE"),  # the stat's or the quantile's value
        ("category", "VARCHAR"),  # the stat's name, or the category (NULL: the folded rest)
        ("count", "DOUBLE"),  # valid values below the quantile, in the cell, or of the category
        ("finite_count", "DOUBLE"),  # finite values in the cell
    ),
}
BASELINES_TABLE = "sqlmon_baselines"
VIEWS = {"sqlmon_latest_metrics": "store.views.latest_metrics", "sqlmon_open_alerts": "store.views.open_alerts"}
# Tables whose rows belong to a (monitor, window): replaced when that window is computed again.
WINDOWED_TABLES = ("sqlmon_metrics", "sqlmon_histograms", "sqlmon_alerts", "sqlmon_samples", "sqlmon_anomalies")


class Store:
    def __init__(self, engine: Engine, compiler: SqlCompiler, schema: str):
        self.engine = engine
        self.compiler = compiler
        self.schema = schema

    def table(self, name: str) -> exp.Table:
        return exp.table_(exp.to_identifier(name, quoted=True), db=exp.to_identifier(self.schema, quoted=True))

    def _sql(self, tree: exp.Expression) -> str:
        return self.compiler.to_sql(tree, pretty=False)

    def ensure(self) -> None:
        """Create the schema, tables and views, and add any column a newer sqlmon defines (forward migration); one
        process at a time (`Engine.exclusive`), or two first runs race to create the same tables."""
        with self.engine.exclusive(self.schema):
            self._ensure()

    def _ensure(self) -> None:
        self.engine.execute(
            self._sql(exp.Create(this=exp.to_identifier(self.schema, quoted=True), kind="SCHEMA", exists=True))
        )
        for name, columns in TABLES.items():
            existing = self.engine.describe(f"{self.schema}.{name}")
            if existing is None:
                definition = exp.Schema(
                    this=self.table(name),
                    expressions=[
                        exp.ColumnDef(this=exp.to_identifier(col, quoted=True), kind=exp.DataType.build(kind))
                        for col, kind in columns
                    ],
                )
                self.engine.execute(
                    self._sql(
                        exp.Create(
                            this=definition,
                            kind="TABLE",
                            exists=True,
                            properties=self.engine.create_table_properties(),
                        )
                    )
                )
                continue
            present = {col for col, _ in existing}
            for col, kind in columns:
                if col not in present:
                    self.engine.execute(
                        self._sql(
                            exp.Alter(
                                this=self.table(name),
                                kind="TABLE",
                                actions=[
                                    exp.ColumnDef(
                                        this=exp.to_identifier(col, quoted=True), kind=exp.DataType.build(kind)
                                    )
                                ],
                            )
                        )
                    )
        for view, macro in VIEWS.items():
            query = self.compiler.parse(self.compiler.macro(macro, schema=self.schema))
            self.engine.execute(
                self._sql(exp.Create(this=self.table(view), kind="VIEW", replace=True, expression=query))
            )

    def stored_windows(self) -> dict[str, dict[datetime, datetime]]:
        """Per monitor, the windows (start → end) with stored metrics; empty before the first run."""
        if self.engine.describe(f"{self.schema}.sqlmon_metrics") is None:
            return {}
        query = exp.select("monitor", "window_start", "window_end").distinct().from_(self.table("sqlmon_metrics"))
        stored: dict[str, dict[datetime, datetime]] = {}
        for monitor, start, end in self.engine.query(self._sql(query)):
            if start is not None and end is not None:
                stored.setdefault(monitor, {})[start] = end
        return stored

    def previous_schema(self, table: str, before: datetime, inclusive: bool = False) -> dict[str, str] | None:
        """The columns recorded for `table` by the latest run that saw it before `before` (the current run's time).

        Comparing with the schema seen before this run's point in time, not with the latest row, keeps a re-run of
        the same moment idempotent: it finds the same previous schema and reports the same changes.
        """
        latest = (
            exp.select(exp.func("MAX", exp.column("observed_at")))
            .from_(self.table("sqlmon_schemas"))
            .where(
                exp.and_(
                    exp.column("table_name").eq(exp.Literal.string(table)),
                    (exp.LTE if inclusive else exp.LT)(this=exp.column("observed_at"), expression=_timestamp(before)),
                )
            )
        )
        query = (
            exp.select("column_name", "data_type")
            .from_(self.table("sqlmon_schemas"))
            .where(
                exp.and_(
                    exp.column("table_name").eq(exp.Literal.string(table)),
                    exp.column("observed_at").eq(exp.Subquery(this=latest)),
                )
            )
            .order_by("ordinal")
        )
        rows = self.engine.query(self._sql(query))
        return {name: data_type for name, data_type in rows} if rows else None

    def write(self, run: RunResult) -> None:
        """One transaction: drop the rows of the windows being recomputed, append everything, then the run row.

        On an engine without transactions or DELETE (Spark on parquet) a table that holds rows to replace is rewritten
        without them first, and appends follow; the run row comes last, so a reader never sees a run as finished
        before its rows are in.
        """
        conditions = {name: self._replaced_condition(run.replaced) for name in WINDOWED_TABLES}
        snapshots = sorted({(r.table_name, r.observed_at) for r in run.schemas})
        conditions["sqlmon_schemas"] = (
            exp.or_(
                *[
                    exp.and_(
                        exp.column("table_name").eq(exp.Literal.string(table_name)),
                        exp.column("observed_at").eq(_timestamp(observed_at)),
                    )
                    for table_name, observed_at in snapshots
                ]
            )
            if snapshots
            else None
        )
        # exclusive: a second run's DELETE must see the first's committed rows, or both append the same windows
        with self.engine.transaction(), self.engine.exclusive(self.schema):
            for name, condition in conditions.items():
                if condition is not None:
                    self._remove(name, condition)
            self._append("sqlmon_metrics", [row.to_row(run) for row in run.metrics])
            self._append("sqlmon_histograms", [row.to_row(run) for row in run.histograms])
            self._append("sqlmon_alerts", [alert.to_row(run) for alert in run.alerts])
            self._append("sqlmon_samples", [row.to_row(run) for row in run.samples])
            self._append("sqlmon_anomalies", [row.to_row(run) for row in run.anomalies])
            self._append("sqlmon_schemas", [row.to_row(run) for row in run.schemas])
            self._append("sqlmon_runs", [run.to_row()])

    def history(
        self,
        monitor: str,
        column: str | None,
        segment: str | None,
        metric: str,
        before: datetime,
        limit: int,
    ) -> list[tuple[datetime, float | None]]:
        """The stored values of one metric in the `limit` latest windows starting before `before`, oldest first.

        For the rules that judge a value against its own past. There is one row per window: a window computed again
        replaces its rows (`write`).
        """
        if self.engine.describe(f"{self.schema}.sqlmon_metrics") is None:
            return []

        def matches(name: str, value: str | None) -> exp.Expression:
            return exp.column(name).is_(exp.null()) if value is None else exp.column(name).eq(exp.Literal.string(value))

        query = (
            exp.select("window_start", "value")
            .from_(self.table("sqlmon_metrics"))
            .where(
                exp.and_(
                    exp.column("monitor").eq(exp.Literal.string(monitor)),
                    matches("column_name", column),
                    matches("segment", segment),
                    exp.column("metric").eq(exp.Literal.string(metric)),
                    exp.LT(this=exp.column("window_start"), expression=_timestamp(before)),
                )
            )
            .order_by(exp.Ordered(this=exp.column("window_start"), desc=True))
            .limit(limit)
        )
        rows = self.engine.query(self._sql(query))
        return [(start, None if value is None else float(value)) for start, value in reversed(rows)]

    def series(self, monitor: str, metrics: Sequence[str]) -> dict[SeriesKey, list[Point]]:
        """The stored history of some metrics of one monitor, per (column, segment, metric), in time order, each
        window marked when a rule alerted on that metric there: what anomaly rules train on. Two statements per
        monitor and run, whatever the number of columns, segments and windows."""
        if not metrics or self.engine.describe(f"{self.schema}.sqlmon_metrics") is None:
            return {}
        of_monitor = exp.and_(
            exp.column("monitor").eq(exp.Literal.string(monitor)),
            exp.column("metric").isin(*[exp.Literal.string(m) for m in metrics]),
        )
        values = (
            exp.select("column_name", "segment", "metric", "window_start", "window_end", "value")
            .from_(self.table("sqlmon_metrics"))
            .where(of_monitor)
            .order_by("window_start")
        )
        alerted = (
            exp.select("column_name", "segment", "metric", "window_start")
            .distinct()
            .from_(self.table("sqlmon_alerts"))
            .where(of_monitor.copy())
        )
        flagged = {tuple(row) for row in self.engine.query(self._sql(alerted))}
        found: dict[SeriesKey, list[Point]] = {}
        for column, segment, metric, start, end, value in self.engine.query(self._sql(values)):
            if start is None:
                continue
            found.setdefault((column, segment, metric), []).append(
                Point(
                    start,
                    end if end is not None else start,
                    None if value is None else float(value),
                    (column, segment, metric, start) in flagged,
                )
            )
        return found

    def dates(self, table: str, column: str) -> set[date]:
        """The distinct calendar days in one column of a table (a calendar of holidays or incidents)."""
        query = (
            exp.select(exp.cast(exp.column(column, quoted=True), "DATE"))
            .distinct()
            .from_(table_expression(table))
            .where(exp.column(column, quoted=True).is_(exp.null()).not_())
        )
        return {as_date(value) for (value,) in self.engine.query(self._sql(query))}

    def open_alerts(self, monitors: Sequence[str]) -> list[tuple[Any, ...]]:
        """The stored alerts of each of these monitors' latest window (`sqlmon_open_alerts`): what is wrong now, as
        rows (monitor, column_name, segment, metric, value, severity, rule, message, window_start)."""
        if not monitors or self.engine.describe(f"{self.schema}.sqlmon_alerts") is None:
            return []
        columns = (
            "monitor",
            "column_name",
            "segment",
            "metric",
            "value",
            "severity",
            "rule",
            "message",
            "window_start",
        )
        query = (
            exp.select(*columns)
            .from_(self.table("sqlmon_open_alerts"))
            .where(exp.column("monitor").isin(*[exp.Literal.string(m) for m in monitors]))
            .order_by("window_start", "monitor", "metric")
        )
        return [tuple(row) for row in self.engine.query(self._sql(query))]

    @staticmethod
    def _replaced_condition(replaced: set[tuple[str, datetime]]) -> exp.Condition | None:
        by_monitor: dict[str, list[datetime]] = {}
        for monitor, window_start in sorted(replaced):
            by_monitor.setdefault(monitor, []).append(window_start)
        if not by_monitor:
            return None
        return exp.or_(
            *[
                exp.and_(
                    exp.column("monitor").eq(exp.Literal.string(monitor)),
                    exp.column("window_start").isin(*[_timestamp(start) for start in starts]),
                )
                for monitor, starts in by_monitor.items()
            ]
        )

    def _remove(self, name: str, condition: exp.Condition) -> None:
        if self.engine.supports_delete:
            self.engine.execute(self._sql(exp.delete(self.table(name), where=condition)))
            return
        count = exp.select(exp.func("COUNT", exp.Star())).from_(self.table(name)).where(condition)
        if not self.engine.query(self._sql(count))[0][0]:
            return  # the usual incremental run: nothing to replace, nothing to rewrite
        staging = exp.table_(
            exp.to_identifier(f"{name}__sqlmon_rewrite", quoted=True), db=exp.to_identifier(self.schema, quoted=True)
        )
        keep = exp.select("*").from_(self.table(name)).where(exp.not_(condition))
        self.engine.execute(self._sql(exp.Drop(tables=[staging.copy()], kind="TABLE", exists=True)))
        self.engine.execute(
            self._sql(
                exp.Create(
                    this=staging.copy(), kind="TABLE", expression=keep, properties=self.engine.create_table_properties()
                )
            )
        )
        self.engine.execute(self._sql(exp.Drop(tables=[self.table(name)], kind="TABLE")))
        self.engine.execute(
            self._sql(exp.Alter(this=staging.copy(), kind="TABLE", actions=[exp.AlterRename(this=self.table(name))]))
        )

    def _append(self, name: str, rows: Sequence[dict[str, Any]]) -> None:
        columns = [col for col, _ in TABLES[name]]
        self.engine.insert_rows(self.table(name), columns, [[row.get(col) for col in columns] for row in rows])


def as_date(value: Any) -> date:
    """A DATE as a driver returns it: a date, a datetime, or ISO text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _timestamp(value: datetime) -> exp.Expression:
    return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMPNTZ")
