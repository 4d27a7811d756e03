"""`sqlmon dbt build`: inside `dbt build`, sqlmon computes each model's monitors right after dbt built the model.

Real dbt-core with dbt-duckdb on a copy of example_warehouse/dbt (its monitors live in models/marts/predictions.yml).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.dbt_support import dbt_run, metrics, sqlmon

END = ["--end", "2026-10-15", "--format", "json"]
ACCOUNT_MONITOR = """\
        config:
          meta:
            sqlmon:
              monitors:
                - {type: null_rate, columns: all}
"""


def test_the_monitors_run_inside_the_build_and_compute_what_a_separate_run_computes(dbt_project, tmp_path, monkeypatch):
    separate = tmp_path / "separate"
    shutil.copytree(dbt_project, separate)
    code, stdout, stderr = sqlmon("dbt", "build", "--dbt-project", dbt_project, *END, "--fail-on", "never")
    assert code == 0, stderr
    payload = json.loads(stdout)
    [run] = payload["dbt"]["runs"]  # one sqlmon run, inside the build, for the one monitored model
    assert run == {
        "node": "model.sqlmon_example.predictions",
        "run_id": payload["run_id"],
        "status": "success",
        "blocked": False,
    }
    assert payload["dbt"] | {"runs": None} == {
        "success": True,
        "nodes": {"success": 4},
        "runs": None,
        "not_monitored": [],
    }
    in_build = metrics(stdout)

    # the same project built by dbt, then monitored by `sqlmon run`: the plain path
    monkeypatch.setenv("SQLMON_DBT_DUCKDB", str(separate / "warehouse.duckdb"))
    dbt_run(separate, "build")
    code, stdout, stderr = sqlmon("run", "--dbt-project", separate, *END, "--fail-on", "never")
    assert code == 0, stderr
    assert len(in_build) > 150
    assert in_build == metrics(stdout)


def test_a_model_that_failed_to_build_is_not_monitored_and_the_build_fails(dbt_project):
    model = dbt_project / "models" / "marts" / "predictions.sql"
    model.write_text(model.read_text().replace("s.score,", "s.scroe,"))
    sources = dbt_project / "models" / "sources.yml"
    sources.write_text(sources.read_text() + ACCOUNT_MONITOR)  # a dbt source: dbt builds nothing for it
    code, stdout, stderr = sqlmon("dbt", "build", "--dbt-project", dbt_project, *END)
    assert code == 1, stderr  # dbt failed, as `dbt build` itself would exit
    payload = json.loads(stdout)
    assert payload["dbt"]["success"] is False
    assert payload["dbt"]["nodes"] == {"error": 1, "success": 3}
    assert payload["dbt"]["not_monitored"] == [
        {
            "source": "predictions",
            "relation": "warehouse.main.predictions",
            "reason": "dbt model `predictions`: error",
        }
    ]
    assert {m["source"] for m in payload["metrics"]} == {"raw__raw_accounts"}
    assert "not monitored: source predictions" in sqlmon("dbt", "build", "--dbt-project", dbt_project)[1]


def test_arguments_after_a_double_dash_go_to_dbt(dbt_project):
    code, stdout, stderr = sqlmon("dbt", "build", "--dbt-project", dbt_project, *END, "--", "--select", "raw_accounts")
    assert code == 0, stderr
    payload = json.loads(stdout)
    assert payload["dbt"]["nodes"] == {"success": 1}
    assert [item["reason"] for item in payload["dbt"]["not_monitored"]] == [
        "dbt `predictions`: not selected in this build"
    ]
    assert payload["metrics"] == []


def test_run_operation_does_not_hand_back_what_the_macro_returns(dbt_project: Path):
    """Why sqlmon reads every number with its own query, never through `dbt run-operation`: dbt's programmatic
    runner reports that the operation succeeded, but the macro's return value is dropped on the way."""
    from sqlmon.dbt.runtime import invoke

    (dbt_project / "macros").mkdir()
    (dbt_project / "macros" / "answer.sql").write_text(
        "{% macro answer() %}{{ return('the answer is ' ~ (6 * 7)) }}{% endmacro %}\n"
    )
    result = invoke(["run-operation", "answer", "--project-dir", str(dbt_project), "--profiles-dir", str(dbt_project)])
    assert result.success
    [ran] = result.result.results
    assert (ran.unique_id, str(ran.status), ran.message) == ("macro.sqlmon_example.answer", "success", None)
    assert "the answer is" not in json.dumps(result.result.to_dict(), default=str)


