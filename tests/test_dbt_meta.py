"""Monitors declared in the dbt project itself, under `config: meta: sqlmon:` in its property files (docs/dbt.md).

The example project (example_warehouse/dbt) declares its monitors in models/marts/predictions.yml and has no
sqlmon.yml; its seeds carry two injected failures (make_seeds.py). Real dbt-core and dbt-duckdb, no mocks.
"""

from __future__ import annotations

import duckdb

from sqlmon.monitors import registry
from tests.dbt_support import dbt_run, metrics, problems, sqlmon

RUN = ["--start", "2026-10-01", "--end", "2026-10-15", "--format", "json"]
PLAIN_MONITORS = """\
sources:
  - {name: predictions, table: main.predictions, timestamp: scored_at, window: 1 day, baseline: {previous: 3 days}}
monitors:
  - {name: score_histogram, type: prediction_histogram, source: predictions, column: score}
  - {name: input_drift, type: feature_drift, source: predictions, columns: [account_age_days, country]}
  - {name: predictions__score__feature_drift, type: feature_drift, source: predictions, columns: [score]}
  - name: predictions__country__null_rate
    type: null_rate
    source: predictions
    columns: [country]
    thresholds: {null_rate: {warn: 0.05, error: 0.2}}
  - name: predictions__schema_contract
    type: schema_contract
    source: predictions
    columns: {score_id: integer, scored_at: timestamp, score: float, model_version: string, country: string,
              account_age_days: integer}
"""


def alerts(stdout: str) -> set[tuple[str, str, str, str]]:
    import json

    return {(a["monitor"], a["metric"], a["window_start"][:10], a["severity"]) for a in json.loads(stdout)["alerts"]}


def test_the_example_project_declares_its_monitors_in_schema_yml_and_catches_both_failures(dbt_project):
    dbt_run(dbt_project, "build")
    code, stdout, stderr = sqlmon("run", "--dbt-project", dbt_project, *RUN)  # no sqlmon.yml anywhere
    assert code == 1, stderr  # error alerts, --fail-on error
    found = alerts(stdout)
    # model v2 from 2026-10-11: the score shifts; new accounts without a country from 2026-10-13
    assert ("predictions__score__feature_drift", "psi", "2026-10-11", "error") in found
    assert ("score_histogram", "psi", "2026-10-11", "error") in found
    assert {a[2] for a in found if a[0] == "predictions__country__null_rate"} == {"2026-10-13", "2026-10-14"}
    assert all(a[2] >= "2026-10-11" for a in found), found  # nothing on the ten clean days
    assert not [a for a in found if a[0] == "predictions__schema_contract"]


def test_monitors_in_schema_yml_compute_what_the_same_monitors_in_sqlmon_yaml_compute(dbt_project, tmp_path):
    dbt_run(dbt_project, "build")
    code, stdout, stderr = sqlmon("run", "--dbt-project", dbt_project, *RUN, "--fail-on", "never")
    assert code == 0, stderr
    from_meta = metrics(stdout)

    plain = tmp_path / "plain"
    (plain / "monitors").mkdir(parents=True)
    (plain / "sqlmon.yml").write_text(f"name: plain\nconnection: {{path: {dbt_project / 'warehouse.duckdb'}}}\n")
    (plain / "monitors" / "monitors.yml").write_text(PLAIN_MONITORS)
    code, stdout, stderr = sqlmon("run", "-p", plain, *RUN, "--fail-on", "never")
    assert code == 0, stderr
    from_yaml = metrics(stdout)
    assert len(from_meta) > 300
    assert from_meta == from_yaml


