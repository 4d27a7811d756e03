"""Trend rules: the Mann–Kendall test and Sen's slope against scipy, its false-alarm rate on noise, and a slow ramp
that no band sees caught end to end on DuckDB."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sqlmon.runner import run
from sqlmon.stats.trend import mann_kendall
from tests.conftest import query
from tests.test_config_errors import offline


def test_one_slot_is_scipys_kendall_tau_test_of_the_values_against_time_and_sens_slope() -> None:
    rng = np.random.default_rng(1)
    values = np.round(rng.normal(0, 1, 30) + 0.03 * np.arange(30), 1)  # rounded: ties, which change the variance
    found = mann_kendall([list(enumerate(values.tolist()))])
    assert found is not None
    tau = stats.kendalltau(np.arange(30), values, method="asymptotic")
    assert found.pvalue == pytest.approx(tau.pvalue, rel=1e-12)
    assert found.slope == pytest.approx(stats.theilslopes(values, np.arange(30)).slope, rel=1e-12)
    brute = sum(np.sign(values[j] - values[i]) for i in range(30) for j in range(i + 1, 30))
    assert found.s == brute


def test_seasonal_slots_add_their_s_and_variances() -> None:
    rng = np.random.default_rng(2)
    slots = [[(i, float(v)) for i, v in zip(range(k, 28, 7), rng.normal(size=4), strict=True)] for k in range(7)]
    found = mann_kendall(slots)
    parts = [mann_kendall([slot]) for slot in slots]
    assert found is not None and all(parts)
    assert found.s == sum(p.s for p in parts if p)
    assert found.variance == pytest.approx(sum(p.variance for p in parts if p), rel=1e-12)
    assert found.z == pytest.approx(found.s / np.sqrt(found.variance), rel=1e-12)


def test_on_noise_the_test_fires_on_its_p_value_share_of_windows() -> None:
    # 28 windows of independent normal noise, 20,000 times: p < 0.01 should fire on ~1 % (the normal approximation
    # of S is slightly conservative at this size)
    rng = np.random.default_rng(3)
    fired = sum(
        (found := mann_kendall([list(enumerate(rng.normal(size=28).tolist()))])) is not None and found.pvalue < 0.01
        for _ in range(20_000)
    )
    assert 0.007 < fired / 20_000 < 0.012


def test_all_equal_values_are_no_trend() -> None:
    assert mann_kendall([[(i, 5.0) for i in range(10)]]) is None


FIRST = datetime(2026, 8, 3)


def _ramp_project(make_project, trend: str):
    # 56 days of orders around 400 a day, then 14 days each 2 % above the day before: a creep that stays inside
    # each day's anomaly band (it moves with it), until the trend test sees 28 windows rising
    rng = np.random.default_rng(4)
    counts = [int(rng.poisson(400 * (1.02 ** max(0, d - 55)))) for d in range(70)]
    stamps = [FIRST + timedelta(days=d, seconds=float(s)) for d, n in enumerate(counts) for s in range(n)]
    monitors = f"""\
sources:
  - {{name: orders, table: main.orders, timestamp: ts, window: 1 day, backfill: 100 days}}
monitors:
  - name: orders_volume
    type: volume
    source: orders
    anomaly: {{seasonality: none}}
    trend: {trend}
"""
    return make_project(monitors, tables={"orders": pd.DataFrame({"ts": pd.to_datetime(stamps)})})


def test_a_slow_ramp_is_caught_by_the_trend_rule_and_its_message_says_how_fast(make_project) -> None:
    root = _ramp_project(make_project, "{metrics: [row_count], windows: 28, seasonality: none}")
    assert run(root, start=FIRST, end=FIRST + timedelta(days=70)).status == "success"
    alerts = query(root, "SELECT window_start, rule, message FROM sqlmon.sqlmon_alerts ORDER BY window_start")
    trend = [a for a in alerts if a[1].startswith("trend")]
    assert trend and trend[0][0] > FIRST + timedelta(days=56)  # not before the ramp
    assert trend[-1][0] == FIRST + timedelta(days=69)
    assert trend[0][1] == "trend mann_kendall p < 0.001 over 28 windows"
    assert "(warn: rising over the last 28 windows; Mann–Kendall p = " in trend[0][2]
    assert "Sen's slope +" in trend[0][2]
    before = [a for a in alerts if a[0] < FIRST + timedelta(days=56)]
    assert before == []  # 56 days of noise: no trend, no anomaly


def test_direction_down_ignores_a_rise(make_project) -> None:
    root = _ramp_project(make_project, "{windows: 28, seasonality: none, direction: down}")
    run(root, start=FIRST, end=FIRST + timedelta(days=70))
    assert query(root, "SELECT COUNT(*) FROM sqlmon.sqlmon_alerts WHERE rule LIKE 'trend%'") == [(0,)]


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (
            "{pvalue: 5}",
            "monitors/monitors.yml:8: monitors[0].trend.pvalue: `pvalue` is a probability between 0 and 1, such as"
            " 0.001, not 5",
        ),
        ("{metrics: [rows]}", "monitors/monitors.yml:8: monitors[0].trend.metrics[0]: `volume` has no metric `rows`"),
    ],
)
def test_bad_trend_settings_are_file_line_errors(make_project, settings, problem) -> None:
    root = make_project(f"""\
        sources:
          - {{name: orders, table: main.orders, timestamp: ts, window: 1 day}}
        monitors:
          - name: orders_volume
            type: volume
            source: orders
            anomaly: null
            trend: {settings}
        """)
    [found] = offline(root)
    assert found.startswith(problem)
