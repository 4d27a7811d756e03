"""Statistics computed from warehouse aggregates.

The SQL that sqlmon generates never ships raw rows to Python: it returns
aggregates (a count per histogram bin, per category or per distinct value).
This module turns those aggregates into drift, distance and concentration
statistics. Every function is pure and takes plain sequences of numbers.

Conventions shared by every function
------------------------------------
* Counts are non-negative numbers, ``int`` or ``float`` (floats come from
  weighted counts; ``decimal.Decimal`` from a warehouse driver is accepted
  too). They are converted to ``float64``, so integer counts are exact up
  to 2**53.
* ``base`` is the baseline (reference, "expected", p) and ``cur`` the
  current window ("actual", q). The two sequences are aligned: element i
  of both refers to the same bin, category or value.
  ``p_i = base_i / Σ base`` and ``q_i = cur_i / Σ cur``.
* Invalid input raises ``ValueError``: sequences of different lengths, a
  negative count, a NaN (or ``None``, i.e. SQL NULL) or infinite count,
  anything that is not a one-dimensional sequence of numbers.
* Valid input never raises. When a statistic cannot be computed because a
  side holds no data (its counts sum to 0, including empty sequences), the
  result is ``float('nan')``: nan means "not computable", not "no drift".
* Logarithms are natural (nats), except for :func:`js`, which uses base 2
  so that it lies in [0, 1].

numpy is imported at module level; scipy is imported lazily inside the few
functions that need it, so that importing sqlmon stays fast.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import numpy as np

__all__ = [
    "EPSILON",
    "bin_counts",
    "chi2_two_sample",
    "entropy_norm",
    "gini",
    "hellinger",
    "hhi",
    "js",
    "kl",
    "ks_from_counts",
    "ks_pvalue",
    "l_infinity",
    "proportions",
    "psi",
    "quantile_edges",
    "top_k_share",
    "unseen_rate",
    "wasserstein_from_counts",
]

Number = int | float
Counts = Sequence[Number] | np.ndarray

#: Floor applied to empty-bin proportions in :func:`psi` (both sides) and
#: :func:`kl` (baseline side): an empty bin is treated as holding a share of
#: 1e-4 (0.01 %) so that the logarithm stays finite. The floored vectors are
#: not renormalised.
EPSILON: float = 1e-4

_NAN = float("nan")


# --------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------
def _as_1d_float(x: object, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a one-dimensional sequence of numbers") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _counts(x: Counts, name: str = "counts") -> np.ndarray:
    arr = _as_1d_float(x, name)
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN (or None)")
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains an infinite count")
    if (arr < 0).any():
        raise ValueError(f"{name} contains a negative count")
    return arr


def _pair(base: Counts, cur: Counts) -> tuple[np.ndarray, np.ndarray]:
    b = _counts(base, "base")
    c = _counts(cur, "cur")
    if b.shape != c.shape:
        raise ValueError(f"base and cur must have the same length, got {b.size} and {c.size}")
    return b, c


def _proportion_pair(base: Counts, cur: Counts) -> tuple[np.ndarray, np.ndarray] | None:
    """Validated (p, q), or None when either side sums to 0."""
    b, c = _pair(base, cur)
    sb, sc = b.sum(), c.sum()
    if sb == 0 or sc == 0:
        return None
    return b / sb, c / sc


def _values(x: object, name: str = "values", *, finite: bool = False) -> np.ndarray:
    arr = _as_1d_float(x, name)
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN (or None)")
    if finite and np.isinf(arr).any():
        raise ValueError(f"{name} contains an infinite value")
    return arr


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
        if isinstance(x, bool):
            raise TypeError
        value = operator.index(x)
    except TypeError as exc:
        raise ValueError(f"{name} must be an integer >= 1, got {x!r}") from exc
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {x!r}")
    return value


def _check_epsilon(epsilon: float, *, allow_zero: bool) -> float:
    eps = float(epsilon)
    if not math.isfinite(eps) or eps < 0 or (eps == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"epsilon must be finite and {bound}, got {epsilon!r}")
    return eps


# --------------------------------------------------------------------------
# proportions
# --------------------------------------------------------------------------
def proportions(counts: Counts) -> np.ndarray:
    """Normalise counts to proportions: ``s_i = counts_i / Σ_j counts_j``.

    Returns a new float64 array. If the counts sum to 0 (including an empty
    sequence) every proportion is undefined and the result is an array of
    NaN of the same length.
    """
    arr = _counts(counts)
    total = arr.sum()
    if total == 0:
        return np.full(arr.shape, np.nan)
    return arr / total


# --------------------------------------------------------------------------
# distances between two distributions over the same bins / categories
# --------------------------------------------------------------------------
def psi(base: Counts, cur: Counts, epsilon: float = EPSILON) -> float:
    """Population Stability Index (natural log).

    ``PSI = Σ_i (q'_i − p'_i) · ln(q'_i / p'_i)`` with ``p'_i = max(p_i, ε)``
    and ``q'_i = max(q_i, ε)``; ``ε = epsilon`` (default :data:`EPSILON` =
    1e-4, must be > 0). The floor keeps empty bins finite; the floored
    proportions are not renormalised. Bins empty on both sides contribute 0.
    PSI ≥ 0, and is 0 for identical distributions.

    Returns NaN when either side sums to 0.
    """
    eps = _check_epsilon(epsilon, allow_zero=False)
    pq = _proportion_pair(base, cur)
    if pq is None:
        return _NAN
    p = np.maximum(pq[0], eps)
    q = np.maximum(pq[1], eps)
    return float(np.sum((q - p) * np.log(q / p)))


def kl(base: Counts, cur: Counts, epsilon: float = EPSILON) -> float:
    """Kullback–Leibler divergence of the current window from the baseline (natural log).

    ``KL(q ‖ p) = Σ_{i: q_i > 0} q_i · ln(q_i / p'_i)`` with
    ``p'_i = max(p_i, ε)``; ``ε = epsilon`` (default :data:`EPSILON` = 1e-4).
    Terms with ``q_i = 0`` contribute 0; the floored baseline is not
    renormalised. Because the floor adds mass to the baseline, the result
    can be marginally negative, by at most ``ln(1 + m·ε)`` where m is the
    number of floored bins that hold current mass; it is exactly 0 for
    identical distributions. ``epsilon=0`` gives the unfloored KL, which is
    ``+inf`` when the current window has mass in a bin empty in the baseline.

    Returns NaN when either side sums to 0.
    """
    eps = _check_epsilon(epsilon, allow_zero=True)
    pq = _proportion_pair(base, cur)
    if pq is None:
        return _NAN
    p, q = pq
    mask = q > 0
    p_floored = np.maximum(p[mask], eps)
    with np.errstate(divide="ignore"):
        return float(np.sum(q[mask] * np.log(q[mask] / p_floored)))


def js(base: Counts, cur: Counts) -> float:
    """Jensen–Shannon distance, base 2: ``sqrt(JSD)``, in [0, 1].

    ``JSD = ½ Σ_i p_i log2(p_i / m_i) + ½ Σ_i q_i log2(q_i / m_i)`` with
    ``m_i = (p_i + q_i) / 2`` and ``0 · log 0 = 0``. The result equals
    ``scipy.spatial.distance.jensenshannon(p, q, base=2)``: 0 for identical
    distributions, 1 for distributions with disjoint support.

    Computed per bin as ``m_i · g(d_i) / (2 ln 2)`` with
    ``d_i = (p_i − q_i) / (p_i + q_i)`` and
    ``g(d) = (1+d) ln(1+d) + (1−d) ln(1−d) = 2 d·atanh(d) + ln(1 − d²)``
    (``g(±1) = 2 ln 2``), which is algebraically identical but keeps full
    relative precision when p ≈ q, so that nearly identical distributions do
    not produce a spurious ~1e-8 distance from rounding. Clipped into [0, 1].

    Returns NaN when either side sums to 0.
    """
    pq = _proportion_pair(base, cur)
    if pq is None:
        return _NAN
    p, q = pq
    total = p + q
    mask = total > 0
    p, q, total = p[mask], q[mask], total[mask]
    d = (p - q) / total
    g = np.full(d.shape, 2.0 * math.log(2.0))
    inner = np.abs(d) < 1.0
    di = d[inner]
    g[inner] = 2.0 * di * np.arctanh(di) + np.log1p(-di * di)
    jsd_bits = float(np.sum(0.5 * total * g)) / (2.0 * math.log(2.0))
    return math.sqrt(min(max(jsd_bits, 0.0), 1.0))


def hellinger(base: Counts, cur: Counts) -> float:
    """Hellinger distance, in [0, 1].

    ``H = sqrt(1 − Σ_i sqrt(p_i · q_i))``, computed as the algebraically
    identical ``sqrt(½ Σ_i (sqrt(p_i) − sqrt(q_i))²)`` (the first form loses
    precision when p ≈ q: for identical distributions it can return ~1e-8
    instead of 0), then clipped into [0, 1] against rounding. 0 for
    identical distributions, 1 for disjoint support.

    Returns NaN when either side sums to 0.
    """
    pq = _proportion_pair(base, cur)
    if pq is None:
        return _NAN
    diff = np.sqrt(pq[0]) - np.sqrt(pq[1])
    h2 = 0.5 * float(np.dot(diff, diff))
    return math.sqrt(min(max(h2, 0.0), 1.0))


def l_infinity(base: Counts, cur: Counts) -> float:
    """L-infinity (Chebyshev) distance between proportions: ``max_i |p_i − q_i|``, in [0, 1].

    Returns NaN when either side sums to 0.
    """
    pq = _proportion_pair(base, cur)
    if pq is None:
        return _NAN
    return float(np.max(np.abs(pq[0] - pq[1])))


def chi2_two_sample(base: Counts, cur: Counts) -> tuple[float, float, int]:
    """Pearson chi-square test of homogeneity of two count vectors.

    The 2×k contingency table has rows ``base`` and ``cur``. Categories
    whose total ``base_i + cur_i`` is 0 are dropped first, leaving k'
    categories. With row totals ``B = Σ base``, ``C = Σ cur``, ``N = B + C``
    and column totals ``n_i = base_i + cur_i``, the expected counts are
    ``E_b,i = B·n_i/N`` and ``E_c,i = C·n_i/N`` and

        ``X² = Σ_i (base_i − E_b,i)²/E_b,i + Σ_i (cur_i − E_c,i)²/E_c,i``

    with ``dof = k' − 1`` and p-value ``P(χ²_dof ≥ X²)``. No Yates
    continuity correction is applied: the result equals
    ``scipy.stats.chi2_contingency(table, correction=False)``.

    Returns ``(statistic, p_value, dof)``. Special cases:

    * either side sums to 0 → ``(nan, nan, 0)`` (not computable);
    * a single remaining category (dof = 0, e.g. both sides one identical
      bin) → ``(0.0, 1.0, 0)``: there is nothing to compare, as in scipy.
    """
    b, c = _pair(base, cur)
    total_b, total_c = b.sum(), c.sum()
    if total_b == 0 or total_c == 0:
        return _NAN, _NAN, 0
    keep = (b + c) > 0
    b, c = b[keep], c[keep]
    dof = int(b.size) - 1
    if dof == 0:
        return 0.0, 1.0, 0
    from scipy import stats as _scipy_stats

    n = total_b + total_c
    col = b + c
    exp_b = total_b * col / n
    exp_c = total_c * col / n
    statistic = float(np.sum((b - exp_b) ** 2 / exp_b) + np.sum((c - exp_c) ** 2 / exp_c))
    p_value = float(_scipy_stats.chi2.sf(statistic, dof))
    return statistic, p_value, dof


def unseen_rate(base: Counts, cur: Counts) -> float:
    """Share of current mass in categories absent from the baseline.

    ``Σ_{i: base_i = 0} cur_i / Σ_i cur_i``, in [0, 1].

    Returns NaN when either side sums to 0 (with an empty baseline every
    category would be "unseen", which says nothing about drift).
    """
    b, c = _pair(base, cur)
    total_c = c.sum()
    if b.sum() == 0 or total_c == 0:
        return _NAN
    return float(c[b == 0].sum() / total_c)


# --------------------------------------------------------------------------
# Kolmogorov–Smirnov and Wasserstein from per-value counts
# --------------------------------------------------------------------------
def ks_pvalue(d: float, n_base: Number, n_cur: Number) -> float:
    """Two-sided asymptotic p-value of a two-sample Kolmogorov–Smirnov statistic.

    Exactly ``scipy.stats.ks_2samp(..., method='asymp')``: with
    ``n = max(n_base, n_cur)`` and ``m = min(n_base, n_cur)``,
    ``en = round(n·m / (n + m))`` (round half to even, as ``numpy.round``)
    and ``p = scipy.stats.kstwo.sf(d, en)`` clipped to [0, 1].

    Sample sizes may be floats (e.g. sums of weights); they must be finite
    and >= 0 (ValueError otherwise). Returns NaN when ``d`` is NaN, when a
    sample size is 0, or when ``en`` rounds to 0 (n_base = n_cur = 1, where
    scipy also returns NaN).
    """
    sizes = []
    for name, size in (("n_base", n_base), ("n_cur", n_cur)):
        try:
            value = float(size)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be a number, got {size!r}") from exc
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be finite and >= 0, got {size!r}")
        sizes.append(value)
    try:
        d = float(d)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"d must be a number, got {d!r}") from exc
    n, m = sorted(sizes, reverse=True)
    if math.isnan(d) or m == 0:
        return _NAN
    en = float(np.round(n * m / (n + m)))
    if en < 1:
        return _NAN
    from scipy import stats as _scipy_stats

    return float(np.clip(_scipy_stats.kstwo.sf(d, en), 0.0, 1.0))


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
