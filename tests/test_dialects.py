"""Every monitor kind compiles for every dialect, parses back in that dialect, and matches its golden SQL file.

DuckDB, PostgreSQL and Spark also *run* this SQL (tests/test_engines.py); for the warehouses that cannot run here
(Snowflake, BigQuery, Redshift, Databricks, Trino) the golden files pin what sqlmon sends, and sqlglot must read each
statement back in that dialect without an error. Set SQLMON_UPDATE_GOLDEN=1 to rewrite the files after a deliberate
change, then review the diff.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlglot

from sqlmon.compile import compile_project
from sqlmon.sql.compiler import SqlCompiler
from sqlmon.sql.dialects import DIALECTS

GOLDEN = Path(__file__).parent / "golden"
END = datetime(2026, 10, 4)
MONITORS = {
    "null_rate": "{name: null_rate, type: null_rate, source: events, columns: [amount, country]}",
    "schema_contract": "{name: schema_contract, type: schema_contract, source: events, columns: {amount: float}}",
    "feature_drift": "{name: feature_drift, type: feature_drift, source: events, columns: [amount, country], bins: 4}",
    "feature_drift_previous": (
        "{name: feature_drift_previous, type: feature_drift, source: events_rolling, columns: [amount, country],"
        " bins: 4}"
    ),
    "feature_drift_bounded": (
        "{name: feature_drift_bounded, type: feature_drift, source: events, columns: [amount], bins: 4,"
        " exact: never, cells: 16}"
    ),
    "prediction_histogram": (
        "{name: prediction_histogram, type: prediction_histogram, source: events, column: score, bins: 4}"
    ),
    "model_performance": (
        "{name: model_performance, type: model_performance, source: events, task: classification, prediction: score,"
        " label: flag}"
    ),
    "calibration": "{name: calibration, type: calibration, source: events, prediction: score, label: flag, bins: 4}",
    "estimated_performance": (
        "{name: estimated_performance, type: estimated_performance, source: events_rolling, prediction: score,"
        " label: flag, calibration_bins: 4}"
    ),
    "model_performance_labels": (
        "{name: model_performance_labels, type: model_performance, source: events, task: classification,"
        " prediction: score, label: is_fraud,"
        " labels: {table: main.outcomes, key: {id: event_id, country: country}, timestamp: labelled_at}}"
    ),
    "topk_concentration": (
        "{name: topk_concentration, type: topk_concentration, source: events_rolling, column: item, k: 3,"
        " weight: weight}"
    ),
    "freshness": "{name: freshness, type: freshness, source: events, warn_after: 6 hours}",
    "volume": "{name: volume, type: volume, source: events}",
    "validity": (
        "{name: validity, type: validity, source: events, columns: {amount: {min: 0, max: 30, strict: true},"
        " country: {accepted_values: [DE, FR], not_null: true, regex: '^[A-Z]{2}$', max_length: 2},"
        " id: {unique: true}}, unique_together: [[country, item]], samples: 3, sample_key: [id, ts]}"
    ),
    "custom_sql": (
        "{name: custom_sql, type: custom_sql, source: events, metrics: {avg_amount: AVG(amount),"
        " flagged: 'COUNT(*) FILTER (WHERE flag)', spread: 'STDDEV_SAMP(score) / NULLIF(AVG(score), 0)'},"
        " query: \"SELECT 'flag_share_' || country AS metric, AVG(CASE WHEN flag THEN 1.0 ELSE 0 END) AS value"
        ' FROM {{ source }} WHERE ts >= {{ window_start }} AND ts < {{ window_end }} GROUP BY country"}'
    ),
    # three countries of equal size, two kept: the cut, the grouped aggregates and the segmented baseline
    "feature_drift_segmented": (
        "{name: feature_drift_segmented, type: feature_drift, source: events, columns: [amount, country], bins: 4,"
        " segment_by: [country], max_segments: 2}"
    ),
}
YAML = """\
sources:
  - {name: events, table: main.events, timestamp: ts, window: 1 day, baseline: {table: main.training}}
  - {name: events_rolling, table: main.events, timestamp: ts, window: 1 day, baseline: {previous: 2 days}}
