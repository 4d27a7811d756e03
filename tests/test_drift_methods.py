"""`method`: which feature_drift metrics alert by default, at levels that depend on the sample sizes.

`auto` alerts on psi and on the distances (wasserstein_norm for numbers; l_infinity and unseen_rate for categories).
Their levels are floors that rise for small samples — psi's to χ²_{k−1}(0.99) / n_eff, the distances' as
√(1000 / n_eff) — so a small window is not judged by the levels of a large one. The false-alarm and detection rates
behind these choices are in docs/statistics.md.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from click.testing import CliRunner

from sqlmon.cli import main
from sqlmon.rules.drift_defaults import default_rule
from tests.metrics_support import W0, Stored, load, run_project, times

SOURCES = """\
sources:
  - {name: events, table: main.events, timestamp: ts, window: 1 day, baseline: {table: main.train}}
"""


def _project(make_project, monitors: str, n_cur: int, shift: float, seed: int = 3):
    rng = np.random.default_rng(seed)
    train = {"x": rng.normal(0, 1, 20_000), "c": rng.choice(["a", "b", "c"], 20_000, p=[0.5, 0.3, 0.2])}
    cur = {
        "x": rng.normal(shift, 1, n_cur),
        "c": rng.choice(["a", "b", "c", "new"], n_cur, p=[0.4, 0.3, 0.2, 0.1]),
        "ts": times(n_cur, W0, rng),
    }
    return load(make_project, SOURCES, monitors, {"events": cur, "train": train})


def test_auto_levels_hold_from_1000_rows_and_grow_like_one_over_root_n_below() -> None:
    big = default_rule("auto", "numeric", "wasserstein_norm", 50_000, 100_000)
    assert (big.warn, big.error) == (0.1, 0.25)
    small = default_rule("auto", "numeric", "wasserstein_norm", 50_000, 400)
    n_eff = 1 / (1 / 50_000 + 1 / 400)
    assert small.warn == pytest.approx(0.1 * math.sqrt(1000 / n_eff), rel=1e-12)
    assert small.warn == pytest.approx(0.1587, abs=1e-4)
    # psi · n_eff is about χ²(k − 1) without drift: with 50 categories, χ²49(0.99) = 74.92 is above 0.1 · n_eff
    assert default_rule("auto", "categorical", "psi", 50_000, 10_000, bins=50).warn == 0.1
    psi = default_rule("auto", "categorical", "psi", 50_000, 400, bins=50)
    assert psi.warn == pytest.approx(74.919 * (1 / 50_000 + 1 / 400), rel=1e-4)
    assert psi.error == 0.25  # χ²49(0.999) / n_eff = 0.215 stays below the floor
    assert default_rule("auto", "numeric", "ks_pvalue", 50_000, 400) is None  # from 300 rows, the distances judge
    pvalue = default_rule("pvalue", "numeric", "ks_pvalue", 50_000, 100)
    assert (pvalue.warn, pvalue.error, pvalue.direction) == (0.01, 0.001, "below")


def test_below_300_values_a_side_the_two_sample_tests_judge_instead_of_the_distances() -> None:
    """At 100 rows, noise alone fired the distance levels in 2.3–7.1 % of windows without drift; the KS and χ² tests'
    p-values hold at any n, and fired in under 1 % of windows at p < 0.005 from n = 30 (docs/statistics.md)."""
    assert default_rule("auto", "numeric", "psi", 50_000, 299) is None
    assert default_rule("auto", "numeric", "wasserstein_norm", 299, 50_000) is None
    assert default_rule("auto", "numeric", "psi", 50_000, 300) is not None
    ks = default_rule("auto", "numeric", "ks_pvalue", 50_000, 30)
    assert (ks.warn, ks.error, ks.direction) == (0.005, 0.001, "below")
    chi2 = default_rule("distance", "categorical", "chi2_pvalue", 50_000, 200)
    assert (chi2.warn, chi2.error, chi2.direction) == (0.005, 0.001, "below")
    assert default_rule("auto", "categorical", "unseen_rate", 50_000, 30) is not None  # 0 without drift at any n
    assert default_rule("auto", "numeric", "ks_pvalue", 50_000, 300) is None  # from 300 on, the distances judge


def test_a_new_category_in_windows_of_200_rows_alerts_and_the_report_says_what_was_not_judged(make_project) -> None:
    # daily windows of 200 rows, 30 % of them a category the baseline never had: psi 1.7 and ks_pvalue 0 — an
    # error, not "ok" for want of 300 rows
    rng = np.random.default_rng(9)
    train = {"x": rng.normal(0, 1, 20_000), "c": rng.choice(["a", "b"], 20_000)}
    cur = {
        "x": rng.normal(0.8, 1, 200),
        "c": rng.choice(["a", "b", "new"], 200, p=[0.35, 0.35, 0.3]),
        "ts": times(200, W0, rng),
    }
    monitors = "monitors:\n  - {name: drift, type: feature_drift, source: events, columns: [x, c]}\n"
    root = load(make_project, SOURCES, monitors, {"events": cur, "train": train})
    result = CliRunner().invoke(main, ["run", "-p", str(root), "--end", f"{W0 + timedelta(days=1):%Y-%m-%d}"])
    alerts = {(a[0], a[2]) for a in Stored(root).alerts("drift")}
    assert {("unseen_rate", "error"), ("chi2_pvalue", "error"), ("ks_pvalue", "error")} <= alerts
    assert "Not judged in the latest window (2):" in result.output
    assert (
        "  drift, x: psi not judged: 200 rows on the smaller side, below the 300 its default level is calibrated"
        " for; ks_pvalue < 0.005 judges instead; wasserstein_norm not judged:"
    ) in result.output


def test_auto_alerts_on_a_fifth_sigma_shift_and_on_a_new_category(make_project) -> None:
    root = _project(
        make_project, "monitors:\n  - {name: drift, type: feature_drift, source: events, columns: [x, c]}\n", 5_000, 0.2
    )
    alerts = {(a[0], a[2]) for a in run_project(root).alerts("drift")}
    assert ("wasserstein_norm", "warn") in alerts  # 0.2σ: above 0.1, below 0.25
    assert ("unseen_rate", "error") in alerts  # 10 % of the window is a category the baseline never had
    assert ("l_infinity", "warn") in alerts  # `a` fell from 50 % to 40 %
    messages = [a[3] for a in run_project(root).alerts("drift")]
    assert any(m.startswith("unseen_rate of c = 0.1") and "new: new" in m for m in messages)


def test_auto_is_quiet_on_a_small_window_without_drift_that_fixed_levels_would_flag(make_project) -> None:
    """60 rows: noise alone puts wasserstein_norm above the 1,000-row level of 0.1, and psi above 0.25."""
    monitors = """\
    monitors:
      - {name: quiet, type: feature_drift, source: events, columns: [x]}
      - {name: fixed, type: feature_drift, source: events, columns: [x], thresholds: {wasserstein_norm: {warn: 0.1}}}
    """
    db = run_project(_project(make_project, monitors, 60, 0.0, seed=11))
    assert db.metrics("quiet")[("x", "wasserstein_norm")] > 0.1
    assert db.metrics("quiet")[("x", "psi")] > 0.25
    assert db.alerts("quiet") == []
    assert "wasserstein_norm" in [a[0] for a in db.alerts("fixed")]  # the monitor's own level wins


def test_method_pvalue_alerts_on_the_tests_and_null_switches_a_default_off(make_project) -> None:
    monitors = """\
    monitors:
      - {name: tests, type: feature_drift, source: events, columns: [x, c], method: pvalue}
      - {name: muted, type: feature_drift, source: events, columns: [x, c], thresholds: {unseen_rate: null}}
    """
    db = run_project(_project(make_project, monitors, 5_000, 0.2))
    assert {(a[0], a[2]) for a in db.alerts("tests")} == {("ks_pvalue", "error"), ("chi2_pvalue", "error")}
    assert "unseen_rate" not in {a[0] for a in db.alerts("muted")}
    assert "wasserstein_norm" in {a[0] for a in db.alerts("muted")}


def test_prediction_histogram_psi_follows_the_same_small_sample_rule(make_project) -> None:
    """Below 300 values a side psi is not judged by its default levels (at n = 100, psi > 0.1 fired on 38.9 % of
    windows without drift)."""
    monitors = """\
    monitors:
      - {name: scores, type: prediction_histogram, source: events, column: x, binning: quantile, bins: 10}
    """
    small = run_project(_project(make_project, monitors, 120, 0.5, seed=4))
    assert small.metrics("scores")[("x", "psi")] > 0.1  # stored, but 120 rows are too few to judge by default
    assert small.alerts("scores") == []


def test_a_monitor_threshold_on_a_small_window_judges_and_no_note_says_otherwise(make_project) -> None:
    rng = np.random.default_rng(10)
    train = {"x": rng.normal(0, 1, 5_000)}
    cur = {"x": rng.normal(0, 1, 100), "ts": times(100, W0, rng)}
    monitors = (
        "monitors:\n  - {name: drift, type: feature_drift, source: events, columns: [x],"
        " thresholds: {psi: {warn: 5}}}\n"
    )
    root = load(make_project, SOURCES, monitors, {"events": cur, "train": train})
    result = CliRunner().invoke(main, ["run", "-p", str(root), "--end", f"{W0 + timedelta(days=1):%Y-%m-%d}"])
    assert "psi not judged" not in result.output
    assert "wasserstein_norm not judged" in result.output  # the default it could not apply is still named
