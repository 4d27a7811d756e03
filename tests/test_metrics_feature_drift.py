"""`feature_drift` end to end: numpy data → DuckDB file → sqlmon run → sqlmon_metrics / sqlmon_histograms, against
scipy and numpy on the raw arrays (exact KS and Wasserstein, quantile-binned distances, two-sample chi-square)."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from scipy import stats as sps

from sqlmon.compile import compile_project
from sqlmon.runner import run
from tests import metrics_support as ref
from tests.conftest import query
from tests.metrics_support import DAY, END, W0, Stored, assert_close, at, load, run_project, stack, times

SOURCES = """\
sources:
  - name: events
    table: main.events
    timestamp: ts
    window: 1 day
    baseline: {table: main.train}
"""
BINNED = ("psi", "js", "kl", "hellinger")
NUMERIC = ("ks", "ks_pvalue", "ks_error", "wasserstein", "wasserstein_error", "wasserstein_norm", *BINNED)
CATEGORICAL = ("psi", "chi2", "chi2_pvalue", "js", "kl", "hellinger", "l_infinity", "unseen_rate")


def numeric_reference(
    base: np.ndarray, cur: np.ndarray, bins: int, edges: list[float] | None = None
) -> dict[str, float]:
    """Every numeric metric on raw arrays: NaN dropped, ±inf kept except for Wasserstein and its scale."""
    base, cur = base[~np.isnan(base)], cur[~np.isnan(cur)]
    edges = ref.quantile_edges(base, bins) if edges is None else np.asarray(edges, dtype=float)
    b, c = ref.bin_counts(base, edges), ref.bin_counts(cur, edges)
    wasserstein = sps.wasserstein_distance(base[np.isfinite(base)], cur[np.isfinite(cur)])
    sd = np.std(base[np.isfinite(base)], ddof=1)
    sd = sd if sd > 0 else np.nan
    ks = sps.ks_2samp(base, cur).statistic
    return {
        "ks": ks,
        "ks_error": 0.0 if ks == ks else np.nan,  # exact: no approximation error
        "wasserstein_error": 0.0 if wasserstein == wasserstein else np.nan,
        "ks_pvalue": sps.ks_2samp(base, cur, method="asymp").pvalue,
        "wasserstein": wasserstein,
        "wasserstein_norm": wasserstein / sd,
        "psi": ref.psi(b, c),
        "js": ref.js(b, c),
        "kl": ref.kl(b, c),
        "hellinger": ref.hellinger(b, c),
        "_edges": edges,
        "_base": b,
        "_cur": c,
    }


def check_numeric(
    db: Stored, monitor: str, column: str, base: np.ndarray, cur: np.ndarray, bins: int, edges: list | None = None
) -> dict:
    expected = numeric_reference(base, cur, bins, edges)
    stored = db.metrics(monitor)
    for metric in NUMERIC:
        if np.isnan(expected[metric]):  # not computable (e.g. a constant baseline has no scale): stored as NULL
            assert stored[(column, metric)] is None, metric
            continue
        assert_close(metric, stored[(column, metric)], expected[metric])
    # the bins behind the binned metrics: baseline-quantile edges, left-closed, open at both ends
    edges = list(expected["_edges"])
    bounds = list(zip([None, *edges], [*edges, None], strict=True))
    for side, counts in (("baseline", expected["_base"]), ("current", expected["_cur"])):
        rows = db.histogram(monitor, column, side)
        assert [(lo, hi) for _, lo, hi, *_ in rows] == bounds
        assert [r[0] for r in rows] == list(range(len(bounds)))
        assert [r[4] for r in rows] == list(counts)
        assert [r[5] for r in rows] == pytest.approx(list(counts / counts.sum()), rel=1e-12, abs=0)
    return expected


def categorical_reference(base: list, cur: list, max_categories: int | None = None) -> dict[str, object]:
    """Counts per category (NULL excluded); categories ranked by their larger share of either side, those beyond
    max_categories folded into one bucket."""
    nb, nc = Counter(v for v in base if v is not None), Counter(v for v in cur if v is not None)
    total_b, total_c = sum(nb.values()), sum(nc.values())
    order = sorted(set(nb) | set(nc), key=lambda k: (-max(nb[k] / total_b, nc[k] / total_c), k))
    kept = order if max_categories is None else order[:max_categories]
    folded = order[len(kept) :]
    keys = [*kept, *(["__other__"] if folded else [])]
    b = np.array([nb[k] for k in kept] + ([sum(nb[k] for k in folded)] if folded else []), float)
    c = np.array([nc[k] for k in kept] + ([sum(nc[k] for k in folded)] if folded else []), float)
    table = np.array([b, c])
    chi2 = sps.chi2_contingency(table, correction=False)
    p, q = b / b.sum(), c / c.sum()
    return {
        "psi": ref.psi(b, c),
        "chi2": chi2.statistic,
        "chi2_pvalue": chi2.pvalue,
        "js": ref.js(b, c),
        "kl": ref.kl(b, c),
        "hellinger": ref.hellinger(b, c),
        "l_infinity": np.max(np.abs(p - q)),
        "unseen_rate": c[b == 0].sum() / c.sum(),
        "_counts": dict(zip(keys, zip(b, c, strict=True), strict=True)),
    }


def check_categorical(db: Stored, monitor: str, column: str, expected: dict) -> None:
    stored = db.metrics(monitor)
    for metric in CATEGORICAL:
        assert_close(metric, stored[(column, metric)], expected[metric])
    counts = expected["_counts"]
    for side, index in (("baseline", 0), ("current", 1)):
        rows = db.histogram(monitor, column, side)
        assert {r[3]: r[4] for r in rows} == {k: v[index] for k, v in counts.items()}
        total = sum(v[index] for v in counts.values())
        assert {r[3]: r[5] for r in rows} == pytest.approx({k: v[index] / total for k, v in counts.items()}, rel=1e-12)
        assert all(r[1] is None and r[2] is None for r in rows)


# --- numeric ----------------------------------------------------------------------------------------------------


def _numeric_columns(rng: np.random.Generator, n: int, shift: float, scale: float) -> dict[str, np.ndarray]:
    return {
        "x": rng.normal(shift, scale, size=n),  # continuous
        "t": rng.poisson(3 + shift, size=n),  # heavily tied integers
        "d": rng.integers(-50_000, 50_000, size=n) / 1000 * scale + shift,  # becomes DECIMAL(12,3)
        "same": rng.normal(size=n),  # no drift: a moderate KS p-value
    }


def test_numeric_metrics_match_scipy_and_numpy(make_project) -> None:
    rng = np.random.default_rng(21)
    train = _numeric_columns(rng, 3003, 0.0, 1.0)  # 3003 = 7·429 = 3·1001: quantiles fall on exact ranks
    cur = _numeric_columns(rng, 2000, 0.3, 1.1)
    before = _numeric_columns(rng, 1200, -2.0, 0.5)
    after = _numeric_columns(rng, 300, 5.0, 3.0)
    for part in (train, cur, before, after):  # DECIMAL(12,3) values: thousandths
        part["d"] = np.round(part["d"] * 1000) / 1000
    cur["ts"], before["ts"], after["ts"] = times(2000, W0, rng), times(1200, W0 - DAY, rng), at(W0 + DAY, 300)
    decimal = [f'ALTER TABLE main."{t}" ALTER d TYPE DECIMAL(12,3)' for t in ("events", "train")]
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - name: drift10
            type: feature_drift
            source: events
            columns: [x, t, d, same]
          - name: drift7
            type: feature_drift
            source: events
            columns: [x, t, d]
            bins: 7
          - name: drift3
            type: feature_drift
            source: events
            columns: [x]
            bins: 3
          - name: drift_previous
            type: feature_drift
            source: events
            columns: [x, t, d]
            baseline: {previous: 1 day}
        """,
        {"events": stack(before, cur, after), "train": train},
        after=decimal,
    )
    stored = np.array([r[0] for r in query(root, "SELECT CAST(d AS DOUBLE) FROM main.train")])
    assert query(root, "SELECT typeof(d) FROM main.train LIMIT 1") == [("DECIMAL(12,3)",)]
    assert np.array_equal(stored, train["d"])  # the DECIMAL holds exactly the reference values
    db = run_project(root)

    for column in ("x", "t", "d", "same"):
        expected = check_numeric(db, "drift10", column, train[column], cur[column], 10)
        assert (len(expected["_edges"]) < 9) == (column == "t")  # tied quantiles merge bins
    assert 0.01 < db.metrics("drift10")[("same", "ks_pvalue")] < 0.99
    for column in ("x", "t", "d"):
        check_numeric(db, "drift7", column, train[column], cur[column], 7)
        check_numeric(db, "drift_previous", column, before[column], cur[column], 10)
    check_numeric(db, "drift3", "x", train["x"], cur["x"], 3)


