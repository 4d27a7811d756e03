"""Segments: `segment_by` splits a monitor; each segment's metrics are the metrics of its rows alone.

The reference for a segment is an unsegmented run over a table holding only that segment's rows (and a baseline cut
the same way): the two must agree metric for metric and bin for bin.
"""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sqlmon.cli import main
from sqlmon.monitors.base import segment_label
from sqlmon.runner import run
from tests.conftest import query
from tests.test_config_errors import problems

END = datetime(2026, 10, 4)
TOL = 1e-12
# name in the per-segment tables -> (SQL condition, label)
SEGMENTS = {
    "de": ("country = 'DE'", "country=DE"),
    "fr": ("country = 'FR'", "country=FR"),
    "us": ("country = 'US'", "country=US"),
    "none": ("country IS NULL", "country=NULL"),
}


def _events(rng: np.random.Generator, days: int = 3) -> pd.DataFrame:
    """Four segments of clearly different sizes and behaviour: FR drifts, US has many NULLs, NULL is the smallest."""
    frames = []
    for day in range(days):
        for country, n, shift, null_share in (("DE", 300, 0.0, 0.02), ("FR", 200, 0.8, 0.05), ("US", 120, 0.0, 0.4)):
            frames.append(_rows(rng, day, country, n, shift, null_share))
        frames.append(_rows(rng, day, None, 40, 0.3, 0.1))
    return pd.concat(frames, ignore_index=True)


def _rows(rng, day: int, country: str | None, n: int, shift: float, null_share: float) -> pd.DataFrame:
    x = rng.normal(shift, 1, n)
    x[rng.random(n) < null_share] = np.nan
    return pd.DataFrame(
        {
            "ts": np.datetime64("2026-10-01") + np.timedelta64(day, "D") + rng.integers(0, 86400, n).astype("m8[s]"),
            "x": x,
            "kind": rng.choice(["a", "b", "c"] if shift < 0.5 else ["a", "b", "c", "d"], n),
            "model": rng.choice(["v1", "v2"], n),
            "country": [country] * n,
        }
    )


def _reference(rng: np.random.Generator) -> pd.DataFrame:
    n = 2000
    return pd.DataFrame(
        {
            "x": rng.normal(0, 1, n),
            "kind": rng.choice(["a", "b", "c"], n),
            "model": rng.choice(["v1", "v2"], n),
            "country": rng.choice(["DE", "FR", "US", None], n, p=[0.4, 0.3, 0.2, 0.1]),
        }
    )


SEGMENTED = """\
sources:
  - {{name: events, table: main.events, timestamp: ts, window: 1 day, backfill: 30 days,
     baseline: {{table: main.{reference}}}}}
{per_segment_sources}
monitors:
  - {{name: nulls, type: null_rate, source: events, columns: [x, kind], segment_by: [country]}}
  - {{name: drift, type: feature_drift, source: events, columns: [x, kind], bins: 5, segment_by: [country]}}
{per_segment_monitors}
"""


def _segmented_project(make_project, reference: str = "reference"):
    """The segmented monitors, and beside them the same monitors over one table per segment."""
    rng = np.random.default_rng(7)
    sources, monitors, setup = [], [], []
    for name, (condition, _) in SEGMENTS.items():
        # the baseline of a segment is the baseline's rows of that segment, when the baseline has the column
        base = f"{reference}_{name}" if reference == "reference" else reference
        sources.append(
            f"  - {{name: events_{name}, table: main.events_{name}, timestamp: ts, window: 1 day, backfill: 30 days,"
            f" baseline: {{table: main.{base}}}}}"
        )
        monitors.append(f"  - {{name: nulls_{name}, type: null_rate, source: events_{name}, columns: [x, kind]}}")
        monitors.append(
            f"  - {{name: drift_{name}, type: feature_drift, source: events_{name}, columns: [x, kind], bins: 5}}"
        )
        setup.append(f"CREATE TABLE main.events_{name} AS SELECT * FROM main.events WHERE {condition}")
        if reference == "reference":
            setup.append(f"CREATE TABLE main.reference_{name} AS SELECT * FROM main.reference WHERE {condition}")
    yaml = SEGMENTED.format(
        reference=reference, per_segment_sources="\n".join(sources), per_segment_monitors="\n".join(monitors)
    )
    reference_frame = _reference(rng)
    tables = {"events": _events(rng), "reference": reference_frame}
    if reference != "reference":
        tables[reference] = reference_frame.drop(columns=["country"])
    root = make_project(yaml, tables=tables)
    import duckdb

    con = duckdb.connect(str(root / "warehouse.duckdb"))
    for statement in setup:
        con.execute(statement)
    con.close()
    return root


