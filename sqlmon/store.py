"""The results tables in the warehouse: created and migrated by sqlmon, appended to atomically per run.

The table layouts are a contract (docs/results.md): columns may be added, never renamed or removed. Re-running a
monitor's window replaces that window's rows, so a backfill never duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlglot import exp

from sqlmon import __version__
from sqlmon.engines.base import Engine
from sqlmon.errors import EngineError
from sqlmon.results import RunResult
from sqlmon.sql.compiler import SqlCompiler, table_expression
from sqlmon.sql.dialects import get_dialect
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
    # What each notification channel was told about each alert key (sqlmon.notify.state): the next run sends only
    # what changed. Append-only; a key's latest `sent` row is its state on that channel.
    "sqlmon_notifications": (
        ("run_id", "VARCHAR"),
        ("channel", "VARCHAR"),
        ("event", "VARCHAR"),  # opened | changed | repeated | resolved
        ("monitor", "VARCHAR"),
        ("column_name", "VARCHAR"),
        ("segment", "VARCHAR"),
        ("metric", "VARCHAR"),
        ("severity", "VARCHAR"),
        ("value", "DOUBLE"),
        ("message", "VARCHAR"),
        ("rule", "VARCHAR"),
        ("window_start", "TIMESTAMPNTZ"),
        ("status", "VARCHAR"),  # sent | failed
        ("error", "VARCHAR"),
        ("as_of", "TIMESTAMPNTZ"),
        ("sent_at", "TIMESTAMPNTZ"),
    ),
    # The layouts of this schema: one row each time a sqlmon created or migrated it to a new layout.
    "sqlmon_layout": (
        ("layout", "INTEGER"),
        ("previous_layout", "INTEGER"),  # NULL: the schema was new
        ("sqlmon_version", "VARCHAR"),
        ("recorded_at", "TIMESTAMPNTZ"),
    ),
}
BASELINES_TABLE = "sqlmon_baselines"
LAYOUT_TABLE = "sqlmon_layout"
# The layout of the results schema: bump it whenever TABLES or the views change, and say what changed in
# LAYOUT_TABLES and docs/results.md ("Versions and upgrades"). An older sqlmon refuses a schema of a newer layout.
LAYOUT_VERSION = 5
# The tables each layout added (columns added count too: list them in the docs). A schema written before layouts were
# recorded (layouts 1-4, no sqlmon_layout row) is as old as the newest of those layouts whose tables it holds.
LAYOUT_TABLES: dict[int, tuple[str, ...]] = {
    1: ("sqlmon_runs", "sqlmon_metrics", "sqlmon_histograms", "sqlmon_alerts", "sqlmon_schemas"),
    2: ("sqlmon_baselines",),
    3: ("sqlmon_samples",),
    4: ("sqlmon_anomalies",),
    5: (LAYOUT_TABLE, "sqlmon_notifications"),
}
FIRST_RECORDED_LAYOUT = 5
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

    def query(self, tree: exp.Expression) -> list[tuple[Any, ...]]:
        """Run a query over the results tables (built with `table`), written in the engine's dialect."""
        return [tuple(row) for row in self.engine.query(self._sql(tree))]

    def has(self, name: str) -> bool:
        """Whether the results schema holds this table (an older layout may not, until a run migrates it)."""
        return self.engine.describe(f"{self.schema}.{name}") is not None

    def ensure(self) -> None:
        """Create the schema, tables and views, and migrate a schema of an older layout in place (add its missing
        tables and columns, record the layout); refuse one of a newer layout before writing anything. One
        transaction, and one process at a time (`Engine.exclusive`), or two first runs race to create the same
        tables. On an engine without transactions, first finish what a process killed mid-write left."""
        with self.engine.transaction(), self.engine.exclusive(self.schema):
            recorded = self._checked_layout()  # first: a schema of a newer layout is refused before any write
            self._finish_rewrites()
            self._ensure(recorded)
            self._remove_unfinished()

    def _checked_layout(self) -> tuple[int, str] | None:
        """The layout recorded in the schema (see `_recorded_layout`); an EngineError when it is newer than ours."""
        if self.engine.describe(f"{self.schema}.{LAYOUT_TABLE}") is None:
            return None
        recorded = self._recorded_layout()
        if recorded is not None and recorded[0] > LAYOUT_VERSION:
            layout, writer = recorded
            raise EngineError(
                f"the results schema `{self.schema}` was written by {writer} (layout {layout}); this is "
                f"sqlmon {__version__} (layout {LAYOUT_VERSION}), which cannot write to it: upgrade sqlmon "
                "(pip install -U sqlmon)"
            )
        return recorded

    def _ensure(self, recorded: tuple[int, str] | None) -> None:
        existing = {name: self.engine.describe(f"{self.schema}.{name}") for name in TABLES}
        previous = recorded[0] if recorded is not None else _inferred_layout(existing)
        self.engine.execute(
            self._sql(exp.Create(this=exp.to_identifier(self.schema, quoted=True), kind="SCHEMA", exists=True))
        )
        for name, columns in TABLES.items():
            described = existing[name]
            if described is None:
                self._create_table(name, columns)
                continue
            present = {col for col, _ in described}
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
        if recorded is None or recorded[0] < LAYOUT_VERSION:
            # last: where `ensure` is no transaction (Spark), a migration cut short leaves no record, and the next
            # run finishes it
            row = {
                "layout": LAYOUT_VERSION,
                "previous_layout": previous,
                "sqlmon_version": __version__,
                "recorded_at": datetime.now(UTC).replace(tzinfo=None, microsecond=0),
            }
            self._append(LAYOUT_TABLE, [row])

    def _create_table(self, name: str, columns: Sequence[tuple[str, str]]) -> None:
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

    def _recorded_layout(self) -> tuple[int, str] | None:
        """The newest layout recorded in the schema, and which sqlmon recorded it (None: no record)."""
        query = (
            exp.select("layout", "sqlmon_version")
            .from_(self.table(LAYOUT_TABLE))
            .where(exp.column("layout").is_(exp.null()).not_())
            .order_by(exp.Ordered(this=exp.column("layout"), desc=True))
            .limit(1)
        )
        rows = self.engine.query(self._sql(query))
        if not rows:
            return None
        layout, version = rows[0]
        return int(layout), ("an unknown sqlmon" if version is None else f"sqlmon {version}")

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
                    (exp.LTE if inclusive else exp.LT)(
                        this=exp.column("observed_at"), expression=timestamp_value(before)
                    ),
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
                        exp.column("observed_at").eq(timestamp_value(observed_at)),
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
                    exp.LT(this=exp.column("window_start"), expression=timestamp_value(before)),
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
                    exp.column("window_start").isin(*[timestamp_value(start) for start in starts]),
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
        # Without DELETE the table is rewritten. A copy is written under a name that says it is incomplete, renamed
        # once it is whole, and only then swapped in: a process killed at any step leaves either the table as it was
        # or a whole copy that the next run swaps in (`_finish_rewrites`), never a table lost or half written.
        partial, whole = self._staging(name, "partial"), self._staging(name, "whole")
        keep = exp.select("*").from_(self.table(name)).where(exp.not_(condition))
        self.engine.execute(self._sql(exp.Drop(tables=[partial.copy()], kind="TABLE", exists=True)))
        self.engine.execute(
            self._sql(
                exp.Create(
                    this=partial.copy(), kind="TABLE", expression=keep, properties=self.engine.create_table_properties()
                )
            )
        )
        self._rename(partial, whole)
        self._swap_in(name, whole)

    def _staging(self, name: str, state: str) -> exp.Table:
        return exp.table_(
            exp.to_identifier(f"{name}__sqlmon_rewrite_{state}", quoted=True),
            db=exp.to_identifier(self.schema, quoted=True),
        )

    def _rename(self, table: exp.Table, to: exp.Table) -> None:
        self.engine.execute(
            self._sql(exp.Alter(this=table.copy(), kind="TABLE", actions=[exp.AlterRename(this=to.copy())]))
        )

    def _swap_in(self, name: str, whole: exp.Table) -> None:
        self.engine.execute(self._sql(exp.Drop(tables=[self.table(name)], kind="TABLE", exists=True)))
        self._rename(whole, self.table(name))

    def _finish_rewrites(self) -> None:
        """After a process died inside `_remove`: an incomplete copy is dropped, a whole one swapped in."""
        if self.engine.supports_delete:
            return
        for name in TABLES:
            partial, whole = self._staging(name, "partial"), self._staging(name, "whole")
            if self.engine.describe(f"{self.schema}.{partial.name}") is not None:
                self.engine.execute(self._sql(exp.Drop(tables=[partial], kind="TABLE")))
            if self.engine.describe(f"{self.schema}.{whole.name}") is not None:
                self._swap_in(name, whole)

    def _remove_unfinished(self) -> None:
        """Rows of a run that died before its `sqlmon_runs` row was written. Where the writes of a run are one
        transaction there are none; on an engine without transactions (Spark) they are removed before anything
        reads the tables, and until then the views leave them out."""
        if get_dialect(self.engine.dialect).transactions:
            return
        finished = exp.select("run_id").from_(self.table("sqlmon_runs"))
        unfinished = exp.not_(exp.column("run_id").isin(query=finished))
        for name in (*WINDOWED_TABLES, "sqlmon_schemas"):
            self._remove(name, unfinished.copy())

    def _append(self, name: str, rows: Sequence[dict[str, Any]]) -> None:
        columns = [col for col, _ in TABLES[name]]
        self.engine.insert_rows(self.table(name), columns, [[row.get(col) for col in columns] for row in rows])


def _inferred_layout(existing: dict[str, list[tuple[str, str]] | None]) -> int | None:
    """The layout of a schema without a layout record: None when it holds no results table (new), else the newest
    layout before layouts were recorded whose tables it holds all of (1 at least)."""
    present = {name for name, described in existing.items() if described is not None}
    if not present:
        return None
    layout = 1
    for number in range(2, FIRST_RECORDED_LAYOUT):
        if not set(LAYOUT_TABLES[number]) <= present:
            break
        layout = number
    return layout


def as_date(value: Any) -> date:
    """A DATE as a driver returns it: a date, a datetime, or ISO text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def timestamp_value(value: datetime) -> exp.Expression:
    return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMPNTZ")
