"""`null_rate` end to end: numpy data → DuckDB file → sqlmon run → sqlmon_metrics, against counts on the raw arrays."""

from __future__ import annotations

import numpy as np

from tests.metrics_support import DAY, W0, assert_close, at, load, run_project, stack, times

SOURCE = """\
sources:
  - name: events
    table: main.events
    timestamp: ts
    window: 1 day
"""


def _frame(n: int, day, rng: np.random.Generator, null_share: float, nan_share: float) -> tuple[dict, dict]:
    """Columns of every type, with NULLs (and NaN in the floating ones) at the given shares."""
    x = rng.normal(size=n)
    x[rng.random(n) < nan_share] = np.nan
    x[rng.random(n) < 0.01] = np.inf
    x[rng.random(n) < 0.01] = -np.inf
    f = rng.normal(size=n).astype(np.float32)
    f[rng.random(n) < nan_share] = np.nan
    columns = {
        "ts": times(n, day, rng),
        "x": x,
        "f": f,
        "i": rng.integers(0, 100, size=n),
        "s": rng.choice(np.array(["a", "b", "c"], dtype=object), size=n),
        "flag": rng.random(n) < 0.5,
    }
    nulls = {name: rng.random(n) < null_share for name in ("x", "f", "i", "s", "flag")}
    return columns, nulls


def test_nulls_and_nan_per_column_in_the_window_only(make_project) -> None:
    rng = np.random.default_rng(11)
    cur, cur_nulls = _frame(1500, W0, rng, null_share=0.07, nan_share=0.05)
    before, before_nulls = _frame(700, W0 - DAY, rng, null_share=0.4, nan_share=0.3)
    after, after_nulls = _frame(50, W0, rng, null_share=0.9, nan_share=0.9)
    after["ts"] = at(W0 + DAY, 50)  # the window's end is excluded
    nulls = {name: np.concatenate([before_nulls[name], cur_nulls[name], after_nulls[name]]) for name in cur_nulls}
    root = load(
        make_project,
        SOURCE,
        """\
        monitors:
          - name: all_columns
            type: null_rate
            source: events
            columns: all
          - name: nan_is_a_value
            type: null_rate
            source: events
            columns: [x, f, i]
            nan_as_null: false
        """,
        {"events": stack(before, cur, after)},
        nulls={"events": nulls},
    )
    db = run_project(root)

    n = 1500
    expected_nan = {
        "ts": 0,
        "x": np.sum(cur_nulls["x"] | np.isnan(cur["x"])),
        "f": np.sum(cur_nulls["f"] | np.isnan(cur["f"])),
        "i": np.sum(cur_nulls["i"]),
        "s": np.sum(cur_nulls["s"]),
        "flag": np.sum(cur_nulls["flag"]),
    }
    stored = db.metrics("all_columns")
    assert {column for column, _ in stored} == set(expected_nan)  # `all` is every column, the timestamp included
    for column, missing in expected_nan.items():
        assert stored[(column, "row_count")] == n
        assert stored[(column, "null_count")] == missing
        assert_close("null_rate", stored[(column, "null_rate")], missing / n)
    assert expected_nan["x"] > cur_nulls["x"].sum() and expected_nan["f"] > cur_nulls["f"].sum()  # NaN present

    stored = db.metrics("nan_is_a_value")
    assert {column for column, _ in stored} == {"x", "f", "i"}
    for column in ("x", "f", "i"):
        missing = cur_nulls[column].sum()  # NaN is a value here; NULL stays missing
        assert stored[(column, "row_count")] == n
        assert stored[(column, "null_count")] == missing
        assert_close("null_rate", stored[(column, "null_rate")], missing / n)

    # the day before is its own window, with its own counts
    previous = db.metrics("all_columns", W0 - DAY)
    assert previous[("x", "row_count")] == 700
    assert previous[("x", "null_count")] == np.sum(before_nulls["x"] | np.isnan(before["x"]))


def test_all_null_and_all_nan_columns(make_project) -> None:
    rng = np.random.default_rng(12)
    n = 300
    columns = {
        "ts": times(n, W0, rng),
        "empty": np.zeros(n),
        "nan": np.full(n, np.nan),
        "label": np.array(["x"] * n, dtype=object),
    }
    root = load(
        make_project,
        SOURCE,
        """\
        monitors:
          - name: nulls
            type: null_rate
            source: events
            columns: [empty, nan, label]
          - name: nan_values
            type: null_rate
            source: events
            columns: [nan]
            nan_as_null: false
        """,
        {"events": columns},
        nulls={"events": {"empty": np.ones(n, bool), "label": np.ones(n, bool)}},
    )
    db = run_project(root)
    stored = db.metrics("nulls")
    for column in ("empty", "nan", "label"):
        assert [stored[(column, m)] for m in ("row_count", "null_count", "null_rate")] == [n, n, 1.0]
    stored = db.metrics("nan_values")
    assert (stored[("nan", "null_count")], stored[("nan", "null_rate")]) == (0, 0.0)


def test_empty_window_has_row_count_0_null_rate_null_and_no_alert(make_project) -> None:
    rng = np.random.default_rng(13)
    x = rng.normal(size=200)
    nulls = rng.random(200) < 0.5
    columns = {"ts": np.concatenate([times(100, W0 - DAY, rng), at(W0 + DAY, 100)]), "x": x}
    root = load(
        make_project,
        SOURCE,
        """\
        monitors:
          - name: nulls
            type: null_rate
            source: events
            columns: [x]
            thresholds:
              null_rate: {warn: [0.0, 0.01], error: [0.0, 0.02]}
        """,
        {"events": columns},
        nulls={"events": {"x": nulls}},
    )
    db = run_project(root)
    stored = db.metrics("nulls")
    assert stored == {("x", "row_count"): 0.0, ("x", "null_count"): 0.0, ("x", "null_rate"): None}
    assert db.alerts("nulls") == []
    # the rule is live: the day before, with half its values missing, alerts
    assert db.metrics("nulls", W0 - DAY)[("x", "null_rate")] == nulls[:100].sum() / 100
    assert [a[2] for a in db.alerts("nulls", W0 - DAY)] == ["error"]