def _values(result, monitor: str, segment: str | None = None) -> dict[tuple, float | None]:
    return {
        (m.window.start, m.column, m.metric): m.value
        for m in result.metrics
        if m.monitor == monitor and m.segment == segment
    }


def _assert_close(ours: dict, theirs: dict) -> float:
    assert ours.keys() == theirs.keys()
    largest = 0.0
    for key, expected in theirs.items():
        actual = ours[key]
        if expected is None or actual is None:
            assert expected is None and actual is None, key
            continue
        deviation = abs(actual - expected) / max(1.0, abs(expected))
        largest = max(largest, deviation)
        assert deviation <= TOL, (key, actual, expected)
    return largest


def _without_segment_metrics(values: dict) -> dict:
    return {k: v for k, v in values.items() if k[2] not in ("segment_count", "segments_dropped")}


@pytest.mark.parametrize("reference", ["reference", "reference_whole"])
def test_each_segment_gets_the_metrics_of_its_rows_alone(make_project, reference):
    # reference_whole has no country column: every segment is then compared with the whole baseline
    root = _segmented_project(make_project, reference)
    result = run(root, end=END)
    assert result.status == "success", result.error
    largest = 0.0
    for name, (_, label) in SEGMENTS.items():
        for kind in ("nulls", "drift"):
            segmented = _values(result, kind, label)
            assert segmented, (kind, label)
            largest = max(largest, _assert_close(segmented, _values(result, f"{kind}_{name}")))
    print(f"largest deviation of a segment from its own table ({reference}): {largest:.3g}")
    # the overall rows are still there, as without segments
    overall = _without_segment_metrics(_values(result, "nulls"))
    assert {k[2] for k in overall} == {"row_count", "null_count", "null_rate"}


def test_segment_histograms_equal_the_histograms_of_the_segment_table(make_project):
    root = _segmented_project(make_project)
    run(root, end=END)
    columns = "column_name, window_start, side, bin, lower, upper, category, count, fraction"
    for name, (_, label) in SEGMENTS.items():
        segmented = query(
            root,
            f"SELECT {columns} FROM sqlmon.sqlmon_histograms WHERE monitor = 'drift' AND segment = ? ORDER BY ALL",
            [label],
        )
        alone = query(
            root,
            f"SELECT {columns} FROM sqlmon.sqlmon_histograms WHERE monitor = ? AND segment IS NULL ORDER BY ALL",
            [f"drift_{name}"],
        )
        assert segmented and segmented == alone


def test_feature_drift_sees_the_segment_that_drifted(make_project):
    root = _segmented_project(make_project)
    result = run(root, end=END)
    psi = {m.segment: m.value for m in result.metrics if m.monitor == "drift" and m.column == "x" and m.metric == "ks"}
    assert psi["country=FR"] > 0.2 and psi["country=DE"] < 0.1  # FR is shifted by 0.8 sd; DE is not


