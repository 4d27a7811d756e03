"""The dbt adapter engine: sqlmon's statements on the dbt target's own connection, for adapters sqlmon has no engine
of its own for. Checked on dbt-duckdb against sqlmon's DuckDB engine (dbt-postgres: tests/test_dbt.py), value for
value, with real dbt-core.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
from sqlglot import exp

from tests.dbt_support import dbt_run, metrics, sqlmon

RUN = ["--start", "2026-10-01", "--end", "2026-10-15", "--format", "json", "--fail-on", "never"]


def project(folder: Path, schema: str, engine: str) -> Path:
    folder.mkdir()
    (folder / "sqlmon.yml").write_text(f"results_schema: {schema}\nmonitor_paths: []\ndbt_engine: {engine}\n")
    return folder


def test_through_the_dbt_adapter_every_metric_equals_sqlmons_own_engine(dbt_project, tmp_path, monkeypatch):
    dbt_run(dbt_project, "build")
    monkeypatch.chdir(tmp_path)
    runs = {}
    for schema, engine in (("native", "auto"), ("via_adapter", "adapter")):
        code, stdout, stderr = sqlmon(
            "run", "-p", project(tmp_path / schema, schema, engine), "--dbt-project", dbt_project, *RUN
        )
        assert code == 0, stderr
        runs[schema] = metrics(stdout)  # stdout is the JSON alone: dbt's console log went to stderr
        assert json.loads(stdout)["statements"] == 85
    assert len(runs["native"]) == 490
    assert runs["via_adapter"] == runs["native"]

    with duckdb.connect(str(dbt_project / "warehouse.duckdb"), read_only=True) as con:
        stored = {
            schema: con.execute(
                f"select monitor, column_name, metric, value, window_start from {schema}.sqlmon_metrics order by all"
            ).fetchall()
            for schema in runs
        }
        target = con.execute("select target from via_adapter.sqlmon_runs").fetchone()[0]
    assert stored["via_adapter"] == stored["native"] and len(stored["native"]) == 490
    assert target == "dev (duckdb)"
    assert not (tmp_path / "logs").exists()  # dbt's log goes to the dbt project's logs/, as dbt's commands do


def test_rows_come_back_as_the_warehouse_typed_them_not_as_agate_guesses(dbt_project):
    from sqlmon.dbt.target import DbtOptions, load_target
    from sqlmon.engines.dbt_adapter import DbtAdapterEngine

    target = load_target(DbtOptions(dbt_project), through_adapter=True)
    engine = DbtAdapterEngine.open(target.connection, dbt_project)
    try:
        # agate would read '007' as the number 7 and 0.1 as a Decimal
        assert engine.query("select '007' as category, 0.1::double as x, null as n") == [("007", 0.1, None)]
        engine.execute("create schema s")
        with engine.transaction():
            engine.execute("create table s.t (seen timestamp, label varchar, x double)")
            engine.insert_rows(
                exp.table_("t", db="s"),
                ["seen", "label", "x"],
                [(datetime(2026, 10, 1, 12), "it's", 1e-300), (None, None, None)] * 600,  # two INSERT batches
            )
        assert engine.query("select count(*), count(seen), min(label), min(x) from s.t") == [
            (1200, 600, "it's", 1e-300)
        ]
        assert engine.describe("s.t") == [("seen", "TIMESTAMP"), ("label", "VARCHAR"), ("x", "DOUBLE")]
        assert engine.describe("s.missing") is None
        try:
            with engine.transaction():
                engine.execute("insert into s.t (label) values ('rolled back')")
                raise RuntimeError("a failure inside the transaction")
        except RuntimeError:
            pass
        assert engine.query("select count(*) from s.t where label = 'rolled back'") == [(0,)]
    finally:
        engine.close()
