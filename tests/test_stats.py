"""Tests for sqlmon.stats: the statistics computed in Python from warehouse aggregates.

Every metric is checked against an independent reference evaluated on the same raw data: raw samples are drawn
with numpy (fixed seeds), turned into the aggregates the SQL would return (counts per distinct value, per bin or
per category) with numpy, fed to sqlmon.stats, and compared with scipy or a direct numpy formula applied to the raw
samples / probability vectors. Tolerance: absolute 1e-9, or relative 1e-9 for large values.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from decimal import Decimal

import numpy as np
import pytest
import scipy.spatial.distance
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from sqlmon import stats
from sqlmon.stats import reference as twins

TOL = 1e-9  # absolute, or relative for large values


def _assert_close(actual: float, expected: float, *, tol: float = TOL) -> None:
    """Every comparison with a reference goes through here (absolute OR relative tolerance)."""
    assert math.isclose(actual, expected, rel_tol=tol, abs_tol=tol), (actual, expected)


# --------------------------------------------------------------------------------------------------------------------
# building the aggregates the warehouse would return, from raw samples
# --------------------------------------------------------------------------------------------------------------------
def per_value_counts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct values of the union of two samples and the number of rows of each sample at each value."""
    values = np.unique(np.concatenate([a, b]))
    count_a = np.bincount(np.searchsorted(values, a), minlength=values.size)
    count_b = np.bincount(np.searchsorted(values, b), minlength=values.size)
    return values, count_a, count_b