def test_a_segmented_window_costs_a_fixed_number_of_statements_however_many_segments(make_project):
    def statements(countries: int) -> int:
        rng = np.random.default_rng(3)
        n = 600
        events = pd.DataFrame(
            {
                "ts": np.datetime64("2026-10-01") + rng.integers(0, 86400, n).astype("m8[s]"),
                "x": rng.normal(size=n),
                "kind": rng.choice(["a", "b"], n),
                "country": [f"c{i % countries}" for i in range(n)],
            }
        )
        root = make_project(
            """\
            sources:
              - {name: events, table: main.events, timestamp: ts, window: 1 day, baseline: {previous: 1 day}}
            monitors:
              - {name: nulls, type: null_rate, source: events, columns: [x], segment_by: [country]}
              - {name: drift, type: feature_drift, source: events, columns: [x], segment_by: [country]}
            """,
            tables={"events": events},
        )
        result = run(root, start=datetime(2026, 10, 1), end=datetime(2026, 10, 2))
        assert result.status == "success", result.error
        assert len({m.segment for m in result.metrics if m.monitor == "drift"}) == countries + 1
        return result.statements

    assert statements(3) == statements(12)


# --- the cap -------------------------------------------------------------------------------------------------------


CAPPED = """\
sources:
  - {name: events, table: main.events, timestamp: ts, window: 1 day, backfill: 30 days}
monitors:
  - {name: nulls, type: null_rate, source: events, columns: [x], segment_by: [country], max_segments: 2}
"""


def _capped(make_project):
    rng = np.random.default_rng(5)
    return make_project(CAPPED, tables={"events": _events(rng, days=2)})


def test_only_the_largest_segments_are_kept_and_the_cut_is_reported(make_project):
    root = _capped(make_project)
    result = run(root, end=datetime(2026, 10, 3))
    assert {m.segment for m in result.metrics} == {None, "country=DE", "country=FR"}  # 300 and 200 rows a day
    assert [(w.monitor, w.window.start.day, w.segments, w.kept) for w in result.warnings] == [
        ("nulls", 1, 4, 2),
        ("nulls", 2, 4, 2),
    ]
    stored = query(
        root,
        "SELECT day(window_start), metric, value FROM sqlmon.sqlmon_metrics "
        "WHERE metric IN ('segment_count', 'segments_dropped') AND segment IS NULL ORDER BY ALL",
    )
    assert stored == [(d, m, v) for d in (1, 2) for m, v in (("segment_count", 4.0), ("segments_dropped", 2.0))]
    alerts = query(root, "SELECT severity, segment, message FROM sqlmon.sqlmon_alerts ORDER BY window_start")
    assert (
        alerts
        == [
            (
                "warn",
                None,
                "segments_dropped = 2 (warn: > 0); 4 segments by country; the 2 largest by rows are computed "
                "(max_segments)",
            )
        ]
        * 2
    )
    # the overall metrics still count every row, the cut segments' too
    rows = {m.window.start.day: m.value for m in result.metrics if m.segment is None and m.metric == "row_count"}
    assert rows == {1: 660.0, 2: 660.0}


def test_the_cut_is_in_the_text_and_json_reports(make_project):
    root = _capped(make_project)
    text = CliRunner().invoke(main, ["run", "-p", str(root), "--end", "2026-10-02", "--fail-on", "never"])
    assert text.exit_code == 0, text.output
    assert (
        "  nulls, window 2026-10-01 00:00: 4 segments in this window, only the 2 largest by rows are computed "
        "(max_segments: 2); the other 2 count in the overall metrics only"
    ) in text.stdout.splitlines()
    again = CliRunner().invoke(
        main, ["run", "-p", str(root), "--start", "2026-10-01", "--end", "2026-10-02", "--format", "json"]
    )
    report = json.loads(again.stdout)
    assert again.exit_code == 0  # the cut is a warning; the default --fail-on is error
    assert [(w["monitor"], w["window"]["start"], w["segments"], w["kept"]) for w in report["warnings"]] == [
        ("nulls", "2026-10-01T00:00:00", 4, 2)
    ]
    assert {m["segment"] for m in report["metrics"]} == {None, "country=DE", "country=FR"}