def test_the_results_tables_become_a_dbt_source_and_the_monitors_an_exposure(dbt_project):
    code, stdout, stderr = sqlmon("dbt", "sources", "--dbt-project", dbt_project)
    assert code == 0, stderr
    written = dbt_project / "models" / "sqlmon_results.yml"
    assert stdout.startswith(f"wrote {written}")
    code, stdout, stderr = sqlmon("dbt", "build", "--dbt-project", dbt_project, *END)
    assert code == 1, stderr  # the example's injected failures
    open_alerts = len([a for a in json.loads(stdout)["alerts"] if a["window_start"].startswith("2026-10-14")])

    manifest = json.loads((dbt_project / "target" / "manifest.json").read_text())
    assert {n["name"] for n in manifest["sources"].values() if n["source_name"] == "sqlmon"} == {
        "sqlmon_runs",
        "sqlmon_metrics",
        "sqlmon_histograms",
        "sqlmon_alerts",
        "sqlmon_samples",
        "sqlmon_anomalies",
        "sqlmon_schemas",
        "sqlmon_baselines",
        "sqlmon_notifications",
        "sqlmon_layout",
        "sqlmon_latest_metrics",
        "sqlmon_open_alerts",
    }
    exposure = manifest["exposures"]["exposure.sqlmon_example.sqlmon_monitors"]
    assert exposure["depends_on"]["nodes"] == ["model.sqlmon_example.predictions"]

    # a dbt model reads sqlmon's results through the source, as a BI model would
    (dbt_project / "models" / "marts" / "monitor_health.sql").write_text(
        "select monitor, count(*) as alerts from {{ source('sqlmon', 'sqlmon_open_alerts') }} group by monitor\n"
    )
    dbt_run(dbt_project, "run", "--select", "monitor_health")
    import duckdb

    with duckdb.connect(str(dbt_project / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select sum(alerts) from main.monitor_health").fetchone()[0] == open_alerts > 0


def test_sources_never_overwrites_a_file_sqlmon_did_not_write(dbt_project):
    mine = dbt_project / "models" / "sqlmon_results.yml"
    mine.write_text("version: 2\n")
    code, _, stderr = sqlmon("dbt", "sources", "--dbt-project", dbt_project)
    assert code == 3
    assert stderr.strip() == f"Error: {mine} exists and was not written by sqlmon; give another --output or remove it"
    assert mine.read_text() == "version: 2\n"


def test_an_adapter_sqlmon_cannot_run_on_stops_before_dbt_builds_anything(dbt_project):
    profiles = dbt_project / "profiles.yml"
    profiles.write_text(profiles.read_text().replace("type: duckdb", "type: oracle"))
    code, _, stderr = sqlmon("dbt", "build", "--dbt-project", dbt_project)
    assert code == 2
    assert "dbt adapter `oracle` is not supported: sqlmon writes no SQL dialect for it" in stderr
    assert not (dbt_project / "target").exists() and not (dbt_project / "warehouse.duckdb").exists()


DOWNSTREAM = (
    "select date_trunc('day', scored_at) as day, avg(score) as mean_score from {{ ref('predictions') }} group by 1\n"
)


def test_block_on_reports_a_model_with_alerts_as_failed_so_dbt_skips_what_depends_on_it(dbt_project):
    (dbt_project / "models" / "marts" / "daily_scores.sql").write_text(DOWNSTREAM)
    code, stdout, stderr = sqlmon("dbt", "build", "--dbt-project", dbt_project, *END, "--block-on", "error")
    assert code == 1, stderr
    payload = json.loads(stdout)
    assert payload["dbt"]["success"] is False
    assert payload["dbt"]["nodes"] == {"error": 1, "skipped": 1, "success": 3}  # predictions, daily_scores
    assert payload["dbt"]["runs"][0]["blocked"] is True
    assert "sqlmon: 6 alert(s) at or above error on `predictions` (--block-on error)" in stderr  # in dbt's log
    # the metrics and alerts were stored all the same: the model is built, dbt just stops downstream of it
    assert {a["monitor"] for a in payload["alerts"]} >= {"predictions__country__null_rate"}
    import duckdb

    with duckdb.connect(str(dbt_project / "warehouse.duckdb"), read_only=True) as con:
        tables = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
    assert "predictions" in tables and "daily_scores" not in tables

    # without --block-on (the default), the same alerts leave dbt's graph alone
    code, stdout, stderr = sqlmon("dbt", "build", "--dbt-project", dbt_project, *END)
    assert json.loads(stdout)["dbt"]["nodes"] == {"success": 5}


def test_a_build_sends_one_message_per_channel_for_all_its_runs(dbt_project):
    """Each model's monitors run right after dbt builds it, but a channel hears of the build once: the alerts of
    every run in one message, as one `sqlmon run` would send, after everything is stored."""
    from tests.notify_server import Recorder

    sources = dbt_project / "models" / "sources.yml"
    alerting = ACCOUNT_MONITOR.replace("columns: all}", "columns: all, thresholds: {row_count: {error: 1}}}")
    sources.write_text(sources.read_text() + alerting)  # a dbt source, monitored after the build; it alerts
    with Recorder() as server:
        channel = f"  - {{name: feed, type: webhook, url: '{server.url}/hook'}}\n"
        (dbt_project / "sqlmon.yml").write_text("monitor_paths: []\nnotify:\n" + channel)
        code, stdout, stderr = sqlmon("dbt", "build", "--dbt-project", dbt_project, *END, "--fail-on", "never")
        assert code == 0, stderr
        payload = json.loads(stdout)
        assert len(payload["dbt"]["runs"]) == 2  # the model's run inside the build, the source's after it
        [request] = server.on("/hook")
        alerted = {(alert["source"], alert["metric"]) for alert in request.json()["alerts"]}
        assert alerted == {("predictions", "null_rate"), ("raw__raw_accounts", "row_count")}
        assert len(request.json()["alerts"]) == 4  # null_rate of the predictions' country, row_count of 3 columns
        assert payload["notifications"] == [
            {"channel": "feed", "type": "webhook", "status": "sent", "alerts": 4, "resolved": 0, "error": None}
        ]
        # the same build again: nothing changed, nothing is sent
        code, stdout, stderr = sqlmon("dbt", "build", "--dbt-project", dbt_project, *END, "--fail-on", "never")
        assert code == 0, stderr
        assert len(server.on("/hook")) == 1


def test_the_builds_one_report_keeps_what_each_run_could_not_compute():
    """The merged run a build's channels hear of carries each run's failed sources and unstored monitor errors,
    so a source that failed inside the build is reported, not resolved."""
    from datetime import datetime

    from sqlmon.dbt.build import BuildResult, Monitored, combined
    from sqlmon.results import Alert, RunResult

    at = datetime(2026, 10, 15)
    ok = RunResult("a1", "success", at, at, at)
    failed = RunResult("b2", "error", at, at, at, failed_sources={"orders": "DuckDB: Conversion Error"})
    broken = Alert("m", "null_rate", None, "monitor_error", None, "error", "monitor error", "not computed", at)
    failed.unstored_alerts = [broken]
    merged = combined(BuildResult(True, {}, [Monitored("model.x", ok), Monitored(None, failed)]), at)
    assert merged.failed_sources == {"orders": "DuckDB: Conversion Error"}
    assert merged.unstored_alerts == [broken]
    assert (merged.run_id, merged.status) == ("a1", "error")
