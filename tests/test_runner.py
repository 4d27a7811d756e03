"""How a run chooses windows, stores results, and stays idempotent and atomic."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from sqlmon.errors import EngineError
from sqlmon.runner import run
from tests.conftest import query

MONITORS = """\
sources:
  - name: events
    table: main.events
    timestamp: ts
    window: 1 day
    backfill: {backfill}
    baseline: {{table: main.reference}}
monitors:
  - name: event_nulls
    type: null_rate
    source: events
    columns: [x]
  - name: x_drift
    type: feature_drift
    source: events
    columns: [x, kind]
"""


def _events(days: int, rows_per_day: int = 200, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = days * rows_per_day
    start = np.datetime64("2026-10-01T00:00:00")
    offsets = np.sort(rng.integers(0, days * 86400, n)).astype("timedelta64[s]")
    return pd.DataFrame({"ts": start + offsets, "x": rng.normal(size=n), "kind": rng.choice(["a", "b", "c"], n)})


@pytest.fixture
def project(make_project):
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"x": rng.normal(size=1000), "kind": rng.choice(["a", "b", "c"], 1000)})
    return make_project(MONITORS.format(backfill="30 days"), tables={"events": _events(5), "reference": reference})


def stored_windows(root, monitor: str) -> list[datetime]:
    rows = query(
        root, "SELECT DISTINCT window_start FROM sqlmon.sqlmon_metrics WHERE monitor = ? ORDER BY 1", [monitor]
    )
    return [r[0] for r in rows]


def test_first_run_computes_every_ended_window_with_data(project):
    result = run(project, end=datetime(2026, 10, 4))
    assert [w.start.day for w in result.windows["events"]] == [1, 2, 3]
    assert [d.day for d in stored_windows(project, "x_drift")] == [1, 2, 3]


def test_a_later_run_resumes_where_the_last_one_stopped(project):
    run(project, end=datetime(2026, 10, 3))
    again = run(project, end=datetime(2026, 10, 3))
    later = run(project, end=datetime(2026, 10, 5))
    assert again.windows["events"] == []
    assert [w.start.day for w in later.windows["events"]] == [3, 4]


def test_windows_that_have_not_ended_or_start_after_the_newest_row_are_not_computed(project):
    result = run(project, end=datetime(2026, 10, 5, 12))  # day 5 is half over; the data ends on day 5
    assert [w.start.day for w in result.windows["events"]] == [1, 2, 3, 4]
    beyond = run(project, end=datetime(2026, 11, 30))
    assert [w.start.day for w in beyond.windows["events"]] == [5]


def test_a_first_run_reaches_back_only_as_far_as_backfill(make_project):
    rng = np.random.default_rng(0)
    root = make_project(
        MONITORS.format(backfill="2 days"),
        tables={"events": _events(5), "reference": pd.DataFrame({"x": rng.normal(size=50), "kind": ["a"] * 50})},
    )
    result = run(root, end=datetime(2026, 10, 6))
    assert [w.start.day for w in result.windows["events"]] == [4, 5]


def test_a_backfill_replaces_stored_rows_instead_of_duplicating_them(project):
    run(project, end=datetime(2026, 10, 6))
    before = query(
        project, "SELECT monitor, column_name, metric, window_start, value FROM sqlmon.sqlmon_metrics ORDER BY ALL"
    )
    run(project, start=datetime(2026, 10, 1), end=datetime(2026, 10, 6))
    after = query(
        project, "SELECT monitor, column_name, metric, window_start, value FROM sqlmon.sqlmon_metrics ORDER BY ALL"
    )
    assert after == before
    histograms = query(project, "SELECT count(*), count(DISTINCT run_id) FROM sqlmon.sqlmon_histograms")
    assert histograms[0][1] == 1  # only the backfill's rows remain
    assert query(project, "SELECT count(*) FROM sqlmon.sqlmon_runs") == [(2,)]


def test_only_rows_inside_the_window_count(project):
    run(project, end=datetime(2026, 10, 6))
    per_day = query(
        project, "SELECT window_start, value FROM sqlmon.sqlmon_metrics WHERE metric = 'row_count' ORDER BY 1"
    )
    expected = _events(5).groupby(_events(5).ts.dt.floor("D")).size()
    assert [int(v) for _, v in per_day] == list(expected)


def test_a_failing_statement_writes_no_metrics_and_records_the_failed_run(project, monkeypatch):
    from sqlmon.engines.duckdb import DuckDBEngine

    original = DuckDBEngine.query
    calls = {"n": 0}

    def flaky(self, sql, parameters=None):
        if "FULL OUTER JOIN" in sql:  # the second window's distributions
            calls["n"] += 1
            if calls["n"] == 2:
                raise EngineError("simulated warehouse failure")
        return original(self, sql, parameters)

    monkeypatch.setattr(DuckDBEngine, "query", flaky)
    result = run(project, end=datetime(2026, 10, 4))
    assert result.status == "error" and "simulated warehouse failure" in result.error
    assert result.windows == {} and result.metrics == []  # the report claims nothing that was not stored
    assert query(project, "SELECT count(*) FROM sqlmon.sqlmon_metrics") == [(0,)]
    assert query(project, "SELECT count(*) FROM sqlmon.sqlmon_histograms") == [(0,)]
    assert query(project, "SELECT status FROM sqlmon.sqlmon_runs") == [("error",)]


def test_a_table_baseline_is_profiled_once_per_run_so_each_extra_window_costs_three_statements(project):
    """The window's row count (which picks exact or bounded KS), its aggregates, and its distributions."""
    one = run(project, end=datetime(2026, 10, 2))
    five = run(project, start=datetime(2026, 10, 1), end=datetime(2026, 10, 6))
    assert len(one.windows["events"]) == 1 and len(five.windows["events"]) == 5
    assert (five.statements - one.statements) / 4 == 3


