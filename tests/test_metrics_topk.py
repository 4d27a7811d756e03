"""`topk_concentration` end to end: numpy data → DuckDB file → sqlmon run (every metric computed in SQL) →
sqlmon_metrics, against numpy/scipy on the per-value masses of the raw arrays."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from scipy import stats as sps

from tests.metrics_support import DAY, W0, Stored, assert_close, at, load, run_project, stack, times

METRICS = ("top_k_share", "hhi", "entropy_norm", "gini", "distinct_count", "dropped_values")


def masses(values, weights=None) -> dict:
    """Per-value mass (rows, or the sum of non-NULL weights); NULL values and values without mass left out."""
    mass: dict = defaultdict(float)
    for i, value in enumerate(values):
        if value is None:
            continue
        w = 1.0 if weights is None else weights[i]
        mass[value] += 0.0 if w is None or np.isnan(w) else w
    return {v: m for v, m in mass.items() if m > 0}


def reference(cur: dict, base: dict | None, k: int, min_share: float) -> dict[str, float]:
    x = np.array(list(cur.values()))
    n = len(x)
    p = x / x.sum()
    expected = {
        "top_k_share": np.sort(x)[::-1][:k].sum() / x.sum(),
        "hhi": np.sum(p**2),
        "entropy_norm": sps.entropy(p) / math.log(n) if n > 1 else 0.0,
        "gini": np.abs(x[:, None] - x[None, :]).sum() / (2 * n**2 * x.mean()),  # mean absolute difference
        "distinct_count": n,
    }
    if base is not None:
        total = sum(base.values())
        dropped = sorted(
            (v for v, m in base.items() if m / total >= min_share and v not in cur), key=lambda v: (-base[v], str(v))
        )
        expected["dropped_values"] = len(dropped)
        expected["_dropped"] = dropped
    return expected


def check(db: Stored, monitor: str, column: str, expected: dict) -> None:
    stored = db.metrics(monitor)
    for metric in METRICS:
        if metric in expected:
            assert_close(metric, stored[(column, metric)], expected[metric])
        else:
            assert (column, metric) not in stored


def _items(rng: np.random.Generator, n: int, catalogue: int, alpha: float, offset: int = 0) -> np.ndarray:
    """Zipf-like exposure over `catalogue` items named item_0000 …; `offset` shifts which items are popular."""
    ranks = np.arange(1, catalogue + 1)
    p = ranks**-alpha / np.sum(ranks**-alpha)
    picks = (rng.choice(catalogue, size=n, p=p) + offset) % catalogue
    return np.array([f"item_{i:04d}" for i in picks], dtype=object)


def test_concentration_against_the_previous_day(make_project) -> None:
    rng = np.random.default_rng(41)
    cur = {"item": _items(rng, 3000, 400, 1.3), "ts": times(3000, W0, rng)}
    cur["item"][cur["item"] == "item_0002"] = None  # NULL is no value; a popular baseline item vanishes
    previous = {"item": _items(rng, 4000, 500, 0.9, offset=3), "ts": times(4000, W0 - DAY, rng)}
    outside = {
        "item": np.array(["ghost_a"] * 300 + ["ghost_b"] * 200, dtype=object),
        "ts": np.concatenate([times(300, W0 - 2 * DAY, rng), at(W0 + DAY, 200)]),
    }
    root = load(
        make_project,
        """\
        sources:
          - name: recs
            table: main.recs
            timestamp: ts
            window: 1 day
            baseline: {previous: 1 day}
        """,
        """\
        monitors:
          - name: concentration
            type: topk_concentration
            source: recs
            column: item
            k: 5
            min_baseline_share: 0.0005
            thresholds:
              dropped_values: {warn: 0}
        """,
        {"recs": stack(outside, previous, cur)},
    )
    db = run_project(root)
    expected = reference(masses(cur["item"]), masses(previous["item"]), k=5, min_share=0.0005)
    assert expected["dropped_values"] > 10 and expected["distinct_count"] < 400
    check(db, "concentration", "item", expected)
    [(metric, value, severity, message)] = db.alerts("concentration")
    assert (metric, value, severity) == ("dropped_values", expected["dropped_values"], "warn")
    shown = expected["_dropped"][:10]  # the largest by baseline share, then by name
    assert message.endswith(f"dropped: {', '.join(shown)} (+{expected['dropped_values'] - 10} more)")


def test_weighted_mass_against_a_baseline_table(make_project) -> None:
    rng = np.random.default_rng(42)
    n_cur, n_base = 2500, 3000
    cur = {"item": rng.zipf(1.6, size=n_cur) % 300, "w": rng.exponential(2.0, size=n_cur), "ts": times(n_cur, W0, rng)}
    base = {"item": rng.zipf(1.4, size=n_base) % 350, "w": rng.exponential(1.0, size=n_base)}
    before = {"item": np.full(400, 999), "w": np.full(400, 1e6), "ts": times(400, W0 - DAY, rng)}
    cur_null_w = rng.random(n_cur) < 0.05
    root = load(
        make_project,
        """\
        sources:
          - name: recs
            table: main.recs
            timestamp: ts
            window: 1 day
            baseline: {table: main.base}
        """,
        """\
        monitors:
          - name: weighted
            type: topk_concentration
            source: recs
            column: item
            weight: w
            k: 10
            min_baseline_share: 0.001
          - name: rows
            type: topk_concentration
            source: recs
            column: item
            k: 1000
        """,
        {"recs": stack(before, cur), "base": base},
        nulls={"recs": {"w": np.concatenate([np.zeros(400, bool), cur_null_w])}},
    )
    db = run_project(root)
    weights = np.where(cur_null_w, np.nan, cur["w"])
    expected = reference(masses(cur["item"], weights), masses(base["item"], base["w"]), k=10, min_share=0.001)
    assert expected["dropped_values"] > 5
    check(db, "weighted", "item", expected)
    expected = reference(masses(cur["item"]), masses(base["item"]), k=1000, min_share=0.0001)
    assert expected["top_k_share"] == 1.0  # k beyond the distinct count
    check(db, "rows", "item", expected)


def test_single_value_is_fully_concentrated(make_project) -> None:
    rng = np.random.default_rng(43)
    cur = {"item": np.array(["only"] * 50, dtype=object), "ts": times(50, W0, rng)}
    root = load(
        make_project,
        """\
        sources:
          - name: recs
            table: main.recs
            timestamp: ts
            window: 1 day
        """,
        """\
        monitors:
          - name: one
            type: topk_concentration
            source: recs
            column: item
            k: 3
        """,
        {"recs": cur},
    )
    db = run_project(root)
    assert db.metrics("one") == {
        ("item", "top_k_share"): 1.0,
        ("item", "hhi"): 1.0,
        ("item", "entropy_norm"): 0.0,
        ("item", "gini"): 0.0,
        ("item", "distinct_count"): 1.0,
    }


def test_empty_window_gives_null_metrics_and_no_alert(make_project) -> None:
    rng = np.random.default_rng(44)
    other = {"item": _items(rng, 600, 50, 1.0), "ts": np.concatenate([times(300, W0 - DAY, rng), at(W0 + DAY, 300)])}
    root = load(
        make_project,
        """\
        sources:
          - name: recs
            table: main.recs
            timestamp: ts
            window: 1 day
            baseline: {previous: 1 day}
        """,
        """\
        monitors:
          - name: concentration
            type: topk_concentration
            source: recs
            column: item
            thresholds:
              top_k_share: {warn: 0.25, error: 0.4}
              hhi: {warn: [0.0, 0.01]}
              entropy_norm: {warn: 0.9, direction: below}
              gini: {warn: 0.3}
              dropped_values: {warn: 0, error: 10}
        """,
        {"recs": other},
    )
    db = run_project(root)
    # an empty window holds no distribution: nothing is concentrated, and nothing was dropped from it
    expected = {("item", m): None for m in METRICS}
    expected[("item", "distinct_count")] = 0.0
    assert db.metrics("concentration") == expected
    assert db.alerts("concentration") == []
    assert len(db.alerts("concentration", W0 - DAY)) >= 3  # the rules are live
    assert db.metrics("concentration", W0 - DAY)[("item", "dropped_values")] is None  # its baseline day is empty
