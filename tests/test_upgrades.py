"""Upgrades: a results schema written by an older sqlmon is migrated in place; one of a newer layout is refused.

The old schema is built by the SQL the first release (layout 1) ran, with rows as it wrote them: the DDL below is what
that release's `Store.ensure` left in a DuckDB file (read back from `duckdb_tables()` after a run of it), the rows
come from the same run. Its PostgreSQL and Spark engines, one commit later at the same layout, wrote the same
statements in their dialects (`DOUBLE PRECISION`; `STRING`, `TIMESTAMP_NTZ`, `USING PARQUET`).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlglot
from click.testing import CliRunner, Result

from sqlmon import __version__
from sqlmon.cli import main
from sqlmon.store import FIRST_RECORDED_LAYOUT, LAYOUT_TABLES, LAYOUT_VERSION, TABLES, VIEWS
from tests import engines
from tests.conftest import execute, query

LAYOUT_1_DDL = [
    "CREATE SCHEMA sqlmon",
    "CREATE TABLE sqlmon.sqlmon_runs(run_id VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR, "
    'sqlmon_version VARCHAR, "target" VARCHAR, "error" VARCHAR)',
    "CREATE TABLE sqlmon.sqlmon_metrics(run_id VARCHAR, monitor VARCHAR, monitor_type VARCHAR, "
    '"source" VARCHAR, column_name VARCHAR, segment VARCHAR, metric VARCHAR, "value" DOUBLE, '
    "window_start TIMESTAMP, window_end TIMESTAMP, computed_at TIMESTAMP)",
    "CREATE TABLE sqlmon.sqlmon_histograms(run_id VARCHAR, monitor VARCHAR, column_name VARCHAR, segment VARCHAR, "
    "window_start TIMESTAMP, side VARCHAR, bin INTEGER, lower DOUBLE, upper DOUBLE, category VARCHAR, "
    "count DOUBLE, fraction DOUBLE)",
    "CREATE TABLE sqlmon.sqlmon_alerts(run_id VARCHAR, monitor VARCHAR, column_name VARCHAR, segment VARCHAR, "
    'metric VARCHAR, "value" DOUBLE, severity VARCHAR, "rule" VARCHAR, message VARCHAR, window_start TIMESTAMP, '
    "created_at TIMESTAMP)",
    'CREATE TABLE sqlmon.sqlmon_schemas(run_id VARCHAR, "source" VARCHAR, table_name VARCHAR, column_name VARCHAR, '
    "data_type VARCHAR, ordinal INTEGER, observed_at TIMESTAMP)",
    'CREATE VIEW sqlmon.sqlmon_latest_metrics AS SELECT run_id, monitor, monitor_type, "source", column_name, '
    'segment, metric, "value", window_start, window_end, computed_at FROM (SELECT m.*, row_number() OVER '
    "(PARTITION BY monitor, column_name, segment, metric ORDER BY window_start DESC, computed_at DESC) AS rn "
    "FROM sqlmon.sqlmon_metrics AS m) AS ranked WHERE (rn = 1)",
    "CREATE VIEW sqlmon.sqlmon_open_alerts AS SELECT a.* FROM (sqlmon.sqlmon_alerts AS a INNER JOIN (SELECT "
    "monitor, max(window_start) AS window_start FROM sqlmon.sqlmon_metrics GROUP BY monitor) AS latest ON "
    "(((a.monitor = latest.monitor) AND (a.window_start = latest.window_start))))",
]
OLD_RUN = "1c618cacc4ec4dd585fd6628e410f46b"
RAN_AT = "TIMESTAMP '2026-12-04 18:30:31'"
# Two days of `nulls`, and a `drift` monitor the project has dropped since: its rows stay the latest it has.
LAYOUT_1_ROWS = [
    f"INSERT INTO sqlmon.sqlmon_runs VALUES ('{OLD_RUN}', {RAN_AT}, TIMESTAMP '2026-12-04 18:30:32', 'success', "
    "'0.1.0', 'duckdb', NULL)",
    "INSERT INTO sqlmon.sqlmon_metrics VALUES "
    + ", ".join(
        f"('{OLD_RUN}', '{monitor}', '{kind}', 'events', '{column}', NULL, '{metric}', {value}, "
        f"TIMESTAMP '2026-10-0{day}', TIMESTAMP '2026-10-0{day + 1}', {RAN_AT})"
        for monitor, kind, column, metric, value, day in [
            ("nulls", "null_rate", "amount", "row_count", 2.0, 1),
            ("nulls", "null_rate", "amount", "null_count", 0.0, 1),
            ("nulls", "null_rate", "amount", "null_rate", 0.0, 1),
            ("nulls", "null_rate", "amount", "row_count", 2.0, 2),
            ("nulls", "null_rate", "amount", "null_count", 2.0, 2),
            ("nulls", "null_rate", "amount", "null_rate", 1.0, 2),
            ("drift", "feature_drift", "country", "psi", 0.0, 1),
            ("drift", "feature_drift", "country", "psi", 17.724909090716938, 2),
        ]
    ),
    "INSERT INTO sqlmon.sqlmon_histograms VALUES "
    + ", ".join(
        f"('{OLD_RUN}', 'drift', 'country', NULL, TIMESTAMP '2026-10-02', '{side}', {bin}, NULL, NULL, "
        f"'{category}', {count}, {fraction})"
        for side, bin, category, count, fraction in [
            ("baseline", 0, "BR", 0.0, 0.0),
            ("baseline", 1, "DE", 2.0, 0.5),
            ("current", 0, "BR", 2.0, 1.0),
            ("current", 1, "DE", 0.0, 0.0),
        ]
    ),
    f"INSERT INTO sqlmon.sqlmon_alerts VALUES ('{OLD_RUN}', 'drift', 'country', NULL, 'psi', 17.724909090716938, "
    "'error', 'threshold > 0.25', 'psi of country = 17.72 (error: > 0.25); new: BR; vanished: DE, FR', "
    f"TIMESTAMP '2026-10-02', {RAN_AT}), ('{OLD_RUN}', 'nulls', 'amount', NULL, 'null_rate', 1.0, 'error', "
    f"'threshold > 0.4', 'null_rate of amount = 1 (error: > 0.4)', TIMESTAMP '2026-10-02', {RAN_AT})",
    "INSERT INTO sqlmon.sqlmon_schemas VALUES "
    + ", ".join(
        f"('{OLD_RUN}', 'events', 'main.events', '{column}', '{kind}', {ordinal}, TIMESTAMP '2026-10-03')"
        for column, kind, ordinal in [("ts", "TIMESTAMP", 0), ("amount", "DOUBLE", 1), ("country", "VARCHAR", 2)]
    ),
]

EVENTS = {
    "events": (
        {"ts": "timestamp", "amount": "double", "country": "string"},
        [
            (datetime(2026, 10, 1, 1), 1.0, "DE"),
            (datetime(2026, 10, 1, 2), 2.0, "FR"),
            (datetime(2026, 10, 2, 1), None, "BR"),
            (datetime(2026, 10, 2, 2), None, "BR"),
            (datetime(2026, 10, 3, 1), 3.0, "DE"),
            (datetime(2026, 10, 3, 2), None, "FR"),
        ],
    )
}
MONITORS = """\
sources:
  - {{name: events, table: {db}.events, timestamp: ts, window: 1 day}}