SCHEMA_MONITORS = """\
sources:
  - name: events
    table: main.events
    timestamp: ts
    window: 1 day
monitors:
  - name: events_contract
    type: schema_contract
    source: events
    columns: {ts: timestamp, x: float, kind: string}
"""


def test_schema_contract_names_missing_and_unexpected_columns_and_changes_since_the_previous_run(make_project):
    root = make_project(SCHEMA_MONITORS, tables={"events": _events(3)})
    first = run(root, end=datetime(2026, 10, 2))
    assert first.alerts == []
    assert first.statements == 0  # the schema comes from the catalog: no scan, not even of the time range
    import duckdb

    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute("ALTER TABLE main.events RENAME COLUMN kind TO category")
    con.close()
    second = run(root, end=datetime(2026, 10, 3))
    messages = sorted(a.message for a in second.alerts)
    assert messages == [
        "missing_columns = 1 (error: > 0); kind",
        "schema_changes = 2 (warn: > 0); +category, -kind",
        "unexpected_columns = 1 (warn: > 0); category",
    ]
    rerun = run(root, end=datetime(2026, 10, 3))  # the same moment again: same comparison, same alerts
    assert sorted(a.message for a in rerun.alerts) == messages
    assert query(root, "SELECT count(*) FROM sqlmon.sqlmon_alerts") == [(3,)]


