"""Property tests: random samples (ties, NaN, ±inf, tiny and huge values) through the real SQL on DuckDB, against scipy.

These call the planner directly on an in-memory DuckDB, so hypothesis can try hundreds of samples quickly; the
end-to-end path (YAML → run → results tables) is covered by tests/test_metrics_*.py on the same macros.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from sqlmon import stats
from sqlmon.config.specs import DuckDBConnection
from sqlmon.engines.duckdb import DuckDBEngine
from sqlmon.monitors.base import Distribution, Relation
from sqlmon.planner import Executor
from sqlmon.sql.compiler import SqlCompiler

BASE, CUR = Relation("main.base"), Relation("main.cur")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# values with many ties, extremes and special floats
pool = st.sampled_from([0.0, -0.0, 1.0, 1.0 + 1e-12, 2.5, -3.0, 1e-300, -1e-300, 1e300, -1e300, 7.0, 7.0])
numbers = st.one_of(pool, st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False), st.integers(-5, 5).map(float))
specials = st.sampled_from([math.nan, math.inf, -math.inf])
samples = st.lists(st.one_of(numbers, numbers, numbers, specials), min_size=0, max_size=60)
categories = st.lists(st.sampled_from(["a", "b", "c", "d'quote", 'e"dq', "F", "f"]), min_size=0, max_size=80)


@pytest.fixture(scope="module")
def engine():
    engine = DuckDBEngine.open(DuckDBConnection(path=":memory:"), Path("."))
    engine.execute("CREATE TABLE main.base (x DOUBLE, c VARCHAR)")
    engine.execute("CREATE TABLE main.cur (x DOUBLE, c VARCHAR)")
    yield engine
    engine.close()


def _load(engine, base: list, cur: list, column: str) -> None:
    for table, values in (("main.base", base), ("main.cur", cur)):
        engine.execute(f"DELETE FROM {table}")
        if values:
            engine._con.executemany(f"INSERT INTO {table} ({column}) VALUES (?)", [[v] for v in values])


def _run(engine, request) -> list[tuple]:
    return Executor(engine, SqlCompiler("duckdb")).run([request], "s", None)[request]


@SETTINGS
@given(base=samples, cur=samples)
def test_exact_ks_and_wasserstein_in_sql_match_scipy(engine, base, cur):
    _load(engine, base, cur, "x")
    request = Distribution.of(
        "feature_drift.ks_wasserstein", column="x", floating=True, floating_base=True, current=CUR, baseline=BASE
    )
    [(_, ks, wasserstein)] = _run(engine, request)
    a, b = np.array(base), np.array(cur)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) == 0 or len(b) == 0:
        assert ks is None
        return
    assert ks == pytest.approx(sps.ks_2samp(a, b, method="asymp").statistic, abs=1e-12)
    fa, fb = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(fa) == 0 or len(fb) == 0:
        assert wasserstein is None
        return
    expected = sps.wasserstein_distance(fa, fb)
    assert wasserstein == pytest.approx(expected, rel=1e-9, abs=1e-9 * max(1.0, np.abs(np.r_[fa, fb]).max()))


def cell_bounds(a: np.ndarray, b: np.ndarray, lo: float, hi: float, cells: int) -> dict[str, tuple[float, float]]:
    """numpy replica of `feature_drift.ks_wasserstein_binned`: count both samples in cells, bound KS and W1."""
    last = 1 if lo == hi else cells
    width = 0.0 if lo == hi else (hi - lo) / cells

    def cell(x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", over="ignore"):
            inner = np.ones_like(x) if width == 0 else np.minimum(last, 1 + np.floor((x - lo) / width))
        return np.where(x < lo, 0, np.where(x > hi, last + 1, inner)).astype(int)

    def cdfs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counts = np.bincount(cell(x), minlength=last + 2).astype(float)
        cum = np.cumsum(counts) / counts.sum()
        return cum, np.r_[0.0, cum[:-1]]

    fb, pb = cdfs(a)
    fc, pc = cdfs(b)
    ks = (float(np.max(np.abs(fb - fc))), float(np.max(np.maximum(fb - pc, fc - pb))))
    if width == 0:
        ks = (ks[0], float(max(np.max(np.maximum(fb - pc, fc - pb)[[0, 2]]), abs(fb[1] - fc[1]))))
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    gb, pgb = cdfs(a)
    gc, pgc = cdfs(b)
    tails = (np.sum(lo - b[b < lo]) + np.sum(b[b > hi] - hi)) / len(b)
    inner = slice(1, last + 1)
    low = width * np.maximum(0, np.maximum(pgb - gc, pgc - gb))[inner].sum()
    up = width * np.maximum(gb - pgc, gc - pgb)[inner].sum()
    return {"ks": ks, "wasserstein": (float(low + tails), float(up + tails))}


@SETTINGS
@given(base=samples, cur=samples, cells=st.sampled_from([16, 17, 64, 1000]))
def test_bounded_ks_and_wasserstein_contain_the_exact_values_and_match_numpy(engine, base, cur, cells):
    """`exact: never`: KS ∈ [L, U] and W1 ∈ [low, up] around scipy's exact values, the SQL equal to numpy's replica."""
    a, b = np.array(base, dtype=float), np.array(cur, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    fa, fb = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(fa) == 0 or len(b) == 0 or not math.isfinite(fa.max() - fa.min()):
        return  # sqlmon computes exactly then: nothing to cut into cells
    _load(engine, base, cur, "x")
    lo, hi = float(fa.min()), float(fa.max())
    request = Distribution.of(
        "feature_drift.ks_wasserstein_binned",
        column="x",
        floating=True,
        floating_base=True,
        current=CUR,
        baseline=BASE,
        lo=lo,
        hi=hi,
        cells=cells,
    )
    got = {k: (lo_, up_) for k, lo_, up_ in _run(engine, request)}
    expected = cell_bounds(a, b, lo, hi, cells)
    assert got["ks"] == pytest.approx(expected["ks"], abs=1e-12)
    ks = sps.ks_2samp(a, b, method="asymp").statistic
    assert got["ks"][0] - 1e-12 <= ks <= got["ks"][1] + 1e-12
    if len(fb) == 0:
        assert got["wasserstein"] == (None, None)
        return
    scale = max(1.0, np.abs(np.r_[fa, fb]).max())
    assert got["wasserstein"] == pytest.approx(expected["wasserstein"], rel=1e-9, abs=1e-9 * scale)
    w = sps.wasserstein_distance(fa, fb)
    assert got["wasserstein"][0] - 1e-9 * scale <= w <= got["wasserstein"][1] + 1e-9 * scale


@SETTINGS
@given(base=categories, cur=categories)
def test_category_counts_in_sql_give_scipy_chi2(engine, base, cur):
    _load(engine, base, cur, "c")
    request = Distribution.of(
        "feature_drift.category_counts", column="c", current=CUR, baseline=BASE, max_categories=50
    )
    rows = _run(engine, request)
    counted = {k: (a, b) for k, a, b in rows}
    names = sorted(set(base) | set(cur))
    assert counted == {n: (float(base.count(n)), float(cur.count(n))) for n in names}
    statistic, pvalue, _ = stats.chi2_two_sample([a for a, _ in counted.values()], [b for _, b in counted.values()])
    table = np.array([[base.count(n) for n in names], [cur.count(n) for n in names]], dtype=float)
    if not base or not cur:
        assert math.isnan(statistic)
    elif len(names) == 1:
        assert (statistic, pvalue) == (0.0, 1.0)
    else:
        reference = sps.chi2_contingency(table, correction=False)
        assert statistic == pytest.approx(reference.statistic, rel=1e-12, abs=1e-12)
        assert pvalue == pytest.approx(reference.pvalue, rel=1e-12, abs=1e-15)


@SETTINGS
@given(base=samples, bins=st.integers(2, 12))
def test_quantile_edges_in_sql_match_numpy_inverted_cdf(engine, base, bins):
    _load(engine, base, [], "x")
    request = Distribution.of("common.quantiles", rel=BASE, column="x", floating=True, bins=bins)
    edges = sorted({a for _, a, _ in _run(engine, request)})
    a = np.array(base)
    a = a[~np.isnan(a)]
    expected = (
        sorted({float(np.quantile(a, k / bins, method="inverted_cdf")) for k in range(1, bins)}) if len(a) else []
    )
    assert edges == expected
