"""`prediction_histogram` end to end: numpy scores → DuckDB file → sqlmon run → sqlmon_metrics / sqlmon_histograms,
against numpy on the raw arrays."""

from __future__ import annotations

import numpy as np
import pytest

from tests import metrics_support as ref
from tests.metrics_support import DAY, W0, Stored, assert_close, at, load, run_project, stack, times

SOURCES = """\
sources:
  - name: scores
    table: main.scores
    timestamp: ts
    window: 1 day
    baseline: {table: main.train}
"""


def check(
    db: Stored, monitor: str, column: str, base: np.ndarray, cur: np.ndarray, edges: np.ndarray, threshold: float = 0.5
) -> None:
    """psi on `edges` and the moments of the current window; NaN (and NULL) scores are not scores."""
    base, cur = base[~np.isnan(base)], cur[~np.isnan(cur)]
    b, c = ref.bin_counts(base, edges), ref.bin_counts(cur, edges)
    stored = db.metrics(monitor)
    assert_close("psi", stored[(column, "psi")], ref.psi(b, c))
    assert_close("mean", stored[(column, "mean")], np.mean(cur))
    assert_close("stddev", stored[(column, "stddev")], np.std(cur, ddof=1))
    assert_close("positive_rate", stored[(column, "positive_rate")], np.mean(cur >= threshold))
    bounds = list(zip([None, *edges], [*edges, None], strict=True))
    for side, counts in (("baseline", b), ("current", c)):
        rows = db.histogram(monitor, column, side)
        assert [r[0] for r in rows] == list(range(len(bounds)))
        assert [(lo, hi) for _, lo, hi, *_ in rows] == bounds
        assert [r[4] for r in rows] == list(counts)
        assert [r[5] for r in rows] == pytest.approx(list(counts / counts.sum()), rel=1e-12, abs=0)


def _scores(rng: np.random.Generator, n: int, a: float, b: float) -> dict[str, np.ndarray]:
    score = rng.beta(a, b, size=n)
    rounded = rng.random(n) < 0.3
    score[rounded] = np.round(score[rounded], 1)  # exactly on edges (0.3, 0.5, …) and on the threshold
    score[rng.random(n) < 0.01] = 1.25  # outside [0, 1]: the open end bins
    score[rng.random(n) < 0.01] = -0.5
    score[rng.random(n) < 0.04] = np.nan
    signed = rng.uniform(-1, 1, size=n)
    on_edge = rng.random(n) < 0.3
    signed[on_edge] = np.round(signed[on_edge] * 4) / 4  # exactly on the edges −0.75, −0.5, … and on 0
    return {"score": score, "signed": signed, "milli": np.round(rng.beta(a, b, size=n) * 10_000) / 10_000}


