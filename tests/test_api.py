"""The Python API (docs/api.md): `sqlmon.Project.load(path).run(...)` on a real DuckDB project, its metrics and alerts
checked against the results tables the same run wrote."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

import sqlmon
from tests.conftest import query
from tests.test_cli import NULLS, THREE_MONITORS, WAREHOUSE

ERROR_RULE = NULLS.replace("RULE", "{warn: 0.1, error: 0.2}")  # a quarter of `amount` is missing: an error per day


def test_import_sqlmon_loads_no_heavy_module():
    """A scheduler imports sqlmon in every worker: the driver, scipy and pandas wait for the first run."""
    code = "import sys, sqlmon; print(sorted(m for m in ('pandas', 'scipy', 'duckdb', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_run_returns_its_status_windows_metrics_and_alerts(make_project):
    root = make_project(ERROR_RULE, setup_sql=WAREHOUSE)
    project = sqlmon.Project.load(root)
    assert (project.sources, project.monitors, project.target) == (["scores", "training"], ["amount_nulls"], "default")

    run = project.run(start="2026-01-01", end=date(2026, 1, 3))

    assert run.status == "success" and run.error is None
    assert [(w.start, w.end) for w in run.windows["scores"]] == [
        (datetime(2026, 1, 1), datetime(2026, 1, 2)),
        (datetime(2026, 1, 2), datetime(2026, 1, 3)),
    ]
    assert sorted((m.metric, m.value, m.window.start.day) for m in run.metrics) == sorted(
        (metric, value, day)
        for day in (1, 2)
        for metric, value in [("null_count", 3), ("null_rate", 0.25), ("row_count", 12)]
    )
    assert [(a.monitor, a.column, a.severity, a.message) for a in run.alerts] == [
        ("amount_nulls", "amount", "error", "null_rate of amount = 0.25 (error: > 0.2)")
    ] * 2
    assert run.exit_code() == 1 and run.exit_code("never") == 0
    assert repr(run) == f"Run(run_id='{run.run_id}', status='success', windows=2, metrics=6, alerts=2, open_alerts=0)"


def test_to_pandas_has_the_rows_and_columns_of_the_results_tables(make_project):
    root = make_project(ERROR_RULE, setup_sql=WAREHOUSE)
    run = sqlmon.Project.load(root).run(start="2026-01-01", end="2026-01-03")

    metrics = run.metrics.to_pandas()
    stored = pd.DataFrame(
        query(root, "SELECT * FROM sqlmon.sqlmon_metrics"),
        columns=[c for (c,) in query(root, "SELECT column_name FROM (DESCRIBE sqlmon.sqlmon_metrics)")],
    )
    assert list(metrics.columns) == [*stored.columns, "status"]
    key = ["monitor", "column_name", "metric", "window_start"]
    assert (
        metrics.drop(columns="status")
        .sort_values(key)
        .reset_index(drop=True)
        .equals(stored.sort_values(key).reset_index(drop=True))
    )
    assert set(metrics["run_id"]) == {run.run_id}
    assert metrics.loc[metrics.metric == "null_rate", "status"].tolist() == ["error", "error"]

    alerts = run.alerts.to_pandas()
    stored_alerts = query(
        root, "SELECT run_id, monitor, metric, value, severity, window_start FROM sqlmon.sqlmon_alerts"
    )
    assert sorted(
        alerts[["run_id", "monitor", "metric", "value", "severity", "window_start"]].itertuples(index=False, name=None)
    ) == sorted(stored_alerts)


def test_a_second_run_reports_what_is_still_open(make_project):
    root = make_project(ERROR_RULE, setup_sql=WAREHOUSE)
    project = sqlmon.Project.load(root)
    project.run(end="2026-01-03")
    again = project.run(end="2026-01-03")
    assert (again.windows, list(again.metrics), list(again.alerts)) == ({"scores": []}, [], [])
    assert [a.window_start for a in again.open_alerts] == [datetime(2026, 1, 2)]
    assert again.exit_code() == 1
    with pytest.raises(sqlmon.RunFailed, match="1 alert"):
        again.check()
    again.check(fail_on="never")


def test_select_takes_what_the_select_option_takes(make_project):
    root = make_project(THREE_MONITORS, setup_sql=WAREHOUSE)
    project = sqlmon.Project.load(root)
    run = project.run(end="2026-01-03", select=["source:training", "amount_drift"])
    assert {m.monitor for m in run.metrics} == {"training_nulls", "amount_drift"}
    with pytest.raises(sqlmon.ConfigError) as caught:
        project.run(select="amount_drfit")
    assert [str(p) for p in caught.value.problems] == [
        "--select: `amount_drfit` matches no monitor (did you mean `amount_drift`?)"
    ]


def test_an_aware_end_is_read_in_utc(make_project):
    root = make_project(ERROR_RULE, setup_sql=WAREHOUSE)
    paris = timezone(timedelta(hours=1))
    run = sqlmon.Project.load(root).run(end=datetime(2026, 1, 2, 1, 0, tzinfo=paris))
    assert run.as_of == datetime(2026, 1, 2) and run.windows["scores"][-1].end == datetime(2026, 1, 2)


def test_validate_checks_the_warehouse_and_raises_every_problem(make_project):
    root = make_project(
        NULLS.replace("RULE", "{warn: 0.1}").replace("[amount]", "[amount, amuont]"), setup_sql=WAREHOUSE
    )
    project = sqlmon.Project.load(root)
    project.validate(offline=True)
    with pytest.raises(sqlmon.ConfigError) as caught:
        project.validate()
    assert [p.message for p in caught.value.problems] == ["column `amuont` is not in source table main.scores"]


def test_an_invalid_project_raises_on_load(make_project):
    root = make_project(NULLS.replace("RULE", "{warn: 0.5, error: 0.1}"))
    with pytest.raises(sqlmon.ConfigError) as caught:
        sqlmon.Project.load(root)
    [problem] = caught.value.problems
    assert (problem.location.file, problem.location.line) == ("monitors/monitors.yml", 15)


def test_a_warehouse_that_cannot_be_opened_raises_an_engine_error(make_project):
    root = make_project(ERROR_RULE, setup_sql=WAREHOUSE)
    (root / "warehouse.duckdb").unlink()
    with pytest.raises(sqlmon.EngineError, match="does not exist"):
        sqlmon.Project.load(root).run()


def test_a_run_that_fails_on_the_warehouse_is_returned_as_failed(make_project):
    root = make_project(
        """\
        sources:
          - {name: broken, table: main.broken}
        monitors:
          - {name: broken_nulls, type: null_rate, source: broken}
        """,
        setup_sql="CREATE VIEW main.broken AS SELECT CAST(x AS INTEGER) AS v FROM (VALUES ('1'), ('x')) t(x)",
    )
    run = sqlmon.Project.load(root).run()
    assert run.status == "error" and "Conversion Error" in (run.error or "")
    assert run.failed_sources.keys() == {"broken"} and run.exit_code() == 3
    with pytest.raises(sqlmon.RunFailed, match="failed: source `broken` failed"):
        run.check()


def test_report_writes_the_html_report_of_the_stored_results(make_project, tmp_path):
    """What `sqlmon report` writes, from Python: a notebook or a scheduler task can publish it after the run."""
    project = sqlmon.Project.load(make_project(ERROR_RULE, setup_sql=WAREHOUSE))
    with pytest.raises(sqlmon.SqlmonError, match="holds no results yet"):
        project.report(tmp_path / "early.html")
    project.run(start="2026-01-01", end="2026-01-03")
    path = project.report(tmp_path / "out" / "report.html", days=7, select="amount_nulls")
    assert path == tmp_path / "out" / "report.html"
    html = path.read_text(encoding="utf-8")
    assert 'id="monitor-amount_nulls"' in html and 'data-status="error"' in html
