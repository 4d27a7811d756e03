"""False-alarm and detection rates of the drift metrics at their default and typical thresholds.

For every column type (numeric: a standard normal and a lognormal; categorical: 8 categories with unequal shares)
and every current-window size n (30, 50, 100, 200, 300, 1,000, 10,000 and 100,000 rows), the script draws one
baseline of N_BASE = 50,000 rows, then many current windows of n rows, and computes feature_drift's metrics between
the baseline and each window with exactly the definitions of sqlmon.stats and sqlmon.stats.reference (the SQL path
is tested equal to them):

* numeric: `psi`, `kl`, `js`, `hellinger` on 10 bins cut at the baseline's inverted-CDF quantiles (left-closed,
  open ends), the exact two-sample `ks` statistic and its asymptotic `ks_pvalue`, and `wasserstein_norm`
  (Wasserstein-1 divided by the baseline's sample standard deviation);
* categorical: `psi`, `kl`, `js`, `hellinger`, `chi2_pvalue` (two-sample test of homogeneity), `l_infinity` and
  `unseen_rate`.

Windows drawn from the baseline's own distribution give the false-alarm rate of each rule ("psi > 0.1", "ks_pvalue
< 0.01", ...); windows drawn from shifted distributions give its detection rate. It also finds, per metric and n,
the smallest threshold whose false-alarm rate is at most 1 %, and the detection rates at that threshold.

    python bench/false_alarms.py                  # default settings (1,000 windows per scenario), Markdown to stdout
    python bench/false_alarms.py --quick          # a smoke test in a few seconds
    python bench/false_alarms.py --write-docs     # also write the tables into docs/statistics.md

Everything is vectorised with numpy: the KS statistic comes from the ranks of the sorted window in the sorted
baseline (np.searchsorted), Wasserstein from the two quantile functions on a common grid, the bins from
np.searchsorted on the sorted window. A self-check at start-up compares these fast paths with sqlmon.stats.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sqlmon import stats
from sqlmon.stats import reference

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "statistics.md"
START_MARKER = "<!-- false-alarms:start -->"
END_MARKER = "<!-- false-alarms:end -->"

N_BASE = 50_000
SIZES = (30, 50, 100, 200, 300, 1_000, 10_000, 100_000)
BINS = 10
SEED = 20_240_611
TARGET_FALSE_ALARMS = 0.01
BATCH_ELEMENTS = 4_000_000  # floats per window batch and array (32 MB)
MAX_GRID = 2_000_000  # largest lcm(N_BASE, n) for the quantile-grid Wasserstein; above it, a per-window merge

LOGNORMAL_SD = math.sqrt((math.e - 1.0) * math.e)  # standard deviation of exp(N(0, 1))

#: shares of the 8 baseline categories; a 9th slot holds the "new" category (0 in the baseline)
CATEGORY_SHARES = (0.30, 0.20, 0.15, 0.12, 0.09, 0.07, 0.04, 0.03)


# --------------------------------------------------------------------------
# distributions and scenarios
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Distribution:
    name: str
    code: int
    sd: float  # population standard deviation: the unit of the mean shifts

    def draw(self, rng: np.random.Generator, size: int | tuple[int, int]) -> np.ndarray:
        z = rng.standard_normal(size)
        return np.exp(z) if self.name == "lognormal" else z


DISTRIBUTIONS = {
    "normal": Distribution("normal", 1, 1.0),
    "lognormal": Distribution("lognormal", 2, LOGNORMAL_SD),
}
CATEGORICAL_CODE = 3


@dataclass(frozen=True)
class NumericScenario:
    label: str
    shift: float = 0.0  # x + shift · σ
    scale: float = 1.0  # x · scale

    @property
    def null(self) -> bool:
        return self.shift == 0.0 and self.scale == 1.0

    def apply(self, x: np.ndarray, dist: Distribution) -> np.ndarray:
        """Both transforms are increasing, so a sorted window stays sorted."""
        return x * self.scale + self.shift * dist.sd


NUMERIC_SCENARIOS = (
    NumericScenario("none"),
    NumericScenario("+0.05σ", shift=0.05),
    NumericScenario("+0.1σ", shift=0.1),
    NumericScenario("+0.25σ", shift=0.25),
    NumericScenario("+0.5σ", shift=0.5),
    NumericScenario("×1.05", scale=1.05),
    NumericScenario("×1.2", scale=1.2),
)


@dataclass(frozen=True)
class CategoricalScenario:
    label: str
    moved: float = 0.0  # share moved from the largest category to the others, in proportion to their shares
    new: float = 0.0  # share of a category the baseline does not have; the 8 others are scaled by (1 − new)

    @property
    def null(self) -> bool:
        return self.moved == 0.0 and self.new == 0.0

    def shares(self) -> np.ndarray:
        p = np.array((*CATEGORY_SHARES, 0.0))
        top = int(np.argmax(p))
        others = np.ones(p.size, dtype=bool)
        others[top] = False
        others[-1] = False
        q = p.copy()
        q[top] -= self.moved
        q[others] *= 1.0 + self.moved / p[others].sum()
        q[:-1] *= 1.0 - self.new
        q[-1] = self.new
        return q / q.sum()


CATEGORICAL_SCENARIOS = (
    CategoricalScenario("none"),
    CategoricalScenario("mix 2 pts", moved=0.02),
    CategoricalScenario("mix 10 pts", moved=0.10),
    CategoricalScenario("new 5 %", new=0.05),
)

NUMERIC_METRICS = ("psi", "kl", "js", "hellinger", "ks", "wasserstein_norm")
CATEGORICAL_METRICS = ("psi", "kl", "js", "hellinger", "chi2_pvalue", "l_infinity", "unseen_rate")


@dataclass(frozen=True)
class Rule:
    metric: str  # "ks_pvalue" is evaluated from the `ks` values
    op: str  # ">" or "<"
    threshold: float = 0.0
    #: > 0: an n-aware threshold, the 99th percentile of χ²(dof) times (1/n + 1/N_BASE), which is the large-sample
    #: no-drift distribution of psi over dof + 1 bins with both samples random (psi ≈ Pearson's χ² divergence)
    dof: int = 0

    def threshold_for(self, n: int) -> float:
        if not self.dof:
            return self.threshold
        from scipy import stats as scipy_stats

        return float(scipy_stats.chi2.ppf(1.0 - TARGET_FALSE_ALARMS, self.dof)) * (1.0 / n + 1.0 / N_BASE)

    @property
    def label(self) -> str:
        if self.dof:
            return f"`{self.metric} {self.op} χ²{self.dof}(0.99)·(1/n + 1/N_base)`"
        return f"`{self.metric} {self.op} {self.threshold:g}`"

    def label_for(self, n: int) -> str:
        if self.dof:
            return f"`{self.metric} {self.op} {num(self.threshold_for(n))}` (χ²{self.dof} rule)"
        return self.label


@dataclass(frozen=True)
class MethodRule:
    """sqlmon's default rules of a feature_drift `method` at one severity: fires when any of them does, with the
    levels sqlmon uses for these sample sizes (sqlmon.monitors.feature_drift.default_rule)."""

    method: str
    severity: str = "warn"
    metric: str = "method"  # for the tables that key rules by metric

    @property
    def label(self) -> str:
        return f"`method: {self.method}` ({self.severity})"

    def label_for(self, n: int) -> str:
        return self.label

    def fires(self, values: dict[str, np.ndarray], n: int) -> np.ndarray:
        from sqlmon.rules.drift_defaults import METHOD_RULES, SMALL_SAMPLE_RULES, default_rule

        kind = "categorical" if "chi2_pvalue" in values else "numeric"
        bins = len(CATEGORY_SHARES) if kind == "categorical" else BINS
        fired = np.zeros(next(iter(values.values())).shape, bool)
        # below 300 rows the p-value rules judge instead of the distance levels
        for metric in dict.fromkeys([*METHOD_RULES[self.method][kind], *SMALL_SAMPLE_RULES[kind]]):
            rule = default_rule(self.method, kind, metric, N_BASE, n, bins)
            if rule is None:  # too few rows for sqlmon to judge: the rule never fires
                continue
            level = rule.warn if self.severity == "warn" else rule.error
            if metric == "ks_pvalue":
                fired |= ks_pvalue_below(values["ks"], N_BASE, n, level)
            elif rule.direction == "below":
                fired |= values[metric] < level
            else:
                fired |= values[metric] > level
        return fired


NUMERIC_RULES = (
    MethodRule("auto", "warn"),
    MethodRule("auto", "error"),
    Rule("psi", ">", 0.1),
    Rule("psi", ">", 0.25),
    Rule("psi", ">", dof=BINS - 1),
    Rule("ks_pvalue", "<", 0.05),
    Rule("ks_pvalue", "<", 0.01),
    Rule("ks", ">", 0.04),
    Rule("js", ">", 0.1),
    Rule("hellinger", ">", 0.1),
    Rule("wasserstein_norm", ">", 0.1),
)
CATEGORICAL_RULES = (
    MethodRule("auto", "warn"),
    MethodRule("auto", "error"),
    Rule("psi", ">", 0.1),
    Rule("psi", ">", 0.25),
    Rule("psi", ">", dof=len(CATEGORY_SHARES) - 1),
    Rule("chi2_pvalue", "<", 0.05),
    Rule("chi2_pvalue", "<", 0.01),
    Rule("js", ">", 0.1),
    Rule("hellinger", ">", 0.1),
    Rule("l_infinity", ">", 0.05),
    Rule("unseen_rate", ">", 0.01),
)
LOWER_IS_DRIFT = {"chi2_pvalue", "ks_pvalue"}


# --------------------------------------------------------------------------
# metrics, vectorised over windows (one window per row), with sqlmon.stats' definitions
# --------------------------------------------------------------------------
def binned_metrics(base_counts: np.ndarray, cur_counts: np.ndarray) -> dict[str, np.ndarray]:
    """psi, kl, js, hellinger of every row of `cur_counts` (w × k) against `base_counts` (k), as in sqlmon.stats."""
    p = base_counts / base_counts.sum()
    q = cur_counts / cur_counts.sum(axis=1, keepdims=True)
    p_floor = np.maximum(p, stats.EPSILON)
    q_floor = np.maximum(q, stats.EPSILON)
    out = {"psi": np.sum((q_floor - p_floor) * np.log(q_floor / p_floor), axis=1)}
    with np.errstate(divide="ignore", invalid="ignore"):
        out["kl"] = np.sum(np.where(q > 0, q * np.log(q / p_floor), 0.0), axis=1)
        total = p + q
        d = np.where(total > 0, (p - q) / total, 0.0)
    inner = np.abs(d) < 1.0
    di = np.where(inner, d, 0.0)
    g = np.where(inner, 2.0 * di * np.arctanh(di) + np.log1p(-di * di), 2.0 * math.log(2.0))
    jsd_bits = np.sum(0.5 * total * g, axis=1) / (2.0 * math.log(2.0))
    out["js"] = np.sqrt(np.clip(jsd_bits, 0.0, 1.0))
    diff = np.sqrt(p) - np.sqrt(q)
    out["hellinger"] = np.sqrt(np.clip(0.5 * np.sum(diff * diff, axis=1), 0.0, 1.0))
    return out


@dataclass
class NumericBaseline:
    values: np.ndarray  # sorted
    edges: np.ndarray
    bin_counts: np.ndarray
    sd: float

    @classmethod
    def of(cls, values: np.ndarray) -> NumericBaseline:
        values = np.sort(values)
        ones = np.ones(values.size)
        edges = np.asarray(reference.quantile_edges(values, ones, BINS))
        return cls(values, edges, np.asarray(reference.bin_counts(values, ones, edges)), float(np.std(values, ddof=1)))


def _ks_wasserstein_reference(base: np.ndarray, window: np.ndarray) -> tuple[float, float]:
    values = np.concatenate([base, window])
    counts_b = np.concatenate([np.ones(base.size), np.zeros(window.size)])
    counts_c = np.concatenate([np.zeros(base.size), np.ones(window.size)])
    return reference.ks_from_counts(values, counts_b, counts_c), reference.wasserstein_from_counts(
        values, counts_b, counts_c
    )


def numeric_metrics(base: NumericBaseline, windows: np.ndarray) -> dict[str, np.ndarray]:
    """All numeric metrics of every row of `windows` (w × n, each row sorted ascending) against the baseline."""
    b = base.values
    big_n = b.size
    w, n = windows.shape
    # bins: (−inf, e_1), [e_1, e_2), …, [e_{k−1}, +inf); the rows are sorted, so counts come from the edge positions
    below = np.array([np.searchsorted(row, base.edges, side="left") for row in windows]).reshape(w, -1)
    cur_bins = np.diff(np.concatenate([np.zeros((w, 1)), below, np.full((w, 1), n)], axis=1), axis=1)
    out = binned_metrics(base.bin_counts, cur_bins)

    # KS: r_j = #baseline ≤ x_(j). Both empirical CDFs are steps, so the supremum of |F_b − F_c| is reached at a
    # sample point: at x_(j) it is |r_j/N − j/n| and just before it |r_j/N − (j−1)/n| (no ties). The divisions and
    # subtractions are those of reference.ks_from_counts (cumulative count / total), so the values are bit-identical.
    r = np.searchsorted(b, windows.ravel(), side="right").reshape(w, n)
    fb = r / big_n
    ks = np.maximum(
        np.abs(fb - np.arange(1, n + 1) / n).max(axis=1),
        np.abs(fb - np.arange(0, n) / n).max(axis=1),
    )
    # ties (in the window, or with a baseline value) break that shortcut: such windows go the reference way
    tied = (np.diff(windows, axis=1) == 0).any(axis=1) | ((r > 0) & (b[np.maximum(r - 1, 0)] == windows)).any(axis=1)
    del r, fb

    # Wasserstein-1 = ∫_0^1 |Q_b(u) − Q_c(u)| du; on the grid of step 1/lcm(N, n) both quantile functions are
    # constant on every cell, so it is the mean absolute difference of the two repeated sorted samples
    grid = math.lcm(big_n, n)
    if grid <= MAX_GRID:
        repeated_base = np.repeat(b, grid // big_n)
        wasserstein = np.abs(np.repeat(windows, grid // n, axis=1) - repeated_base).sum(axis=1) / grid
    else:
        wasserstein = np.array([_ks_wasserstein_reference(b, row)[1] for row in windows])
    for i in np.flatnonzero(tied):
        ks[i], wasserstein[i] = _ks_wasserstein_reference(b, windows[i])
    out["ks"] = ks
    out["wasserstein_norm"] = wasserstein / base.sd
    return out


def categorical_metrics(base_counts: np.ndarray, cur_counts: np.ndarray) -> dict[str, np.ndarray]:
    """All categorical metrics of every row of `cur_counts` (w × k) against `base_counts` (k), as in sqlmon.stats."""
    from scipy import stats as scipy_stats

    out = binned_metrics(base_counts, cur_counts)
    total_b = base_counts.sum()
    total_c = cur_counts.sum(axis=1, keepdims=True)
    column = base_counts + cur_counts
    keep = column > 0  # categories empty on both sides are dropped from the chi-square test
    safe = np.where(keep, column, 1.0)
    grand = total_b + total_c
    exp_b = total_b * safe / grand
    exp_c = total_c * safe / grand
    chi2 = np.where(keep, (base_counts - exp_b) ** 2 / exp_b + (cur_counts - exp_c) ** 2 / exp_c, 0.0).sum(axis=1)
    out["chi2_pvalue"] = scipy_stats.chi2.sf(chi2, keep.sum(axis=1) - 1)
    out["l_infinity"] = np.abs(base_counts / total_b - cur_counts / total_c).max(axis=1)
    out["unseen_rate"] = cur_counts[:, base_counts == 0].sum(axis=1) / total_c[:, 0]
    return out


# --------------------------------------------------------------------------
# ks_pvalue without calling scipy's slow kstwo.sf on every window
# --------------------------------------------------------------------------
_CRITICAL: dict[tuple[int, float], float] = {}
_BAND: dict[tuple[int, float], float] = {}


def effective_n(n_base: int, n_cur: int) -> float:
    n, m = max(n_base, n_cur), min(n_base, n_cur)
    return float(np.round(n * m / (n + m)))


def ks_pvalue_below(ks: np.ndarray, n_base: int, n_cur: int, alpha: float) -> np.ndarray:
    """`stats.ks_pvalue(d, n_base, n_cur) < alpha` for every d in `ks`.

    The p-value is a decreasing function of d at fixed sample sizes, so the rule is `d > d_crit` with
    `kstwo.sf(d_crit, en) = alpha`. kstwo.isf is exact to ~1e-8 relative, so values of d within 1e-6 of d_crit are
    decided with stats.ks_pvalue itself (kstwo.sf takes up to 40 ms per value at en = 33,333).
    """
    from scipy import stats as scipy_stats

    key = (int(effective_n(n_base, n_cur)), alpha)
    if key not in _CRITICAL:
        critical = float(scipy_stats.kstwo.isf(alpha, key[0]))
        # the band must bracket the exact crossing; kstwo.isf is less precise on small samples, so widen it there
        for relative in (1e-6, 1e-5, 1e-4, 1e-3):
            band = relative * critical
            if (
                stats.ks_pvalue(critical - band, n_base, n_cur)
                >= alpha
                > stats.ks_pvalue(critical + band, n_base, n_cur)
            ):
                break
        else:
            raise AssertionError(f"kstwo.isf({alpha}, {key[0]}) does not bracket the p-value's crossing")
        _CRITICAL[key] = critical
        _BAND[key] = band
    critical, band = _CRITICAL[key], _BAND[key]
    below = ks > critical
    for i in np.flatnonzero(np.abs(ks - critical) <= band):
        below[i] = stats.ks_pvalue(float(ks[i]), n_base, n_cur) < alpha
    return below


# --------------------------------------------------------------------------
# simulation jobs (one per column type and window size; run in worker processes)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    kind: str  # "normal", "lognormal" or "categorical"
    n: int
    seed: int
    baselines: tuple[int, ...]  # baseline 0 is the main one; others only get windows without drift
    null_windows: int
    shift_windows: int  # windows per shifted scenario (on baseline 0 only)

    @property
    def cost(self) -> float:
        return self.n * (self.null_windows + 6 * self.shift_windows) * len(self.baselines)


Samples = dict[tuple[int, str], dict[str, np.ndarray]]  # (baseline, scenario label) -> metric -> one value per window


def _rng(job: Job, code: int, baseline: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(job.seed, spawn_key=(code, job.n, baseline, stream)))


def _collect(target: dict[str, list[np.ndarray]], values: dict[str, np.ndarray]) -> None:
    for metric, array in values.items():
        target.setdefault(metric, []).append(array)


def run_job(job: Job) -> tuple[Job, Samples, float]:
    started = time.perf_counter()
    samples: Samples = {}
    for baseline in job.baselines:
        shifts = job.shift_windows if baseline == 0 else 0
        if job.kind == "categorical":
            samples.update(_categorical_job(job, baseline, shifts))
        else:
            samples.update(_numeric_job(job, baseline, shifts))
    return job, samples, time.perf_counter() - started


def _numeric_job(job: Job, baseline: int, shifts: int) -> Samples:
    dist = DISTRIBUTIONS[job.kind]
    base = NumericBaseline.of(dist.draw(_rng(job, dist.code, baseline, 0), N_BASE))
    rng = _rng(job, dist.code, baseline, 1)
    scenarios = NUMERIC_SCENARIOS if shifts else NUMERIC_SCENARIOS[:1]
    collected: dict[str, dict[str, list[np.ndarray]]] = {s.label: {} for s in scenarios}
    grid = math.lcm(N_BASE, job.n)
    batch = max(1, BATCH_ELEMENTS // max(job.n, grid if grid <= MAX_GRID else 0))
    for start in range(0, job.null_windows, batch):
        rows = min(batch, job.null_windows - start)
        # sorted windows from the baseline's distribution; the first `shifts` of them, transformed, are the shifted
        # windows (common random numbers: every scenario sees the same underlying draws)
        windows = np.sort(dist.draw(rng, (rows, job.n)), axis=1)
        shifted_rows = max(0, min(rows, shifts - start))
        for scenario in scenarios:
            if scenario.null:
                _collect(collected[scenario.label], numeric_metrics(base, windows))
            elif shifted_rows:
                _collect(collected[scenario.label], numeric_metrics(base, scenario.apply(windows[:shifted_rows], dist)))
    return {(baseline, label): {m: np.concatenate(v) for m, v in d.items()} for label, d in collected.items()}


def _categorical_job(job: Job, baseline: int, shifts: int) -> Samples:
    null_shares = CATEGORICAL_SCENARIOS[0].shares()
    base_counts = _rng(job, CATEGORICAL_CODE, baseline, 0).multinomial(N_BASE, null_shares).astype(np.float64)
    rng = _rng(job, CATEGORICAL_CODE, baseline, 1)
    samples: Samples = {}
    for scenario in CATEGORICAL_SCENARIOS if shifts else CATEGORICAL_SCENARIOS[:1]:
        size = job.null_windows if scenario.null else shifts
        counts = rng.multinomial(job.n, scenario.shares(), size=size).astype(np.float64)
        samples[(baseline, scenario.label)] = categorical_metrics(base_counts, counts)
    return samples


# --------------------------------------------------------------------------
# self-check: the vectorised paths against sqlmon.stats
# --------------------------------------------------------------------------
def self_check() -> None:
    rng = np.random.default_rng(7)
    tolerance = 1e-9
    for dist in DISTRIBUTIONS.values():
        base = NumericBaseline.of(dist.draw(rng, N_BASE))
        for n, rounded in ((1_000, False), (100_000, False), (1_000, True)):
            windows = np.sort(dist.draw(rng, (2, n)), axis=1)
            if rounded:  # ties inside the window and with the baseline: the reference path
                windows = np.round(windows, 2)
                base = NumericBaseline.of(np.round(base.values, 2))
            for scenario in (NUMERIC_SCENARIOS[0], NUMERIC_SCENARIOS[2], NUMERIC_SCENARIOS[-1]):
                shifted = scenario.apply(windows, dist)
                fast = numeric_metrics(base, shifted)
                for i, row in enumerate(shifted):
                    cur_bins = reference.bin_counts(row, np.ones(n), base.edges)
                    ks, wasserstein = _ks_wasserstein_reference(base.values, row)
                    expected = {
                        "psi": stats.psi(base.bin_counts, cur_bins),
                        "kl": stats.kl(base.bin_counts, cur_bins),
                        "js": stats.js(base.bin_counts, cur_bins),
                        "hellinger": stats.hellinger(base.bin_counts, cur_bins),
                        "ks": ks,
                        "wasserstein_norm": wasserstein / base.sd,
                    }
                    for metric, value in expected.items():
                        got = float(fast[metric][i])
                        assert abs(got - value) <= tolerance * max(1.0, abs(value)), (dist.name, n, metric, got, value)
                    assert float(fast["ks"][i]) == ks, (dist.name, n, "ks not bit-identical")
    for n_cur in SIZES:
        for alpha in (0.05, 0.01):
            ks_pvalue_below(np.array([0.0]), N_BASE, n_cur, alpha)
            critical = _CRITICAL[(int(effective_n(N_BASE, n_cur)), alpha)]
            probes = critical * (1.0 + np.array([-1e-3, -1e-7, 1e-7, 1e-3]))
            expected = [stats.ks_pvalue(float(d), N_BASE, n_cur) < alpha for d in probes]
            assert list(ks_pvalue_below(probes, N_BASE, n_cur, alpha)) == expected, (n_cur, alpha)
    base_counts = rng.multinomial(N_BASE, CATEGORICAL_SCENARIOS[0].shares()).astype(np.float64)
    for scenario in CATEGORICAL_SCENARIOS:
        counts = rng.multinomial(1_000, scenario.shares(), size=3).astype(np.float64)
        fast = categorical_metrics(base_counts, counts)
        for i, row in enumerate(counts):
            expected = {
                "psi": stats.psi(base_counts, row),
                "kl": stats.kl(base_counts, row),
                "js": stats.js(base_counts, row),
                "hellinger": stats.hellinger(base_counts, row),
                "chi2_pvalue": stats.chi2_two_sample(base_counts, row)[1],
                "l_infinity": stats.l_infinity(base_counts, row),
                "unseen_rate": stats.unseen_rate(base_counts, row),
            }
            for metric, value in expected.items():
                got = float(fast[metric][i])
                assert abs(got - value) <= tolerance * max(1.0, abs(value)), (scenario.label, metric, got, value)


# --------------------------------------------------------------------------
# rates and thresholds
# --------------------------------------------------------------------------
def fires(rule: Rule | MethodRule, values: dict[str, np.ndarray], n: int) -> np.ndarray:
    if isinstance(rule, MethodRule):
        return rule.fires(values, n)
    if rule.metric == "ks_pvalue":
        return ks_pvalue_below(values["ks"], N_BASE, n, rule.threshold_for(n))
    column = values[rule.metric]
    threshold = rule.threshold_for(n)
    return column < threshold if rule.op == "<" else column > threshold


def calibrate(metric: str, null_values: np.ndarray) -> float:
    """The smallest threshold (largest, for a p-value) whose false-alarm rate on these windows is ≤ 1 %."""
    allowed = math.floor(TARGET_FALSE_ALARMS * null_values.size + 1e-9)
    ordered = np.sort(null_values)
    if metric in LOWER_IS_DRIFT:
        return float(ordered[allowed])  # `p < t` fires on the `allowed` smallest p-values
    return float(ordered[null_values.size - allowed - 1])  # `x > t` fires on the `allowed` largest values


def pct(rate: float, digits: int = 1) -> str:
    return f"{100.0 * rate:.{digits}f}%"


def num(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4g}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


@dataclass
class Settings:
    windows: int
    sizes: tuple[int, ...]
    baselines: int
    baseline_windows: int
    seed: int
    jobs: int


class Report:
    def __init__(self, settings: Settings, samples: dict[tuple[str, int], Samples]) -> None:
        self.s = settings
        self.samples = samples

    def values(self, kind: str, n: int, scenario: str, baseline: int = 0) -> dict[str, np.ndarray]:
        return self.samples[(kind, n)][(baseline, scenario)]

    @staticmethod
    def scenarios(kind: str) -> tuple[str, ...]:
        chosen = CATEGORICAL_SCENARIOS if kind == "categorical" else NUMERIC_SCENARIOS
        return tuple(s.label for s in chosen)

    def fixed_rules(self, kind: str) -> list[str]:
        rules = CATEGORICAL_RULES if kind == "categorical" else NUMERIC_RULES
        shifted = self.scenarios(kind)[1:]
        rows = []
        for rule in rules:
            for n in self.s.sizes:
                null = fires(rule, self.values(kind, n, "none"), n).mean()
                detected = [fires(rule, self.values(kind, n, label), n).mean() for label in shifted]
                rows.append([rule.label_for(n), f"{n:,}", pct(null, 2), *map(pct, detected)])
        return table(["rule", "n", "false alarms", *shifted], rows)

    def calibrated(self, kind: str) -> dict[tuple[str, int], float]:
        metrics = CATEGORICAL_METRICS if kind == "categorical" else NUMERIC_METRICS
        w = self.s.windows
        return {(m, n): calibrate(m, self.values(kind, n, "none")[m][:w]) for m in metrics for n in self.s.sizes}

    def calibrated_rules(self, kind: str) -> list[str]:
        shifted = self.scenarios(kind)[1:]
        w = self.s.windows
        rows = []
        for (metric, n), threshold in self.calibrated(kind).items():
            op = "<" if metric in LOWER_IS_DRIFT else ">"
            rule = Rule(metric, op, threshold)
            label = f"`{metric} {op} {num(threshold)}`"
            if metric == "ks":  # at fixed sizes ks_pvalue is a decreasing function of ks: the same rule
                label += f" (≡ `ks_pvalue < {num(stats.ks_pvalue(threshold, N_BASE, n))}`)"
            held_out = fires(rule, {metric: self.values(kind, n, "none")[metric][w:]}, n).mean()
            detected = [fires(rule, self.values(kind, n, s), n).mean() for s in shifted]
            rows.append([label, f"{n:,}", pct(held_out, 2), *map(pct, detected)])
        return table(["rule at the measured 99th percentile", "n", "false alarms (held out)", *shifted], rows)

    def medians(self, kind: str) -> list[str]:
        n = max(self.s.sizes)
        labels = self.scenarios(kind)
        metrics = list(CATEGORICAL_METRICS if kind == "categorical" else NUMERIC_METRICS)
        if kind != "categorical":
            metrics.insert(metrics.index("ks") + 1, "ks_pvalue")
        rows = []
        for metric in metrics:
            cells = []
            for label in labels:
                if metric == "ks_pvalue":  # the median p-value is the p-value of the median ks (same order)
                    ordered = np.sort(self.values(kind, n, label)["ks"])
                    middle = {ordered[(ordered.size - 1) // 2], ordered[ordered.size // 2]}
                    cells.append(num(float(np.mean([stats.ks_pvalue(float(d), N_BASE, n) for d in middle]))))
                else:
                    cells.append(num(float(np.median(self.values(kind, n, label)[metric]))))
            rows.append([f"`{metric}`", *cells])
        return table(["metric", *labels], rows)

    def baseline_spread(self, kind: str) -> list[str]:
        calibrated = self.calibrated(kind)
        metrics = dict.fromkeys(metric for metric, _ in calibrated)
        rows: list[tuple[str, Callable[[int], Rule]]] = [
            (rule.label, lambda _n, rule=rule: rule)
            for rule in (CATEGORICAL_RULES if kind == "categorical" else NUMERIC_RULES)
        ]
        for metric in metrics:
            op = "<" if metric in LOWER_IS_DRIFT else ">"
            label = f"`{metric}` at its 99th percentile on baseline 0"
            rows.append((label, lambda n, metric=metric, op=op: Rule(metric, op, calibrated[(metric, n)])))
        lines = []
        for label, rule_for in rows:
            cells = []
            for n in self.s.sizes:
                rule = rule_for(n)
                rates = [fires(rule, self.values(kind, n, "none", b), n).mean() for b in range(1, self.s.baselines + 1)]
                cells.append(f"{pct(float(np.median(rates)))} ({pct(min(rates))}–{pct(max(rates))})")
            lines.append([label, *cells])
        return table(["rule", *(f"n = {n:,}" for n in self.s.sizes)], lines)

    def markdown(self) -> str:
        s = self.s
        titles = {
            "normal": "Numeric column, standard normal",
            "lognormal": "Numeric column, lognormal (exp of a standard normal; skewed like amounts)",
            "categorical": "Categorical column, 8 categories",
        }
        lines = [
            f"Generated by `python bench/false_alarms.py{self.command_flags()}`: N_base = {N_BASE:,}, "
            f"{s.windows:,} windows per shifted scenario, {2 * s.windows:,} windows without drift, seed {s.seed}.",
            "",
            "### False-alarm and detection rates at the default and typical thresholds",
            "",
            "False alarms: share of the windows without drift in which the rule fires. Other columns: share of the "
            "shifted windows in which it fires (detection rate).",
        ]
        for kind, title in titles.items():
            lines += ["", f"#### {title}", "", *self.fixed_rules(kind)]
        lines += [
            "",
            "### Thresholds at the measured 99th percentile without drift (false alarms ≤ 1 %)",
            "",
            f"Per metric and n, the smallest threshold that fires in at most 1 % of the first {s.windows:,} windows "
            "without drift (for a p-value: the largest cut). False alarms are then measured on the other "
            f"{s.windows:,} windows without drift, which played no part in the choice.",
        ]
        for kind, title in titles.items():
            lines += ["", f"#### {title}", "", *self.calibrated_rules(kind)]
        lines += [
            "",
            f"### Median value of each metric at n = {max(s.sizes):,}",
            "",
            "What a window of each scenario typically scores (median over the windows).",
        ]
        for kind, title in titles.items():
            lines += ["", f"#### {title}", "", *self.medians(kind)]
        if s.baselines:
            lines += [
                "",
                "### How much the false-alarm rate depends on the baseline sample",
                "",
                f"The same rules on {s.baselines} further baselines (independent draws of N_base rows), "
                f"{s.baseline_windows:,} windows without drift each: median false-alarm rate over the baselines "
                "(lowest–highest). The last rows apply the thresholds calibrated on baseline 0 (previous section).",
            ]
            for kind, title in titles.items():
                lines += ["", f"#### {title}", "", *self.baseline_spread(kind)]
        return "\n".join(lines) + "\n"

    def command_flags(self) -> str:
        s = self.s
        flags = []
        if s.windows != DEFAULT_WINDOWS:
            flags.append(f"--windows {s.windows}")
        if s.sizes != SIZES:
            flags.append("--sizes " + " ".join(str(n) for n in s.sizes))
        if s.baselines != DEFAULT_BASELINES:
            flags.append(f"--baselines {s.baselines}")
        if s.baseline_windows != DEFAULT_BASELINE_WINDOWS:
            flags.append(f"--baseline-windows {s.baseline_windows}")
        if s.seed != SEED:
            flags.append(f"--seed {s.seed}")
        return "".join(" " + f for f in flags)


DEFAULT_WINDOWS = 1_000
DEFAULT_BASELINES = 10
DEFAULT_BASELINE_WINDOWS = 400


def write_docs(markdown: str, path: Path = DOCS) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        raise SystemExit(f"{path} has no {START_MARKER} … {END_MARKER} block")
    path.write_text(text[: start + len(START_MARKER)] + "\n" + markdown + text[end:], encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--windows",
        type=int,
        default=DEFAULT_WINDOWS,
        help="windows per shifted scenario (windows without drift: twice as many)",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="current-window sizes n")
    parser.add_argument("--baselines", type=int, default=DEFAULT_BASELINES, help="further baselines (0: skip)")
    parser.add_argument(
        "--baseline-windows",
        type=int,
        default=DEFAULT_BASELINE_WINDOWS,
        help="windows without drift per further baseline",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--quick", action="store_true", help="smoke test: 100 windows, n = 1,000 and 10,000")
    parser.add_argument("--write-docs", action="store_true", help=f"write the tables into {DOCS.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if args.quick:
        args.windows, args.sizes, args.baselines, args.baseline_windows = 100, [1_000, 10_000], 3, 100
    if args.windows < 100:
        parser.error("--windows must be at least 100 (the 1 % threshold needs enough windows)")
    settings = Settings(
        args.windows, tuple(args.sizes), args.baselines, args.baseline_windows, args.seed, max(1, args.jobs)
    )

    started = time.perf_counter()
    self_check()
    log(f"self-check against sqlmon.stats passed in {time.perf_counter() - started:.1f} s")

    jobs = []
    for kind in ("normal", "lognormal", "categorical"):
        for n in settings.sizes:
            jobs.append(Job(kind, n, settings.seed, (0,), 2 * settings.windows, settings.windows))
            if settings.baselines:
                extra = tuple(range(1, settings.baselines + 1))
                jobs.append(Job(kind, n, settings.seed, extra, settings.baseline_windows, 0))
    jobs.sort(key=lambda job: -job.cost)  # longest first, for an even load
    samples: dict[tuple[str, int], Samples] = {}
    with ProcessPoolExecutor(max_workers=settings.jobs) as pool:
        for job, result, seconds in pool.map(run_job, jobs):
            samples.setdefault((job.kind, job.n), {}).update(result)
            log(f"  {job.kind:<11} n={job.n:>7,} baselines={len(job.baselines):>2}: {seconds:6.1f} s")
    simulated = time.perf_counter()
    markdown = Report(settings, samples).markdown()
    finished = time.perf_counter()
    print(markdown)
    log(
        f"total {finished - started:.1f} s on {settings.jobs} worker(s) "
        f"(simulation {simulated - started:.1f} s, tables {finished - simulated:.1f} s)"
    )
    if args.write_docs:
        write_docs(markdown)
        log(f"wrote {DOCS.relative_to(ROOT)}")


def log(message: str, stream: Callable[..., None] = print) -> None:
    stream(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