def test_fixed_quantile_and_explicit_bins_with_moments_and_positive_rate(make_project) -> None:
    rng = np.random.default_rng(31)
    train = _scores(rng, 3000, 2.0, 5.0)
    cur = _scores(rng, 2000, 2.5, 4.0)
    before, after = _scores(rng, 500, 8.0, 1.0), _scores(rng, 100, 1.0, 9.0)
    cur["ts"], before["ts"], after["ts"] = times(2000, W0, rng), times(500, W0 - DAY, rng), at(W0 + DAY, 100)
    score_nulls = {"train": rng.random(3000) < 0.03, "scores": rng.random(2600) < 0.03}
    decimal = [f'ALTER TABLE main."{t}" ALTER milli TYPE DECIMAL(5,4)' for t in ("scores", "train")]
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - name: fixed
            type: prediction_histogram
            source: scores
            column: score
          - name: quantile
            type: prediction_histogram
            source: scores
            column: score
            binning: quantile
            bins: 20
          - name: explicit
            type: prediction_histogram
            source: scores
            column: score
            edges: [0.2, 0.5, 0.9]
            decision_threshold: 0.7
          - name: signed
            type: prediction_histogram
            source: scores
            column: signed
            range: [-1, 1]
            bins: 8
            decision_threshold: 0
          - name: decimal
            type: prediction_histogram
            source: scores
            column: milli
            binning: quantile
            bins: 7
        """,
        {"scores": stack(before, cur, after), "train": train},
        nulls={"train": {"score": score_nulls["train"]}, "scores": {"score": score_nulls["scores"]}},
        after=decimal,
    )
    db = run_project(root)
    base_score = np.where(score_nulls["train"], np.nan, train["score"])  # NULL is no score, like NaN
    cur_score = np.where(score_nulls["scores"][500:2500], np.nan, cur["score"])
    assert np.sum(cur_score == 0.5) > 10 and np.sum(cur_score == 0.3) > 10
    check(db, "fixed", "score", base_score, cur_score, np.arange(1, 10) / 10)
    check(db, "quantile", "score", base_score, cur_score, ref.quantile_edges(base_score[~np.isnan(base_score)], 20))
    check(db, "explicit", "score", base_score, cur_score, np.array([0.2, 0.5, 0.9]), threshold=0.7)
    check(db, "signed", "signed", train["signed"], cur["signed"], np.linspace(-1, 1, 9)[1:-1], threshold=0.0)
    check(db, "decimal", "milli", train["milli"], cur["milli"], ref.quantile_edges(train["milli"], 7))


def test_empty_window_gives_null_metrics_and_no_alert(make_project) -> None:
    rng = np.random.default_rng(32)
    train = {"score": rng.beta(2, 5, size=400)}
    other = {"score": rng.beta(9, 1, size=200), "ts": np.concatenate([times(100, W0 - DAY, rng), at(W0 + DAY, 100)])}
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - name: hist
            type: prediction_histogram
            source: scores
            column: score
            thresholds:
              psi: {warn: 0.1, error: 0.25}
              positive_rate: {warn: [0.1, 0.2], error: [0.05, 0.3]}
              mean: {warn: [0.2, 0.3], error: [0.1, 0.4]}
        """,
        {"scores": other, "train": train},
    )
    db = run_project(root)
    assert db.metrics("hist") == {("score", m): None for m in ("psi", "mean", "stddev", "positive_rate")}
    assert db.alerts("hist") == []
    assert [r[4] for r in db.histogram("hist", "score", "current")] == [0.0] * 10
    assert {a[0] for a in db.alerts("hist", W0 - DAY)} == {"psi", "positive_rate", "mean"}  # the rules are live


def test_one_score_has_no_stddev_and_a_constant_has_zero(make_project) -> None:
    rng = np.random.default_rng(33)
    train = {"one": rng.beta(2, 5, size=400), "const": np.full(400, 0.25)}
    cur = {"one": np.array([0.8, np.nan, np.nan]), "const": np.full(3, 0.25), "ts": times(3, W0, rng)}
    root = load(
        make_project,
        SOURCES,
        """\
        monitors:
          - name: one
            type: prediction_histogram
            source: scores
            column: one
          - name: const
            type: prediction_histogram
            source: scores
            column: const
            binning: quantile
        """,
        {"scores": cur, "train": train},
    )
    db = run_project(root)
    one = db.metrics("one")
    assert one[("one", "stddev")] is None  # the sample standard deviation of one value is not computable
    assert (one[("one", "mean")], one[("one", "positive_rate")]) == (0.8, 1.0)
    base = ref.bin_counts(train["one"], np.arange(1, 10) / 10)
    assert_close("psi", one[("one", "psi")], ref.psi(base, ref.bin_counts(np.array([0.8]), np.arange(1, 10) / 10)))
    const = db.metrics("const")
    assert [const[("const", m)] for m in ("psi", "mean", "stddev", "positive_rate")] == [0.0, 0.25, 0.0, 0.0]


def test_quantile_edges_are_numpys_inverted_cdf_at_any_bin_count(make_project) -> None:
    """n·k/bins lands on whole ranks for many k at n = 3000; numpy evaluates n·(k/bins) in double precision, and so
    must the SQL (QUANTILE_DISC with a rounded or even an exact q picks the neighbouring value at some k)."""
    rng = np.random.default_rng(34)
    train = {"score": rng.normal(size=3000)}
    cur = {"score": rng.normal(0.1, 1.0, size=500), "ts": times(500, W0, rng)}
    counts = (3, 12, 100)
    monitors = "monitors:\n" + "".join(
        f"  - {{name: q{bins}, type: prediction_histogram, source: scores, column: score, binning: quantile, "
        f"bins: {bins}}}\n"
        for bins in counts
    )
    root = load(make_project, SOURCES, monitors, {"scores": cur, "train": train})
    db = run_project(root)
    for bins in counts:
        check(db, f"q{bins}", "score", train["score"], cur["score"], ref.quantile_edges(train["score"], bins))
