"""model_performance against scikit-learn on the same rows: classification and regression, through the real SQL."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from sklearn import metrics as skm

from sqlmon.runner import run
from tests.conftest import query

W0 = datetime(2026, 3, 10)
CLASSIFIER = (
    "{name: quality, type: model_performance, source: preds, task: classification, prediction: score, label: label}"
)
SOURCES = """\
sources:
  - {name: preds, table: main.preds, timestamp: ts, window: 1 day}
monitors:
"""


def _table(make_project, monitor: str, score, label, label_type: str = "BOOLEAN"):
    n = len(score)
    assert n * 40 < 86400, "every row must fall inside the one daily window under test"
    rows = ", ".join(
        f"(TIMESTAMP '2026-03-10' + INTERVAL ({i * 40}) SECOND, {s!r}, {('NULL' if y is None else y)})"
        for i, (s, y) in enumerate(zip(score, label, strict=True))
    )
    setup = [f"CREATE TABLE main.preds (ts TIMESTAMP, score DOUBLE, label {label_type})"]
    if n:
        setup.append(f"INSERT INTO main.preds VALUES {rows}")
    return make_project(SOURCES + f"  - {monitor}\n", setup_sql=setup)


def _metrics(root) -> dict[str, float | None]:
    return dict(query(root, "SELECT metric, value FROM sqlmon.sqlmon_metrics WHERE window_start = ?", [W0]))


def test_classification_metrics_match_scikit_learn_with_tied_scores(make_project):
    rng = np.random.default_rng(7)
    y = rng.random(1500) < 0.3
    score = np.round(np.clip(rng.normal(0.3 + 0.3 * y, 0.2), 0, 1), 2)  # rounding makes many ties
    score[:5] = [0.0, 1.0, 0.5, 0.5, 0.5]  # clipped probabilities and scores exactly at the threshold
    labels = ["true" if v else "false" for v in y]
    labels[-50:] = [None] * 50  # labels not in yet
    root = _table(
        make_project,
        CLASSIFIER,
        score.tolist(),
        labels,
    )
    assert run(root, end=datetime(2026, 3, 11)).status == "success"
    got = _metrics(root)
    yt, s = y[:-50].astype(int), score[:-50]
    yp = (s >= 0.5).astype(int)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(yt, s), abs=1e-12)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(yt, yp), abs=1e-12)
    assert got["precision"] == pytest.approx(skm.precision_score(yt, yp), abs=1e-12)
    assert got["recall"] == pytest.approx(skm.recall_score(yt, yp), abs=1e-12)
    assert got["f1"] == pytest.approx(skm.f1_score(yt, yp), abs=1e-12)
    assert got["log_loss"] == pytest.approx(skm.log_loss(yt, s), rel=1e-9)
    assert got["brier"] == pytest.approx(skm.brier_score_loss(yt, s), abs=1e-12)
    assert got["positive_rate"] == pytest.approx((score >= 0.5).mean(), abs=1e-12)
    assert got["label_rate"] == pytest.approx(1450 / 1500, abs=1e-12)


def test_regression_metrics_match_scikit_learn(make_project):
    rng = np.random.default_rng(8)
    truth = rng.lognormal(3, 1, 1200)
    predicted = truth * rng.normal(1.05, 0.2, 1200)
    root = _table(
        make_project,
        "{name: quality, type: model_performance, source: preds, task: regression, prediction: score, label: label}",
        predicted.tolist(),
        [repr(float(v)) for v in truth],
        label_type="DOUBLE",
    )
    assert run(root, end=datetime(2026, 3, 11)).status == "success"
    got = _metrics(root)
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(truth, predicted), rel=1e-9)
    assert got["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(truth, predicted)), rel=1e-9)
    assert got["mape"] == pytest.approx(skm.mean_absolute_percentage_error(truth, predicted), rel=1e-9)
    assert got["r2"] == pytest.approx(skm.r2_score(truth, predicted), rel=1e-9)
    assert got["bias"] == pytest.approx(np.mean(predicted - truth), rel=1e-9)


def test_auc_is_not_computable_with_one_class_only(make_project):
    root = _table(
        make_project,
        CLASSIFIER,
        [0.1, 0.7, 0.4],
        ["true", "true", "true"],
    )
    run(root, end=datetime(2026, 3, 11))
    got = _metrics(root)
    assert got["roc_auc"] is None and got["recall"] == pytest.approx(1 / 3)


def test_a_window_waits_for_its_label_delay(make_project):
    root = _table(
        make_project,
        "{name: quality, type: model_performance, source: preds, task: classification, prediction: score, "
        "label: label, label_delay: 3 days}",
        [0.1, 0.7, 0.4, 0.9],
        ["false", "true", "false", "true"],
    )
    early = run(root, end=datetime(2026, 3, 12))
    assert early.windows["preds"] == []  # the window ended 1 day ago; labels need 3
    later = run(root, end=datetime(2026, 3, 14))
    assert [w.start for w in later.windows["preds"]] == [W0]
    assert _metrics(root)["roc_auc"] == 1.0


def test_calibration_errors_match_numpy_over_left_closed_bins(make_project):
    rng = np.random.default_rng(9)
    score = np.round(rng.beta(2, 5, 2000), 3)
    score[:4] = [0.0, 0.1, 0.5, 1.0]  # exactly on edges: they belong to the bin on their right
    y = rng.random(2000) < np.clip(score * 1.3, 0, 1)  # miscalibrated on purpose
    root = _table(
        make_project,
        "{name: calib, type: calibration, source: preds, prediction: score, label: label, bins: 10}",
        score.tolist(),
        ["true" if v else "false" for v in y],
    )
    assert run(root, end=datetime(2026, 3, 11)).status == "success"
    got = _metrics(root)
    index = np.clip(np.searchsorted(np.arange(1, 10) / 10, score, side="right"), 0, 9)
    ece, mce = 0.0, 0.0
    for b in range(10):
        in_bin = index == b
        if in_bin.any():
            gap = abs(y[in_bin].mean() - score[in_bin].mean())
            ece += in_bin.mean() * gap
            mce = max(mce, gap)
    assert got["ece"] == pytest.approx(ece, abs=1e-12)
    assert got["mce"] == pytest.approx(mce, abs=1e-12)
    observed = query(
        root, "SELECT bin, count, fraction FROM sqlmon.sqlmon_histograms WHERE side = 'observed' ORDER BY bin"
    )
    assert [int(c) for _, c, _ in observed] == [int((index == b).sum()) for b in range(10)]
