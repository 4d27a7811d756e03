"""Labels in a table of their own, joined to the predictions by key: the metrics equal scikit-learn/numpy on the joined
rows, unlabelled rows lower `label_rate`, and a key with several labels never multiplies its prediction."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from sqlmon.compile import compile_project
from sqlmon.runner import run
from tests.conftest import query

W0 = datetime(2026, 3, 10)
END = W0 + timedelta(days=1)
SOURCES = """\
sources:
  - {name: preds, table: main.preds, timestamp: ts, window: 1 day}
monitors:
"""
N, UNLABELLED = 1500, 100


def _metrics(root, monitor: str = "quality") -> dict[str, float | None]:
    rows = query(
        root,
        "SELECT metric, value FROM sqlmon.sqlmon_metrics WHERE window_start = ? AND monitor = ?",
        [W0, monitor],
    )
    return dict(rows)


def _predictions(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """N rows in the window, 200 the day before and 100 at the window's (excluded) end; the truth of every row."""
    n = N + 300
    seconds = np.concatenate([rng.integers(0, 86_400, N), rng.integers(-86_400, 0, 200), np.full(100, 86_400)])
    truth = rng.random(n) < 0.3
    score = np.round(np.clip(rng.normal(0.3 + 0.3 * truth, 0.2), 0, 1), 2)  # rounding makes many ties
    frame = pd.DataFrame(
        {
            "ts": np.datetime64(W0) + seconds.astype("timedelta64[s]"),
            "prediction_id": np.arange(n),
            "score": score,
            "label": None,  # a stale column of the source with the label's name: the joined label must win
        }
    )
    return frame, truth


def _labels(truth: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Labels for every row but UNLABELLED of the window (they got a NULL label row, or none), keys of no
    prediction, and labels of the rows outside the window, which must not count."""
    ids = np.arange(len(truth))
    missing = rng.choice(N, UNLABELLED, replace=False)
    known = np.setdiff1d(ids, missing)
    frame = pd.DataFrame(
        {
            "prediction_id": np.concatenate([known, missing[:30], [10_000, 10_001]]),
            "is_fraud": pd.array([*truth[known], *[None] * 30, True, False], dtype="boolean"),
            "labelled_at": pd.Timestamp(W0 + timedelta(days=2)),
        }
    )
    return frame.sample(frac=1, random_state=3)  # the labels table has no order


def _project(make_project, monitor: str, predictions: pd.DataFrame, labels: pd.DataFrame):
    return make_project(SOURCES + f"  - {monitor}\n", tables={"preds": predictions, "outcomes": labels})


CLASSIFIER = (
    "{name: quality, type: model_performance, source: preds, task: classification, prediction: score, "
    "label: is_fraud, labels: {table: main.outcomes, key: prediction_id%s}}"
)


def _expected(predictions: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """The window's rows with their one label (the latest; the labels given here agree per key)."""
    window = predictions[(predictions.ts >= W0) & (predictions.ts < END)]
    latest = labels.dropna(subset=["is_fraud"]).sort_values("labelled_at").drop_duplicates("prediction_id", keep="last")
    return window.drop(columns="label").merge(latest, on="prediction_id", how="left")


def _assert_like_scikit_learn(got: dict, joined: pd.DataFrame) -> None:
    labelled = joined.dropna(subset=["is_fraud"])
    yt, s = labelled.is_fraud.astype(int).to_numpy(), labelled.score.to_numpy()
    yp = (s >= 0.5).astype(int)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(yt, s), abs=1e-12)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(yt, yp), abs=1e-12)
    assert got["precision"] == pytest.approx(skm.precision_score(yt, yp), abs=1e-12)
    assert got["recall"] == pytest.approx(skm.recall_score(yt, yp), abs=1e-12)
    assert got["f1"] == pytest.approx(skm.f1_score(yt, yp), abs=1e-12)
    assert got["log_loss"] == pytest.approx(skm.log_loss(yt, s), rel=1e-9)
    assert got["brier"] == pytest.approx(skm.brier_score_loss(yt, s), abs=1e-12)
    assert got["positive_rate"] == pytest.approx((joined.score >= 0.5).mean(), abs=1e-12)
    assert got["label_rate"] == pytest.approx(len(labelled) / len(joined), abs=1e-12)


def test_metrics_over_a_joined_labels_table_match_scikit_learn(make_project):
    rng = np.random.default_rng(21)
    predictions, truth = _predictions(rng)
    labels = _labels(truth, rng)
    root = _project(make_project, CLASSIFIER % "", predictions, labels)
    assert run(root, end=END).status == "success"
    got = _metrics(root)
    joined = _expected(predictions, labels)
    assert len(joined) == N
    _assert_like_scikit_learn(got, joined)
    assert got["label_rate"] == pytest.approx((N - UNLABELLED) / N, abs=1e-12)  # NULL labels do not count
    assert got["label_conflicts"] == 0


