"""sqlmon beside a dbt project: profiles, the manifest, `ref`/`source`, with real dbt-core and its adapters, no mocks.

Each test copies example_warehouse/dbt to a temporary folder and builds it with dbt's programmatic runner. A missing
dbt skips ("engine unavailable"), which SQLMON_REQUIRE_ENGINES=1 in CI turns into a failure (tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.dbt_support import dbt_run, metrics, problems, sqlmon
from tests.engines import start_postgres

SQLMON_YML = "name: beside_dbt\nresults_schema: sqlmon\n"
MONITORS = """\
sources:
  - name: scores
    {relation}
    timestamp: scored_at
    window: 1 day
    baseline: {{previous: 3 days}}
monitors:
  - name: nulls
    type: null_rate
    source: scores
    columns: [account_age_days, country]
  - name: drift
    type: feature_drift
    source: scores
    columns: [score, country]
  - name: countries
    type: topk_concentration
    source: scores
    column: country
    k: 3
"""
RUN = ["--start", "2026-10-01", "--end", "2026-10-09", "--format", "json", "--fail-on", "never"]


def sqlmon_project(root: Path, relation: str, sqlmon_yml: str = SQLMON_YML) -> Path:
    (root / "monitors").mkdir(parents=True)
    (root / "sqlmon.yml").write_text(sqlmon_yml)
    (root / "monitors" / "monitors.yml").write_text(MONITORS.format(relation=relation))
    return root


# --- the whole path -----------------------------------------------------------------------------------------------


def test_a_run_on_a_dbt_model_equals_the_same_run_on_its_table(dbt_project, tmp_path):
    dbt_run(dbt_project, "build")
    shutil.rmtree(dbt_project / "target")  # sqlmon parses the project itself, and says so on stderr
    beside = sqlmon_project(tmp_path / "beside", "ref: predictions")
    code, stdout, stderr = sqlmon("run", "-p", beside, "--dbt-project", dbt_project, "--select", "source:scores", *RUN)
    assert code == 0, stderr
    assert "running `dbt parse`" in stderr and "target/manifest.json is missing" in stderr
    with_dbt = metrics(stdout)  # stdout is the JSON alone: dbt's own log went to stderr

    plain_yml = f"name: plain\nresults_schema: plain\nconnection: {{path: {dbt_project / 'warehouse.duckdb'}}}\n"
    plain = sqlmon_project(tmp_path / "plain", "table: main.predictions", plain_yml)
    code, stdout, stderr = sqlmon("run", "-p", plain, *RUN)
    assert code == 0, stderr
    without = metrics(stdout)
    assert len(with_dbt) > 100
    assert with_dbt == without


def test_compile_shows_the_relation_dbt_built_and_a_dbt_source_resolves(dbt_project, tmp_path):
    dbt_run(dbt_project, "build")
    root = sqlmon_project(tmp_path / "m", "ref: predictions")
    (root / "monitors" / "raw.yml").write_text(
        "sources:\n  - {name: accounts, source: [raw, raw_accounts]}\n"
        "monitors:\n  - {name: account_nulls, type: null_rate, source: accounts, columns: all}\n"
    )
    code, stdout, stderr = sqlmon("compile", "-p", root, "--dbt-project", dbt_project, "--end", "2026-10-09")
    assert code == 0, stderr
    assert "-- source scores (warehouse.main.predictions)" in stdout
    assert "-- source accounts (warehouse.main.raw_accounts)" in stdout
    assert "running `dbt parse`" not in stderr  # dbt build left a fresh manifest
    code, stdout, stderr = sqlmon("validate", "-p", root, "--dbt-project", dbt_project)
    assert code == 0, stderr
    assert stdout.startswith("OK (YAML and warehouse): 3 source(s), 9 monitor(s)")


# --- profiles -----------------------------------------------------------------------------------------------------


def test_profiles_are_found_where_dbt_finds_them(dbt_project, tmp_path, monkeypatch):
    from sqlmon.dbt.target import DbtOptions, find_profiles, load_target

    home = tmp_path / "home"
    (home / ".dbt").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    options = DbtOptions(dbt_project)
    assert find_profiles(options) == dbt_project / "profiles.yml"  # the project, before ~/.dbt
    shutil.copy(dbt_project / "profiles.yml", home / ".dbt" / "profiles.yml")
    assert find_profiles(options) == dbt_project / "profiles.yml"
    (dbt_project / "profiles.yml").unlink()
    assert find_profiles(options) == home / ".dbt" / "profiles.yml"
    env_dir = tmp_path / "env_profiles"
    env_dir.mkdir()
    shutil.copy(home / ".dbt" / "profiles.yml", env_dir / "profiles.yml")
    monkeypatch.setenv("DBT_PROFILES_DIR", str(env_dir))
    assert find_profiles(options) == env_dir / "profiles.yml"  # DBT_PROFILES_DIR before the project and ~/.dbt
    flag_dir = tmp_path / "flag_profiles"
    flag_dir.mkdir()
    shutil.copy(env_dir / "profiles.yml", flag_dir / "profiles.yml")
    assert find_profiles(DbtOptions(dbt_project, flag_dir)) == flag_dir / "profiles.yml"  # --profiles-dir first

    # env_var() with its default: a path relative to the dbt project, as dbt (run from the project) sees it
    monkeypatch.delenv("SQLMON_DBT_DUCKDB")
    target = load_target(DbtOptions(dbt_project, flag_dir))
    assert (target.name, target.connection.type) == ("dev", "duckdb")
    assert target.connection.path == str(dbt_project / "warehouse.duckdb")


def test_a_missing_env_var_names_the_file_and_key(dbt_project, tmp_path, monkeypatch):
    profiles = dbt_project / "profiles.yml"
    profiles.write_text(
        profiles.read_text().replace("env_var('SQLMON_DBT_DUCKDB', 'warehouse.duckdb')", "env_var('NO_SUCH_VAR_X')")
    )
    root = sqlmon_project(tmp_path / "m", "ref: predictions")
    assert problems("validate", "-p", root, "--dbt-project", dbt_project, "--offline") == [
        f"{profiles}:7: sqlmon_example.outputs.dev.path: Env var required but not provided: 'NO_SUCH_VAR_X'"
    ]


def test_an_adapter_without_a_sqlmon_dialect_or_not_installed_is_named_at_its_line(dbt_project, tmp_path):
    profiles = dbt_project / "profiles.yml"
    original = profiles.read_text()
    root = sqlmon_project(tmp_path / "m", "ref: predictions")
    profiles.write_text(original.replace("type: duckdb", "type: oracle"))
    assert problems("validate", "-p", root, "--dbt-project", dbt_project, "--offline") == [
        f"{profiles}:5: sqlmon_example.outputs.dev.type: dbt adapter `oracle` is not supported: sqlmon writes no SQL"
        " dialect for it (supported: databricks, duckdb, postgres, redshift, snowflake, spark, trino)"
    ]
    profiles.write_text(original.replace("type: duckdb", "type: snowflake"))  # dbt-snowflake is not a test extra
    assert problems("validate", "-p", root, "--dbt-project", dbt_project, "--offline") == [
        f"{profiles}:5: sqlmon_example.outputs.dev.type: dbt adapter `snowflake` is not installed (pip install"
        " dbt-snowflake)"
    ]
    profiles.write_text(original.replace("type: duckdb", "type: bigquery"))
    assert problems("validate", "-p", root, "--dbt-project", dbt_project, "--offline") == [
        f"{profiles}:5: sqlmon_example.outputs.dev.type: dbt adapter `bigquery` is not supported yet: dbt-bigquery"
        " runs every statement as a BigQuery job, without a DB-API cursor (write its SQL with `sqlmon compile"
        " --dialect bigquery`)"
    ]


# --- ref and source errors ----------------------------------------------------------------------------------------


def test_ref_and_source_need_a_dbt_project(tmp_path):
    root = sqlmon_project(tmp_path / "m", "ref: predictions")
    (root / "monitors" / "raw.yml").write_text("sources:\n  - {name: accounts, source: [raw, raw_accounts]}\n")
    assert problems("validate", "-p", root, "--offline") == [
        "monitors/monitors.yml:3: sources[0].ref: `ref` names a dbt model, and no dbt project is given (run with"
        " `--dbt-project DIR`, or write `table:`)",
        "monitors/raw.yml:2: sources[0].source: `source` names a dbt source, and no dbt project is given (run with"
        " `--dbt-project DIR`, or write `table:`)",
    ]


def test_exactly_one_of_table_ref_and_source(tmp_path):
    root = sqlmon_project(tmp_path / "m", "ref: predictions")
    (root / "monitors" / "monitors.yml").write_text("sources:\n  - name: p\n    ref: p\n    table: main.p\n")
    assert problems("validate", "-p", root, "--offline") == [
        "monitors/monitors.yml:2: sources[0]: give exactly one of `table` (a table or view), `file` (Parquet, CSV or"
        " JSON files), `ref` (a dbt model) or `source` (a dbt source, `[source_name, table_name]`)"
    ]


def test_a_dbt_source_is_a_pair(tmp_path):
    root = sqlmon_project(tmp_path / "m", "ref: predictions")
    (root / "monitors" / "monitors.yml").write_text("sources:\n  - name: p\n    source: raw.accounts\n")
    assert problems("validate", "-p", root, "--offline") == [
        "monitors/monitors.yml:3: sources[0].source: write a dbt source as `[source_name, table_name]`, e.g."
        " `source: [raw, accounts]`"
    ]


def test_an_ephemeral_model_has_no_relation_to_watch(dbt_project, tmp_path):
    (dbt_project / "models" / "staging" / "stg_scores.sql").write_text(
        "{{ config(materialized='ephemeral') }}\n" + (dbt_project / "models" / "staging" / "stg_scores.sql").read_text()
    )
    root = sqlmon_project(tmp_path / "m", "ref: stg_scores")
    assert problems("validate", "-p", root, "--dbt-project", dbt_project, "--offline") == [
        "monitors/monitors.yml:3: sources[0].ref: dbt model `stg_scores` is ephemeral: dbt builds no relation for it"
        " (materialize it as a view or table)"
    ]


def test_a_disabled_model_and_an_unknown_name_get_suggestions(dbt_project, tmp_path):
    (dbt_project / "models" / "marts" / "predictions.sql").write_text(
        "{{ config(enabled=false) }}\n" + (dbt_project / "models" / "marts" / "predictions.sql").read_text()
    )
    (dbt_project / "models" / "marts" / "predictions_v2.sql").write_text("select * from {{ ref('stg_scores') }}\n")
    root = sqlmon_project(tmp_path / "m", "ref: predictions")
    (root / "monitors" / "more.yml").write_text("sources:\n  - {name: staged, ref: stg_scoers}\n")
    assert problems("validate", "-p", root, "--dbt-project", dbt_project, "--offline") == [
        "monitors/monitors.yml:3: sources[0].ref: dbt model `predictions` is disabled (`enabled: false`): dbt builds"
        " no relation for it (did you mean `predictions_v2`? Or enable it in dbt)",
        "monitors/more.yml:2: sources[0].ref: no dbt model, seed or snapshot `stg_scoers` in the manifest (did you"
        " mean `stg_scores`?)",
    ]


def test_a_renamed_model_is_found_after_sqlmon_parses_again(dbt_project, tmp_path):
    dbt_run(dbt_project, "build")
    root = sqlmon_project(tmp_path / "m", "ref: predictions")
    code, _, stderr = sqlmon("validate", "-p", root, "--dbt-project", dbt_project, "--offline")
    assert code == 0 and "dbt parse" not in stderr
    time.sleep(0.01)  # an mtime after the manifest's, even on coarse clocks
    models = dbt_project / "models" / "marts"
    (models / "predictions.sql").rename(models / "fct_predictions.sql")
    os.utime(models, (time.time() + 2, time.time() + 2))
    assert problems("validate", "-p", root, "--dbt-project", dbt_project, "--offline") == [
        "monitors/monitors.yml:3: sources[0].ref: no dbt model, seed or snapshot `predictions` in the manifest (did"
        " you mean `fct_predictions`?)"
    ]
    (root / "monitors" / "monitors.yml").write_text(MONITORS.format(relation="ref: fct_predictions"))
    dbt_run(dbt_project, "build")
    code, stdout, stderr = sqlmon("compile", "-p", root, "--dbt-project", dbt_project, "--end", "2026-10-09")
    assert code == 0, stderr
    assert "-- source scores (warehouse.main.fct_predictions)" in stdout


def test_a_new_schema_macro_makes_sqlmon_parse_again_and_resolve_the_new_relation(dbt_project, tmp_path):
    dbt_run(dbt_project, "build")
    root = sqlmon_project(tmp_path / "m", "ref: predictions")
    code, stdout, stderr = sqlmon("compile", "-p", root, "--dbt-project", dbt_project, "--end", "2026-10-09")
    assert "-- source scores (warehouse.main.predictions)" in stdout and "dbt parse" not in stderr
    time.sleep(0.01)
    (dbt_project / "macros").mkdir()  # from now on dbt builds every model in the schema `analytics`
    (dbt_project / "macros" / "generate_schema_name.sql").write_text(
        "{% macro generate_schema_name(custom_schema_name, node) %}analytics{% endmacro %}\n"
    )
    os.utime(dbt_project / "macros", (time.time() + 2, time.time() + 2))
    code, stdout, stderr = sqlmon("validate", "-p", root, "--dbt-project", dbt_project)
    assert "the project changed since the last parse" in stderr
    assert code == 2 and "warehouse.analytics.predictions" in stderr, stderr  # not built there yet
    dbt_run(dbt_project, "build")
    code, stdout, stderr = sqlmon("compile", "-p", root, "--dbt-project", dbt_project, "--end", "2026-10-09")
    assert code == 0, stderr
    assert "-- source scores (warehouse.analytics.predictions)" in stdout


def test_a_manifest_built_for_another_target_of_the_same_adapter_is_parsed_again(dbt_project, tmp_path):
    profiles = dbt_project / "profiles.yml"
    profiles.write_text(
        profiles.read_text()
        + "    prod:\n      type: duckdb\n      path: \"{{ env_var('SQLMON_DBT_DUCKDB') }}\"\n      schema: prod\n"
    )
    dbt_run(dbt_project, "build", "--target", "prod")
    root = sqlmon_project(tmp_path / "m", "ref: predictions")
    code, stdout, stderr = sqlmon(
        "compile", "-p", root, "--dbt-project", dbt_project, "--target", "prod", "--end", "2026-10-09"
    )
    assert "-- source scores (warehouse.prod.predictions)" in stdout and "dbt parse" not in stderr
    code, stdout, stderr = sqlmon("validate", "-p", root, "--dbt-project", dbt_project)  # dev, the default
    assert "target/manifest.json was written for target `prod`, and this one is `dev`" in stderr
    assert code == 2 and "warehouse.main.predictions" in stderr  # dev's relation, which dev never built
    code, _, stderr = sqlmon("validate", "-p", root, "--dbt-project", dbt_project, "--offline")
    assert code == 0 and "dbt parse" not in stderr  # the parse for dev is the manifest now


def test_two_threads_parsing_at_once_both_get_the_manifest(dbt_project):
    from sqlmon.dbt.manifest import load_manifest
    from sqlmon.dbt.target import DbtOptions

    options = DbtOptions(dbt_project)
    results: list = []
    errors: list = []

    def parse() -> None:
        try:
            results.append(load_manifest(options))
        except Exception as exc:  # any failure in a thread must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=parse) for _ in range(4)]  # without the lock this fails about half the time
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 4
    assert all("model.sqlmon_example.predictions" in manifest["nodes"] for manifest in results)


# --- PostgreSQL ---------------------------------------------------------------------------------------------------


def test_dbt_postgres_build_then_a_sqlmon_run(dbt_project, tmp_path, monkeypatch):
    try:
        import dbt.adapters.postgres  # noqa: F401
    except ImportError:
        pytest.skip("engine unavailable: dbt-postgres is not installed (pip install 'sqlmon[dbt]')")
    server = start_postgres()
    try:
        server.create_database("dbt_pg")
        profiles = tmp_path / "pg_profiles"
        profiles.mkdir()
        (profiles / "profiles.yml").write_text(
            "sqlmon_example:\n  target: pg\n  outputs:\n    pg:\n      type: postgres\n"
            f"      host: 127.0.0.1\n      port: {server.port}\n      user: {server.user}\n"
            "      password: \"{{ env_var('SQLMON_TEST_PG_PASSWORD') }}\"\n"
            "      dbname: dbt_pg\n      schema: analytics\n      threads: 1\n"
        )
        dbt_run(dbt_project, "build", profiles_dir=profiles)
        root = sqlmon_project(tmp_path / "m", "ref: predictions")
        code, stdout, stderr = sqlmon("run", "-p", root, "--dbt-project", dbt_project, "--profiles-dir", profiles, *RUN)
        assert code == 0, stderr
        values = metrics(stdout)
        assert server.password not in stdout + stderr
        rows = {k: v for k, v in values.items() if k[0] == "nulls" and k[1] == "account_age_days"}
        assert rows and all(k[2] in ("row_count", "null_count", "null_rate") for k in rows)
        code, stdout, stderr = sqlmon(
            "compile", "-p", root, "--dbt-project", dbt_project, "--profiles-dir", profiles, "--end", "2026-10-09"
        )
        assert "-- source scores (dbt_pg.analytics.predictions)" in stdout, stderr
        assert "dbt parse" not in stderr

        # In the build (`sqlmon dbt build`), after it (`sqlmon run`), and through dbt-postgres's own connection
        # (`dbt_engine: adapter`), the monitors of predictions.yml agree
        pg = ["--dbt-project", dbt_project, "--profiles-dir", profiles, "--end", "2026-10-15", "--format", "json"]
        runs = {}
        for command, schema, engine in (
            (["dbt", "build"], "in_build", "auto"),
            (["run"], "after_build", "auto"),
            (["run"], "through_adapter", "adapter"),
        ):
            folder = tmp_path / schema
            folder.mkdir()
            (folder / "sqlmon.yml").write_text(f"results_schema: {schema}\nmonitor_paths: []\ndbt_engine: {engine}\n")
            code, stdout, stderr = sqlmon(*command, "-p", folder, *pg, "--fail-on", "never")
            assert code == 0, stderr
            runs[schema] = metrics(stdout)
        assert len(runs["in_build"]) > 150
        assert runs["in_build"] == runs["after_build"] == runs["through_adapter"]

        # The profile in the project targets DuckDB: the manifest of the PostgreSQL build is parsed again for it.
        code, stdout, stderr = sqlmon("compile", "-p", root, "--dbt-project", dbt_project, "--end", "2026-10-09")
        assert "was written for a `postgres` target, and this one is `duckdb`" in stderr
        assert "warehouse.duckdb does not exist" in stderr  # resolved for DuckDB, where nothing was built
    finally:
        server.stop()