def test_switching_the_cut_rule_off_keeps_the_warning_but_not_the_alert(make_project):
    rng = np.random.default_rng(5)
    root = make_project(
        CAPPED.replace("max_segments: 2}", "max_segments: 2, thresholds: {segments_dropped: null}}"),
        tables={"events": _events(rng, days=1)},
    )
    result = run(root, end=datetime(2026, 10, 2))
    assert result.alerts == [] and len(result.warnings) == 1


def test_segments_of_equal_size_are_kept_in_order_of_their_values(make_project):
    events = pd.DataFrame(
        {
            "ts": [datetime(2026, 10, 1, h) for h in range(8)],
            "x": [1.0] * 8,
            "country": ["US", "US", "DE", "DE", "FR", "FR", None, None],
        }
    )
    root = make_project(CAPPED, tables={"events": events})
    result = run(root, end=datetime(2026, 10, 2))
    # NULL sorts first, then by value: the NULL segment and DE are kept, FR and US are cut
    assert [m.segment for m in result.metrics if m.metric == "row_count"] == [None, "country=NULL", "country=DE"]


# --- labels, NULL, two columns ---------------------------------------------------------------------------------------


def test_labels_are_readable_and_escape_what_would_make_them_ambiguous():
    assert segment_label(("country",), ("DE",)) == "country=DE"
    assert segment_label(("country", "model"), ("DE", "v2")) == "country=DE,model=v2"
    assert segment_label(("country",), (None,)) == "country=NULL"
    assert segment_label(("country",), ("NULL",)) == "country=\\NULL"
    assert segment_label(("note",), ("a,b=c\\d",)) == "note=a\\,b\\=c\\\\d"
    assert segment_label(("flag", "n", "x"), (True, 3, 2.5)) == "flag=true,n=3,x=2.5"
    assert segment_label(("day",), (datetime(2026, 10, 1, 12),)) == "day=2026-10-01 12:00:00"


def test_two_segment_columns_split_by_every_combination(make_project):
    rng = np.random.default_rng(9)
    events = _events(rng, days=1)
    root = make_project(
        """\
        sources:
          - {name: events, table: main.events, timestamp: ts, window: 1 day, baseline: {table: main.reference}}
          - {name: de_v2, table: main.events_de_v2, timestamp: ts, window: 1 day,
             baseline: {table: main.reference_de_v2}}
        monitors:
          - {name: drift, type: feature_drift, source: events, columns: [x, kind], segment_by: [country, model]}
          - {name: drift_de_v2, type: feature_drift, source: de_v2, columns: [x, kind]}
        """,
        tables={"events": events, "reference": _reference(rng)},
        setup_sql=[],
    )
    import duckdb

    con = duckdb.connect(str(root / "warehouse.duckdb"))
    for table in ("events", "reference"):
        con.execute(
            f"CREATE TABLE main.{table}_de_v2 AS SELECT * FROM main.{table} WHERE country = 'DE' AND model = 'v2'"
        )
    con.close()
    result = run(root, end=datetime(2026, 10, 2))
    segments = {m.segment for m in result.metrics if m.monitor == "drift"} - {None}
    assert segments == {f"country={c},model={v}" for c in ("DE", "FR", "US", "NULL") for v in ("v1", "v2")}
    _assert_close(
        _without_segment_metrics(_values(result, "drift", "country=DE,model=v2")), _values(result, "drift_de_v2")
    )


# --- alerts, storage, backfill ---------------------------------------------------------------------------------------


def test_rules_apply_per_segment_and_the_alert_names_it(make_project):
    root = _segmented_project(make_project)
    (root / "monitors" / "monitors.yml").write_text(
        (root / "monitors" / "monitors.yml")
        .read_text()
        .replace(
            "columns: [x, kind], segment_by: [country]}",
            "columns: [x, kind], segment_by: [country], thresholds: {null_rate: {error: 0.25}}}",
            1,
        )
    )
    result = run(root, end=END)
    nulls = [a for a in result.alerts if a.monitor == "nulls"]
    assert {(a.segment, a.column) for a in nulls} == {("country=US", "x")}  # 40% NULLs in US, ≤ 10% elsewhere
    assert len(nulls) == 3
    value = nulls[0].value
    assert nulls[0].message == f"null_rate of x (segment country=US) = {value:.4g} (error: > 0.25)"
    stored = query(root, "SELECT DISTINCT segment FROM sqlmon.sqlmon_alerts WHERE monitor = 'nulls'")
    assert stored == [("country=US",)]


