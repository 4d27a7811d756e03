"""Python twins of what the warehouse computes, for the tests only: KS and Wasserstein from per-value counts,
quantile edges, bin counts and the concentration indices.

The package never calls these (the SQL in macros/ computes the same numbers inside the warehouse); the tests compare
the SQL's results with them, and them with scipy and numpy, so each number is checked against two implementations.
They follow the conventions of `sqlmon.stats`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import SupportsIndex

import numpy as np

from sqlmon.stats import _NAN, Counts, Number, _counts, _pair, _values


def _per_value(
    values: Sequence[Number] | np.ndarray, base: Counts, cur: Counts, *, finite: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct values with base/cur counts aggregated over duplicate values."""
    b, c = _pair(base, cur)
    v = _values(values, finite=finite)
    if v.shape != b.shape:
        raise ValueError(f"values and counts must have the same length, got {v.size} and {b.size}")
    uniq, inverse = np.unique(v, return_inverse=True)
    inverse = inverse.reshape(-1)
    return (
        uniq,
        np.bincount(inverse, weights=b, minlength=uniq.size),
        np.bincount(inverse, weights=c, minlength=uniq.size),
    )


def _positive_int(x: object, name: str) -> int:
    try:
        if isinstance(x, bool) or not isinstance(x, SupportsIndex):
            raise TypeError
        value = operator.index(x)
    except TypeError as exc:
        raise ValueError(f"{name} must be an integer >= 1, got {x!r}") from exc
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {x!r}")
    return value


def ks_from_counts(values: Sequence[Number] | np.ndarray, base: Counts, cur: Counts) -> float:
    """Exact two-sample Kolmogorov–Smirnov statistic from per-value counts.

    ``values`` lists the distinct values of the union of both samples (any
    order; a repeated value has its counts summed) and ``base``/``cur`` the
    number (or weight) of rows at each value. With the empirical CDFs
    ``F_base(v) = Σ_{v_i ≤ v} base_i / Σ base`` and likewise ``F_cur``:

        ``D = max_v |F_base(v) − F_cur(v)|``, in [0, 1],

    which equals ``scipy.stats.ks_2samp(a, b).statistic`` on the raw samples,
    ties included. Values must not be NaN (ValueError); ±inf is allowed.

    Returns NaN when either side sums to 0.
    """
    _, b, c = _per_value(values, base, cur, finite=False)
    total_b, total_c = b.sum(), c.sum()
    if total_b == 0 or total_c == 0:
        return _NAN
    cdf_b = np.cumsum(b) / total_b
    cdf_c = np.cumsum(c) / total_c
    return float(min(np.max(np.abs(cdf_b - cdf_c)), 1.0))


def wasserstein_from_counts(values: Sequence[Number] | np.ndarray, base: Counts, cur: Counts) -> float:
    """Exact 1-Wasserstein (earth mover's) distance from per-value counts.

    Same inputs as :func:`ks_from_counts`. With the distinct values sorted
    ascending ``v_1 < … < v_n``:

        ``W1 = Σ_{j=1}^{n−1} |F_base(v_j) − F_cur(v_j)| · (v_{j+1} − v_j)``,

    which equals ``scipy.stats.wasserstein_distance(a, b)`` on the raw
    samples. It is in the units of the values. Values must be finite
    (ValueError otherwise).

    Returns NaN when either side sums to 0.
    """
    v, b, c = _per_value(values, base, cur, finite=True)
    total_b, total_c = b.sum(), c.sum()
    if total_b == 0 or total_c == 0:
        return _NAN
    cdf_b = np.cumsum(b)[:-1] / total_b
    cdf_c = np.cumsum(c)[:-1] / total_c
    return float(np.sum(np.abs(cdf_b - cdf_c) * np.diff(v)))


# --------------------------------------------------------------------------
# binning
# --------------------------------------------------------------------------
def quantile_edges(values: Sequence[Number] | np.ndarray, counts: Counts, n_bins: int) -> list[float]:
    """Inner bin edges at the baseline quantiles, from per-value counts.

    ``values`` are the baseline's distinct values (any order; a repeated
    value has its counts summed) and ``counts`` the rows at each value, with
    total N. For ``k = 1 … n_bins − 1`` the edge is the inverted-CDF
    quantile at ``k / n_bins``: the smallest value v whose cumulative count
    ``Σ_{v_i ≤ v} counts_i`` is ``≥ (k / n_bins) · N``, that product being
    evaluated in float64 exactly like
    ``numpy.quantile(raw, k / n_bins, method='inverted_cdf')`` does on the
    raw sample (so the result equals numpy's, including its rounding when
    ``k·N / n_bins`` is an integer). Repeated edges (a value holding more
    than one bin's worth of mass) are removed, so the returned list is
    strictly increasing and may hold fewer than ``n_bins − 1`` edges.
    ``n_bins = 1`` gives ``[]``.

    Use the result as ``edges`` in :func:`bin_counts` (and in the SQL that
    bins the current window). ValueError when ``n_bins < 1``, when a value
    is NaN, or when the baseline is empty (N = 0): edges cannot be derived
    from no data.
    """
    n_bins = _positive_int(n_bins, "n_bins")
    v = _values(values)
    cnt = _counts(counts)
    if v.shape != cnt.shape:
        raise ValueError(f"values and counts must have the same length, got {v.size} and {cnt.size}")
    uniq, inverse = np.unique(v, return_inverse=True)
    cumulative = np.cumsum(np.bincount(inverse.reshape(-1), weights=cnt, minlength=uniq.size))
    if cumulative.size == 0 or cumulative[-1] == 0:
        raise ValueError("cannot compute quantile edges of an empty baseline (counts sum to 0)")
    total = cumulative[-1]
    thresholds = np.array([total * (k / n_bins) for k in range(1, n_bins)], dtype=np.float64)
    idx = np.minimum(np.searchsorted(cumulative, thresholds, side="left"), uniq.size - 1)
    return [float(e) for e in np.unique(uniq[idx])]


