"""Files as sources (docs/configuration.md#files-as-sources): Parquet, CSV and JSON files, or a glob of them, read in
place by DuckDB, relative to the project folder. Each monitor kind that runs on a file source computes what it
computes on the same rows loaded into a table."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from sqlmon.cli import main
from tests.conftest import query

# 48 scores, one an hour over 2026-01-01 and 2026-01-02; every fourth amount missing, a third of the rows in DE
ROWS = (
    "SELECT i AS id, TIMESTAMP '2026-01-01' + to_hours(i) AS scored_at,"
    " CASE WHEN i % 4 = 0 THEN NULL ELSE i * 1.5 END::DOUBLE AS amount,"
    " CASE WHEN i % 3 = 0 THEN 'DE' ELSE 'FR' END AS country,"
    " (i % 10) / 10.0 AS score FROM range(48) t(i)"
)
TRAINING = (
    "SELECT i AS id, (i * 1.5)::DOUBLE AS amount, CASE WHEN i % 2 = 0 THEN 'DE' ELSE 'FR' END AS country"
    " FROM range(40) t(i)"
)
MONITORS = """\
sources:
  - name: scores
    FILE
    timestamp: scored_at
    window: 1 day
    baseline: BASELINE
monitors:
  - {name: nulls, type: null_rate, source: scores, columns: all, thresholds: {null_rate: {warn: 0.1, error: 0.2}}}
  - {name: drift, type: feature_drift, source: scores, columns: [amount, country]}
  - {name: shares, type: topk_concentration, source: scores, column: country, k: 1}
  - {name: rows, type: volume, source: scores}
  - {name: contract, type: schema_contract, source: scores, columns: {id: integer, amount: float, country: string},
     allow_extra_columns: true}
  - name: mean_amount
    type: custom_sql
    source: scores
    metrics: {mean_amount: AVG(amount)}
"""

# no baseline: the kinds that need none
SIMPLE = """\
sources:
  - name: scores
    FILE
    timestamp: scored_at
monitors:
  - {name: nulls, type: null_rate, source: scores, columns: all, thresholds: {null_rate: {warn: 0.1, error: 0.2}}}
  - {name: rows, type: volume, source: scores}
