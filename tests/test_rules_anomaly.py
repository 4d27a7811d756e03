"""The arithmetic of anomaly rules (sqlmon.stats.anomaly), against numpy and scipy on the same numbers.

Which past windows train a band, the band itself (median and MAD, or mean and standard deviation, widened for the
training size), and the verdict on one value: ok, outside the band, a change too small to matter, or not enough
history to judge.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from scipy import stats

from sqlmon.stats.anomaly import (
    ANOMALY,
    INSUFFICIENT,
    NO_VALUE,
    OK,
    SMALL_CHANGE,
    Point,
    assess,
    band,
    degrees_of_freedom,
    level_power,
    training_sets,
    widening,
)

MONDAY = datetime(2026, 9, 7)
TOL = 1e-12


def training_values(past: list[Point], judged: datetime, **settings) -> list[float]:
    return training_sets(past, judged, **settings).own


def daily(values: list[float | None], start: datetime = MONDAY, alerted: set[int] = frozenset()) -> list[Point]:
    return [
        Point(start + timedelta(days=i), start + timedelta(days=i + 1), v, i in alerted) for i, v in enumerate(values)
    ]


# --- the band -----------------------------------------------------------------------------------------------------
def loo_residuals(rows: np.ndarray) -> np.ndarray:
    """|x_i − median of the other values| / √(1 + π/(2(m − 1))) for every value of every row, with numpy."""
    m = rows.shape[1]
    out = np.empty_like(rows)
    for i in range(m):
        out[:, i] = np.abs(rows[:, i] - np.median(np.delete(rows, i, axis=1), axis=1))
    return out / np.sqrt(1 + np.pi / (2 * (m - 1)))


def pooled_sigma(training: np.ndarray, method: str) -> np.ndarray:
    """The reference σ̂ of slot 0, with numpy, for `training` of shape (draws, slots, size): per slot the centre and
    spread (median of leave-one-out deviations, or the standard deviation), β fitted by least squares of log spread
    on log centre across the slots and clipped to [0, 1] (no β with one slot), the deviations pooled in units of
    centre^β and scaled back by slot 0's."""
    draws, slots, size = training.shape
    if method == "mad":
        centres = np.median(training, axis=2)
        devs = np.stack([loo_residuals(training[:, j]) for j in range(slots)], axis=1) * np.sqrt(
            1 + np.pi / (2 * (size - 1))
        )
        spreads = np.median(devs, axis=2)
    else:
        centres = training.mean(axis=2)
        devs = training - centres[:, :, None]
        spreads = training.std(axis=2, ddof=1)
    lx, ly = np.log(np.abs(centres)), np.log(spreads)
    lx_c, ly_c = lx - lx.mean(axis=1, keepdims=True), ly - ly.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        fitted = np.clip((lx_c * ly_c).sum(axis=1) / (lx_c**2).sum(axis=1), 0, 1)
    wide = (lx.max(axis=1) - lx.min(axis=1)) >= np.log(2.0)  # a narrower range keeps β = 1
    beta = np.where(wide & (slots >= 3), fitted, 1.0) if slots > 1 else np.zeros(draws)
    units = np.abs(centres) ** beta[:, None]
    scaled = devs / units[:, :, None]
    if method == "mad":
        pooled = (
            1.482602218505602 * np.median(scaled.reshape(draws, -1), axis=1) / np.sqrt(1 + np.pi / (2 * (size - 1)))
        )
    else:
        pooled = np.sqrt((scaled**2).sum(axis=(1, 2)) / (slots * (size - 1)))
    return units[:, 0] * pooled


def test_the_mad_band_is_the_median_plus_minus_k_widened_scales_from_leave_one_out_residuals() -> None:
    values = [101.0, 97.0, 103.0, 99.0, 250.0, 100.0, 98.0, 102.0]
    fitted = band(values, "mad", 3.5)
    median = float(np.median(values))
    sigma = 1.482602218505602 * float(np.median(loo_residuals(np.array([values]))))
    nu = min(0.5 * 7, 0.37 * 7 + 0.7)
    c = stats.t.ppf(stats.norm.cdf(3.5), nu) / 3.5 * math.sqrt(1 + math.pi / (2 * 8))
    assert fitted.expected == median
    assert math.isclose(fitted.scale, sigma * c, rel_tol=TOL)
    assert math.isclose(fitted.upper, median + 3.5 * sigma * c, rel_tol=TOL)
    assert math.isclose(fitted.lower, median - 3.5 * sigma * c, rel_tol=TOL)