def test_nan_excluded_and_infinities_binned_and_ks_but_not_wasserstein(make_project) -> None:
    rng = np.random.default_rng(22)

    def column(n: int, shift: float, nan: float, pos_inf: float, neg_inf: float) -> np.ndarray:
        x = rng.normal(shift, 1.0, size=n)
        u = rng.random(n)
        x[u < nan] = np.nan
        x[(u >= nan) & (u < nan + pos_inf)] = np.inf
        x[(u >= nan + pos_inf) & (u < nan + pos_inf + neg_inf)] = -np.inf
        return x

    train = {"x": column(2000, 0, 0.05, 0.02, 0.01), "heavy": column(2000, 0, 0.02, 0.15, 0.12)}
    cur = {
        "x": column(1500, 0.2, 0.1, 0.05, 0.0),
        "heavy": column(1500, 0.1, 0.0, 0.1, 0.2),
        "ts": times(1500, W0, rng),
    }
    before = {"x": np.full(100, np.nan), "heavy": np.full(100, np.inf), "ts": times(100, W0 - DAY, rng)}
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [x, heavy]
        """,
        {"events": stack(before, cur), "train": train},
    )
    db = run_project(root)
    for name in ("x", "heavy"):
        expected = check_numeric(db, "drift", name, train[name], cur[name], 10)
    # 12% −inf and 15% +inf in the baseline: the outer edges are −inf and +inf themselves
    assert expected["_edges"][0] == -np.inf and expected["_edges"][-1] == np.inf
    assert np.isfinite(db.metrics("drift")[("heavy", "wasserstein")])


def test_single_distinct_value_on_both_sides_has_zero_distances(make_project) -> None:
    rng = np.random.default_rng(23)
    train = {"v": np.full(400, 2.5), "c": np.array(["only"] * 400, dtype=object)}
    cur = {"v": np.full(250, 2.5), "c": np.array(["only"] * 250, dtype=object), "ts": times(250, W0, rng)}
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [v, c]
        """,
        {"events": cur, "train": train},
    )
    db = run_project(root)
    expected = check_numeric(db, "drift", "v", train["v"], cur["v"], 10)
    assert (expected["ks"], expected["wasserstein"], expected["ks_pvalue"]) == (0.0, 0.0, 1.0)
    stored = db.metrics("drift")
    for metric in NUMERIC:
        if metric == "wasserstein_norm":  # a constant baseline has no spread to scale by
            assert stored[("v", metric)] is None
            continue
        assert stored[("v", metric)] == (1.0 if metric == "ks_pvalue" else 0.0)
    for metric in CATEGORICAL:  # chi2_contingency raises on a 2×1 table; the test is trivially p = 1
        assert stored[("c", metric)] == (1.0 if metric == "chi2_pvalue" else 0.0)
    # nine equal quantiles make one edge: everything sits in the bin [2.5, +inf) on both sides
    assert db.histogram("drift", "v", "current") == [(0, None, 2.5, None, 0.0, 0.0), (1, 2.5, None, None, 250.0, 1.0)]


