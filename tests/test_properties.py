"""Property tests: random samples (ties, NaN, ±inf, tiny and huge values) through the real SQL on DuckDB, against
scipy, numpy and scikit-learn.

These call the executor directly on an in-memory DuckDB, so hypothesis can try hundreds of samples quickly; the
end-to-end path (YAML → run → results tables) is covered by tests/test_metrics_*.py on the same macros.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import spatial, special
from scipy import stats as sps
from sklearn import metrics as skm

from sqlmon import stats
from sqlmon.config.specs import DuckDBConnection, SourceSpec
from sqlmon.engines.duckdb import DuckDBEngine
from sqlmon.executor import Executor
from sqlmon.monitors.base import Distribution, MonitorContext, MonitorKind, Relation
from sqlmon.monitors.binning import bin_requests, edges_from_quantiles, quantile_requests
from sqlmon.monitors.calibration import Calibration, CalibrationSpec
from sqlmon.monitors.model_performance import ModelPerformance, ModelPerformanceSpec
from sqlmon.monitors.topk_concentration import TopkConcentration, TopkConcentrationSpec
from sqlmon.sql.compiler import SqlCompiler
from sqlmon.sql.types import ColumnInfo

BASE, CUR, PREDS = Relation("main.base"), Relation("main.cur"), Relation("main.preds")
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
    engine.execute("CREATE TABLE main.preds (s DOUBLE, y INTEGER)")
    engine.execute("CREATE TABLE main.items (c VARCHAR, w DOUBLE)")
    yield engine
    engine.close()


def _load(engine, base: list, cur: list, column: str) -> None:
    for table, values in (("main.base", base), ("main.cur", cur)):
        engine.execute(f"DELETE FROM {table}")
        if values:
            engine._con.executemany(f"INSERT INTO {table} ({column}) VALUES (?)", [[v] for v in values])


def _fill(engine, table: str, columns: str, rows: list[tuple]) -> None:
    engine.execute(f"DELETE FROM {table}")
    if rows:
        engine._con.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(rows[0]))})", rows)


def _run(engine, request) -> list[tuple]:
    return Executor(engine, SqlCompiler("duckdb")).run([request], "s", None)[request]


def _monitor(engine, kind: MonitorKind, spec, table: str, columns: dict[str, str]) -> dict[str, float | None]:
    """A monitor's metrics on a whole table, through its kind: its requests, the real SQL, and its `finalize`."""
    logical = {"DOUBLE": "float", "INTEGER": "integer", "VARCHAR": "string"}
    ctx = MonitorContext(
        source=SourceSpec(name="s", table=table),
        columns={name: ColumnInfo(name, sql_type, logical[sql_type]) for name, sql_type in columns.items()},
        current=Relation(table),
        window=None,
    )
    executor = Executor(engine, SqlCompiler("duckdb"))
    baseline = executor.run(kind.baseline_requests(spec, ctx), "s", None)
    window = executor.run(kind.window_requests(spec, ctx, baseline), "s", None)
    return {m.metric: m.value for m in kind.finalize(spec, ctx, baseline, window).metrics}


# the largest deviation from its reference seen per metric, printed at the end of the module (pytest -s)
WORST: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def _report_worst_deviations():
    yield
    if WORST:
        print("\nlargest deviations from the references:", ", ".join(f"{k} {v:.3g}" for k, v in sorted(WORST.items())))


def _close(metric: str, got: float | None, expected: float | None, tol: float) -> None:
    """`got` within `tol` of `expected`; a missing expected value (None or NaN) must be missing (None or NaN) too."""
    if expected is None or math.isnan(expected):
        assert got is None or math.isnan(got), f"{metric}: {got!r}, expected none"
        return
    assert got is not None, f"{metric}: None, expected {expected!r}"
    deviation = 0.0 if got == expected else abs(got - expected)
    WORST[metric] = max(WORST.get(metric, 0.0), deviation)
    assert deviation <= tol, f"{metric}: {got!r}, expected {expected!r} (off by {deviation:.3g} > {tol:.3g})"


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