def test_the_contract_columns_catch_a_table_changed_behind_dbts_back(dbt_project):
    dbt_run(dbt_project, "build")
    with duckdb.connect(str(dbt_project / "warehouse.duckdb")) as con:
        con.execute("ALTER TABLE main.predictions ADD COLUMN debug_flag BOOLEAN")
        con.execute("ALTER TABLE main.predictions ALTER account_age_days TYPE VARCHAR")
    # a snapshot monitor describes the table as it is now, so it runs without --start (a backfill skips it)
    code, stdout, stderr = sqlmon(
        "run",
        "--dbt-project",
        dbt_project,
        "--end",
        "2026-10-15",
        "--format",
        "json",
        "--select",
        "type:schema_contract",
    )
    assert code == 1, stderr
    import json

    messages = {a["metric"]: a["message"] for a in json.loads(stdout)["alerts"]}
    assert "debug_flag" in messages["unexpected_columns"]
    assert "account_age_days (string, expected integer)" in messages["type_mismatches"]


def test_mistakes_in_a_meta_block_are_reported_at_their_line_in_the_property_file(dbt_project):
    schema = dbt_project / "models" / "marts" / "predictions.yml"
    text = schema.read_text()
    text = text.replace("          window: 1 day\n", "          windw: 1 day\n")
    text = text.replace("sqlmon: [feature_drift]", "sqlmon: [feature_drfit]")
    text = text.replace("              column: score\n", "              column: score\n              source: other\n")
    text = text.replace(
        "                - type: null_rate\n", "                - type: null_rate\n                  columns: [score]\n"
    )
    schema.write_text(text)
    sources = dbt_project / "models" / "sources.yml"
    sources.write_text(
        sources.read_text()
        + "        config:\n          meta:\n            sqlmon:\n              schema_contract: true\n"
        "              monitors: [schema_contract]\n"
    )
    found = problems("validate", "--dbt-project", dbt_project, "--offline")
    marts, raw = "models/marts/predictions.yml", "models/sources.yml"  # relative to the dbt project
    assert found == [  # in file and line order
        f"{marts}:13: models[0].config.meta.sqlmon.windw: unknown key `windw` (did you mean `window`?)",
        f"{marts}:20: models[0].config.meta.sqlmon.monitors[0].source: a monitor declared in a dbt node's `sqlmon` "
        "block watches that node (remove `source`, or declare the monitor in sqlmon's own YAML)",
        f"{marts}:34: models[0].columns[2].config.meta.sqlmon[0].type: unknown monitor type `feature_drfit` (did "
        f"you mean `feature_drift`? known types: {', '.join(sorted(registry.kinds()))})",
        f"{marts}:44: models[0].columns[4].config.meta.sqlmon.monitors[0].columns: a monitor declared on column "
        "`country` watches that column (remove `columns`, or declare the monitor on the model)",
        f"{raw}:12: sources[0].tables[0].config.meta.sqlmon.schema_contract: dbt declares no column with a "
        "`data_type` for `raw_accounts`, so there is no contract to check (give its columns `data_type:` (as "
        "`contract: {enforced: true}` requires), or list `columns:` here)",
        f"{raw}:13: sources[0].tables[0].config.meta.sqlmon.monitors[0].columns: missing required key `columns` "
        "(add it)",
    ]


def test_inside_a_dbt_project_a_parent_folders_sqlmon_yml_is_not_taken(dbt_project, monkeypatch):
    # as in this repository: example_warehouse/sqlmon.yml is the demo's, example_warehouse/dbt a dbt project
    (dbt_project.parent / "sqlmon.yml").write_text("name: unrelated\nmonitor_paths: [nowhere]\n")
    monkeypatch.chdir(dbt_project)
    code, stdout, stderr = sqlmon("validate", "--dbt-project", ".", "--offline")
    assert code == 0, stderr
    assert stdout.startswith("OK (YAML only): 1 source(s), 5 monitor(s) in 1 file(s).")
    (dbt_project / "sqlmon.yml").write_text("name: beside\nresults_schema: monitoring\nmonitor_paths: []\n")
    from sqlmon.config.loader import load_project
    from sqlmon.dbt.target import DbtOptions

    assert load_project(None, None, DbtOptions(dbt_project)).spec.results_schema == "monitoring"