def bin_counts(values: Sequence[Number] | np.ndarray, counts: Counts, edges: Sequence[Number]) -> list[float]:
    """Sum per-value counts into the bins delimited by inner edges.

    With strictly increasing inner edges ``e_1 < … < e_{k−1}`` there are k
    bins, left-closed and open-ended at both extremes:

    * bin 0 = ``(−inf, e_1)``,
    * bin j = ``[e_j, e_{j+1})`` for ``1 ≤ j ≤ k − 2``,
    * bin k−1 = ``[e_{k−1}, +inf)``.

    A value equal to an edge therefore falls in the bin to the right of the
    edge. This is the convention of the generated SQL (``value >= e_j AND
    value < e_{j+1}``); values outside the baseline's range land in the
    first or last bin. No edges gives a single bin holding the total.

    Returns the k bin totals as floats. ValueError when edges are not
    strictly increasing or contain NaN, or a value is NaN.
    """
    v = _values(values)
    cnt = _counts(counts)
    e = _values(edges, "edges")
    if v.shape != cnt.shape:
        raise ValueError(f"values and counts must have the same length, got {v.size} and {cnt.size}")
    if e.size > 1 and not np.all(np.diff(e) > 0):
        raise ValueError("edges must be strictly increasing")
    idx = np.searchsorted(e, v, side="right")
    return [float(x) for x in np.bincount(idx, weights=cnt, minlength=e.size + 1)]


# --------------------------------------------------------------------------
# concentration of a single distribution
# --------------------------------------------------------------------------
def top_k_share(counts: Counts, k: int) -> float:
    """Share of the total held by the k largest counts, in [0, 1].

    ``Σ_{i ≤ k} x_(i) / Σ_i x_i`` with ``x_(1) ≥ x_(2) ≥ …`` the counts in
    descending order; k larger than the number of counts gives 1.0.
    ValueError when k < 1. Returns NaN when the counts sum to 0.
    """
    k = _positive_int(k, "k")
    arr = _counts(counts)
    total = arr.sum()
    if total == 0:
        return _NAN
    top = np.sort(arr)[::-1][:k]
    return float(min(top.sum() / total, 1.0))


def hhi(counts: Counts) -> float:
    """Herfindahl–Hirschman index: ``Σ_i s_i²`` with ``s_i = x_i / Σ x``, in (0, 1].

    1 when all mass is in one category, 1/n for n equally frequent
    categories. Returns NaN when the counts sum to 0.
    """
    arr = _counts(counts)
    total = arr.sum()
    if total == 0:
        return _NAN
    s = arr / total
    return float(np.dot(s, s))


def entropy_norm(counts: Counts) -> float:
    """Normalised Shannon entropy (evenness), in [0, 1].

    ``−Σ_i s_i ln s_i / ln n`` over the n categories with a count > 0,
    ``s_i = x_i / Σ x``. 1 means all n categories are equally frequent,
    values near 0 mean the mass is concentrated. Special cases:

    * n = 1 (a single non-empty category) → 0.0: the mass is fully
      concentrated (the formula itself would be 0/0);
    * counts sum to 0 → NaN (no data).

    Clipped into [0, 1] against rounding.
    """
    arr = _counts(counts)
    total = arr.sum()
    if total == 0:
        return _NAN
    s = arr[arr > 0] / total
    n = s.size
    if n <= 1:
        return 0.0
    s = s[s > 0]  # a share that underflows to 0 contributes 0 · ln 0 = 0
    h = -float(np.sum(s * np.log(s)))
    return min(max(h / math.log(n), 0.0), 1.0)


def gini(counts: Counts) -> float:
    """Gini coefficient of the counts of the categories with a count > 0, in [0, 1).

    With those n counts sorted ascending ``x_1 ≤ … ≤ x_n``:

        ``G = 2 Σ_i i·x_i / (n Σ_i x_i) − (n + 1) / n``,

    which equals the mean absolute difference ``Σ_i Σ_j |x_i − x_j| /
    (2 n² x̄)``. 0 when all non-empty categories are equally frequent; it
    approaches 1 as the mass concentrates in one of many categories.
    Categories with count 0 are ignored. Special cases:

    * n = 1 → 0.0 (a single category is trivially "equal");
    * counts sum to 0 → NaN (no data).

    Clipped at 0 against rounding.
    """
    arr = _counts(counts)
    total = arr.sum()
    if total == 0:
        return _NAN
    x = np.sort(arr[arr > 0])
    n = x.size
    if n <= 1:
        return 0.0
    ranks = np.arange(1, n + 1, dtype=np.float64)
    g = 2.0 * float(np.dot(ranks, x)) / (n * float(x.sum())) - (n + 1) / n
    return max(g, 0.0)