def test_the_zscore_band_is_the_exact_normal_prediction_interval() -> None:
    rng = np.random.default_rng(7)
    values = list(rng.normal(50, 4, size=12))
    fitted = band(values, "zscore", 3.0)
    mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
    half = stats.t.ppf(stats.norm.cdf(3.0), 11) * sd * math.sqrt(1 + 1 / 12)
    assert math.isclose(fitted.expected, mean, rel_tol=TOL)
    assert math.isclose(fitted.upper - fitted.expected, half, rel_tol=1e-9)


def test_with_seasonality_the_other_slots_share_in_the_scale_in_units_of_a_power_of_their_level() -> None:
    # noise proportional to the level (5 %), slots at levels 50 … 140: β is fitted from the slots' spreads, the
    # residuals pool in units of centre^β, and the own slot's σ̂ is its centre^β times their scale
    rng = np.random.default_rng(8)
    levels = (100, 50, 60, 80, 120, 130, 140)
    training = np.array([[level * (1 + 0.05 * rng.standard_normal(6)) for level in levels]])
    own, others = list(training[0, 0]), [list(g) for g in training[0, 1:]]
    for method in ("zscore", "mad"):
        fitted = band(own, method, 3.0, others)
        expected = float(np.mean(own) if method == "zscore" else np.median(own))
        sigma = float(pooled_sigma(training, method)[0])
        assert math.isclose(fitted.expected, expected, rel_tol=TOL)
        assert math.isclose(fitted.scale, sigma * widening(method, 6, 3.0, 42, 7), rel_tol=1e-9), method
    # ANOVA's within-slot standard deviation when β = 1: the zscore band's exact interval
    assert math.isclose(level_power([1.0, 2.0, 4.0], [0.1, 0.2, 0.4]), 1.0, rel_tol=TOL)
    assert level_power([100.0, 120.0, 140.0], [9.0, 1.0, 5.0]) == 1.0  # levels within a factor 2: no fit
    assert math.isclose(level_power([1.0, 4.0, 16.0], [1.0, 2.0, 4.0]), 0.5, rel_tol=TOL)  # Poisson-like
    assert level_power([1.0, 2.0, 4.0], [3.0, 3.0, 3.0]) == 0.0  # noise that ignores the level
    assert level_power([1.0, 2.0], [1.0, 2.0]) == 1.0  # too few slots to fit
    # slots whose centres straddle 0 pool as they are
    assert band([1.0, -1.0, 0.5], "zscore", 3.0, [[-5.0, -6.0]]).scale > 0


def test_the_widening_vanishes_as_the_training_grows() -> None:
    assert widening("zscore", 10_000, 3.5) == pytest.approx(1.0, abs=2e-3)
    assert widening("mad", 10_000, 3.5) == pytest.approx(1.0, abs=5e-3)
    assert widening("mad", 7, 3.5) > widening("mad", 14, 3.5) > widening("mad", 28, 3.5) > 1
    assert widening("mad", 7, 3.5, pooled=49, groups=7) < widening("mad", 7, 3.5)
    assert degrees_of_freedom("zscore", 7) == 6


@pytest.mark.parametrize("method", ["mad", "zscore"])
@pytest.mark.parametrize(("size", "slots"), [(5, 1), (7, 1), (14, 1), (28, 1), (7, 7), (4, 24)])
def test_on_normal_noise_the_band_misses_as_often_as_k_known_sigmas_at_every_training_size(method, size, slots):
    # sensitivity 3 → 2·(1 − Φ(3)) = 0.27 % of windows outside the band. 200,000 seeded draws measure the rate to
    # about ±0.03 points; the zscore band is exact, the MAD band's degrees of freedom are a fit. With `slots`, each
    # draw has that many seasonal slots of `size` windows, at different levels, whose residuals pool.
    k, draws = 3.0, 200_000
    rng = np.random.default_rng([size, slots, len(method)])
    # slots at levels 100, 110, … with noise of 1 % of the level: they pool in units of a fitted power of it
    levels = 100 + 10 * np.arange(slots)[None, :, None]
    training = levels * (1 + 0.01 * rng.standard_normal((draws, slots, size)))
    new = 100 * (1 + 0.01 * rng.standard_normal(draws))  # the judged window, of slot 0
    centre = np.median(training[:, 0], axis=1) if method == "mad" else training[:, 0].mean(axis=1)
    sigma = pooled_sigma(training, method)
    c = widening(method, size, k, size * slots, slots)
    rate = float(np.mean(np.abs(new - centre) > k * c * sigma))
    nominal = 2 * (1 - stats.norm.cdf(k))
    # exact for zscore with one slot or levels within a factor 2 (β = 1); a fitted β makes it a little conservative
    exact = method == "zscore" and (slots == 1 or 10 * (slots - 1) < 100)
    low, high = (0.85, 1.15) if exact else (0.6, 1.3)
    assert nominal * low < rate < nominal * high, rate