# scores in [0, 1], heavily tied, with the clip points of log_loss, denormals and NaN (not scored)
probabilities = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, 0.5, 0.5, 0.25, 0.3, 0.7, 0.1, 1e-300, 5e-324, 2.0**-53, 1 - 2.0**-53]),
    st.sampled_from([0.0, 0.5, 1.0]),
    st.floats(0, 1),
    st.just(math.nan),
)
binary = st.sampled_from([0, 1, 1, 0, None])  # None: not labelled yet


def _labelled(rows: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
    kept = [(s, y) for s, y in rows if y is not None and not math.isnan(s)]
    return np.array([s for s, _ in kept], dtype=float), np.array([y for _, y in kept], dtype=int)


@SETTINGS
@given(
    rows=st.lists(st.tuples(probabilities, binary), max_size=80),
    threshold=st.one_of(st.sampled_from([0.5, 0.0, 1.0, 0.3, 1e-300]), st.floats(0, 1)),
)
def test_classification_metrics_in_sql_match_scikit_learn(engine, rows, threshold):
    _fill(engine, "main.preds", "s, y", rows)
    spec = ModelPerformanceSpec(
        name="m",
        type="model_performance",
        source="s",
        task="classification",
        prediction="s",
        label="y",
        decision_threshold=threshold,
    )
    got = _monitor(engine, ModelPerformance(), spec, "main.preds", {"s": "DOUBLE", "y": "INTEGER"})
    s, y = _labelled(rows)
    scored = [v for v, _ in rows if not math.isnan(v)]
    _close("positive_rate", got["positive_rate"], np.mean(np.array(scored) >= threshold) if scored else None, 1e-12)
    _close("label_rate", got["label_rate"], len(s) / len(scored) if scored else None, 1e-12)
    if len(s) == 0:
        assert all(got[m] is None for m in ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier"))
        return
    auc = skm.roc_auc_score(y, s) if 0 < y.sum() < len(y) else None
    _close("roc_auc", got["roc_auc"], auc, 1e-12)
    predicted = (s >= threshold).astype(int)
    _close("accuracy", got["accuracy"], skm.accuracy_score(y, predicted), 1e-9)
    for metric, reference in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
        _close(metric, got[metric], reference(y, predicted, zero_division=np.nan), 1e-9)
    log_loss = skm.log_loss(y, s, labels=[0, 1])
    _close("log_loss", got["log_loss"], log_loss, 1e-9 * max(1.0, log_loss))
    _close("brier", got["brier"], skm.brier_score_loss(y, s, labels=[0, 1]), 1e-9)


@SETTINGS
@given(scores=samples, labels=st.lists(binary, min_size=60, max_size=60))
def test_roc_auc_in_sql_matches_scikit_learn_on_any_scores(engine, scores, labels):
    """AUC only ranks the scores: ties, -0.0, ±1e-300, ±1e300 and ±inf (scikit-learn gets ±inf as ±float max)."""
    rows = list(zip(scores, labels, strict=False))
    _fill(engine, "main.preds", "s, y", rows)
    request = Distribution.of("model_performance.roc_auc", prediction="s", floating=True, label="y", current=PREDS)
    [(_, auc, _)] = _run(engine, request)
    s, y = _labelled(rows)
    if not 0 < y.sum() < len(y):
        assert auc is None
        return
    big = np.finfo(float).max
    _close("roc_auc", auc, skm.roc_auc_score(y, np.clip(s, -big, big)), 1e-12)


def _psi(p: np.ndarray, q: np.ndarray, floor: float = 1e-4) -> float:
    """PSI as docs/monitors.md defines it: both proportions floored at 1e-4, not renormalised."""
    total = 0.0
    for pi, qi in zip(p, q, strict=True):
        pi, qi = max(pi, floor), max(qi, floor)
        total += (qi - pi) * math.log(qi / pi)
    return total


@SETTINGS
@given(base=samples, cur=samples, bins=st.integers(2, 12), overlap=st.sampled_from(["none", "same", "close"]))
def test_bin_counts_at_quantile_edges_in_sql_match_numpy_and_give_scipy_distances(engine, base, cur, bins, overlap):
    """Counts at the baseline's quantile edges, exactly as numpy bins; psi/js/kl/hellinger on them as scipy."""
    if overlap == "same":  # identical distributions: every distance must be 0
        cur = base[::-1]
    elif overlap == "close":  # nearly identical: where a naive JS or Hellinger loses its digits
        cur = base * 3 + cur[:2]
    _load(engine, base, cur, "x")
    column = ColumnInfo("x", "DOUBLE", "float")
    edge_requests = quantile_requests(BASE, column, bins)
    executor = Executor(engine, SqlCompiler("duckdb"))
    edges = edges_from_quantiles(edge_requests, executor.run(edge_requests, "s", None))
    base_bins, cur_bins = bin_requests(BASE, column, edges), bin_requests(CUR, column, edges)
    counted = executor.run(base_bins + cur_bins, "s", None)
    b_sql = [float(counted[r]) for r in base_bins]
    c_sql = [float(counted[r]) for r in cur_bins]

    a, c = np.array(base, dtype=float), np.array(cur, dtype=float)
    a, c = a[~np.isnan(a)], c[~np.isnan(c)]
    inner = np.unique([np.quantile(a, k / bins, method="inverted_cdf") for k in range(1, bins)]) if len(a) else []
    assert edges == list(inner)
    b_np = np.bincount(np.searchsorted(inner, a, side="right"), minlength=len(inner) + 1).astype(float)
    c_np = np.bincount(np.searchsorted(inner, c, side="right"), minlength=len(inner) + 1).astype(float)
    assert (b_sql, c_sql) == (list(b_np), list(c_np))

    got = {m: getattr(stats, m)(b_sql, c_sql) for m in ("psi", "js", "kl", "hellinger")}
    if not b_np.sum() or not c_np.sum():
        assert all(math.isnan(v) for v in got.values())
        return
    p, q = b_np / b_np.sum(), c_np / c_np.sum()
    _close("psi", got["psi"], _psi(p, q), 1e-9)
    _close("js", got["js"], float(spatial.distance.jensenshannon(p, q, base=2)), 1e-9)
    _close("kl", got["kl"], float(special.rel_entr(q, np.where(p > 0, p, 1e-4)).sum()), 1e-9)
    if np.all(p[q > 0] > 0):  # no floor where it matters: the textbook KL
        _close("kl", got["kl"], float(sps.entropy(q, p)), 1e-9)
    hellinger = spatial.distance.euclidean(np.sqrt(p), np.sqrt(q)) / math.sqrt(2)
    _close("hellinger", got["hellinger"], hellinger, 1e-9)
    if overlap == "same":
        assert got == {"psi": 0.0, "js": 0.0, "kl": 0.0, "hellinger": 0.0}


ITEMS = ["a", "b", "c", "d'quote", 'e"dq', "F", "f", "", " "]
# weights as multiples of a power of two per item, so each item's mass is the same whatever order a SUM adds it in,
# and items whose masses differ by up to 2**1000 (not more: see the xfail test below on shares that underflow to 0)
multiples = st.one_of(st.integers(-3, 8).map(float), st.sampled_from([0.5, 0.25]), st.none())
scales = st.lists(st.sampled_from([1.0, 1.0, 2.0**-500, 2.0**500]), min_size=len(ITEMS), max_size=len(ITEMS))


def _concentration(x: np.ndarray, k: int) -> dict[str, float | None]:
    """The docs/monitors.md references of `topk_concentration` on the positive masses x."""
    n = len(x)
    if n == 0:
        return {"top_k_share": None, "hhi": None, "entropy_norm": None, "gini": None, "distinct_count": 0.0}
    return {
        "top_k_share": np.sort(x)[::-1][:k].sum() / x.sum(),
        "hhi": np.sum((x / x.sum()) ** 2),
        "entropy_norm": sps.entropy(x) / np.log(n) if n > 1 else 0.0,
        "gini": np.abs(x[:, None] - x[None, :]).sum() / (2 * n**2 * x.mean()),
        "distinct_count": float(n),
    }


@SETTINGS
@given(
    items=st.lists(st.sampled_from([*ITEMS, None]), max_size=80),
    k=st.integers(1, 10),
    weighted=st.booleans(),
    data=st.data(),
)
def test_topk_concentration_in_sql_matches_numpy(engine, items, k, weighted, data):
    weights = [None] * len(items)
    if weighted:
        multiple = data.draw(st.lists(multiples, min_size=len(items), max_size=len(items)))
        scale = dict(zip(ITEMS, data.draw(scales), strict=True))
        weights = [None if m is None or i is None else m * scale[i] for i, m in zip(items, multiple, strict=True)]
    _fill(engine, "main.items", "c, w", list(zip(items, weights, strict=True)))
    spec = TopkConcentrationSpec(
        name="t", type="topk_concentration", source="s", column="c", k=k, weight="w" if weighted else None
    )
    got = _monitor(engine, TopkConcentration(), spec, "main.items", {"c": "VARCHAR", "w": "DOUBLE"})
    mass: dict[str, list[float]] = {}
    for item, weight in zip(items, weights, strict=True):
        if item is not None:
            mass.setdefault(item, []).append(1.0 if not weighted else weight if weight is not None else 0.0)
    x = np.array([m for m in (math.fsum(v) for v in mass.values()) if m > 0])
    for metric, expected in _concentration(x, k).items():
        _close(metric, got[metric], expected, 1e-9)


def test_topk_entropy_norm_of_masses_more_than_2_to_the_1074_apart(engine):
    """A share below the smallest double rounds to 0 and contributes 0 · ln 0 = 0, as in scipy.stats.entropy (found
    by hypothesis: it was NaN, stored as NULL)."""
    _fill(engine, "main.items", "c, w", [("a", 1e-300), ("b", 1e30)])
    spec = TopkConcentrationSpec(name="t", type="topk_concentration", source="s", column="c", k=1, weight="w")
    got = _monitor(engine, TopkConcentration(), spec, "main.items", {"c": "VARCHAR", "w": "DOUBLE"})
    assert got["entropy_norm"] == sps.entropy([1e-300, 1e30]) / math.log(2) == 0.0


calibration_bins = st.integers(2, 20)
# scores on the bin edges k / bins (as the SQL's edges are computed), anywhere in [0, 1], and outside it
edge_scores = st.sampled_from(sorted({k / b for b in range(2, 21) for k in range(b + 1)}))
scores = st.one_of(edge_scores, edge_scores, st.floats(0, 1), st.sampled_from([-0.0, -0.5, 1.5, 1e-300, math.nan]))


@SETTINGS
@given(rows=st.lists(st.tuples(scores, binary), max_size=80), bins=calibration_bins)
def test_calibration_errors_in_sql_match_numpy_over_left_closed_bins(engine, rows, bins):
    _fill(engine, "main.preds", "s, y", rows)
    spec = CalibrationSpec(name="c", type="calibration", source="s", prediction="s", label="y", bins=bins)
    got = _monitor(engine, Calibration(), spec, "main.preds", {"s": "DOUBLE", "y": "INTEGER"})
    s, y = _labelled(rows)
    if len(s) == 0:
        assert got == {"ece": None, "mce": None}
        return
    index = np.searchsorted(np.array([k / bins for k in range(1, bins)]), s, side="right")
    n = np.bincount(index, minlength=bins)
    filled = n > 0
    gaps = np.abs(
        np.bincount(index, weights=y, minlength=bins)[filled] / n[filled]
        - np.bincount(index, weights=s, minlength=bins)[filled] / n[filled]
    )
    _close("ece", got["ece"], float(np.sum(n[filled] / len(s) * gaps)), 1e-9)
    _close("mce", got["mce"], float(gaps.max()), 1e-9)