# --- categorical ------------------------------------------------------------------------------------------------


def test_categorical_metrics_match_chi2_contingency(make_project) -> None:
    rng = np.random.default_rng(24)
    names = np.array(["DE", "FR", "US", "GB", "IT", "ES", "gone", "new"], dtype=object)
    base_p = np.array([0.3, 0.2, 0.2, 0.1, 0.1, 0.05, 0.05, 0.0])
    cur_p = np.array([0.25, 0.25, 0.15, 0.12, 0.08, 0.1, 0.0, 0.05])
    train = {"c": rng.choice(names, 3000, p=base_p), "code": rng.integers(0, 6, 3000), "ok": rng.random(3000) < 0.3}
    cur = {
        "c": rng.choice(names, 2000, p=cur_p),
        "code": rng.integers(1, 8, 2000),
        "ok": rng.random(2000) < 0.35,
        "ts": times(2000, W0, rng),
    }
    before = {
        "c": np.array(["FR"] * 500, dtype=object),
        "code": np.full(500, 9),
        "ok": np.ones(500, bool),
        "ts": times(500, W0 - DAY, rng),
    }
    base_nulls, cur_nulls = rng.random(3000) < 0.05, rng.random(2000) < 0.1
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [c, code, ok]
            categorical: [code]
        """,
        {"events": stack(before, cur), "train": train},
        nulls={"train": {"c": base_nulls}, "events": {"c": np.concatenate([np.zeros(500, bool), cur_nulls])}},
    )
    db = run_project(root)
    base_c = [None if m else v for v, m in zip(train["c"], base_nulls, strict=True)]
    cur_c = [None if m else v for v, m in zip(cur["c"], cur_nulls, strict=True)]
    expected = categorical_reference(base_c, cur_c)
    assert expected["_counts"]["gone"][1] == 0 and expected["_counts"]["new"][0] == 0
    check_categorical(db, "drift", "c", expected)
    check_categorical(
        db, "drift", "code", categorical_reference([str(v) for v in train["code"]], [str(v) for v in cur["code"]])
    )
    check_categorical(
        db,
        "drift",
        "ok",
        categorical_reference([str(v).lower() for v in train["ok"]], [str(v).lower() for v in cur["ok"]]),
    )


def test_max_categories_folds_the_rest_into_one_other_bucket(make_project) -> None:
    rng = np.random.default_rng(25)
    names = np.array([f"item_{i:02d}" for i in range(30)], dtype=object)
    weights = rng.dirichlet(np.ones(30) * 0.7, size=2)
    train = {"c": rng.choice(names, 4000, p=weights[0])}
    cur = {"c": rng.choice(names[:25], 2500, p=weights[1][:25] / weights[1][:25].sum()), "ts": times(2500, W0, rng)}
    cur["c"][:40] = "brand_new"
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [c]
            max_categories: 6
        """,
        {"events": cur, "train": train},
    )
    db = run_project(root)
    expected = categorical_reference(list(train["c"]), list(cur["c"]), max_categories=6)
    assert len(expected["_counts"]) == 7 and "__other__" in expected["_counts"]
    check_categorical(db, "drift", "c", expected)