def test_a_mad_of_zero_falls_back_to_the_standard_deviation_of_the_residuals() -> None:
    values = [0.0] * 6 + [3.0, 5.0]  # a count that is usually 0: its MAD is 0, its bursts must widen the band
    fitted = band(values, "mad", 3.5)
    rms = float(np.sqrt(np.mean(loo_residuals(np.array([values])) ** 2)))
    assert fitted.expected == 0.0
    assert math.isclose(fitted.scale, rms * widening("mad", 8, 3.5), rel_tol=TOL)


def test_auto_seasonality_follows_the_window() -> None:
    from sqlmon.rules.anomaly import seasonality_for

    assert seasonality_for("auto", timedelta(days=1)) == "day_of_week"
    assert seasonality_for("auto", timedelta(hours=1)) == "hour_of_week"  # 3 a.m. ≠ noon, Saturday ≠ Tuesday
    assert seasonality_for("auto", timedelta(hours=6)) == "hour_of_week"
    assert seasonality_for("auto", timedelta(minutes=10)) is None
    assert seasonality_for("auto", timedelta(days=7)) is None
    assert seasonality_for("auto", None) is None
    assert seasonality_for("none", timedelta(days=1)) is None
    assert seasonality_for("day_of_month", timedelta(days=1)) == "day_of_month"


# --- the verdict --------------------------------------------------------------------------------------------------
def test_fewer_training_values_than_min_training_is_insufficient_history_not_an_alert() -> None:
    verdict = assess([10.0, 11.0, 9.0], 1000.0, min_training=7)
    assert (verdict.status, verdict.training_size, verdict.band) == (INSUFFICIENT, 3, None)


STEADY = [100.0, 104.0, 96.0, 101.0, 99.0, 103.0, 97.0] * 4  # 28 windows around 100


def test_a_value_outside_the_band_is_an_anomaly_and_its_score_is_in_scale_units() -> None:
    training = STEADY
    verdict = assess(training, 40.0)
    assert verdict.status == ANOMALY
    assert verdict.band is not None and verdict.score is not None
    assert math.isclose(verdict.score, (40.0 - verdict.band.expected) / verdict.band.scale, rel_tol=TOL)
    assert verdict.score < -3.5
    assert assess(training, 100.5).status == OK


def test_few_training_windows_widen_the_band_rather_than_raise_false_alarms() -> None:
    # 7 windows estimate the noise so poorly that 3.5 MADs from them would miss on 6.9 % of normal windows: the band
    # is 5.6 times wider than 3.5 MADs there, and narrows as the history grows
    assert widening("mad", 7, 3.5) == pytest.approx(5.6, abs=0.1)
    assert assess(STEADY[:7], 40.0).status == OK
    assert assess(STEADY[:14], 40.0).status == ANOMALY
    assert assess(STEADY, 40.0).status == ANOMALY


def test_direction_says_which_side_alerts() -> None:
    training = STEADY
    assert assess(training, 500.0, direction="down").status == OK
    assert assess(training, 5.0, direction="down").status == ANOMALY
    assert assess(training, 5.0, direction="up").status == OK
    assert assess(training, 500.0, direction="up").status == ANOMALY