monitors:
  - {{name: nulls, type: null_rate, source: events, columns: [amount], thresholds: {{null_rate: {{error: 0.4}}}}}}
  - {{name: rows, type: volume, source: events}}
"""
END = "2026-10-04"


class Warehouse:
    """The project's warehouse on one engine, read and changed with a connection of the test's own."""

    def __init__(self, engine: str, root: Path, server: engines.PostgresServer | None = None, db: str = "", spark=None):
        self.engine, self.root, self.server, self.db, self.spark = engine, root, server, db, spark

    def execute(self, sql: str) -> None:
        if self.spark is not None:
            self.spark.sql(sql).collect()
        elif self.server is not None:
            with self.server.connect(self.db) as con:
                con.execute(sql)
        else:
            execute(self.root, sql)

    def query(self, sql: str) -> list[tuple]:
        if self.spark is not None:
            return [tuple(row) for row in self.spark.sql(sql).collect()]
        if self.server is not None:
            with self.server.connect(self.db) as con:
                return [tuple(row) for row in con.execute(sql).fetchall()]
        return query(self.root, sql)

    def relations(self) -> list[tuple]:
        """Every table and view of the results schema with its columns and types, in order."""
        if self.spark is not None:
            names = sorted(t.name for t in self.spark.catalog.listTables("sqlmon"))
            return [
                (name, field.name, field.dataType.simpleString())
                for name in names
                for field in self.spark.table(f"sqlmon.{name}").schema.fields
            ]
        return self.query(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'sqlmon' "
            "ORDER BY table_name, ordinal_position"
        )

    def snapshot(self) -> dict[str, list[tuple]]:
        """The layout and every row of the results schema."""
        names = sorted({name for name, _, _ in self.relations()})
        rows = {name: sorted(self.query(f"SELECT * FROM sqlmon.{name}"), key=repr) for name in names}
        return {"(layout)": self.relations(), **rows}


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    session = engines.start_spark(tmp_path_factory.mktemp("spark-warehouse"))
    yield session
    session.stop()


def _duckdb(make_project) -> Warehouse:
    root = make_project(MONITORS.format(db="main"))
    engines.load_duckdb(root / "warehouse.duckdb", {f"main.{t}": spec for t, spec in EVENTS.items()})
    return Warehouse("duckdb", root)


def _warehouse(engine: str, make_project, request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    if engine == "duckdb":
        return _duckdb(make_project)
    if engine == "postgres":
        server = request.getfixturevalue("postgres")
        db = f"upgrade_{tmp_path.name[-20:].lower()}".replace("-", "_")
        root = make_project(
            MONITORS.format(db="main"), project_yml=f"{server.connection_yaml(db)}results_schema: sqlmon\n"
        )
        engines.load_postgres(server, db, {f"main.{t}": spec for t, spec in EVENTS.items()})
        return Warehouse(engine, root, server, db)
    session = request.getfixturevalue("spark")
    session.sql("DROP DATABASE IF EXISTS sqlmon CASCADE").collect()  # the session's, shared with other tests
    root = make_project(
        MONITORS.format(db="upgrade"),
        project_yml="connection: {type: spark, master: 'local[2]'}\nresults_schema: sqlmon\n",
    )
    engines.load_spark(session, "upgrade", {f"upgrade.{t}": spec for t, spec in EVENTS.items()})
    request.addfinalizer(lambda: session.sql("DROP DATABASE IF EXISTS sqlmon CASCADE").collect())
    return Warehouse(engine, root, spark=session)


def _run(warehouse: Warehouse) -> Result:
    return CliRunner().invoke(main, ["run", "-p", str(warehouse.root), "--end", END, "--fail-on", "never"])


def _layout_1(warehouse: Warehouse) -> None:
    for statement in LAYOUT_1_DDL + LAYOUT_1_ROWS:
        if warehouse.engine == "postgres":
            statement = re.sub(r"\bDOUBLE\b", "DOUBLE PRECISION", statement)
        elif warehouse.engine == "spark":
            statement = sqlglot.transpile(statement, read="duckdb", write="spark")[0]
            if statement.startswith("CREATE TABLE"):
                statement += " USING PARQUET"
        warehouse.execute(statement)


@pytest.mark.parametrize("engine", ["duckdb", "postgres", "spark"])
def test_a_schema_of_the_first_release_is_migrated_in_place_and_keeps_its_rows(engine, make_project, request, tmp_path):
    warehouse = _warehouse(engine, make_project, request, tmp_path)
    _layout_1(warehouse)
    old = {table: rows for table, rows in warehouse.snapshot().items() if table in TABLES}
    assert len(old) == 5

    result = _run(warehouse)
    assert result.exit_code == 0, result.output + result.stderr

    # every old row kept, as it was: the old tables gain no column (layout 1 already had them all)
    for table, rows in old.items():
        kept = warehouse.query(f"SELECT * FROM sqlmon.{table} WHERE run_id = '{OLD_RUN}'")
        assert sorted(kept, key=repr) == rows, table
    # the stored windows count as computed: the run resumed after them, it did not recompute them
    assert warehouse.query(
        f"SELECT DISTINCT window_start FROM sqlmon.sqlmon_metrics WHERE monitor = 'nulls' AND run_id <> '{OLD_RUN}'"
    ) == [(datetime(2026, 10, 3),)]
    # the old rows read through the views: the dropped monitor's latest value and its alert are still there
    assert warehouse.query(
        "SELECT run_id, window_start, value FROM sqlmon.sqlmon_latest_metrics WHERE monitor = 'drift'"
    ) == [(OLD_RUN, datetime(2026, 10, 2), 17.724909090716938)]
    assert warehouse.query("SELECT run_id, metric FROM sqlmon.sqlmon_open_alerts WHERE monitor = 'drift'") == [
        (OLD_RUN, "psi")
    ]
    # the tables and columns of today's layout, the new ones in use (volume's anomaly rule writes sqlmon_anomalies)
    described: dict[str, list[str]] = {}
    for table, column, _ in warehouse.relations():
        described.setdefault(table, []).append(column)
    assert {t: c for t, c in described.items() if t in TABLES} == {
        t: [c for c, _ in cols] for t, cols in TABLES.items()
    }
    assert set(described) == set(TABLES) | set(VIEWS)
    assert warehouse.query("SELECT COUNT(*) FROM sqlmon.sqlmon_anomalies")[0][0] > 0
    [(layout, previous, version, recorded_at)] = warehouse.query("SELECT * FROM sqlmon.sqlmon_layout")
    assert (layout, previous, version) == (LAYOUT_VERSION, 1, __version__)
    assert isinstance(recorded_at, datetime)

    # a second run migrates nothing more: the same layout, record and rows. It adds its own run row, and records
    # the sources' schema as of its --end again, under its own run id (as any re-run of the same moment does).
    before = warehouse.snapshot()
    again = _run(warehouse)
    assert again.exit_code == 0, again.output + again.stderr
    after = warehouse.snapshot()
    assert len(after.pop("sqlmon_runs")) == len(before.pop("sqlmon_runs")) + 1
    assert sorted(r[1:] for r in after.pop("sqlmon_schemas")) == sorted(r[1:] for r in before.pop("sqlmon_schemas"))
    assert after == before


# Today's schema with the tables of later layouts dropped: what a sqlmon of that layout left (it created every
# table it knew in its first run). Each is read as the newest layout whose tables it holds all of.
@pytest.mark.parametrize(
    ("dropped", "layout"),
    [
        (("sqlmon_baselines", "sqlmon_samples", "sqlmon_anomalies"), 1),
        (("sqlmon_samples", "sqlmon_anomalies"), 2),
        (("sqlmon_anomalies",), 3),
        ((), 4),
    ],
)
def test_a_schema_from_before_layouts_were_recorded_is_read_from_its_tables(make_project, dropped, layout):
    warehouse = _duckdb(make_project)
    assert _run(warehouse).exit_code == 0
    for table in (*dropped, "sqlmon_layout"):
        warehouse.execute(f"DROP TABLE sqlmon.{table}")
    stored = warehouse.query("SELECT COUNT(*) FROM sqlmon.sqlmon_metrics")

    assert _run(warehouse).exit_code == 0
    assert warehouse.query("SELECT layout, previous_layout FROM sqlmon.sqlmon_layout") == [(LAYOUT_VERSION, layout)]
    assert warehouse.query("SELECT COUNT(*) FROM sqlmon.sqlmon_metrics") == stored
    assert {t for t, _, _ in warehouse.relations()} == set(TABLES) | set(VIEWS)


def test_a_new_schema_records_its_layout_once(make_project):
    warehouse = _duckdb(make_project)
    assert _run(warehouse).exit_code == 0
    assert _run(warehouse).exit_code == 0
    assert warehouse.query("SELECT layout, previous_layout, sqlmon_version FROM sqlmon.sqlmon_layout") == [
        (LAYOUT_VERSION, None, __version__)
    ]


def test_a_schema_of_a_newer_layout_is_refused_before_anything_is_written(make_project):
    warehouse = _duckdb(make_project)
    assert _run(warehouse).exit_code == 0
    # what a newer sqlmon would leave: its layout recorded, a column and a table this one does not know
    newer = LAYOUT_VERSION + 2
    warehouse.execute(
        f"INSERT INTO sqlmon.sqlmon_layout VALUES ({newer}, {LAYOUT_VERSION}, '0.9.0', TIMESTAMP '2027-03-01')"
    )
    warehouse.execute("ALTER TABLE sqlmon.sqlmon_metrics ADD COLUMN unit VARCHAR")
    warehouse.execute("CREATE TABLE sqlmon.sqlmon_future (run_id VARCHAR)")
    warehouse.execute("DELETE FROM sqlmon.sqlmon_metrics WHERE window_start = TIMESTAMP '2026-10-03'")  # due again
    before = warehouse.snapshot()

    result = _run(warehouse)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: the results schema `sqlmon` was written by sqlmon 0.9.0 (layout {newer}); this is sqlmon "
        f"{__version__} (layout {LAYOUT_VERSION}), which cannot write to it: upgrade sqlmon (pip install -U sqlmon)\n"
    )
    assert warehouse.snapshot() == before  # not even the run's own row

    profile = CliRunner().invoke(
        main, ["baseline", "create", "-p", str(warehouse.root), "p1", "--source", "events"]
    )  # the other command that writes the results schema
    assert profile.exit_code == 3 and "cannot write to it" in profile.stderr
    assert warehouse.snapshot() == before


# The tables and views as of LAYOUT_VERSION. A change to TABLES or the views changes this print: then bump
# LAYOUT_VERSION, add what the layout adds to LAYOUT_TABLES and docs/results.md, and update the print here.
LAYOUT_PRINT = {5: "010664cb15b3449c"}  # layout 5 is unreleased: sqlmon_notifications joined it


def _layout_print() -> str:
    views = (Path(__file__).parent.parent / "macros" / "store" / "views.sql").read_text()
    views = re.sub(r"\{#.*?#\}", "", views, flags=re.S)  # comments are not the layout
    return hashlib.sha256(repr((TABLES, VIEWS, " ".join(views.split()))).encode()).hexdigest()[:16]


def test_the_layout_version_is_bumped_with_every_change_of_the_tables_or_views():
    assert _layout_print() == LAYOUT_PRINT[LAYOUT_VERSION], (
        "the results tables or views changed: bump LAYOUT_VERSION, say what the new layout adds in LAYOUT_TABLES "
        "and docs/results.md (Versions and upgrades), and record the new print here"
    )
    assert sorted(LAYOUT_TABLES) == list(range(1, LAYOUT_VERSION + 1))
    assert sorted(t for tables in LAYOUT_TABLES.values() for t in tables) == sorted(TABLES)
    assert FIRST_RECORDED_LAYOUT == 5  # layouts before it are read from their tables: never change them


def test_docs_list_every_layout():
    text = (Path(__file__).parent.parent / "docs" / "results.md").read_text()
    section = text.split("## Versions and upgrades\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if re.match(r"\| \d+ \|", line)]
    assert [int(line.split("|")[1]) for line in rows] == list(range(1, LAYOUT_VERSION + 1))
    for line in rows:
        layout = int(line.split("|")[1])
        for table in LAYOUT_TABLES[layout]:
            assert f"`{table}`" in line, (layout, table)


def test_two_runs_at_once_migrate_an_old_postgres_schema_once(make_project, request, tmp_path):
    """Both runs wait on the schema's lock (Engine.exclusive): the second finds the layout the first recorded."""
    import threading

    from sqlmon.runner import run

    warehouse = _warehouse("postgres", make_project, request, tmp_path)
    _layout_1(warehouse)
    second = make_project(
        MONITORS.format(db="main"),
        project_yml=(warehouse.root / "sqlmon.yml").read_text(),
        folder=tmp_path / "second",
    )
    outcomes: list = [None, None]

    def go(i: int, root: Path) -> None:
        outcomes[i] = run(root, end=datetime(2026, 10, 4))

    threads = [threading.Thread(target=go, args=(i, root)) for i, root in enumerate([warehouse.root, second])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [o.status for o in outcomes] == ["success", "success"], [o.error for o in outcomes]
    assert warehouse.query("SELECT layout, previous_layout FROM sqlmon.sqlmon_layout") == [(LAYOUT_VERSION, 1)]
    assert warehouse.query(f"SELECT COUNT(*) FROM sqlmon.sqlmon_metrics WHERE run_id = '{OLD_RUN}'") == [(8,)]