def test_category_on_one_side_only(make_project) -> None:
    rng = np.random.default_rng(26)
    train = {"c": np.array(["a"] * 60 + ["b"] * 40, dtype=object)}
    cur = {"c": np.array(["a"] * 30 + ["c"] * 20, dtype=object), "ts": times(50, W0, rng)}
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [c]
        """,
        {"events": cur, "train": train},
    )
    db = run_project(root)
    expected = categorical_reference(list(train["c"]), list(cur["c"]))
    assert expected["unseen_rate"] == 0.4 and expected["l_infinity"] == 0.4
    check_categorical(db, "drift", "c", expected)


# --- edge cases -------------------------------------------------------------------------------------------------


def test_empty_current_window_gives_null_metrics_and_no_alert(make_project) -> None:
    rng = np.random.default_rng(27)
    train = {"x": rng.normal(size=500), "c": rng.choice(np.array(["a", "b"], dtype=object), 500)}
    other = {
        "x": rng.normal(3, 1, size=200),
        "c": np.array(["z"] * 200, dtype=object),
        "ts": np.concatenate([times(100, W0 - DAY, rng), at(W0 + DAY, 100)]),
    }
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [x, c]
            thresholds:
              psi: {warn: 0.1, error: 0.25}
              ks_pvalue: {warn: 0.05, error: 0.01, direction: below}
              chi2_pvalue: {warn: 0.05, error: 0.01, direction: below}
        """,
        {"events": other, "train": train},
    )
    db = run_project(root)
    stored = db.metrics("drift")
    assert {k: v for k, v in stored.items() if k[0] == "x"} == {("x", m): None for m in NUMERIC}
    assert {k: v for k, v in stored.items() if k[0] == "c"} == {("c", m): None for m in CATEGORICAL}
    assert db.alerts("drift") == []
    assert {r[4] for r in db.histogram("drift", "x", "current")} == {0.0}
    assert {r[5] for r in db.histogram("drift", "x", "current")} == {None}
    assert len(db.alerts("drift", W0 - DAY)) >= 3  # the rules are live: the shifted day before alerts