def test_a_change_below_both_min_change_floors_is_never_an_alert() -> None:
    training = [100.0] * 27 + [100.5]  # nearly constant: a tiny band
    assert assess(training, 103.0).status == ANOMALY
    assert assess(training, 103.0, min_absolute=10, min_relative=0.05).status == SMALL_CHANGE
    assert assess(training, 108.0, min_absolute=10, min_relative=0.05).status == ANOMALY  # beyond 5 % of 100
    assert assess(training, 108.0, min_absolute=10).status == SMALL_CHANGE


def test_constant_training_values_have_no_score_and_any_change_is_outside_the_band() -> None:
    verdict = assess([5.0] * 8, 6.0)
    assert (verdict.status, verdict.score) == (ANOMALY, None)
    assert assess([5.0] * 8, 5.0).status == OK


def test_a_value_that_could_not_be_computed_is_no_value() -> None:
    assert assess([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], None).status == NO_VALUE


# --- the training windows -----------------------------------------------------------------------------------------
def test_the_judged_window_is_never_part_of_its_own_training_set() -> None:
    past = daily([1.0, 2.0, 3.0, 4.0])
    assert training_values(past, past[2].start, training=10) == [1.0, 2.0]


def test_training_takes_the_latest_windows_oldest_first() -> None:
    past = daily([float(i) for i in range(10)])
    assert training_values(past, MONDAY + timedelta(days=10), training=3) == [7.0, 8.0, 9.0]


def test_with_seasonality_training_counts_windows_of_the_same_weekday_only() -> None:
    past = daily([float(i) for i in range(70)])  # ten weeks from a Monday
    judged = MONDAY + timedelta(days=70)  # a Monday
    assert training_values(past, judged, training=4, seasonality="day_of_week") == [35.0, 42.0, 49.0, 56.0, 63.0][1:]
    hours = [Point(MONDAY + timedelta(hours=h), MONDAY + timedelta(hours=h + 1), float(h)) for h in range(24 * 5)]
    at_ten = training_values(hours, MONDAY + timedelta(days=5, hours=10), training=28, seasonality="hour_of_day")
    assert at_ten == [10.0, 34.0, 58.0, 82.0, 106.0]


def test_windows_that_alerted_are_left_out_unless_include_alerts_and_the_search_reaches_further_back() -> None:
    past = daily([1.0, 2.0, 3.0, 4.0, 5.0], alerted={3})
    judged = MONDAY + timedelta(days=5)
    assert training_values(past, judged, training=3) == [2.0, 3.0, 5.0]
    assert training_values(past, judged, training=3, include_alerts=True) == [3.0, 4.0, 5.0]


def test_excluded_dates_and_missing_values_never_train() -> None:
    past = daily([1.0, None, 3.0, float("nan"), 5.0, 6.0])
    excluded = {date(2026, 9, 11)}  # the Friday: 5.0
    assert training_values(past, MONDAY + timedelta(days=6), training=10, exclude=excluded) == [1.0, 3.0, 6.0]


def test_the_other_slots_train_the_scale_over_the_same_span_as_the_own_slot() -> None:
    past = daily([float(i) for i in range(30)])  # from a Monday
    found = training_sets(past, MONDAY + timedelta(days=30), training=2, seasonality="day_of_week")  # a Wednesday
    assert found.own == [16.0, 23.0]  # the last two Wednesdays
    assert sorted(map(sorted, found.others)) == [
        [17.0, 24.0],
        [18.0, 25.0],
        [19.0, 26.0],
        [20.0, 27.0],
        [21.0, 28.0],
        [22.0, 29.0],
    ]
    assert training_sets(past, MONDAY + timedelta(days=30), training=2).others == []  # no seasonality: one slot


def test_windows_that_alerted_leave_the_expected_value_but_not_the_scale() -> None:
    # a count that is mostly 0: were its alerted bursts left out of the scale too, the scale would shrink to 0 and
    # every later burst alert (12 false alerts per 100 windows in bench/anomaly_eval.py)
    past = daily([0.0, 0.0, 4.0, 0.0, 0.0, 5.0, 0.0, 0.0], alerted={2, 5})
    found = training_sets(past, MONDAY + timedelta(days=8), training=10)
    assert found.own == [0.0] * 6
    assert found.spread == [[0.0, 0.0, 4.0, 0.0, 0.0, 5.0, 0.0, 0.0]]
    assert band(found.own, "mad", 3.5, spread=found.spread).scale > 0
    assert band(found.own, "mad", 3.5).scale == 0  # without them: any burst would alert