"""


def write_files(root: Path, sql: str, pattern: str, parts: int = 2) -> None:
    """The rows of `sql`, split by day into `parts` files named by `pattern` (`{}` is the part)."""
    con = duckdb.connect()
    try:
        for part in range(parts):
            path = root / pattern.format(part)
            path.parent.mkdir(parents=True, exist_ok=True)
            fmt = {"parquet": "PARQUET", "csv": "CSV, HEADER", "json": "JSON"}[path.suffix[1:]]
            con.execute(f"COPY ({sql} WHERE id % {parts} = {part}) TO '{path}' (FORMAT {fmt})")
    finally:
        con.close()


def sqlmon(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "-p", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def metrics(root: Path) -> dict[tuple, float]:
    rows = query(root, "SELECT monitor, column_name, metric, window_start::VARCHAR, value FROM sqlmon.sqlmon_metrics")
    return {tuple(row[:4]): row[4] for row in rows}


@pytest.fixture
def table_metrics(make_project, tmp_path_factory) -> dict[tuple, float]:
    """The same monitors on the same rows, loaded into tables: what a file source must compute."""
    folder = tmp_path_factory.mktemp("tables")
    monitors = MONITORS.replace("FILE", "table: main.scores").replace("BASELINE", "{table: main.training}")
    root = make_project(
        monitors,
        setup_sql=[f"CREATE TABLE main.scores AS {ROWS}", f"CREATE TABLE main.training AS {TRAINING}"],
        folder=folder,
    )
    code, out, err = sqlmon(root, "run", "--end", "2026-01-03", "--fail-on", "never")
    assert code == 0, out + err
    return metrics(root)


@pytest.mark.parametrize("suffix", ["parquet", "csv", "json"])
def test_every_kind_computes_on_files_what_it_computes_on_a_table(make_project, table_metrics, suffix):
    monitors = MONITORS.replace("FILE", f"file: data/scores/part-*.{suffix}").replace(
        "BASELINE", f"{{file: data/training.{suffix}}}"
    )
    root = make_project(monitors)
    write_files(root, ROWS, f"data/scores/part-{{}}.{suffix}")
    write_files(root, TRAINING, f"data/training.{suffix}", parts=1)

    code, out, err = sqlmon(root, "validate")
    assert (code, out) == (0, "OK (YAML and warehouse): 1 source(s), 6 monitor(s) in 1 file(s).\n"), err
    code, out, err = sqlmon(root, "run", "--end", "2026-01-03", "--fail-on", "never")
    assert code == 0, out + err
    assert "scores: 2 window(s) computed, 2026-01-01 00:00 → 2026-01-03 00:00" in out
    found = metrics(root)
    assert found.keys() == table_metrics.keys()
    assert len({key[0] for key in found}) == 6
    for key, value in table_metrics.items():
        assert found[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
    # the contract reads the files' columns as DuckDB types them: none missing or of another type
    assert query(root, "SELECT metric, message FROM sqlmon.sqlmon_alerts WHERE monitor = 'contract'") == []
    assert query(root, "SELECT DISTINCT table_name FROM sqlmon.sqlmon_schemas") == [(f"data/scores/part-*.{suffix}",)]


def test_compile_shows_the_table_function_that_reads_the_files(make_project):
    root = make_project(SIMPLE.replace("FILE", "file: data/*.parquet"))
    write_files(root, ROWS, "data/part-{}.parquet")
    code, out, err = sqlmon(root, "compile", "--select", "nulls", "--end", "2026-01-03")
    assert code == 0, err
    assert "-- source scores (data/*.parquet), window [2026-01-02 00:00:00, 2026-01-03 00:00:00)" in out
    # the pretty printer breaks a long path onto a line of its own: compare without the layout
    assert f"FROM READ_PARQUET('{root / 'data' / '*.parquet'}')" in " ".join(out.split()).replace("( ", "(").replace(
        " )", ")"
    )


def test_the_format_is_given_when_the_name_does_not_say_it(make_project):
    root = make_project(SIMPLE.replace("FILE", "file: data/scores.export\n    format: csv"))
    write_files(root, ROWS, "data/scores-{}.csv", parts=1)
    (root / "data" / "scores-0.csv").rename(root / "data" / "scores.export")
    code, out, err = sqlmon(root, "run", "--select", "nulls", "--end", "2026-01-03", "--format", "json")
    assert code == 1, err  # a quarter of `amount` is missing
    assert {
        m["value"] for m in json.loads(out)["metrics"] if m["metric"] == "null_rate" and m["column"] == "amount"
    } == {0.25}


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (
            "file: data/nothing/*.parquet",
            "monitors/monitors.yml:3: sources[0].file: no file matches `data/nothing/*.parquet` (looked for ROOT/data/"
            "nothing/*.parquet)",
        ),
        (
            "file: data/scores.txt",
            "monitors/monitors.yml:2: sources[0]: cannot tell the format of `file` from its name: add `format:"
            " parquet`, `csv` or `json`",
        ),
        (
            "file: data/*.parquet\n    table: main.scores",
            "monitors/monitors.yml:2: sources[0]: give exactly one of `table` (a table or view), `file` (Parquet, CSV"
            " or JSON files), `ref` (a dbt model) or `source` (a dbt source, `[source_name, table_name]`)",
        ),
    ],
    ids=["no-match", "no-format", "file-and-table"],
)
def test_a_file_source_that_cannot_be_read_is_a_configuration_error(make_project, source, problem):
    root = make_project(SIMPLE.replace("FILE", source))
    code, _, err = sqlmon(root, "validate")
    assert code == 2
    assert err.splitlines()[1:] == ["  " + problem.replace("ROOT", str(root))]


def test_a_missing_baseline_file_points_at_its_key(make_project):
    root = make_project(MONITORS.replace("FILE", "file: data/*.parquet").replace("BASELINE", "{file: train.parquet}"))
    write_files(root, ROWS, "data/part-{}.parquet")
    code, _, err = sqlmon(root, "validate")
    assert code == 2
    assert err.splitlines()[1:] == [
        f"  monitors/monitors.yml:6: sources[0].baseline.file: no file matches `train.parquet` (looked for"
        f" {root / 'train.parquet'})"
    ]


def test_an_in_memory_database_runs_on_files_and_keeps_nothing(make_project):
    """`path: ":memory:"`: the warehouse is the files; the results tables live as long as the command."""
    project = 'connection: {type: duckdb, path: ":memory:"}\n'
    root = make_project(SIMPLE.replace("FILE", "file: data/*.parquet"), project_yml=project)
    (root / "warehouse.duckdb").unlink()
    write_files(root, ROWS, "data/part-{}.parquet")
    assert sqlmon(root, "validate")[0] == 0
    for _ in range(2):  # each run is a first run: nothing of the last one was kept
        code, out, err = sqlmon(root, "run", "--select", "rows", "--end", "2026-01-03", "--format", "json")
        assert code == 0, err
        assert [w["start"] for w in json.loads(out)["windows"]["scores"]] == [
            "2026-01-01T00:00:00",
            "2026-01-02T00:00:00",
        ]
    assert sorted(p.name for p in root.iterdir()) == ["data", "monitors", "sqlmon.yml"]


def test_compile_for_another_dialect_says_the_files_need_a_table_there(make_project):
    root = make_project(SIMPLE.replace("FILE", "file: data/*.parquet"))
    write_files(root, ROWS, "data/part-{}.parquet")
    code, out, err = sqlmon(root, "compile", "--dialect", "postgres", "--end", "2026-01-03")
    assert code == 0, err
    assert "-- the files are read with DuckDB's read_parquet: in postgres, load them into a table\n" in out


def test_a_file_source_on_postgres_is_a_clear_configuration_error(postgres, make_project, monkeypatch):
    monkeypatch.setenv("SQLMON_TEST_PG_PASSWORD", postgres.password)
    root = make_project(SIMPLE.replace("FILE", "file: data/*.parquet"), project_yml=postgres.connection_yaml())
    write_files(root, ROWS, "data/part-{}.parquet")
    for command in (["validate"], ["run"]):
        code, _, err = sqlmon(root, *command)
        assert code == 2
        assert err.splitlines()[1:] == [
            "  monitors/monitors.yml:3: sources[0].file: files are read by DuckDB, and this target's warehouse is"
            " postgres (load them into a table of the warehouse, or monitor them from a DuckDB target)"
        ]