def test_the_latest_metrics_view_keeps_segments_apart(make_project):
    root = _segmented_project(make_project)
    run(root, end=END)
    rows = query(
        root,
        "SELECT segment, value FROM sqlmon.sqlmon_latest_metrics "
        "WHERE monitor = 'nulls' AND column_name = 'x' AND metric = 'row_count' ORDER BY segment NULLS FIRST",
    )
    assert rows == [
        (None, 660.0),
        ("country=DE", 300.0),
        ("country=FR", 200.0),
        ("country=NULL", 40.0),
        ("country=US", 120.0),
    ]


def test_a_backfill_replaces_segmented_rows_instead_of_duplicating_them(make_project):
    root = _segmented_project(make_project)
    run(root, end=END)
    # rounded: DuckDB's parallel SUM may change the last bit of the exact Wasserstein distance between two runs
    columns = "monitor, column_name, segment, metric, window_start, round(value, 12)"
    before = query(root, f"SELECT {columns} FROM sqlmon.sqlmon_metrics ORDER BY ALL")
    histograms = query(root, "SELECT count(*) FROM sqlmon.sqlmon_histograms")
    again = run(root, start=datetime(2026, 10, 1), end=END)
    assert again.status == "success", again.error
    assert query(root, f"SELECT {columns} FROM sqlmon.sqlmon_metrics ORDER BY ALL") == before
    assert query(root, "SELECT count(*) FROM sqlmon.sqlmon_histograms") == histograms
    assert query(root, "SELECT count(DISTINCT run_id) FROM sqlmon.sqlmon_metrics") == [(1,)]


# --- configuration -------------------------------------------------------------------------------------------------


WAREHOUSE = [
    "CREATE TABLE main.events (id INTEGER, amount DOUBLE, country VARCHAR, scored_at TIMESTAMP)",
    "INSERT INTO main.events VALUES (1, 2.5, 'DE', '2026-01-01 10:00')",
]


def test_a_segment_column_missing_from_the_source_gets_a_suggestion(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate
            source: events
            segment_by:
              - country
              - contry_code
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [
        "monitors/monitors.yml:10: monitors[0].segment_by[1]: segment column `contry_code` is not in source table "
        "main.events (did you mean `country`?)"
    ]


def test_a_snapshot_kind_cannot_be_segmented(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: contract
            type: schema_contract
            source: events
            columns: {amount: float}
            segment_by: [country]
        """)
    assert problems(root, "--offline") == [
        "monitors/monitors.yml:9: monitors[0].segment_by: `schema_contract` describes the table as a whole, not its "
        "rows, so it cannot be split by segment (remove `segment_by`)"
    ]


def test_a_segment_column_listed_twice_and_a_cap_below_one(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate
            source: events
            segment_by: [country, country]
            max_segments: 0
        """)
    assert problems(root, "--offline") == [
        "monitors/monitors.yml:8: monitors[0].segment_by: `country` is listed twice; give each segment column once",
        "monitors/monitors.yml:9: monitors[0].max_segments: Input should be greater than or equal to 1 (got `0`)",
    ]


def test_thresholds_on_the_segment_metrics_need_segment_by(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate
            source: events
            thresholds:
              segments_dropped: {warn: 0}
        """)
    assert problems(root, "--offline") == [
        "monitors/monitors.yml:9: monitors[0].thresholds.segments_dropped: `null_rate` has no metric "
        "`segments_dropped` (its metrics: row_count, null_count, null_rate)"
    ]
