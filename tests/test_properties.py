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