def test_all_null_column_gives_null_metrics(make_project) -> None:
    rng = np.random.default_rng(28)
    train = {"x": rng.normal(size=300), "y": rng.normal(size=300), "c": np.array(["a"] * 300, dtype=object)}
    cur = {
        "x": rng.normal(size=200),
        "y": rng.normal(size=200),
        "c": np.array(["a"] * 200, dtype=object),
        "ts": times(200, W0, rng),
    }
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [x, y, c]
        """,
        {"events": cur, "train": train},
        nulls={"events": {"x": np.ones(200, bool), "c": np.ones(200, bool)}, "train": {"y": np.ones(300, bool)}},
    )
    db = run_project(root)
    stored = db.metrics("drift")
    assert all(stored[(column, m)] is None for column in ("x", "y") for m in NUMERIC)
    assert all(stored[("c", m)] is None for m in CATEGORICAL)
    assert db.alerts("drift") == []


def test_wasserstein_is_null_when_one_side_has_no_finite_value(make_project) -> None:
    rng = np.random.default_rng(5)
    train = {"x": rng.normal(size=500)}
    cur = {"x": np.full(200, np.inf), "ts": times(200, W0, rng)}
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [x]
        """,
        {"events": cur, "train": train},
    )
    metrics = run_project(root).metrics("drift")
    assert metrics[("x", "wasserstein")] is None  # not computable, rather than a misleading 0
    assert_close("ks", metrics[("x", "ks")], sps.ks_2samp(train["x"], cur["x"]).statistic)


def test_nan_in_a_double_baseline_is_missing_even_when_the_current_column_is_an_integer(make_project) -> None:
    # pandas writes an int column with gaps as DOUBLE with NaN; the serving table has INTEGER with NULL
    root = make_project(
        """\
        sources:
          - {name: events, table: main.events, timestamp: ts, window: 1 day, baseline: {table: main.train}}
        monitors:
          - {name: drift, type: feature_drift, source: events, columns: [n]}
        """,
        setup_sql=[
            "CREATE TABLE main.events AS SELECT TIMESTAMP '2026-03-10' + INTERVAL (i) MINUTE AS ts,"
            " CASE WHEN i % 10 = 0 THEN NULL ELSE CAST(i % 100 AS INTEGER) END AS n FROM range(1000) t(i)",
            "CREATE TABLE main.train AS SELECT CASE WHEN i % 10 = 0 THEN CAST('NaN' AS DOUBLE)"
            " ELSE CAST(i % 100 AS DOUBLE) END AS n FROM range(1000) t(i)",
        ],
    )
    metrics = run_project(root).metrics("drift")
    assert metrics[("n", "psi")] == 0.0
    assert metrics[("n", "ks")] == 0.0
    assert metrics[("n", "wasserstein")] == 0.0


