"""estimated_performance: what a calibrated score promises, checked against numpy and against simulated truth.

1. On the same rows, the SQL's expected confusion matrix equals numpy's (a sum of p or 1 − p per cell).
2. When the scores are calibrated (y ~ Bernoulli(p)), the estimate lands within 4 standard errors of the accuracy,
   precision and recall that scikit-learn measures on the labels — also after a covariate shift that moves the scores
   toward 0.5, where both fall by the same amount.
3. When the scores are overconfident, the estimate is too optimistic, and the baseline checks say so.

The standard errors are those of the realised metric given the scores: each label is an independent Bernoulli(p),
so the number of correct decisions has variance Σ p(1 − p) (whichever way each row is decided).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from sqlmon.runner import run
from tests.conftest import query

DAY1 = datetime(2026, 3, 10)
DAY2 = DAY1 + timedelta(days=1)
SOURCES = """\
sources:
  - {{name: preds, table: main.preds, timestamp: ts, window: 1 day{baseline}}}
monitors:
  - {{name: est, type: estimated_performance, source: preds, prediction: score{keys}}}
"""
N = 20_000


def _project(
    make_project, days: list[np.ndarray], keys: str = "", train: pd.DataFrame | None = None, invalid: tuple = ()
):
    """One row per score, every day's rows inside its own daily window (4 s apart: 20k rows fit in a day).

    `invalid` scores are added to the first day in SQL: pandas would turn NaN into NULL on the way in.
    """
    frames = [
        pd.DataFrame(
            {"ts": pd.to_datetime([day + timedelta(seconds=4 * i) for i in range(len(s))]), "score": s.astype(float)}
        )
        for day, s in zip((DAY1, DAY2), days, strict=False)
    ]
    tables = {"preds": pd.concat(frames, ignore_index=True)}
    baseline = ""
    if train is not None:
        tables["train"] = train
        baseline = ", baseline: {table: main.train}"
    root = make_project(SOURCES.format(baseline=baseline, keys=keys), tables=tables)
    if invalid:
        con = duckdb.connect(str(root / "warehouse.duckdb"))
        con.executemany("INSERT INTO main.preds VALUES (?, CAST(? AS DOUBLE))", [[DAY1, v] for v in invalid])
        con.close()
    assert run(root, end=DAY1 + timedelta(days=len(days))).status == "success"
    return root


def _metrics(root, day: datetime) -> dict[str, float | None]:
    return dict(query(root, "SELECT metric, value FROM sqlmon.sqlmon_metrics WHERE window_start = ?", [day]))


def expected_cells(p: np.ndarray, t: float) -> dict[str, float]:
    """The reference: the expected confusion matrix of calibrated scores p at threshold t."""
    positive = p >= t
    return {
        "tp": p[positive].sum(),
        "fp": (1 - p[positive]).sum(),
        "fn": p[~positive].sum(),
        "tn": (1 - p[~positive]).sum(),
    }


def cells_from_metrics(got: dict[str, float | None]) -> dict[str, float]:
    """The expected cells recovered from the stored ratios (they are all a monitor stores)."""
    n = got["scored_count"]
    positives = got["expected_positive_rate"] * n  # E[TP] + E[FN]
    tp = got["expected_recall"] * positives
    fp = tp / got["expected_precision"] - tp
    return {"tp": tp, "fp": fp, "fn": positives - tp, "tn": got["expected_accuracy"] * n - tp}


def realised_with_standard_errors(p: np.ndarray, y: np.ndarray, t: float) -> dict[str, tuple[float, float]]:
    """scikit-learn's accuracy, precision and recall on the labels, each with its standard error given the scores.

    Accuracy and precision are sums of independent Bernoullis over a fixed set of rows: SE = √Σ p(1 − p) / rows.
    Recall R = TP / (TP + FN) divides two independent sums; by the delta method
    SE ≈ √((1 − R)² Var TP + R² Var FN) / E[TP + FN].
    """
    predicted = (p >= t).astype(int)
    var = p * (1 - p)
    var_tp, var_fn = var[predicted == 1].sum(), var[predicted == 0].sum()
    e = expected_cells(p, t)
    recall = e["tp"] / (e["tp"] + e["fn"])
    return {
        "accuracy": (skm.accuracy_score(y, predicted), np.sqrt(var.sum()) / len(p)),
        "precision": (skm.precision_score(y, predicted), np.sqrt(var_tp) / predicted.sum()),
        "recall": (
            skm.recall_score(y, predicted),
            np.sqrt((1 - recall) ** 2 * var_tp + recall**2 * var_fn) / (e["tp"] + e["fn"]),
        ),
    }


# --- 1. the SQL computes exactly the expected confusion matrix ------------------------------------------------------


def test_expected_cells_match_numpy_on_the_same_rows(make_project):
    rng = np.random.default_rng(21)
    p = np.round(rng.beta(2, 3, 3000), 3)
    p[:4] = [0.0, 1.0, 0.3, 0.3]  # certain scores, and scores exactly at the threshold (predicted positive)
    invalid = (None, "NaN", 1.2, -0.1, "Infinity", "-Infinity")
    root = _project(make_project, [p], ", decision_threshold: 0.3", invalid=invalid)
    got = _metrics(root, DAY1)

    # NULL and NaN are not scores; ±inf, 1.2 and −0.1 are scores but no probabilities: left out, and counted.
    assert got["scored_count"] == 3000
    assert got["out_of_range_count"] == 4
    expected, measured = expected_cells(p, 0.3), cells_from_metrics(got)
    deviation = max(abs(measured[c] - expected[c]) / max(1.0, expected[c]) for c in expected)
    print(f"largest relative deviation of an expected cell from numpy: {deviation:.3g}")
    assert deviation <= 1e-9
    e = expected
    assert got["expected_accuracy"] == pytest.approx((e["tp"] + e["tn"]) / 3000, abs=1e-12)
    assert got["expected_precision"] == pytest.approx(p[p >= 0.3].mean(), abs=1e-12)
    assert got["expected_recall"] == pytest.approx(e["tp"] / p.sum(), abs=1e-12)
    assert got["expected_f1"] == pytest.approx(2 * e["tp"] / (2 * e["tp"] + e["fp"] + e["fn"]), abs=1e-12)
    assert got["expected_positive_rate"] == pytest.approx(p.mean(), abs=1e-12)
    assert {"baseline_ece", "baseline_accuracy_gap"}.isdisjoint(got)  # no label, no baseline: not stored


def test_out_of_range_scores_are_an_error_by_default(make_project):
    root = _project(make_project, [np.array([0.2, 0.9, 3.5])])
    [(metric, value, severity)] = query(root, "SELECT metric, value, severity FROM sqlmon.sqlmon_alerts")
    assert (metric, value, severity) == ("out_of_range_count", 1.0, "error")
    assert _metrics(root, DAY1)["expected_accuracy"] == pytest.approx((0.8 + 0.9) / 2)


def test_a_window_without_scores_estimates_nothing(make_project):
    root = _project(make_project, [np.array([])], invalid=(None, "NaN"))
    got = _metrics(root, DAY1)
    assert got["scored_count"] == 0 and got["out_of_range_count"] == 0
    assert all(got[m] is None for m in ("expected_accuracy", "expected_precision", "expected_recall", "expected_f1"))


def test_precision_is_not_computable_without_positive_decisions(make_project):
    got = _metrics(_project(make_project, [np.array([0.1, 0.2, 0.4])]), DAY1)
    assert got["expected_precision"] is None
    assert got["expected_recall"] == 0.0 and got["expected_accuracy"] == pytest.approx((0.9 + 0.8 + 0.6) / 3)


# --- 2. calibrated scores: the estimate tracks the truth, also under covariate shift --------------------------------

CONFIDENT = (0.4, 0.6)  # Beta parameters: most scores near 0 or 1, a confident model on familiar inputs
UNSURE = (3.0, 4.0)  # the same model on shifted inputs: scores bunch around 0.43


def _calibrated(rng: np.random.Generator, a: float, b: float, n: int = N) -> tuple[np.ndarray, np.ndarray]:
    """Scores p ~ Beta(a, b) that are calibrated by construction: each label is drawn as y ~ Bernoulli(p)."""
    p = rng.beta(a, b, n)
    return p, (rng.random(n) < p).astype(int)


def test_calibrated_scores_estimate_the_realised_metrics_and_their_drop_under_covariate_shift(make_project):
    rng = np.random.default_rng(2024)
    (p1, y1), (p2, y2) = _calibrated(rng, *CONFIDENT), _calibrated(rng, *UNSURE)
    train_p, train_y = _calibrated(rng, *CONFIDENT)
    train = pd.DataFrame({"score": train_p, "label": train_y.astype(bool)})
    root = _project(make_project, [p1, p2], ", label: label", train=train)

    report = []
    estimates, truths = {}, {}
    for day, p, y in ((DAY1, p1, y1), (DAY2, p2, y2)):
        got, truth = _metrics(root, day), realised_with_standard_errors(p, y, 0.5)
        for metric, (realised, se) in truth.items():
            estimate = got[f"expected_{metric}"]
            report.append(f"{day:%m-%d} {metric}: estimate {estimate:.4f}, realised {realised:.4f} ± {se:.4f}")
            assert abs(estimate - realised) <= 4 * se, report[-1]
            estimates[day, metric], truths[day, metric] = estimate, (realised, se)
    print("\n".join(report))

    # The shift costs real accuracy, and the estimate sees the same drop before any label of day 2 is in.
    est_drop = estimates[DAY1, "accuracy"] - estimates[DAY2, "accuracy"]
    (r1, se1), (r2, se2) = truths[DAY1, "accuracy"], truths[DAY2, "accuracy"]
    print(f"accuracy drop: estimated {est_drop:.4f}, realised {r1 - r2:.4f} ± {np.hypot(se1, se2):.4f}")
    assert r1 - r2 > 0.15
    assert abs(est_drop - (r1 - r2)) <= 4 * np.hypot(se1, se2)

    # On a calibrated baseline the assumption checks out: small ECE, and no gap beyond sampling noise.
    got = _metrics(root, DAY1)
    gap_se = np.sqrt((train_p * (1 - train_p)).sum()) / N
    ece, gap = got["baseline_ece"], got["baseline_accuracy_gap"]
    print(f"calibrated baseline: baseline_ece {ece:.4f}, baseline_accuracy_gap {gap:.4f} ± {gap_se:.4f}")
    assert ece < 0.02
    assert abs(gap) <= 4 * gap_se


# --- 3. miscalibrated scores: the estimate is biased, and in a known direction -------------------------------------


def test_overconfident_scores_overstate_performance_and_the_baseline_checks_show_it(make_project):
    # The model says p, but the truth is only halfway from 0.5 to p: it is overconfident.
    rng = np.random.default_rng(7)
    p = rng.beta(*CONFIDENT, N)
    y = (rng.random(N) < 0.5 + 0.5 * (p - 0.5)).astype(int)
    train = pd.DataFrame({"score": p, "label": y})  # the same rows serve as a labelled baseline
    root = _project(make_project, [p], ", label: label", train=train)
    got, truth = _metrics(root, DAY1), realised_with_standard_errors(p, y, 0.5)

    for metric in ("accuracy", "precision"):
        realised, se = truth[metric]
        print(f"overconfident {metric}: estimate {got[f'expected_{metric}']:.4f}, realised {realised:.4f} ± {se:.4f}")
        assert got[f"expected_{metric}"] - realised > 4 * se  # too optimistic, far beyond noise
    assert got["baseline_accuracy_gap"] == pytest.approx(got["expected_accuracy"] - truth["accuracy"][0], abs=1e-12)
    assert got["baseline_ece"] > 0.1
    print(f"baseline_ece {got['baseline_ece']:.4f}")


def test_label_shift_breaks_the_assumption_and_the_estimate_lags_behind(make_project):
    # x | y ~ N(±1, 1), and the model's score is the exact posterior for a prior of 30 % positives: calibrated there.
    # Then the prior moves to 60 % with P(x | y) unchanged (label shift): the same x is now more likely positive
    # than its score says, so every estimate built on p undershoots.
    rng = np.random.default_rng(11)
    y = (rng.random(N) < 0.6).astype(int)
    x = rng.normal(2.0 * y - 1.0, 1.0)
    odds = 0.3 / 0.7 * np.exp(2 * x)
    p = odds / (1 + odds)
    got, truth = _metrics(_project(make_project, [p]), DAY1), realised_with_standard_errors(p, y, 0.5)

    realised, se = truth["precision"]
    print(f"label shift precision: estimate {got['expected_precision']:.4f}, realised {realised:.4f} ± {se:.4f}")
    assert realised - got["expected_precision"] > 4 * se
    share_se = np.sqrt((p * (1 - p)).sum()) / N
    print(f"label shift positive share: estimate {got['expected_positive_rate']:.4f}, realised {y.mean():.4f}")
    assert y.mean() - got["expected_positive_rate"] > 4 * share_se


# --- configuration -----------------------------------------------------------------------------------------------


def _validate(make_project, baseline: str, keys: str, train_sql: str | None = None) -> tuple[int, str]:
    from click.testing import CliRunner

    from sqlmon.cli import main

    setup = ["CREATE TABLE main.preds (ts TIMESTAMP, score DOUBLE, label BOOLEAN)"]
    root = make_project(
        SOURCES.format(baseline=baseline, keys=keys), setup_sql=setup + ([train_sql] if train_sql else [])
    )
    result = CliRunner().invoke(main, ["validate", "-p", str(root)])
    return result.exit_code, result.stderr


def test_without_a_label_the_baseline_is_not_read_so_it_needs_no_score(make_project):
    table = ", baseline: {table: main.train}"
    assert _validate(make_project, table, "", "CREATE TABLE main.train (amount DOUBLE)") == (0, "")


def test_a_label_needs_a_baseline_to_be_read_on(make_project):
    code, stderr = _validate(make_project, "", ", label: label")
    assert code == 2
    assert (
        "monitors/monitors.yml:4: monitors[0].label: the label is read on the baseline only, and this monitor has none"
        " (set a baseline with labels (`table` or `previous`), or remove `label`)"
    ) in stderr


def test_the_label_must_be_a_0_1_column_of_the_baseline_table(make_project):
    train = "CREATE TABLE main.train (score DOUBLE, outcome VARCHAR)"
    code, stderr = _validate(make_project, ", baseline: {table: main.train}", ", label: outcome", train)
    assert code == 2
    assert "monitors[0].label: column `outcome` has type VARCHAR in main.train; a label must be integer or boolean" in (
        stderr
    )


def test_the_label_must_exist_in_the_baseline_table_even_if_the_source_has_it(make_project):
    train = "CREATE TABLE main.train (score DOUBLE)"
    code, stderr = _validate(make_project, ", baseline: {table: main.train}", ", label: label", train)
    assert code == 2
    assert "monitors[0].label: column `label` does not exist in main.train" in stderr