def test_the_latest_label_of_a_key_counts_and_the_prediction_is_counted_once(make_project):
    rng = np.random.default_rng(22)
    predictions, truth = _predictions(rng)
    labels = _labels(truth, rng)
    known = labels.dropna(subset=["is_fraud"])
    corrected = known.sample(300, random_state=1)
    earlier = corrected.assign(is_fraud=~corrected.is_fraud.astype(bool), labelled_at=pd.Timestamp(W0))
    repeated = known.drop(corrected.index).sample(200, random_state=2)  # the same label loaded twice
    labels = pd.concat([labels, earlier, repeated])
    root = _project(make_project, CLASSIFIER % ", timestamp: labelled_at", predictions, labels)
    assert run(root, end=END).status == "success"
    got = _metrics(root)
    joined = _expected(predictions, labels)
    _assert_like_scikit_learn(got, joined)
    assert got["label_rate"] == pytest.approx((N - UNLABELLED) / N, abs=1e-12)
    in_window = corrected.prediction_id.isin(joined.prediction_id).sum()
    assert got["label_conflicts"] == in_window  # corrected keys differ in their history, repeated ones do not


def test_without_a_timestamp_differing_labels_leave_the_key_unlabelled(make_project):
    rng = np.random.default_rng(23)
    predictions, truth = _predictions(rng)
    labels = _labels(truth, rng)
    known = labels.dropna(subset=["is_fraud"])
    conflicting = known.sample(250, random_state=1)
    repeated = known.drop(conflicting.index).sample(200, random_state=2)
    flipped = conflicting.assign(is_fraud=~conflicting.is_fraud.astype(bool))
    root = _project(make_project, CLASSIFIER % "", predictions, pd.concat([labels, flipped, repeated]))
    assert run(root, end=END).status == "success"
    got = _metrics(root)
    joined = _expected(predictions, labels.drop(columns="labelled_at").assign(labelled_at=0))
    in_window = conflicting.prediction_id.isin(joined.prediction_id)
    joined.loc[joined.prediction_id.isin(conflicting.prediction_id), "is_fraud"] = None
    _assert_like_scikit_learn(got, joined)
    assert got["label_rate"] == pytest.approx((N - UNLABELLED - in_window.sum()) / N, abs=1e-12)
    assert got["label_conflicts"] == in_window.sum()


def test_labels_at_the_same_latest_time_are_decided_by_the_greater_label(make_project):
    predictions = pd.DataFrame(
        {"ts": [pd.Timestamp(W0)] * 4, "prediction_id": [1, 2, 3, 4], "score": [0.2, 0.8, 0.3, 0.9], "label": None}
    )
    labels = pd.DataFrame(
        {
            "prediction_id": [1, 1, 2, 2, 3, 4],
            "is_fraud": [False, True, True, False, False, True],
            "labelled_at": pd.to_datetime(["2026-03-12"] * 4 + ["2026-03-11", "2026-03-11"]),
        }
    )
    root = _project(make_project, CLASSIFIER % ", timestamp: labelled_at", predictions, labels)
    assert run(root, end=END).status == "success"
    got = _metrics(root)
    # keys 1 and 2 tie at their latest time: both count as positive, so the truth is [1, 1, 0, 1]
    assert got["accuracy"] == pytest.approx(skm.accuracy_score([1, 1, 0, 1], [0, 1, 0, 1]))
    assert got["label_rate"] == 1.0 and got["label_conflicts"] == 2


def test_a_composite_key_with_different_column_names(make_project):
    rng = np.random.default_rng(24)
    n = 900
    shop = rng.choice(["a", "b", "c"], n)
    order = rng.integers(0, 400, n)  # order numbers repeat across shops: only (shop, order) is a key
    keys = pd.DataFrame({"shop": shop, "order_no": order}).drop_duplicates()
    truth = rng.random(len(keys)) < 0.4
    score = np.round(np.clip(rng.normal(0.35 + 0.3 * truth, 0.25), 0, 1), 2)
    predictions = keys.assign(ts=pd.Timestamp(W0) + pd.to_timedelta(np.arange(len(keys)) * 60, unit="s"), score=score)
    labelled = keys.assign(fraud=truth).iloc[50:]  # the first 50 predictions have no label yet
    labels = labelled.rename(columns={"shop": "shop_id"})
    monitor = (
        "{name: quality, type: model_performance, source: preds, task: classification, prediction: score, "
        "label: fraud, labels: {table: main.outcomes, key: {shop: shop_id, order_no: order_no}}}"
    )
    root = _project(make_project, monitor, predictions, labels)
    assert run(root, end=END).status == "success"
    got = _metrics(root)
    yt, s = truth[50:].astype(int), score[50:]
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(yt, s), abs=1e-12)
    assert got["brier"] == pytest.approx(skm.brier_score_loss(yt, s), abs=1e-12)
    assert got["label_rate"] == pytest.approx((len(keys) - 50) / len(keys), abs=1e-12)