def test_a_new_category_that_is_large_in_the_window_is_never_folded_away(make_project) -> None:
    # 300 baseline categories over 30,000 rows; half of today's 400 rows are a category never seen before
    names = [f"c{i:03d}" for i in range(300)]
    train = {"c": np.array(names * 100, dtype=object)}
    rng = np.random.default_rng(3)
    cur_values = np.array(["NEW"] * 200 + list(rng.choice(names, 200)), dtype=object)
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - {name: drift, type: feature_drift, source: events, columns: [c], max_categories: 50}
        """,
        {"events": {"c": cur_values, "ts": times(400, W0, rng)}, "train": train},
    )
    db = run_project(root)
    assert_close("unseen_rate", db.metrics("drift")[("c", "unseen_rate")], 0.5)


def test_equal_width_and_explicit_edges_bin_like_numpy(make_project) -> None:
    rng = np.random.default_rng(41)
    train = {"x": rng.lognormal(1, 0.8, 3000), "y": rng.normal(0, 1, 3000)}
    cur = {"x": rng.lognormal(1.2, 0.8, 2000), "y": rng.normal(0.3, 1, 2000), "ts": times(2000, W0, rng)}
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [x, y]
            bins: 6
            binning: equal_width
            edges: {y: [-1.5, -0.5, 0.0, 0.5, 1.5]}
        """,
        {"events": cur, "train": train},
    )
    db = run_project(root)
    x_edges = np.linspace(train["x"].min(), train["x"].max(), 7)[1:-1]
    expected = check_numeric(db, "drift", "x", train["x"], cur["x"], 6, list(x_edges))
    assert len(expected["_edges"]) == 5
    check_numeric(db, "drift", "y", train["y"], cur["y"], 6, [-1.5, -0.5, 0.0, 0.5, 1.5])


# --- exact or bounded KS and Wasserstein ------------------------------------------------------------------------


def test_exact_never_bounds_ks_and_wasserstein_from_cells_and_says_how_far_off_they_can_be(make_project) -> None:
    """Above `exact_max_rows` (or with `exact: never`) the KS statistic is a value the exact one takes at a cell
    boundary (a lower bound) and `ks_error` the distance to the upper bound; Wasserstein is the midpoint of its
    bounds, `wasserstein_error` half their width. The exact values are inside, and the binned metrics unchanged."""
    rng = np.random.default_rng(5)
    train = {"x": rng.lognormal(0, 1, 20_000)}
    cur = {"x": rng.lognormal(0.05, 1.1, 8_000)}
    cur["x"][:3] = [np.inf, -4.0, 500.0]  # beyond the baseline's range on both ends, and an infinity
    cur["ts"] = times(8_000, W0, rng)
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - {name: coarse, type: feature_drift, source: events, columns: [x], exact: never, cells: 64}
          - {name: fine, type: feature_drift, source: events, columns: [x], exact: auto, exact_max_rows: 1000}
          - {name: exact, type: feature_drift, source: events, columns: [x], exact: always, exact_max_rows: 1000}
        """,
        {"events": cur, "train": train},
    )
    result = run(root, end=END)
    db = Stored(root)
    ks = sps.ks_2samp(train["x"], cur["x"]).statistic
    finite = cur["x"][np.isfinite(cur["x"])]
    w = sps.wasserstein_distance(train["x"], finite)
    coarse, fine, exact = (db.metrics(m) for m in ("coarse", "fine", "exact"))
    for bounded in (coarse, fine):
        assert bounded[("x", "ks")] <= ks <= bounded[("x", "ks")] + bounded[("x", "ks_error")]
        assert abs(bounded[("x", "wasserstein")] - w) <= bounded[("x", "wasserstein_error")]
        assert bounded[("x", "ks_pvalue")] >= sps.ks_2samp(train["x"], cur["x"], method="asymp").pvalue
    # 64 cells against the default 65,536; with that many, a cell rarely holds values of both sides and the bound
    # is often tight
    assert coarse[("x", "ks_error")] > 0.01 > fine[("x", "ks_error")]
    assert fine[("x", "wasserstein_error")] < 1e-3  # in units of x: about one cell width (80 / 65,536)
    assert_close("ks", exact[("x", "ks")], ks)
    assert_close("wasserstein", exact[("x", "wasserstein")], w)
    assert exact[("x", "ks_error")] == exact[("x", "wasserstein_error")] == 0.0
    for metric in BINNED:
        assert coarse[("x", metric)] == exact[("x", metric)]
    # the exact plan above `exact_max_rows` runs in a statement of its own, so its memory does not add to others'
    compiled = compile_project(root, None, None, END)
    assert len(re.findall(r"^-- \d+\. distributions: ks_wasserstein$", compiled, re.MULTILINE)) == 1
    assert result.status == "success"