def histogram_counts(a: np.ndarray, b: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts of two samples over shared equal-width bins."""
    edges = np.linspace(min(a.min(), b.min()), max(a.max(), b.max()), n_bins + 1)
    return np.histogram(a, edges)[0], np.histogram(b, edges)[0]


def category_counts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts of two categorical samples over the union of their categories."""
    _, base, cur = per_value_counts(a, b)
    return base, cur


def as_proportions(counts: np.ndarray) -> np.ndarray:
    return np.asarray(counts, dtype=float) / np.sum(counts)


RNG_SEEDS = [0, 1, 2]


def drifted_normals(seed: int, n: int = 2000, m: int = 1500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.0, n), rng.normal(0.3, 1.2, m)


def drifted_poissons(seed: int, n: int = 3000, m: int = 1700) -> tuple[np.ndarray, np.ndarray]:
    """Integer samples with heavy ties (about a dozen distinct values)."""
    rng = np.random.default_rng(seed)
    return rng.poisson(3.0, n), rng.poisson(3.4, m)


def drifted_categories(seed: int, n: int = 5000, m: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """Categorical samples (category ids); categories 20..24 only occur in the current window."""
    rng = np.random.default_rng(seed)
    w_base = rng.dirichlet(np.ones(20))
    w_cur = np.concatenate([0.85 * rng.dirichlet(np.ones(20)), 0.15 * rng.dirichlet(np.ones(5))])
    return rng.choice(20, n, p=w_base), rng.choice(25, m, p=w_cur)


# --------------------------------------------------------------------------------------------------------------------
# Kolmogorov–Smirnov
# --------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_ks_from_counts_matches_scipy_on_continuous_data(seed: int) -> None:
    a, b = drifted_normals(seed)
    values, base, cur = per_value_counts(a, b)
    _assert_close(twins.ks_from_counts(values, base, cur), scipy.stats.ks_2samp(a, b).statistic)


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_ks_from_counts_matches_scipy_on_integer_data_with_heavy_ties(seed: int) -> None:
    a, b = drifted_poissons(seed)
    values, base, cur = per_value_counts(a, b)
    assert values.size < 25  # thousands of rows, a handful of distinct values
    _assert_close(twins.ks_from_counts(values, base, cur), scipy.stats.ks_2samp(a, b).statistic)


def test_ks_from_counts_accepts_values_in_any_order_and_sums_repeated_values() -> None:
    a, b = drifted_poissons(3, 400, 300)
    values, base, cur = per_value_counts(a, b)
    expected = scipy.stats.ks_2samp(a, b).statistic
    order = np.random.default_rng(3).permutation(values.size)
    _assert_close(twins.ks_from_counts(values[order], base[order], cur[order]), expected)
    # the same value reported on two rows (e.g. split across partitions) counts once, with the summed counts
    split_values = np.concatenate([values, values])
    split_base = np.concatenate([base // 2, base - base // 2])
    split_cur = np.concatenate([cur - cur // 3, cur // 3])
    _assert_close(twins.ks_from_counts(split_values, split_base, split_cur), expected)


def test_ks_from_counts_with_weighted_counts_equals_the_unweighted_statistic_when_weights_are_uniform() -> None:
    a, b = drifted_poissons(4, 500, 800)
    values, base, cur = per_value_counts(a, b)
    _assert_close(twins.ks_from_counts(values, base * 0.37, cur * 2.5), twins.ks_from_counts(values, base, cur))


def test_ks_from_counts_allows_infinite_values() -> None:
    a = np.array([-np.inf, 0.0, 1.0, 2.0, np.inf])
    b = np.array([0.5, 1.0, 1.0, np.inf])
    values, base, cur = per_value_counts(a, b)
    _assert_close(twins.ks_from_counts(values, base, cur), scipy.stats.ks_2samp(a, b).statistic)


SAMPLE_SIZES = [(50, 50), (100, 37), (37, 100), (1000, 999), (2500, 400), (17, 4000), (20000, 30000)]


@pytest.mark.parametrize(("n", "m"), SAMPLE_SIZES)
def test_ks_pvalue_matches_scipy_asymptotic_pvalue(n: int, m: int) -> None:
    rng = np.random.default_rng(n * 7919 + m)
    a, b = rng.normal(0.0, 1.0, n), rng.normal(0.1, 1.0, m)
    reference = scipy.stats.ks_2samp(a, b, method="asymp")
    values, base, cur = per_value_counts(a, b)
    d = twins.ks_from_counts(values, base, cur)
    _assert_close(stats.ks_pvalue(d, n, m), reference.pvalue)


@pytest.mark.parametrize(("n", "m"), SAMPLE_SIZES)
def test_ks_pvalue_matches_scipy_on_tied_integer_data(n: int, m: int) -> None:
    rng = np.random.default_rng(n * 104729 + m)
    a, b = rng.binomial(10, 0.5, n), rng.binomial(10, 0.53, m)
    reference = scipy.stats.ks_2samp(a, b, method="asymp")
    values, base, cur = per_value_counts(a, b)
    _assert_close(stats.ks_pvalue(twins.ks_from_counts(values, base, cur), n, m), reference.pvalue)


def test_ks_pvalue_is_symmetric_in_the_sample_sizes() -> None:
    assert stats.ks_pvalue(0.07, 300, 1200) == stats.ks_pvalue(0.07, 1200, 300)


def test_ks_pvalue_is_nan_when_a_sample_is_empty() -> None:
    assert math.isnan(stats.ks_pvalue(0.3, 0, 100))
    assert math.isnan(stats.ks_pvalue(0.3, 100, 0))


def test_ks_pvalue_is_nan_when_the_statistic_is_nan() -> None:
    assert math.isnan(stats.ks_pvalue(float("nan"), 100, 100))


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # raised inside scipy
def test_ks_pvalue_is_nan_for_two_single_observations_like_scipy() -> None:
    # en = round(1·1/2) = 0 (round half to even): the asymptotic distribution is undefined
    assert math.isnan(scipy.stats.ks_2samp([1.0], [2.0], method="asymp").pvalue)
    assert math.isnan(stats.ks_pvalue(1.0, 1, 1))


def test_ks_pvalue_rejects_negative_sample_sizes() -> None:
    with pytest.raises(ValueError):
        stats.ks_pvalue(0.1, -1, 10)


# --------------------------------------------------------------------------------------------------------------------
# Wasserstein
# --------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_wasserstein_from_counts_matches_scipy_on_continuous_data(seed: int) -> None:
    a, b = drifted_normals(seed)
    values, base, cur = per_value_counts(a, b)
    _assert_close(twins.wasserstein_from_counts(values, base, cur), scipy.stats.wasserstein_distance(a, b))


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_wasserstein_from_counts_matches_scipy_on_integer_data_with_heavy_ties(seed: int) -> None:
    a, b = drifted_poissons(seed)
    a = a * 1000 - 2500  # large, negative and positive values
    b = b * 1000 - 2500
    values, base, cur = per_value_counts(a, b)
    _assert_close(twins.wasserstein_from_counts(values, base, cur), scipy.stats.wasserstein_distance(a, b))


def test_wasserstein_from_counts_matches_scipy_with_weighted_counts() -> None:
    rng = np.random.default_rng(11)
    values = np.sort(rng.normal(0, 10, 200))
    base, cur = rng.exponential(1.0, 200), rng.exponential(1.0, 200)
    cur[:50] = 0.0
    expected = scipy.stats.wasserstein_distance(values, values, u_weights=base, v_weights=cur)
    _assert_close(twins.wasserstein_from_counts(values, base, cur), expected)


def test_wasserstein_from_counts_is_in_the_units_of_the_values() -> None:
    # all baseline mass at 0, all current mass at 5: the mass moves 5 units
    assert twins.wasserstein_from_counts([0, 5], [10, 0], [0, 3]) == 5.0


def test_wasserstein_from_counts_rejects_infinite_values() -> None:
    with pytest.raises(ValueError):
        twins.wasserstein_from_counts([0.0, np.inf], [1, 1], [1, 1])


@pytest.mark.filterwarnings("ignore:ks_2samp. Exact calculation unsuccessful:RuntimeWarning")  # p-value only
@settings(max_examples=200, deadline=None)
@given(
    a=st.lists(st.integers(-5, 5), min_size=1, max_size=60),
    b=st.lists(st.integers(-5, 5), min_size=1, max_size=60),
)
def test_ks_and_wasserstein_from_counts_match_scipy_on_random_tied_samples(a: list[int], b: list[int]) -> None:
    raw_a, raw_b = np.array(a), np.array(b)
    values, base, cur = per_value_counts(raw_a, raw_b)
    _assert_close(twins.ks_from_counts(values, base, cur), scipy.stats.ks_2samp(raw_a, raw_b).statistic)
    _assert_close(twins.wasserstein_from_counts(values, base, cur), scipy.stats.wasserstein_distance(raw_a, raw_b))


# --------------------------------------------------------------------------------------------------------------------
# distances between binned / categorical distributions
# --------------------------------------------------------------------------------------------------------------------
def binned_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """Histogram counts (some bins empty on one side) and categorical counts (categories unseen in the baseline)."""
    cases = []
    for seed in RNG_SEEDS:
        cases.append(histogram_counts(*drifted_normals(seed), n_bins=30))
        cases.append(category_counts(*drifted_categories(seed)))
    return cases


BINNED = binned_cases()


def test_binned_cases_exercise_empty_bins_on_each_side() -> None:
    assert any((base == 0).any() and (cur > 0).any() for base, cur in BINNED)
    assert any(((base > 0) & (cur == 0)).any() for base, cur in BINNED)


@pytest.mark.parametrize(("base", "cur"), BINNED)
def test_js_matches_scipy_jensenshannon_base_2(base: np.ndarray, cur: np.ndarray) -> None:
    p, q = as_proportions(base), as_proportions(cur)
    _assert_close(stats.js(base, cur), scipy.spatial.distance.jensenshannon(p, q, base=2))


def test_js_is_one_for_disjoint_distributions() -> None:
    _assert_close(stats.js([5, 0, 0], [0, 2, 7]), 1.0)


def test_js_of_nearly_identical_distributions_is_not_rounding_noise() -> None:
    a = 10**9
    # p − q = ±1/(2a+1) per bin, so JSD ≈ d²/(2 ln 2) with d = 1/(2a+1): the distance is about 4.2e-10.
    d = 1 / (2 * a + 1)
    assert stats.js([a, a + 1], [a + 1, a]) == pytest.approx(d / math.sqrt(2 * math.log(2)), rel=1e-5)


@pytest.mark.parametrize(("base", "cur"), BINNED)
def test_hellinger_matches_the_euclidean_norm_of_root_proportions(base: np.ndarray, cur: np.ndarray) -> None:
    p, q = as_proportions(base), as_proportions(cur)
    _assert_close(stats.hellinger(base, cur), np.linalg.norm(np.sqrt(p) - np.sqrt(q)) / np.sqrt(2))


def test_hellinger_matches_the_bhattacharyya_form_on_a_hand_computed_case() -> None:
    # p = (1/2, 1/2), q = (1, 0): Σ sqrt(p q) = sqrt(1/2), H = sqrt(1 − sqrt(1/2))
    _assert_close(stats.hellinger([1, 1], [3, 0]), math.sqrt(1 - math.sqrt(0.5)))
    _assert_close(stats.hellinger([4, 0], [0, 9]), 1.0)


def test_hellinger_of_nearly_identical_distributions_is_not_rounding_noise() -> None:
    a = 10**9
    expected = 1 / ((math.sqrt(a) + math.sqrt(a + 1)) * math.sqrt(2 * a + 1))  # |sqrt(p_i) − sqrt(q_i)|, ≈ 1.6e-14
    assert stats.hellinger([a, a + 1], [a + 1, a]) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(("base", "cur"), BINNED)
def test_psi_matches_the_direct_formula_with_floored_proportions(base: np.ndarray, cur: np.ndarray) -> None:
    p = np.maximum(as_proportions(base), 1e-4)
    q = np.maximum(as_proportions(cur), 1e-4)
    _assert_close(stats.psi(base, cur), float(np.sum((q - p) * np.log(q / p))))


def test_psi_floors_empty_bins_at_epsilon() -> None:
    # p = (1, 0) → (1, 1e-4), q = (0, 1) → (1e-4, 1): PSI = 2·(1 − 1e-4)·ln(1e4)
    _assert_close(stats.psi([7, 0], [0, 3]), 2 * (1 - 1e-4) * math.log(1e4))
    assert stats.EPSILON == 1e-4
    _assert_close(stats.psi([7, 0], [0, 3], epsilon=1e-3), 2 * (1 - 1e-3) * math.log(1e3))


def test_psi_is_symmetric() -> None:
    base, cur = BINNED[0]
    _assert_close(stats.psi(base, cur), stats.psi(cur, base))


def test_psi_rejects_a_non_positive_epsilon() -> None:
    with pytest.raises(ValueError):
        stats.psi([1, 2], [2, 1], epsilon=0.0)


def test_kl_matches_scipy_entropy_when_no_baseline_bin_is_floored() -> None:
    a, b = drifted_normals(5)
    base, cur = histogram_counts(np.clip(a, -2, 2), np.clip(b, -2, 2), n_bins=10)
    p, q = as_proportions(base), as_proportions(cur)
    assert p.min() > stats.EPSILON
    _assert_close(stats.kl(base, cur), scipy.stats.entropy(q, p))


@pytest.mark.parametrize(("base", "cur"), BINNED)
def test_kl_floors_the_baseline_at_epsilon_without_renormalising(base: np.ndarray, cur: np.ndarray) -> None:
    p, q = as_proportions(base), as_proportions(cur)
    p_floored = np.where(p > 0, p, 1e-4)
    _assert_close(stats.kl(base, cur), float(np.sum(scipy.special.rel_entr(q, p_floored))))
    # scipy.stats.entropy(q, p_floored) renormalises p_floored to sum to 1, which adds ln(Σ p_floored)
    _assert_close(stats.kl(base, cur), scipy.stats.entropy(q, p_floored) - math.log(p_floored.sum()))


def test_kl_ignores_bins_empty_in_the_current_window() -> None:
    # q = (1, 0), p = (1/2, 1/2): KL = 1·ln(1 / (1/2)) = ln 2
    _assert_close(stats.kl([1, 1], [5, 0]), math.log(2))


def test_kl_without_floor_is_infinite_when_the_current_window_leaves_the_baseline_support() -> None:
    assert stats.kl([1, 0], [1, 1], epsilon=0.0) == math.inf


def test_kl_is_directional() -> None:
    assert stats.kl([1, 1], [5, 0]) != pytest.approx(stats.kl([5, 0], [1, 1]))


@pytest.mark.parametrize(("base", "cur"), BINNED)
def test_l_infinity_matches_numpy_max_abs_difference(base: np.ndarray, cur: np.ndarray) -> None:
    p, q = as_proportions(base), as_proportions(cur)
    _assert_close(stats.l_infinity(base, cur), float(np.max(np.abs(p - q))))


@pytest.mark.parametrize(("base", "cur"), BINNED)
def test_chi2_two_sample_matches_scipy_chi2_contingency_without_yates_correction(
    base: np.ndarray, cur: np.ndarray
) -> None:
    table = np.array([base, cur])
    table = table[:, table.sum(axis=0) > 0]  # scipy rejects all-zero columns; sqlmon drops them
    reference = scipy.stats.chi2_contingency(table, correction=False)
    statistic, p_value, dof = stats.chi2_two_sample(base, cur)
    _assert_close(statistic, reference.statistic)
    _assert_close(p_value, reference.pvalue)
    assert dof == reference.dof


def test_chi2_two_sample_counts_a_category_present_on_one_side_only() -> None:
    base, cur = [30, 20, 0], [25, 25, 10]  # category 2 is new in the current window
    reference = scipy.stats.chi2_contingency([base, cur], correction=False)
    statistic, p_value, dof = stats.chi2_two_sample(base, cur)
    _assert_close(statistic, reference.statistic)
    _assert_close(p_value, reference.pvalue)
    assert dof == 2


def test_chi2_two_sample_drops_categories_empty_on_both_sides() -> None:
    assert stats.chi2_two_sample([30, 0, 20, 0], [25, 0, 25, 0]) == stats.chi2_two_sample([30, 20], [25, 25])
    assert stats.chi2_two_sample([30, 0, 20], [25, 0, 25])[2] == 1


def test_chi2_two_sample_applies_no_yates_correction_with_one_degree_of_freedom() -> None:
    base, cur = [30, 20], [18, 32]
    uncorrected = scipy.stats.chi2_contingency([base, cur], correction=False)
    corrected = scipy.stats.chi2_contingency([base, cur], correction=True)
    statistic, _, _ = stats.chi2_two_sample(base, cur)
    _assert_close(statistic, uncorrected.statistic)
    assert abs(statistic - corrected.statistic) > 0.1


def test_chi2_two_sample_accepts_weighted_counts() -> None:
    base, cur = [30.5, 20.25, 4.0], [18.0, 32.75, 1.5]
    reference = scipy.stats.chi2_contingency([base, cur], correction=False)
    statistic, p_value, _ = stats.chi2_two_sample(base, cur)
    _assert_close(statistic, reference.statistic)
    _assert_close(p_value, reference.pvalue)


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_unseen_rate_is_the_share_of_current_rows_in_categories_absent_from_the_baseline(seed: int) -> None:
    a, b = drifted_categories(seed)
    base, cur = category_counts(a, b)
    expected = float(np.mean(~np.isin(b, a)))
    assert expected > 0.05
    _assert_close(stats.unseen_rate(base, cur), expected)


def test_unseen_rate_is_zero_when_every_current_category_was_seen() -> None:
    assert stats.unseen_rate([1, 2, 3], [3, 0, 1]) == 0.0


# --------------------------------------------------------------------------------------------------------------------
# quantile edges and binning
# --------------------------------------------------------------------------------------------------------------------
def baseline_samples() -> list[np.ndarray]:
    rng = np.random.default_rng(21)
    return [
        rng.normal(0, 1, 1000),  # continuous: no ties
        np.round(rng.lognormal(0, 1, 777), 1),  # skewed, moderate ties
        rng.poisson(1.0, 5000),  # heavy ties: edges collapse and are deduplicated
        np.arange(100),  # k·N/n_bins integer: exercises numpy's float rounding of (k/n_bins)·N
    ]


@pytest.mark.parametrize("raw", baseline_samples())
@pytest.mark.parametrize("n_bins", [1, 2, 4, 10, 20])
def test_quantile_edges_match_numpy_inverted_cdf_quantiles(raw: np.ndarray, n_bins: int) -> None:
    values, counts = np.unique(raw, return_counts=True)
    expected = np.unique([np.quantile(raw, k / n_bins, method="inverted_cdf") for k in range(1, n_bins)])
    edges = twins.quantile_edges(values, counts, n_bins)
    assert edges == expected.tolist()
    assert all(x < y for x, y in itertools.pairwise(edges))


def test_quantile_edges_follow_numpy_when_k_times_n_over_n_bins_is_an_integer() -> None:
    # (11/20)·100 evaluates to 55.00000000000001 in float64, so numpy (and sqlmon) take the 56th value, 55
    assert np.quantile(np.arange(100), 11 / 20, method="inverted_cdf") == 55
    assert twins.quantile_edges(np.arange(100), np.ones(100), 20)[10] == 55.0


def test_quantile_edges_match_numpy_weighted_quantiles_for_weighted_counts() -> None:
    rng = np.random.default_rng(22)
    values = rng.normal(0, 1, 300)
    weights = rng.exponential(1.0, 300)
    expected = np.unique([np.quantile(values, k / 10, method="inverted_cdf", weights=weights) for k in range(1, 10)])
    assert twins.quantile_edges(values, weights, 10) == expected.tolist()


def test_quantile_edges_are_deduplicated_when_one_value_holds_several_bins_of_mass() -> None:
    # value 0 holds 70 % of the mass: the 10 %, 20 %, … 70 % quantiles are all 0; 80 % is 1 and 90 % is 2
    assert twins.quantile_edges([0, 1, 2, 3], [70, 10, 10, 10], 10) == [0.0, 1.0, 2.0]


def test_quantile_edges_of_an_empty_baseline_raise() -> None:
    with pytest.raises(ValueError):
        twins.quantile_edges([1, 2], [0, 0], 4)
    with pytest.raises(ValueError):
        twins.quantile_edges([], [], 4)


@pytest.mark.parametrize("n_bins", [0, -3, 2.5, True])
def test_quantile_edges_reject_an_invalid_number_of_bins(n_bins: object) -> None:
    with pytest.raises(ValueError):
        twins.quantile_edges([1, 2], [1, 1], n_bins)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", baseline_samples())
def test_bin_counts_match_numpy_searchsorted_on_the_raw_values(raw: np.ndarray) -> None:
    values, counts = np.unique(raw, return_counts=True)
    edges = twins.quantile_edges(values, counts, 10)
    rng = np.random.default_rng(23)
    current = rng.choice(raw, 3000) + rng.normal(0, 0.5, 3000).round(1)  # drifted, with values outside the range
    cur_values, cur_counts = np.unique(current, return_counts=True)
    expected = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1)
    assert twins.bin_counts(cur_values, cur_counts, edges) == expected.astype(float).tolist()


def test_bin_counts_bins_are_left_closed_and_open_ended() -> None:
    # bins: (−inf, 1), [1, 2), [2, +inf)
    assert twins.bin_counts([-100, 0.999, 1, 1.5, 2, 1e9], [1, 2, 4, 8, 16, 32], [1, 2]) == [3.0, 12.0, 48.0]


def test_bin_counts_without_edges_is_a_single_bin() -> None:
    assert twins.bin_counts([1, 2, 3], [1.5, 2, 3], []) == [6.5]


def test_bin_counts_reject_edges_that_are_not_strictly_increasing() -> None:
    with pytest.raises(ValueError):
        twins.bin_counts([1, 2], [1, 1], [1, 1])
    with pytest.raises(ValueError):
        twins.bin_counts([1, 2], [1, 1], [2, 1])


def test_bins_of_quantile_edges_split_a_continuous_baseline_evenly() -> None:
    raw = np.random.default_rng(24).normal(0, 1, 1000)
    values, counts = np.unique(raw, return_counts=True)
    per_bin = twins.bin_counts(values, counts, twins.quantile_edges(values, counts, 4))
    # left-closed bins put each edge value in the bin above it: 249, 250, 250, 251
    assert per_bin == [249.0, 250.0, 250.0, 251.0]


@settings(max_examples=200, deadline=None)
@given(raw=st.lists(st.integers(-5, 5), min_size=1, max_size=80), n_bins=st.integers(1, 12))
def test_quantile_edges_and_bin_counts_match_numpy_on_random_tied_samples(raw: list[int], n_bins: int) -> None:
    arr = np.array(raw)
    values, counts = np.unique(arr, return_counts=True)
    expected = np.unique([np.quantile(arr, k / n_bins, method="inverted_cdf") for k in range(1, n_bins)])
    edges = twins.quantile_edges(values, counts, n_bins)
    assert edges == expected.tolist()
    expected_bins = np.bincount(np.searchsorted(edges, arr, side="right"), minlength=len(edges) + 1)
    assert twins.bin_counts(values, counts, edges) == expected_bins.astype(float).tolist()


# --------------------------------------------------------------------------------------------------------------------
# concentration of a single distribution
# --------------------------------------------------------------------------------------------------------------------
def categorical_samples() -> list[np.ndarray]:
    rng = np.random.default_rng(31)
    return [
        rng.choice(50, 10000, p=rng.dirichlet(np.full(50, 0.3))),  # concentrated
        rng.integers(0, 8, 4000),  # nearly uniform
        rng.zipf(1.7, 3000),  # long tail
    ]


@pytest.mark.parametrize("raw", categorical_samples())
def test_gini_matches_the_mean_absolute_difference_formula(raw: np.ndarray) -> None:
    x = np.unique(raw, return_counts=True)[1].astype(float)
    expected = np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean())
    _assert_close(twins.gini(x), float(expected))


@pytest.mark.parametrize("raw", categorical_samples())
def test_hhi_is_the_sum_of_squared_category_shares(raw: np.ndarray) -> None:
    counts = np.unique(raw, return_counts=True)[1]
    expected = sum(np.mean(raw == c) ** 2 for c in np.unique(raw))
    _assert_close(twins.hhi(counts), float(expected))


@pytest.mark.parametrize("raw", categorical_samples())
def test_entropy_norm_is_scipy_entropy_over_log_of_the_number_of_categories(raw: np.ndarray) -> None:
    counts = np.unique(raw, return_counts=True)[1]
    expected = scipy.stats.entropy(counts) / math.log(counts.size)
    _assert_close(twins.entropy_norm(counts), expected)


@pytest.mark.parametrize("raw", categorical_samples())
@pytest.mark.parametrize("k", [1, 3, 10, 1000])
def test_top_k_share_is_the_share_of_the_k_most_common_categories(raw: np.ndarray, k: int) -> None:
    counts = np.unique(raw, return_counts=True)[1]
    expected = sum(n for _, n in Counter(raw.tolist()).most_common(k)) / raw.size
    _assert_close(twins.top_k_share(counts, k), expected)


def test_concentration_metrics_ignore_empty_categories() -> None:
    assert twins.gini([0, 0, 5, 5]) == 0.0
    assert twins.entropy_norm([0, 3, 3, 0]) == 1.0
    assert twins.hhi([0, 1, 0, 1]) == 0.5


def test_concentration_metrics_of_a_single_category() -> None:
    # one non-empty category: fully concentrated; entropy_norm is defined as 0.0 (its formula would be 0/0)
    assert twins.entropy_norm([0, 42]) == 0.0
    assert twins.gini([0, 42]) == 0.0
    assert twins.hhi([0, 42]) == 1.0
    assert twins.top_k_share([0, 42], 1) == 1.0


def test_concentration_metrics_of_no_data_are_nan() -> None:
    for counts in ([], [0, 0]):
        assert math.isnan(twins.gini(counts))
        assert math.isnan(twins.entropy_norm(counts))
        assert math.isnan(twins.hhi(counts))
        assert math.isnan(twins.top_k_share(counts, 1))


def test_top_k_share_rejects_k_below_one() -> None:
    with pytest.raises(ValueError):
        twins.top_k_share([1, 2], 0)


# --------------------------------------------------------------------------------------------------------------------
# defined behaviour at the edges
# --------------------------------------------------------------------------------------------------------------------
def _chi2_statistic(base, cur):
    return stats.chi2_two_sample(base, cur)[0]


def _chi2_pvalue(base, cur):
    return stats.chi2_two_sample(base, cur)[1]


def _ks(base, cur):
    return twins.ks_from_counts(np.arange(len(base)), base, cur)


def _wasserstein(base, cur):
    return twins.wasserstein_from_counts(np.arange(len(base)), base, cur)


COMPARISONS = {
    "psi": stats.psi,
    "kl": stats.kl,
    "js": stats.js,
    "hellinger": stats.hellinger,
    "l_infinity": stats.l_infinity,
    "chi2_statistic": _chi2_statistic,
    "chi2_pvalue": _chi2_pvalue,
    "unseen_rate": stats.unseen_rate,
    "ks": _ks,
    "wasserstein": _wasserstein,
}
DISTANCES = ["psi", "kl", "js", "hellinger", "l_infinity", "chi2_statistic", "ks", "wasserstein"]


@pytest.mark.parametrize("name", COMPARISONS)
@pytest.mark.parametrize(("base", "cur"), [([0, 0, 0], [1, 2, 3]), ([1, 2, 3], [0, 0, 0]), ([0, 0], [0, 0]), ([], [])])
def test_comparison_metrics_are_nan_when_a_side_is_empty(name: str, base: list[int], cur: list[int]) -> None:
    assert math.isnan(COMPARISONS[name](base, cur))


def test_chi2_two_sample_with_an_empty_side_is_nan_with_zero_degrees_of_freedom() -> None:
    statistic, p_value, dof = stats.chi2_two_sample([0, 0], [4, 5])
    assert math.isnan(statistic) and math.isnan(p_value) and dof == 0


def test_ks_pvalue_of_an_empty_side_is_nan() -> None:
    assert math.isnan(stats.ks_pvalue(twins.ks_from_counts([1, 2], [0, 0], [1, 1]), 0, 2))


@pytest.mark.parametrize("name", DISTANCES)
def test_distances_are_zero_when_both_sides_are_one_identical_bin(name: str) -> None:
    assert COMPARISONS[name]([17], [5]) == 0.0


def test_chi2_two_sample_of_a_single_bin_has_zero_degrees_of_freedom_and_pvalue_one() -> None:
    assert stats.chi2_two_sample([17], [5]) == (0.0, 1.0, 0)
    assert stats.chi2_two_sample([0, 17, 0], [0, 5, 0]) == (0.0, 1.0, 0)


@pytest.mark.parametrize("name", DISTANCES)
def test_distances_are_zero_for_identical_distributions(name: str) -> None:
    base = np.array([10, 0, 35, 7, 1, 0, 22])
    assert COMPARISONS[name](base, base) == 0.0
    assert COMPARISONS[name](base, 3 * base) == pytest.approx(0.0, abs=1e-12)  # only the proportions matter


def test_psi_is_zero_for_identical_distributions() -> None:
    assert stats.psi([3, 0, 5], [6, 0, 10]) == pytest.approx(0.0, abs=1e-15)


def test_chi2_two_sample_of_proportional_counts_has_pvalue_one() -> None:
    statistic, p_value, dof = stats.chi2_two_sample([10, 20, 30], [1, 2, 3])
    assert statistic == pytest.approx(0.0, abs=1e-12) and p_value == pytest.approx(1.0) and dof == 2


PAIRWISE = [
    stats.psi,
    stats.kl,
    stats.js,
    stats.hellinger,
    stats.l_infinity,
    stats.chi2_two_sample,
    stats.unseen_rate,
    lambda base, cur: twins.ks_from_counts(range(len(base)), base, cur),
    lambda base, cur: twins.wasserstein_from_counts(range(len(base)), base, cur),
]


@pytest.mark.parametrize("metric", PAIRWISE)
def test_mismatched_lengths_raise(metric) -> None:
    with pytest.raises(ValueError):
        metric([1, 2, 3], [1, 2])


def test_values_and_counts_of_different_lengths_raise() -> None:
    with pytest.raises(ValueError):
        twins.ks_from_counts([1, 2, 3], [1, 2], [1, 2])
    with pytest.raises(ValueError):
        twins.wasserstein_from_counts([1, 2], [1, 2, 3], [1, 2, 3])
    with pytest.raises(ValueError):
        twins.quantile_edges([1, 2], [1], 2)
    with pytest.raises(ValueError):
        twins.bin_counts([1, 2], [1], [1.5])


@pytest.mark.parametrize("metric", PAIRWISE)
def test_negative_counts_raise(metric) -> None:
    with pytest.raises(ValueError):
        metric([1, -2, 3], [1, 2, 3])
    with pytest.raises(ValueError):
        metric([1, 2, 3], [1, 2, -0.5])


@pytest.mark.parametrize("metric", PAIRWISE)
@pytest.mark.parametrize("bad", [float("nan"), None, float("inf")])
def test_nan_null_or_infinite_counts_raise(metric, bad) -> None:
    with pytest.raises(ValueError):
        metric([1, bad, 3], [1, 2, 3])
    with pytest.raises(ValueError):
        metric([1, 2, 3], [bad, 2, 3])


@pytest.mark.parametrize(
    "metric",
    [
        stats.proportions,
        twins.hhi,
        twins.gini,
        twins.entropy_norm,
        lambda counts: twins.top_k_share(counts, 2),
    ],
)
def test_single_distribution_functions_validate_counts(metric) -> None:
    for bad in ([1, -1], [1, float("nan")], [[1, 2], [3, 4]], ["a", "b"]):
        with pytest.raises(ValueError):
            metric(bad)


def test_nan_values_raise() -> None:
    with pytest.raises(ValueError):
        twins.ks_from_counts([1.0, float("nan")], [1, 1], [1, 1])
    with pytest.raises(ValueError):
        twins.quantile_edges([1.0, float("nan")], [1, 1], 2)
    with pytest.raises(ValueError):
        twins.bin_counts([1.0, float("nan")], [1, 1], [0.5])


def test_proportions_normalise_counts() -> None:
    np.testing.assert_allclose(stats.proportions([1, 3, 0, 4]), [0.125, 0.375, 0.0, 0.5], rtol=0, atol=1e-15)


def test_proportions_of_no_data_are_nan() -> None:
    assert np.isnan(stats.proportions([0, 0, 0])).all()
    assert stats.proportions([]).size == 0


def test_counts_from_a_warehouse_driver_may_be_decimals_or_floats() -> None:
    assert stats.psi([Decimal(3), Decimal("5.5")], [3.0, 5.5]) == 0.0
    assert twins.hhi((Decimal(1), Decimal(1))) == 0.5