def test_regression_and_calibration_read_the_joined_labels_too(make_project):
    rng = np.random.default_rng(25)
    n = 1200
    truth = rng.lognormal(3, 1, n)
    estimate = truth * rng.normal(1.05, 0.2, n)
    score = np.round(rng.beta(2, 5, n), 3)
    positive = rng.random(n) < np.clip(score * 1.3, 0, 1)
    predictions = pd.DataFrame(
        {
            "ts": pd.Timestamp(W0) + pd.to_timedelta(np.arange(n) * 60, unit="s"),
            "id": np.arange(n),
            "estimate": estimate,
            "score": score,
        }
    )
    labels = pd.DataFrame({"id": np.arange(n), "amount": truth, "positive": positive})
    monitors = (
        "{name: quality, type: model_performance, source: preds, task: regression, prediction: estimate, "
        "label: amount, labels: {table: main.outcomes, key: [id]}}\n"
        "  - {name: calib, type: calibration, source: preds, prediction: score, label: positive, bins: 10, "
        "labels: {table: main.outcomes, key: id}}"
    )
    root = _project(make_project, monitors, predictions, labels)
    assert run(root, end=END).status == "success"
    got = _metrics(root)
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(truth, estimate), rel=1e-9)
    assert got["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(truth, estimate)), rel=1e-9)
    assert got["r2"] == pytest.approx(skm.r2_score(truth, estimate), rel=1e-9)
    assert got["label_rate"] == 1.0
    index = np.clip(np.searchsorted(np.arange(1, 10) / 10, score, side="right"), 0, 9)
    gaps = [abs(positive[index == b].mean() - score[index == b].mean()) for b in range(10) if (index == b).any()]
    weights = [(index == b).mean() for b in range(10) if (index == b).any()]
    calib = _metrics(root, "calib")
    assert calib["ece"] == pytest.approx(float(np.dot(weights, gaps)), abs=1e-12)
    assert calib["mce"] == pytest.approx(max(gaps), abs=1e-12)


def test_one_scan_serves_every_monitor_on_the_same_labels(make_project):
    rng = np.random.default_rng(26)
    predictions, truth = _predictions(rng)
    monitors = (
        CLASSIFIER % "" + "\n  - {name: calib, type: calibration, source: preds, prediction: score, label: is_fraud, "
        "labels: {table: main.outcomes, key: prediction_id}}"
    )
    root = _project(make_project, monitors, predictions, _labels(truth, rng))
    compiled = compile_project(root, None, "duckdb", END)
    assert compiled.count("-- 1. aggregates over main.preds [2026-03-10") == 1
    assert "joined with labels from main.outcomes" in compiled
    assert "-- 3." not in compiled  # the aggregates of both monitors, and the AUC distribution: two statements


def test_a_window_waits_for_its_label_delay_and_a_backfill_picks_up_late_labels(make_project):
    predictions = pd.DataFrame(
        {"ts": [pd.Timestamp(W0)] * 4, "prediction_id": [1, 2, 3, 4], "score": [0.1, 0.7, 0.4, 0.9], "label": None}
    )
    labels = pd.DataFrame({"prediction_id": [1, 2], "is_fraud": [False, True]})
    monitor = CLASSIFIER.replace("}}", "}, label_delay: 2 days}") % ""
    root = _project(make_project, monitor, predictions, labels)
    assert run(root, end=W0 + timedelta(days=2)).windows["preds"] == []  # labels need 2 days after the window
    assert [w.start for w in run(root, end=W0 + timedelta(days=3)).windows["preds"]] == [W0]
    assert _metrics(root)["label_rate"] == 0.5
    import duckdb

    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute("INSERT INTO main.outcomes VALUES (3, false), (4, true)")  # later than the delay promised
    con.close()
    assert run(root, end=W0 + timedelta(days=4)).windows["preds"] == []  # a computed window is not revisited…
    assert _metrics(root)["label_rate"] == 0.5
    run(root, start=W0, end=W0 + timedelta(days=4))  # …unless backfilled
    assert _metrics(root)["label_rate"] == 1.0