def test_a_previous_baseline_compares_each_window_with_the_span_before_it(make_project):
    frame = _events(4)
    frame.loc[frame.ts >= "2026-10-04", "x"] += 3.0  # the last day shifts
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
            timestamp: ts
            window: 1 day
            baseline: {previous: 2 days}
        monitors:
          - name: x_drift
            type: feature_drift
            source: events
            columns: [x]
        """,
        tables={"events": frame},
    )
    result = run(root, end=datetime(2026, 10, 5))
    ks = {r.window.start.day: r.value for r in result.metrics if r.metric == "ks"}
    assert ks[1] is None  # nothing before the first day to compare with
    assert ks[2] < 0.2 and ks[3] < 0.2
    assert ks[4] > 0.8


def test_a_source_without_timestamp_is_measured_whole_at_each_run(make_project):
    root = make_project(
        """\
        sources:
          - name: reference
            table: main.reference
        monitors:
          - name: reference_nulls
            type: null_rate
            source: reference
        """,
        setup_sql="CREATE TABLE main.reference AS SELECT range AS id, NULLIF(range % 4, 0) AS v FROM range(100)",
    )
    result = run(root, end=datetime(2026, 10, 5))
    rates = {r.column: r.value for r in result.metrics if r.metric == "null_rate"}
    assert rates == {"id": 0.0, "v": 0.25}
    assert query(root, "SELECT DISTINCT window_start, window_end FROM sqlmon.sqlmon_metrics") == [
        (datetime(2026, 10, 5), datetime(2026, 10, 5))
    ]


def test_a_gap_left_by_a_later_backfill_is_filled_by_the_next_run(project):
    run(project, end=datetime(2026, 10, 3))  # days 1-2
    run(project, start=datetime(2026, 10, 5), end=datetime(2026, 10, 6))  # day 5 only; 3 and 4 are missing
    nxt = run(project, end=datetime(2026, 10, 6))
    assert [w.start.day for w in nxt.windows["events"]] == [3, 4]
    assert [d.day for d in stored_windows(project, "x_drift")] == [1, 2, 3, 4, 5]


def test_a_column_dropped_upstream_skips_its_monitor_and_the_others_still_run(project):
    import duckdb

    run(project, end=datetime(2026, 10, 3))
    con = duckdb.connect(str(project / "warehouse.duckdb"))
    con.execute("ALTER TABLE main.events RENAME COLUMN kind TO category")
    con.close()
    result = run(project, end=datetime(2026, 10, 4))
    assert result.status == "error" and "x_drift" in result.error
    [alert] = [a for a in result.alerts if a.metric == "monitor_error"]
    assert alert.monitor == "x_drift" and alert.severity == "error"
    assert alert.message.startswith("not computed: column `kind` is not in source table main.events")
    assert [d.day for d in stored_windows(project, "event_nulls")] == [1, 2, 3]  # the healthy monitor went on
    assert query(project, "SELECT monitor, metric FROM sqlmon.sqlmon_alerts WHERE metric = 'monitor_error'") == [
        ("x_drift", "monitor_error")
    ]


def test_a_typo_in_a_monitor_that_never_ran_stops_the_run_before_anything_is_written(make_project):
    root = make_project(
        MONITORS.format(backfill="30 days").replace("columns: [x, kind]", "columns: [x, knd]"),
        tables={"events": _events(2), "reference": _events(1).drop(columns="ts")},
    )
    from sqlmon.errors import ConfigError

    with pytest.raises(ConfigError, match=r"column `knd` is not in source table main\.events"):
        run(root, end=datetime(2026, 10, 3))
    assert query(root, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'sqlmon'") == [(0,)]


def test_schema_changes_stay_reported_when_a_window_is_run_again_later_the_same_day(make_project):
    import duckdb

    root = make_project(SCHEMA_MONITORS, tables={"events": _events(3)})
    run(root, end=datetime(2026, 10, 2))
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute("ALTER TABLE main.events ADD COLUMN extra INTEGER")
    con.close()
    first = run(root, end=datetime(2026, 10, 3, 1, 30))
    later = run(root, end=datetime(2026, 10, 3, 2, 30))  # same daily window, an hour on
    change = "schema_changes = 1 (warn: > 0); +extra"
    assert change in [a.message for a in first.alerts]
    assert change in [a.message for a in later.alerts]


def test_a_backfill_leaves_the_schema_contract_alone(make_project):
    root = make_project(SCHEMA_MONITORS, tables={"events": _events(3)})
    run(root, end=datetime(2026, 10, 4))
    backfill = run(root, start=datetime(2026, 10, 1), end=datetime(2026, 10, 4))
    assert backfill.metrics == [] and backfill.windows["events"] == []
    assert query(root, "SELECT DISTINCT window_start FROM sqlmon.sqlmon_metrics") == [(datetime(2026, 10, 3),)]