monitors:
"""
DATA = [
    "CREATE TABLE main.events AS SELECT TIMESTAMP '2026-10-01' + INTERVAL (i * 7) MINUTE AS ts, i AS id,"
    " CAST(i % 97 AS DOUBLE) / 3 AS amount, ['DE', 'FR', 'US'][i % 3 + 1] AS country,"
    " (i % 100) / 100.0 AS score, 'item_' || CAST(i % 13 AS VARCHAR) AS item, CAST(1 + i % 3 AS DOUBLE) AS weight,"
    " i % 4 = 0 AS flag"
    " FROM range(600) t(i)",
    "CREATE TABLE main.training AS SELECT CAST(i % 89 AS DOUBLE) / 3 AS amount, ['DE', 'FR'][i % 2 + 1] AS country,"
    " (i % 50) / 50.0 AS score FROM range(400) t(i)",
    "CREATE TABLE main.outcomes AS SELECT i AS event_id, ['DE', 'FR', 'US'][i % 3 + 1] AS country,"
    " i % 5 = 0 AS is_fraud, TIMESTAMP '2026-10-05' AS labelled_at FROM range(500) t(i)",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    import duckdb

    root = tmp_path_factory.mktemp("dialects")
    (root / "monitors").mkdir()
    (root / "sqlmon.yml").write_text("connection: {type: duckdb, path: warehouse.duckdb}\n")
    (root / "monitors" / "m.yml").write_text(YAML + "".join(f"  - {m}\n" for m in MONITORS.values()))
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    for statement in DATA:
        con.execute(statement)
    con.close()
    return root


def _statements(compiled: str) -> list[str]:
    """The SQL statements of `sqlmon compile` output (comments dropped)."""
    body = "\n".join(line for line in compiled.splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


@pytest.mark.parametrize("dialect", list(DIALECTS))
@pytest.mark.parametrize("monitor", list(MONITORS))
def test_compiled_sql_parses_back_and_matches_the_golden_file(project, monitor, dialect):
    compiled = compile_project(project, [monitor], dialect, END)
    for statement in _statements(compiled):
        sqlglot.parse(statement, read=DIALECTS[dialect].sqlglot_dialect, error_level=sqlglot.ErrorLevel.RAISE)
    golden = GOLDEN / monitor / f"{dialect}.sql"
    if os.environ.get("SQLMON_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(compiled + "\n")
    assert golden.exists(), f"no golden file {golden}; run with SQLMON_UPDATE_GOLDEN=1 and review it"
    assert compiled + "\n" == golden.read_text()


def test_the_schema_contract_reads_the_catalog_only(project):
    assert _statements(compile_project(project, ["schema_contract"], "duckdb", END)) == []


# --- the differences that live in sqlmon/sql/dialects.py, one case each -----------------------------------------

NAN_AND_INF = "SELECT ISNAN(x) AS nan, ISINF(x) AS inf FROM t"


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("duckdb", "SELECT ISNAN(x) AS nan, ISINF(x) AS inf FROM t"),
        (
            "postgres",
            "SELECT x = CAST('NaN' AS DOUBLE PRECISION) AS nan, ABS(x) = CAST('Infinity' AS DOUBLE PRECISION)"
            " AS inf FROM t",
        ),
        (
            "redshift",
            "SELECT x = CAST('NaN' AS DOUBLE PRECISION) AS nan, ABS(x) = CAST('Infinity' AS DOUBLE PRECISION)"
            " AS inf FROM t",
        ),
        ("snowflake", "SELECT x = CAST('NaN' AS DOUBLE) AS nan, ABS(x) = CAST('inf' AS DOUBLE) AS inf FROM t"),
        ("spark", "SELECT ISNAN(x) AS nan, ABS(x) = CAST('Infinity' AS DOUBLE) AS inf FROM t"),
        ("databricks", "SELECT ISNAN(x) AS nan, ABS(x) = CAST('Infinity' AS DOUBLE) AS inf FROM t"),
        ("bigquery", "SELECT IS_NAN(x) AS nan, IS_INF(x) AS inf FROM t"),
        ("trino", "SELECT IS_NAN(x) AS nan, IS_INFINITE(x) AS inf FROM t"),
    ],
)
def test_nan_and_infinity_tests_use_what_each_engine_has(dialect, expected):
    compiler = SqlCompiler(dialect)
    assert compiler.to_sql(compiler.parse(NAN_AND_INF), pretty=False) == expected


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_counts_are_divided_as_doubles_everywhere(dialect):
    # PostgreSQL and Redshift divide integers as integers; the templates cast counts first, and that must survive
    compiler = SqlCompiler(dialect)
    sql = compiler.to_sql(compiler.parse("SELECT CAST(COUNT(*) AS DOUBLE) / CAST(3 AS DOUBLE) FROM t"), pretty=False)
    assert re.search(r"CAST\(COUNT\(\*\) AS (DOUBLE|DOUBLE PRECISION|FLOAT64)\)", sql), sql


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_identifiers_are_quoted_so_their_case_is_kept(dialect):
    compiler = SqlCompiler(dialect)
    sql = compiler.to_sql(compiler.parse('SELECT "Amount" FROM "Main"."Events"'), pretty=False)
    assert "Amount" in sql and "amount" not in sql
    assert sql.count('"') + sql.count("`") >= 6


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("duckdb", ("BEGIN", "COMMIT", "ROLLBACK")),
        ("postgres", ("BEGIN", "COMMIT", "ROLLBACK")),
        ("snowflake", ("BEGIN", "COMMIT", "ROLLBACK")),
        ("bigquery", ("BEGIN TRANSACTION", "COMMIT TRANSACTION", "ROLLBACK TRANSACTION")),
        ("trino", ("START TRANSACTION", "COMMIT", "ROLLBACK")),
        ("spark", None),  # Spark SQL has no multi-statement transactions
        ("databricks", None),
    ],
)
def test_transaction_statements_are_written_by_sqlglot_for_each_engine(dialect, expected):
    assert DIALECTS[dialect].transaction_statements() == expected


@pytest.mark.parametrize("dialect", [d for d, spec in DIALECTS.items() if spec.utc_session is not None])
def test_the_utc_session_statement_parses_in_its_dialect(dialect):
    spec = DIALECTS[dialect]
    assert sqlglot.parse_one(spec.utc_session, read=spec.sqlglot_dialect).sql(dialect=spec.sqlglot_dialect) == (
        spec.utc_session
    )


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_a_statement_written_by_its_shape_is_the_statement_written_whole(project, dialect):
    """A run parses and writes each statement once per shape (its text without the window bounds) and puts each
    window's bounds back: for every monitor kind, over several windows, that is exactly what parsing and writing the
    whole statement gives."""
    from sqlmon.compute import compute
    from sqlmon.config.durations import Window
    from sqlmon.session import Session

    session = Session.open(project, read_only=True)
    try:
        monitors = [m for m in session.project.monitors.values() if m.source == "events"]
        for day in (1, 2, 3):
            window = Window(datetime(2026, 10, day), datetime(2026, 10, day + 1))
            compute(session, "events", window, monitors, execute=False, as_of=END)
    finally:
        session.engine.close()
    canonical = [s.canonical for s in session.log.statements]
    assert len(canonical) > 30 and sum("__sqlmon_hole" in c for c in canonical) == 0
    compiler = SqlCompiler(dialect)
    shaped = sum(compiler.statement(text) != compiler.to_sql(compiler.parse(text)) for text in canonical)
    assert shaped == 0
    # the windows' statements share shapes: 3 windows, fewer than twice the shapes of one
    shapes = {re.sub(r"'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d'", "'…'", c) for c in canonical}
    assert len(shapes) < len(canonical) * 2 / 3
