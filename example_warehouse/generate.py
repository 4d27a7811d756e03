"""Deterministic demo warehouse for sqlmon, with known incidents injected on known days.

The warehouse holds a fraud-scoring model (``training_features`` as its drift baseline, ``predictions`` as its
production log) and a recommender (``recommendations``, one row per item exposure). It is loaded one day at a
time, the way a production pipeline appends data, so sqlmon can be run "after each day's load" and its alerts
compared with ``ground_truth.json``.

Why it is built this way:

* Every random draw comes from a generator seeded by ``(seed, table, day)``, so a day's rows depend only on the
  seed and the day: loading days one by one, in any subset, gives the same rows as loading them all, and the
  same seed gives byte-identical table contents.
* On clean days each table is drawn from exactly the same distribution as its baseline (training for
  predictions, days 1-9 for recommendations), so any drift measured on a clean day is pure sampling noise and
  any alert on it is a false positive.
* Every incident is a module-level constant below, so the schedule can be read without running anything.

Only numpy, duckdb and pandas (for fast bulk inserts) are used, and everything is vectorised: all 30 days build
in about two seconds. This file is imported by path (importlib) by ``sqlmon demo``, so it must not use relative
imports nor import sqlmon.

Usage::

    python example_warehouse/generate.py OUT.duckdb [--days 30] [--seed 42]
    python example_warehouse/generate.py --write-ground-truth   # rewrite the checked-in ground_truth.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

# ---------------------------------------------------------------------------------------------------------------
# Calendar and seed
# ---------------------------------------------------------------------------------------------------------------
START_DATE: date = date(2026, 10, 1)  # day 1 (a Thursday)
DAYS: int = 30
SEED: int = 42

# ---------------------------------------------------------------------------------------------------------------
# Incident schedule (days are 1-based; day d is START_DATE + d - 1)
# ---------------------------------------------------------------------------------------------------------------
# 1. null_spike: an upstream bug drops account_age_days on some rows. The model still scored the true value,
#    so the score is unaffected: only a null_rate monitor should fire.
NULL_SPIKE_DAYS: tuple[int, ...] = (12, 13)
NULL_SPIKE_COLUMN: str = "account_age_days"
NULL_SPIKE_RATE: float = 0.40

# 2. covariate_drift: a new market launches. Its rows carry a country never seen in training, larger amounts and
#    a merchant mix heavy on electronics and gaming.
NEW_MARKET_FIRST_DAY: int = 18  # lasts to the last day
NEW_MARKET_COUNTRY: str = "BR"
NEW_MARKET_SHARE: float = 0.25
NEW_MARKET_AMOUNT_FACTOR: float = 1.8
NEW_MARKET_CATEGORY_MIX: dict[str, float] = {
    "grocery": 0.10,
    "electronics": 0.32,
    "travel": 0.06,
    "fuel": 0.05,
    "restaurants": 0.06,
    "fashion": 0.08,
    "gaming": 0.28,
    "other": 0.05,
}
# 3. score_shift is not injected separately: the score is a fixed function of the features, so it moves with 2.
#    The model maps a country it was not trained on to its "unknown country" weight, recorded here.
UNKNOWN_COUNTRY_LOGIT: float = 0.9

# 4. schema_change: upstream renames predictions.device_type, then reverts the rename two days later. Each
#    entry is applied (ALTER TABLE ... RENAME COLUMN) before that day's rows are loaded.
SCHEMA_TABLE: str = "predictions"
SCHEMA_CHANGES: dict[int, tuple[str, str]] = {
    20: ("device_type", "device_os"),
    22: ("device_os", "device_type"),
}

# 5. feedback_loop: the recommender starts training on its own clicks. From FEEDBACK_FIRST_DAY the expected
#    top-10 share climbs linearly from its clean value to FEEDBACK_FINAL_TOP10_SHARE on the last day, and the
#    set of items it still serves shrinks linearly from the whole catalog to the FEEDBACK_FINAL_SERVED_ITEMS
#    most popular ones.
FEEDBACK_FIRST_DAY: int = 10
FEEDBACK_LAST_DAY: int = DAYS  # the day on which the final values below are reached
FEEDBACK_FINAL_TOP10_SHARE: float = 0.60
FEEDBACK_FINAL_SERVED_ITEMS: int = 300
FEEDBACK_WINDOW_THRESHOLD: float = 0.25  # incident window: days whose realised top-10 share exceeds this

# 6. invalid_orders: on one day the order export starts sending a status the contract does not know and refunds
#    as negative amounts. Rows that break the rules: ORDERS_UNKNOWN_STATUS_SHARE + ORDERS_NEGATIVE_AMOUNT_SHARE.
ORDERS_INVALID_DAY: int = 8
ORDERS_UNKNOWN_STATUS: str = "pending_review"
ORDERS_UNKNOWN_STATUS_SHARE: float = 0.03
ORDERS_NEGATIVE_AMOUNT_SHARE: float = 0.01

# 7. feed_stopped: the order export stops at ORDERS_STOP_HOUR on ORDERS_STOP_DAY and sends nothing after. No error
#    anywhere: the table simply stops growing.
ORDERS_STOP_DAY: int = 27
ORDERS_STOP_HOUR: int = 10

# ---------------------------------------------------------------------------------------------------------------
# Clean-day generating process
# ---------------------------------------------------------------------------------------------------------------
TRAINING_ROWS: int = 50_000
PREDICTIONS_ROWS_PER_DAY: int = 15_000  # mean before the weekday factor
RECOMMENDATION_SLATES_PER_DAY: int = 2_000  # mean before the weekday factor; one slate = SLATE_SIZE rows
SLATE_SIZE: int = 10
ORDERS_ROWS_PER_DAY: int = 2_400  # mean before the weekday factor
# The shop sells far less at the weekend: dips an anomaly rule must learn (day_of_week), not alert on.
ORDERS_WEEKDAY_FACTOR: tuple[float, ...] = (1.00, 1.02, 1.00, 1.03, 1.08, 0.62, 0.55)
# The order export ran for ORDERS_HISTORY_DAYS before the demo's first day (days 1 - ORDERS_HISTORY_DAYS .. 0): the
# history that volume and freshness anomaly rules train on. create_tables loads it.
ORDERS_HISTORY_DAYS: int = 63
ORDER_STATUS_MIX: dict[str, float] = {"new": 0.2, "paid": 0.5, "shipped": 0.3}
ORDERS_REFUND_SHARE: float = 0.02
# Monday .. Sunday. Card traffic peaks on Friday/Saturday, browsing at the weekend.
PREDICTIONS_WEEKDAY_FACTOR: tuple[float, ...] = (0.95, 0.97, 1.00, 1.02, 1.08, 1.05, 0.93)
RECOMMENDATIONS_WEEKDAY_FACTOR: tuple[float, ...] = (0.96, 0.95, 0.97, 0.98, 1.02, 1.07, 1.05)
# Relative traffic per hour of day (00..23), shared by both tables.
HOURLY_WEIGHTS: tuple[float, ...] = (
    0.30, 0.20, 0.15, 0.12, 0.12, 0.18, 0.35, 0.60, 0.85, 1.00, 1.05, 1.10,
    1.20, 1.15, 1.05, 1.00, 1.00, 1.05, 1.15, 1.25, 1.30, 1.15, 0.85, 0.55,
)  # fmt: skip

MERCHANT_CATEGORY_MIX: dict[str, float] = {
    "grocery": 0.25,
    "electronics": 0.10,
    "travel": 0.07,
    "fuel": 0.14,
    "restaurants": 0.18,
    "fashion": 0.12,
    "gaming": 0.05,
    "other": 0.09,
}
COUNTRY_MIX: dict[str, float] = {"US": 0.45, "GB": 0.15, "DE": 0.12, "FR": 0.10, "CA": 0.10, "AU": 0.08}
DEVICE_MIX: dict[str, float] = {"ios": 0.42, "android": 0.40, "web": 0.18}
AMOUNT_MEDIAN: float = 45.0  # dollars; amount is lognormal around it
AMOUNT_LOG_SIGMA: float = 1.0
ACCOUNT_AGE_MAX_DAYS: int = 3650
ACCOUNT_AGE_GAMMA: tuple[float, float] = (0.9, 700.0)  # (shape, scale): many young accounts, a long tail
MODEL_VERSION: str = "v3"

# The model: score = sigmoid(logit), fixed for the whole simulation (training and production alike).
SCORE_INTERCEPT: float = -3.2  # puts the mean score, and so the fraud rate, near 3%
SCORE_LOG_AMOUNT_COEF: float = 0.85  # per unit of ln(amount / AMOUNT_MEDIAN)
SCORE_ACCOUNT_AGE_COEF: float = -0.45  # per unit of ln(1 + age / 90 days): young accounts are riskier
SCORE_PRIOR_TXNS_COEF: float = -0.15  # per unit of ln(1 + prior transactions)
SCORE_NOISE_SIGMA: float = 0.6  # what the features do not explain
MERCHANT_CATEGORY_LOGIT: dict[str, float] = {
    "grocery": -0.5,
    "electronics": 1.1,
    "travel": 0.6,
    "fuel": -0.3,
    "restaurants": -0.4,
    "fashion": 0.3,
    "gaming": 1.3,
    "other": 0.2,
}
COUNTRY_LOGIT: dict[str, float] = {"US": 0.0, "GB": 0.1, "DE": -0.1, "FR": 0.1, "CA": 0.0, "AU": 0.2}
DEVICE_LOGIT: dict[str, float] = {"ios": 0.0, "android": 0.1, "web": 0.4}

# The recommender's catalog and its clean popularity curve: Zipf-Mandelbrot, p(rank) ~ (rank + offset)^-exponent.
CATALOG_SIZE: int = 2_000
ITEM_CATEGORY_MIX: dict[str, float] = {
    "books": 0.18,
    "music": 0.14,
    "movies": 0.14,
    "games": 0.12,
    "electronics": 0.12,
    "home": 0.12,
    "fashion": 0.10,
    "sports": 0.08,
}
POPULARITY_EXPONENT: float = 0.8
POPULARITY_OFFSET: float = 3.0
USER_POPULATION: int = 100_000

# Metric definitions used for ground_truth.json (and documented in README.md).
PSI_BINS: int = 10  # equal-width bins of [0, 1]
PSI_EPSILON: float = 1e-4  # replaces the proportion of an empty bin
TOP_K: int = 10

GROUND_TRUTH_PATH: Path = Path(__file__).resolve().with_name("ground_truth.json")

# Ids that keep the random streams of different tables independent of each other.
_STREAM_TRAINING = 0
_STREAM_PREDICTIONS = 1
_STREAM_RECOMMENDATIONS = 2
_STREAM_CATALOG = 3
_STREAM_ORDERS = 4
_STREAM_ORDERS_HISTORY = 5
_ID_BLOCK = 1_000_000  # ids of day d are d * _ID_BLOCK + 1, 2, ...: unique and independent of other days

_PREDICTIONS_COLUMNS: tuple[str, ...] = (
    "request_id",
    "scored_at",
    "amount",
    "account_age_days",
    "num_prior_txns",
    "merchant_category",
    "country",
    "device_type",
    "score",
    "model_version",
    "label",
)


# ---------------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------------
def create_tables(con: duckdb.DuckDBPyConnection, seed: int = SEED) -> None:
    """Create main.training_features (filled) and empty main.predictions, main.recommendations and main.orders.

    The training set is the baseline every predictions drift metric is measured against, so it is drawn from
    exactly the clean-day generating process (its own random stream, not any day's).
    """
    con.execute(
        """
        CREATE TABLE main.training_features (
            transaction_id BIGINT,
            amount DOUBLE,
            account_age_days INTEGER,
            num_prior_txns INTEGER,
            merchant_category VARCHAR,
            country VARCHAR,
            device_type VARCHAR,
            score DOUBLE,
            is_fraud BOOLEAN
        )
        """
    )
    con.execute(
        """
        CREATE TABLE main.predictions (
            request_id BIGINT,
            scored_at TIMESTAMP,
            amount DOUBLE,
            account_age_days INTEGER,
            num_prior_txns INTEGER,
            merchant_category VARCHAR,
            country VARCHAR,
            device_type VARCHAR,
            score DOUBLE,
            model_version VARCHAR,
            label BOOLEAN
        )
        """
    )
    con.execute(
        """
        CREATE TABLE main.orders (
            order_id BIGINT,
            ordered_at TIMESTAMP,
            amount DOUBLE,
            status VARCHAR,
            email VARCHAR,
            refunded BOOLEAN
        )
        """
    )
    con.execute(
        """
        CREATE TABLE main.recommendations (
            exposure_id BIGINT,
            exposed_at TIMESTAMP,
            user_id BIGINT,
            item_id VARCHAR,
            position INTEGER,
            item_category VARCHAR
        )
        """
    )
    import pandas as pd

    rng = np.random.default_rng([seed, _STREAM_TRAINING])
    txn = _draw_transactions(rng, TRAINING_ROWS, new_market_share=0.0)
    training = pd.DataFrame(
        {
            "transaction_id": np.arange(1, TRAINING_ROWS + 1, dtype=np.int64),
            "amount": txn["amount"],
            "account_age_days": txn["account_age_days"],
            "num_prior_txns": txn["num_prior_txns"],
            "merchant_category": txn["merchant_category"],
            "country": txn["country"],
            "device_type": txn["device_type"],
            "score": txn["score"],
            "is_fraud": txn["label"],
        }
    )
    _insert(con, "main.training_features", training)
    for day in range(1 - ORDERS_HISTORY_DAYS, 1):
        _insert(con, "main.orders", _orders_frame(day, seed))


def load_day(con: duckdb.DuckDBPyConnection, day: int, seed: int = SEED) -> None:
    """Append day ``day``'s rows to predictions and recommendations, after that day's scheduled schema change.

    Rows are inserted by column name, mapping the logical ``device_type`` to whatever the column is called in
    the table right now, because the point of the schema incident is that the loader keeps working while the
    table no longer matches the contract.
    """
    if not 1 <= day <= DAYS:
        raise ValueError(f"day must be in 1..{DAYS}, got {day}")
    _apply_schema_changes(con, day)
    _load_predictions(con, day, seed)
    _load_recommendations(con, day, seed)
    _insert(con, "main.orders", _orders_frame(day, seed))


def build(path: str | Path, days: int = DAYS, seed: int = SEED) -> None:
    """Create a fresh DuckDB file at ``path`` (overwriting it) holding days 1..``days``, then close it."""
    if not 0 <= days <= DAYS:
        raise ValueError(f"days must be in 0..{DAYS}, got {days}")
    path = Path(path)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        _build_into(con, days, seed)
    finally:
        con.close()


def ground_truth() -> dict[str, Any]:
    """The checked-in ground truth (see README.md): incidents and realised daily figures for the default build."""
    return json.loads(GROUND_TRUTH_PATH.read_text())


# ---------------------------------------------------------------------------------------------------------------
# Helpers for callers that want the schedule or the figures without reading the JSON
# ---------------------------------------------------------------------------------------------------------------
def day_date(day: int) -> date:
    """Calendar date of a 1-based day index."""
    return START_DATE + timedelta(days=day - 1)


def score_psi(baseline: np.ndarray, current: np.ndarray) -> float:
    """PSI of two score samples on PSI_BINS equal bins of [0, 1]: sum (q - p) * ln(q / p), p = baseline.

    Empty bins get proportion PSI_EPSILON (no renormalisation), as documented in ground_truth.json.
    """
    p = _bin_proportions(baseline)
    q = _bin_proportions(current)
    return float(np.sum((q - p) * np.log(q / p)))


def _bin_proportions(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    bins = np.clip(np.floor(scores * PSI_BINS).astype(np.int64), 0, PSI_BINS - 1)
    props = np.bincount(bins, minlength=PSI_BINS) / max(scores.size, 1)
    return np.where(props == 0, PSI_EPSILON, props)


def compute_ground_truth(con: duckdb.DuckDBPyConnection, seed: int = SEED) -> dict[str, Any]:
    """Measure the incidents and daily figures from the tables in ``con``; this is what ground_truth.json holds.

    Figures are measured on the data, not restated from the constants, so the file documents what a monitor
    will actually see. Floats are rounded to 6 decimals to keep the file readable and stable.
    """
    day_expr = "CAST(date_diff('day', DATE '{start}', CAST({col} AS DATE)) + 1 AS INTEGER)"
    pred_day = day_expr.format(start=START_DATE.isoformat(), col="scored_at")
    rec_day = day_expr.format(start=START_DATE.isoformat(), col="exposed_at")

    baseline = con.execute("SELECT score FROM main.training_features").fetchnumpy()["score"]
    pred = con.execute(
        f"""
        SELECT {pred_day} AS day, score, {NULL_SPIKE_COLUMN} IS NULL AS is_null, country = ? AS is_new_market
        FROM main.predictions
        """,
        [NEW_MARKET_COUNTRY],
    ).fetchnumpy()
    pred_days = np.asarray(pred["day"])
    loaded = sorted(int(d) for d in np.unique(pred_days))

    rec_counts = con.execute(
        f"""
        SELECT {rec_day} AS day, item_id, count(*) AS n
        FROM main.recommendations
        GROUP BY ALL
        """
    ).fetchnumpy()
    rec_rows = con.execute(f"SELECT {rec_day} AS day, count(*) FROM main.recommendations GROUP BY ALL").fetchall()
    rec_rows_by_day = {int(d): int(n) for d, n in rec_rows}
    order_day = day_expr.format(start=START_DATE.isoformat(), col="ordered_at")
    orders = con.execute(
        f"""
        SELECT {order_day} AS day, count(*), count(*) FILTER (WHERE status NOT IN ('new', 'paid', 'shipped')
            OR amount < 0), max(ordered_at)
        FROM main.orders GROUP BY ALL
        """
    ).fetchall()
    orders_by_day = {int(d): (int(n), int(bad)) for d, n, bad, _ in orders}
    last_order = max((newest for *_, newest in orders), default=None)

    daily: dict[str, dict[str, Any]] = {
        "predictions_rows": {},
        "predictions_account_age_days_null_rate": {},
        "predictions_new_market_share": {},
        "score_psi_vs_training": {},
        "recommendations_rows": {},
        "recommendations_top10_share": {},
        "recommendations_zero_exposure_items": {},
        "orders_rows": {},
        "orders_invalid_rows": {},
    }
    for day in loaded:
        mask = pred_days == day
        key = str(day)
        daily["predictions_rows"][key] = int(mask.sum())
        daily["predictions_account_age_days_null_rate"][key] = round(float(np.asarray(pred["is_null"])[mask].mean()), 6)
        daily["predictions_new_market_share"][key] = round(float(np.asarray(pred["is_new_market"])[mask].mean()), 6)
        daily["score_psi_vs_training"][key] = round(score_psi(baseline, np.asarray(pred["score"])[mask]), 6)

        counts = np.sort(np.asarray(rec_counts["n"])[np.asarray(rec_counts["day"]) == day])[::-1]
        daily["recommendations_rows"][key] = rec_rows_by_day[day]
        daily["recommendations_top10_share"][key] = round(float(counts[:TOP_K].sum() / counts.sum()), 6)
        daily["recommendations_zero_exposure_items"][key] = int(CATALOG_SIZE - counts.size)
        daily["orders_rows"][key], daily["orders_invalid_rows"][key] = orders_by_day.get(day, (0, 0))

    feedback_days = [d for d in loaded if daily["recommendations_top10_share"][str(d)] > FEEDBACK_WINDOW_THRESHOLD]
    new_market_days = [d for d in loaded if d >= NEW_MARKET_FIRST_DAY]
    null_days = [d for d in loaded if d in NULL_SPIKE_DAYS]
    (rename_day, (old_name, new_name)), (revert_day, _) = sorted(SCHEMA_CHANGES.items())
    violation_days = [d for d in loaded if rename_day <= d < revert_day]

    incidents = [
        _incident(
            "null_spike",
            "predictions",
            [NULL_SPIKE_COLUMN],
            null_days,
            "null_rate",
            f"An upstream bug leaves predictions.{NULL_SPIKE_COLUMN} NULL on ~{NULL_SPIKE_RATE:.0%} of rows. "
            "No column is ever NULL on any other day. The model scored the true value, so score is unaffected.",
            rate=NULL_SPIKE_RATE,
        ),
        _incident(
            "covariate_drift",
            "predictions",
            ["country", "amount", "merchant_category"],
            new_market_days,
            "feature_drift",
            f"A new market launches: ~{NEW_MARKET_SHARE:.0%} of rows come from country '{NEW_MARKET_COUNTRY}' "
            f"(absent from training), with amount x{NEW_MARKET_AMOUNT_FACTOR} and far more electronics and "
            "gaming merchants. The other rows keep the training distribution.",
            new_country=NEW_MARKET_COUNTRY,
            share=NEW_MARKET_SHARE,
            amount_factor=NEW_MARKET_AMOUNT_FACTOR,
        ),
        _incident(
            "score_shift",
            "predictions",
            ["score"],
            new_market_days,
            "prediction_histogram",
            "Consequence of covariate_drift: the score is a fixed function of the features (and the model "
            f"gives the unseen country '{NEW_MARKET_COUNTRY}' its unknown-country weight), so the score "
            f"distribution moves. See daily.score_psi_vs_training ({PSI_BINS} equal bins of [0, 1]).",
            caused_by="covariate_drift",
        ),
        _incident(
            "schema_change",
            SCHEMA_TABLE,
            [old_name, new_name],
            violation_days,
            "schema_contract",
            f"Before loading day {rename_day} upstream renames {SCHEMA_TABLE}.{old_name} to {new_name} "
            f"(ALTER TABLE ... RENAME COLUMN); before loading day {revert_day} they revert it. The schema breaks "
            f"the contract while days {rename_day}..{revert_day - 1} are loaded and changes again on day "
            f"{revert_day}, when the contract holds again.",
            schema_change_days=sorted(SCHEMA_CHANGES),
            schema_changes=[
                {"day": d, "date": day_date(d).isoformat(), "rename_from": a, "rename_to": b}
                for d, (a, b) in sorted(SCHEMA_CHANGES.items())
            ],
        ),
        _incident(
            "feedback_loop",
            "recommendations",
            ["item_id"],
            feedback_days,
            "topk_concentration",
            f"From day {FEEDBACK_FIRST_DAY} the recommender feeds on its own clicks: the top-{TOP_K} items' "
            f"share of exposures climbs roughly linearly to ~{FEEDBACK_FINAL_TOP10_SHARE} on day "
            f"{FEEDBACK_LAST_DAY}, and the long tail loses all exposure (items ranked > "
            f"{FEEDBACK_FINAL_SERVED_ITEMS} get none by day {FEEDBACK_LAST_DAY}). The incident window is the "
            "set of days matching window_rule.",
            onset_day=FEEDBACK_FIRST_DAY,
            window_rule=f"recommendations_top10_share > {FEEDBACK_WINDOW_THRESHOLD}",
            catalog_size=CATALOG_SIZE,
        ),
        _incident(
            "invalid_orders",
            "orders",
            ["status", "amount"],
            [d for d in loaded if daily["orders_invalid_rows"][str(d)] > 0],
            "validity",
            f"The order export sends status '{ORDERS_UNKNOWN_STATUS}' on ~{ORDERS_UNKNOWN_STATUS_SHARE:.0%} of rows "
            f"and refunds as negative amounts on ~{ORDERS_NEGATIVE_AMOUNT_SHARE:.0%}, on one day only.",
        ),
        _incident(
            "feed_stopped",
            "orders",
            ["ordered_at"],
            [d for d in loaded if d >= ORDERS_STOP_DAY],
            "freshness",
            f"The order export stops at {ORDERS_STOP_HOUR:02d}:00 on day {ORDERS_STOP_DAY} and sends nothing after:"
            " no error, the table stops growing. The lag passes 6 hours on that day and 1 day on the next; the day"
            " itself holds a fraction of a weekday's orders, the days after none (also_caught_by: volume, from the"
            " day it stops: an anomaly against the same weekday's history, then no rows).",
            last_row=last_order.isoformat(sep=" ") if last_order else None,
            also_caught_by={"volume": [d for d in loaded if d >= ORDERS_STOP_DAY]},
        ),
    ]
    return {
        "start_date": START_DATE.isoformat(),
        "days": len(loaded),
        "seed": seed,
        "definitions": {
            "day": "1-based; day d covers [start_date + d - 1, start_date + d) in scored_at / exposed_at",
            "score_psi_vs_training": f"PSI of predictions.score vs training_features.score on {PSI_BINS} equal "
            f"bins of [0, 1]: sum (q - p) * ln(q / p), p = training proportions, q = day proportions, an empty "
            f"bin's proportion replaced by {PSI_EPSILON}",
            "recommendations_top10_share": f"exposures of that day's {TOP_K} most exposed items / all exposures",
            "recommendations_zero_exposure_items": f"catalog items (of {CATALOG_SIZE}) with no exposure that day",
            "orders_invalid_rows": "orders with a status other than new/paid/shipped, or a negative amount",
        },
        "incidents": incidents,
        "daily": daily,
    }


# ---------------------------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------------------------
def _build_into(con: duckdb.DuckDBPyConnection, days: int, seed: int) -> None:
    create_tables(con, seed)
    for day in range(1, days + 1):
        load_day(con, day, seed)


def _mix(mix: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Category labels (object array) and cumulative probabilities, for inverse-CDF sampling."""
    labels = np.array(list(mix), dtype=object)
    probs = np.array(list(mix.values()), dtype=np.float64)
    cdf = np.cumsum(probs / probs.sum())
    cdf[-1] = 1.0
    return labels, cdf


def _pick(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Indices drawn by inverse CDF from uniforms ``u``."""
    return np.searchsorted(cdf, u, side="right")


def _draw_transactions(rng: np.random.Generator, n: int, new_market_share: float) -> dict[str, np.ndarray]:
    """Draw ``n`` card transactions and the model's score and fraud label for each.

    The same draws are made in the same order whatever ``new_market_share`` is, so a clean day and an incident
    day differ only in the incident, not in how the random stream was consumed.
    """
    u_market, u_country, u_category, u_device = rng.random((4, n))
    log_amount_noise = rng.standard_normal(n)
    age = rng.gamma(ACCOUNT_AGE_GAMMA[0], ACCOUNT_AGE_GAMMA[1], n)
    age_days = np.minimum(np.floor(age), ACCOUNT_AGE_MAX_DAYS).astype(np.int32)
    prior_txns = rng.poisson(1.0 + age_days / 20.0).astype(np.int32)
    score_noise = rng.standard_normal(n)
    u_label = rng.random(n)

    new_market = u_market < new_market_share

    country_labels, country_cdf = _mix(COUNTRY_MIX)
    country = country_labels[_pick(country_cdf, u_country)]
    country[new_market] = NEW_MARKET_COUNTRY
    country_logit = np.array([COUNTRY_LOGIT[c] for c in country_labels])[_pick(country_cdf, u_country)]
    country_logit[new_market] = UNKNOWN_COUNTRY_LOGIT

    cat_labels, cat_cdf = _mix(MERCHANT_CATEGORY_MIX)
    new_cat_labels, new_cat_cdf = _mix(NEW_MARKET_CATEGORY_MIX)
    assert list(cat_labels) == list(new_cat_labels), "both merchant mixes must list the same categories in order"
    cat_idx = np.where(new_market, _pick(new_cat_cdf, u_category), _pick(cat_cdf, u_category))
    category_logit = np.array([MERCHANT_CATEGORY_LOGIT[c] for c in cat_labels])[cat_idx]

    device_labels, device_cdf = _mix(DEVICE_MIX)
    device_idx = _pick(device_cdf, u_device)
    device_logit = np.array([DEVICE_LOGIT[d] for d in device_labels])[device_idx]

    amount = AMOUNT_MEDIAN * np.exp(AMOUNT_LOG_SIGMA * log_amount_noise)
    amount = np.where(new_market, amount * NEW_MARKET_AMOUNT_FACTOR, amount)
    amount = np.maximum(np.round(amount, 2), 0.01)

    logit = (
        SCORE_INTERCEPT
        + SCORE_LOG_AMOUNT_COEF * np.log(amount / AMOUNT_MEDIAN)
        + SCORE_ACCOUNT_AGE_COEF * np.log1p(age_days / 90.0)
        + SCORE_PRIOR_TXNS_COEF * np.log1p(prior_txns)
        + category_logit
        + country_logit
        + device_logit
        + SCORE_NOISE_SIGMA * score_noise
    )
    score = np.clip(1.0 / (1.0 + np.exp(-logit)), 1e-9, 1.0 - 1e-9)

    return {
        "amount": amount,
        "account_age_days": age_days,
        "num_prior_txns": prior_txns,
        "merchant_category": cat_labels[cat_idx],
        "country": country,
        "device_type": device_labels[device_idx],
        "score": score,
        "label": u_label < score,
    }


def _weekday_factor(day: int, factors: tuple[float, ...]) -> float:
    return factors[day_date(day).weekday()]


def _timestamps(rng: np.random.Generator, day: int, n: int) -> np.ndarray:
    """``n`` sorted timestamps (microseconds) inside day ``day``, following HOURLY_WEIGHTS."""
    weights = np.asarray(HOURLY_WEIGHTS, dtype=np.float64)
    cdf = np.cumsum(weights / weights.sum())
    cdf[-1] = 1.0
    u_hour, u_within = rng.random((2, n))
    hour = np.searchsorted(cdf, u_hour, side="right")
    offset_us = hour * 3_600_000_000 + np.floor(u_within * 3_600_000_000).astype(np.int64)
    offset_us = np.sort(np.minimum(offset_us, 86_400_000_000 - 1))
    midnight = np.datetime64(day_date(day).isoformat(), "us")
    return midnight + offset_us.astype("timedelta64[us]")


def _predictions_frame(day: int, seed: int) -> Any:
    """Day ``day``'s predictions as a DataFrame with the contract's column names."""
    import pandas as pd

    rng = np.random.default_rng([seed, _STREAM_PREDICTIONS, day])
    n = int(rng.poisson(PREDICTIONS_ROWS_PER_DAY * _weekday_factor(day, PREDICTIONS_WEEKDAY_FACTOR)))
    scored_at = _timestamps(rng, day, n)
    share = NEW_MARKET_SHARE if day >= NEW_MARKET_FIRST_DAY else 0.0
    txn = _draw_transactions(rng, n, new_market_share=share)
    u_null = rng.random(n)

    age = pd.array(txn["account_age_days"], dtype="Int32")
    if day in NULL_SPIKE_DAYS:
        age[u_null < NULL_SPIKE_RATE] = pd.NA
    return pd.DataFrame(
        {
            "request_id": day * _ID_BLOCK + np.arange(1, n + 1, dtype=np.int64),
            "scored_at": scored_at,
            "amount": txn["amount"],
            "account_age_days": age,
            "num_prior_txns": txn["num_prior_txns"],
            "merchant_category": txn["merchant_category"],
            "country": txn["country"],
            "device_type": txn["device_type"],
            "score": txn["score"],
            "model_version": np.full(n, MODEL_VERSION, dtype=object),
            "label": txn["label"],
        }
    )


def _orders_frame(day: int, seed: int) -> Any:
    """Day ``day``'s orders: the upstream feed the fraud model's requests come from (invalid_orders, feed_stopped).

    The same draws are made on every day, so an incident day differs from a clean one only in the incident.
    """
    import pandas as pd

    # days before day 1 draw from a stream of their own, so the history leaves days 1..DAYS as they were
    rng = np.random.default_rng([seed, _STREAM_ORDERS, day] if day >= 1 else [seed, _STREAM_ORDERS_HISTORY, -day])
    n = int(rng.poisson(ORDERS_ROWS_PER_DAY * ORDERS_WEEKDAY_FACTOR[day_date(day).weekday()]))
    ordered_at = _timestamps(rng, day, n)
    statuses, cdf = _mix(ORDER_STATUS_MIX)
    status = statuses[_pick(cdf, rng.random(n))].astype(object)
    amount = np.round(rng.lognormal(np.log(AMOUNT_MEDIAN), AMOUNT_LOG_SIGMA, size=n), 2)
    refunded = rng.random(n) < ORDERS_REFUND_SHARE
    u_invalid = rng.random(n)
    if day == ORDERS_INVALID_DAY:
        status[u_invalid < ORDERS_UNKNOWN_STATUS_SHARE] = ORDERS_UNKNOWN_STATUS
        negative = (u_invalid >= ORDERS_UNKNOWN_STATUS_SHARE) & (
            u_invalid < ORDERS_UNKNOWN_STATUS_SHARE + ORDERS_NEGATIVE_AMOUNT_SHARE
        )
        amount[negative] = -amount[negative]
    block = day if day >= 1 else DAYS + ORDERS_HISTORY_DAYS + day  # history days take the blocks after DAYS
    ids = block * _ID_BLOCK + np.arange(1, n + 1, dtype=np.int64)
    frame = pd.DataFrame(
        {
            "order_id": ids,
            "ordered_at": ordered_at,
            "amount": amount,
            "status": status,
            "email": np.array([f"customer{i % 9973}@example.com" for i in ids], dtype=object),
            "refunded": refunded,
        }
    )
    stop = np.datetime64(day_date(ORDERS_STOP_DAY).isoformat(), "us") + np.timedelta64(ORDERS_STOP_HOUR, "h")
    return frame[frame["ordered_at"] < stop]


def _catalog(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Item ids and categories ordered by clean popularity rank (index 0 = most popular item).

    Which item is most popular is itself random (fixed per seed), so ids carry no hint of rank.
    """
    rng = np.random.default_rng([seed, _STREAM_CATALOG])
    ids = np.array([f"item_{i:04d}" for i in range(1, CATALOG_SIZE + 1)], dtype=object)
    labels, cdf = _mix(ITEM_CATEGORY_MIX)
    categories = labels[_pick(cdf, rng.random(CATALOG_SIZE))]
    by_rank = rng.permutation(CATALOG_SIZE)
    return ids[by_rank], categories[by_rank]


def _exposure_probabilities(day: int) -> np.ndarray:
    """Expected share of exposures per popularity rank on ``day``.

    Clean days use the Zipf-Mandelbrot curve. During the feedback loop the top-10 keep their relative shape but
    their combined share moves linearly towards FEEDBACK_FINAL_TOP10_SHARE, and ranks past a linearly shrinking
    cutoff are no longer served at all.
    """
    ranks = np.arange(1, CATALOG_SIZE + 1, dtype=np.float64)
    base = (ranks + POPULARITY_OFFSET) ** -POPULARITY_EXPONENT
    base /= base.sum()
    if day < FEEDBACK_FIRST_DAY:
        return base
    progress = min(1.0, (day - FEEDBACK_FIRST_DAY + 1) / (FEEDBACK_LAST_DAY - FEEDBACK_FIRST_DAY + 1))
    clean_share = base[:TOP_K].sum()
    top_share = clean_share + progress * (FEEDBACK_FINAL_TOP10_SHARE - clean_share)
    served = round(CATALOG_SIZE - progress * (CATALOG_SIZE - FEEDBACK_FINAL_SERVED_ITEMS))
    probs = np.zeros(CATALOG_SIZE)
    probs[:TOP_K] = base[:TOP_K] / base[:TOP_K].sum() * top_share
    probs[TOP_K:served] = base[TOP_K:served] / base[TOP_K:served].sum() * (1.0 - top_share)
    return probs


def _exposure_counts(rng: np.random.Generator, probs: np.ndarray, n: int) -> np.ndarray:
    """Split ``n`` exposures over ranks: the integer part of n * p for sure, the remainder at random.

    A recommender serving a stable popularity ranking allocates traffic by quota, not by independent draws, so
    every item whose expected count is at least 1 is exposed every day (no spurious zero-exposure items).
    """
    expected = n * probs
    counts = np.floor(expected).astype(np.int64)
    remainder = n - int(counts.sum())
    frac = expected - counts
    if remainder > 0:
        counts += rng.multinomial(remainder, frac / frac.sum())
    return counts


def _recommendations_frame(day: int, seed: int) -> Any:
    """Day ``day``'s exposures: slates of SLATE_SIZE items, most popular first, one user and time per slate."""
    import pandas as pd

    rng = np.random.default_rng([seed, _STREAM_RECOMMENDATIONS, day])
    slates = int(rng.poisson(RECOMMENDATION_SLATES_PER_DAY * _weekday_factor(day, RECOMMENDATIONS_WEEKDAY_FACTOR)))
    n = slates * SLATE_SIZE
    slate_time = _timestamps(rng, day, slates)
    users = rng.integers(1, USER_POPULATION + 1, slates)
    counts = _exposure_counts(rng, _exposure_probabilities(day), n)
    ranks = rng.permutation(np.repeat(np.arange(CATALOG_SIZE), counts))
    ranks = np.sort(ranks.reshape(slates, SLATE_SIZE), axis=1).ravel()
    item_ids, item_categories = _catalog(seed)
    return pd.DataFrame(
        {
            "exposure_id": day * _ID_BLOCK + np.arange(1, n + 1, dtype=np.int64),
            "exposed_at": np.repeat(slate_time, SLATE_SIZE),
            "user_id": np.repeat(users, SLATE_SIZE).astype(np.int64),
            "item_id": item_ids[ranks],
            "position": np.tile(np.arange(1, SLATE_SIZE + 1, dtype=np.int32), slates),
            "item_category": item_categories[ranks],
        }
    )


# ---------------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------------
def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def _apply_schema_changes(con: duckdb.DuckDBPyConnection, day: int) -> None:
    """Apply the schema change scheduled for ``day``, if any and if the table still has the old column.

    The existence check makes loading a subset of days (e.g. only day 22) work: there is nothing to revert.
    """
    change = SCHEMA_CHANGES.get(day)
    if change is None:
        return
    old, new = change
    if old in _columns(con, SCHEMA_TABLE) and new not in _columns(con, SCHEMA_TABLE):
        con.execute(f'ALTER TABLE main.{SCHEMA_TABLE} RENAME COLUMN "{old}" TO "{new}"')


def _physical_name(columns: list[str], logical: str) -> str:
    """The name the contract column ``logical`` currently has in the table (it may be renamed upstream)."""
    if logical in columns:
        return logical
    for old, new in SCHEMA_CHANGES.values():
        if old == logical and new in columns:
            return new
    raise RuntimeError(f"column {logical!r} is missing and not explained by SCHEMA_CHANGES")


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: Any) -> None:
    con.register("_sqlmon_demo_rows", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _sqlmon_demo_rows")
    finally:
        con.unregister("_sqlmon_demo_rows")


def _load_predictions(con: duckdb.DuckDBPyConnection, day: int, seed: int) -> None:
    frame = _predictions_frame(day, seed)
    columns = _columns(con, "predictions")
    frame = frame.rename(columns={c: _physical_name(columns, c) for c in _PREDICTIONS_COLUMNS})
    _insert(con, "main.predictions", frame)


def _load_recommendations(con: duckdb.DuckDBPyConnection, day: int, seed: int) -> None:
    _insert(con, "main.recommendations", _recommendations_frame(day, seed))


def _incident(
    incident_id: str,
    table: str,
    columns: list[str],
    days: list[int],
    monitor_kind: str,
    description: str,
    **extra: Any,
) -> dict[str, Any]:
    first, last = (days[0], days[-1]) if days else (None, None)
    return {
        "id": incident_id,
        "table": table,
        "columns": columns,
        "first_day": first,
        "last_day": last,
        "first_date": day_date(first).isoformat() if first else None,
        "last_date": day_date(last).isoformat() if last else None,
        "days": days,
        "monitor_kind": monitor_kind,
        "description": description,
        **extra,
    }


# ---------------------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------------------
def _write_ground_truth() -> float:
    """Build the default warehouse in memory, measure it and rewrite ground_truth.json; returns build seconds."""
    con = duckdb.connect(":memory:")
    try:
        started = time.perf_counter()
        _build_into(con, DAYS, SEED)
        elapsed = time.perf_counter() - started
        truth = compute_ground_truth(con, SEED)
    finally:
        con.close()
    GROUND_TRUTH_PATH.write_text(_to_json(truth))
    return elapsed


def _to_json(truth: dict[str, Any]) -> str:
    """Indented JSON, with lists of plain values kept on one line so the file stays short and diffable."""
    text = json.dumps(truth, indent=2)
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the sqlmon demo warehouse (DuckDB) with injected incidents.")
    parser.add_argument("out", nargs="?", help="DuckDB file to create (overwritten)")
    parser.add_argument("--days", type=int, default=DAYS, help=f"days to load, 0..{DAYS} (default {DAYS})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument(
        "--write-ground-truth",
        action="store_true",
        help="rebuild the default warehouse in memory and rewrite the checked-in ground_truth.json",
    )
    args = parser.parse_args(argv)
    if args.out is None and not args.write_ground_truth:
        parser.error("give an output path and/or --write-ground-truth")
    if args.write_ground_truth and (args.days != DAYS or args.seed != SEED):
        parser.error("ground_truth.json describes the default build: do not combine it with --days/--seed")

    if args.write_ground_truth:
        elapsed = _write_ground_truth()
        print(f"wrote {GROUND_TRUTH_PATH} (build took {elapsed:.2f}s)")
    if args.out is not None:
        started = time.perf_counter()
        build(args.out, days=args.days, seed=args.seed)
        elapsed = time.perf_counter() - started
        con = duckdb.connect(args.out, read_only=True)
        try:
            counts = {
                t: con.execute(f"SELECT count(*) FROM main.{t}").fetchone()[0]
                for t in ("training_features", "predictions", "recommendations")
            }
        finally:
            con.close()
        summary = ", ".join(f"{t}={n:,}" for t, n in counts.items())
        print(f"built {args.out}: {args.days} days, seed {args.seed}, {summary} in {elapsed:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
