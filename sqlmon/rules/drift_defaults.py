"""Default alert levels of the drift metrics, by `method`, column type and sample sizes.

Shared by feature_drift (its `method`) and prediction_histogram (psi); measured in docs/statistics.md by
bench/false_alarms.py, which calls `default_rule` itself.
"""

from __future__ import annotations

import math

from sqlmon.config.specs import ThresholdRule

# Default alert rules per `method` and column type, as (warn, error) levels; p-values alert below their levels.
# `auto` was chosen from the false-alarm and detection rates in docs/statistics.md: each of its rules fired in at
# most 0.3 % of windows without drift (n = 1,000 to 100,000 against a 50,000-row baseline), and together they catch
# a mean shift of 0.25σ, a scale change of ×1.2, a 10-point category mix change and a new category of 5 %.
METHOD_RULES: dict[str, dict[str, dict[str, tuple[float, float]]]] = {
    "auto": {
        "numeric": {"psi": (0.1, 0.25), "wasserstein_norm": (0.1, 0.25)},
        "categorical": {"psi": (0.1, 0.25), "l_infinity": (0.05, 0.1), "unseen_rate": (0.01, 0.05)},
    },
    "psi": {"numeric": {"psi": (0.1, 0.25)}, "categorical": {"psi": (0.1, 0.25)}},
    "pvalue": {"numeric": {"ks_pvalue": (0.01, 0.001)}, "categorical": {"chi2_pvalue": (0.01, 0.001)}},
    "distance": {
        "numeric": {"wasserstein_norm": (0.1, 0.25)},
        "categorical": {"l_infinity": (0.05, 0.1), "unseen_rate": (0.01, 0.05)},
    },
}
BELOW = {"ks_pvalue", "chi2_pvalue"}
# Without drift, the distances shrink as the samples grow, so a level that is quiet on large windows fires on small
# ones. Levels are therefore floors, raised for small samples (n_eff = 1 / (1/n_base + 1/n_cur)):
# - psi is close to Pearson's χ² divergence, so psi · n_eff is about χ²(k − 1) for k bins or categories: its levels
#   are at least χ²_{k−1}(0.99) / n_eff (warn) and χ²_{k−1}(0.999) / n_eff (error);
# - wasserstein_norm and l_infinity spread like 1/√n_eff: their levels, quiet from 1,000 rows on, grow as
#   √(REFERENCE_ROWS / n_eff) below.
# Below MIN_ROWS values on a side these levels break the 1 % target (n = 100: 2.3–7.1 % of windows without drift),
# mostly through empty bins. There the two-sample tests judge instead, whose p-values hold at any n (the KS p-value
# is exact for the statistic, the χ² homogeneity test is measured down to n = 30 in docs/statistics.md); unseen_rate
# is 0 without drift at any n, so it keeps its level.
SCALED = {"wasserstein_norm", "l_infinity"}
REFERENCE_ROWS = 1000
MIN_ROWS = 300
# p < 0.01 would fire on about 1 % of windows by construction, and measured 0.9–1.45 % (the χ² test is a little
# liberal on small expected counts): 0.005 keeps the warn level under the 1 % target at every n from 30.
SMALL_SAMPLE_RULES: dict[str, dict[str, tuple[float, float]]] = {
    "numeric": {"ks_pvalue": (0.005, 0.001)},
    "categorical": {"chi2_pvalue": (0.005, 0.001)},
}
KEPT_WHEN_SMALL = {"unseen_rate"}


def small_sample(method: str, n_base: float, n_cur: float) -> bool:
    """Whether a window is too small for the distance levels of `method` (p-value rules hold at any n)."""
    return method != "pvalue" and min(n_base, n_cur) < MIN_ROWS


def small_sample_note(
    method: str, column_type: str, metric: str, n_base: float, n_cur: float, instead: str | None = None
) -> str | None:
    """Why a drift metric that has a default level is not judged at these sample sizes, and what judges instead
    (by default the column type's p-value rule, which a monitor without it replaces with its own advice)."""
    if not small_sample(method, n_base, n_cur) or metric in KEPT_WHEN_SMALL:
        return None
    if metric not in METHOD_RULES[method][column_type] or metric in SMALL_SAMPLE_RULES[column_type]:
        return None
    if instead is None:
        rules = ", ".join(f"{m} < {levels[0]:g}" for m, levels in SMALL_SAMPLE_RULES[column_type].items())
        instead = f"{rules} judges instead"
    return (
        f"{metric} not judged: {min(n_base, n_cur):,.0f} rows on the smaller side, below the {MIN_ROWS} its default "
        f"level is calibrated for; {instead}"
    )


def default_rule(
    method: str, column_type: str, metric: str, n_base: float, n_cur: float, bins: int = 10
) -> ThresholdRule | None:
    """The default rule of `method` for one metric of a column with these sample sizes and bins, or None."""
    levels = METHOD_RULES[method][column_type].get(metric)
    if small_sample(method, n_base, n_cur):
        if metric in SMALL_SAMPLE_RULES[column_type]:
            levels = SMALL_SAMPLE_RULES[column_type][metric]
        elif metric not in KEPT_WHEN_SMALL:
            return None
    if levels is None:
        return None
    if metric in BELOW:
        return ThresholdRule(warn=levels[0], error=levels[1], direction="below")
    warn, error = levels
    if n_base > 0 and n_cur > 0:
        inverse_n = 1.0 / n_base + 1.0 / n_cur
        if metric in SCALED:
            factor = max(1.0, math.sqrt(REFERENCE_ROWS * inverse_n))
            warn, error = warn * factor, error * factor
        elif metric == "psi" and bins > 1:
            from scipy.special import gammaincinv  # chi2.ppf(q, k) = 2·gammaincinv(k/2, q), as scipy.stats has it

            warn = max(warn, 2 * float(gammaincinv((bins - 1) / 2, 0.99)) * inverse_n)
            error = max(error, 2 * float(gammaincinv((bins - 1) / 2, 0.999)) * inverse_n)
    return ThresholdRule(warn=warn, error=error)
