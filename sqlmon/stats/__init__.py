"""Statistics computed from warehouse aggregates.

The SQL that sqlmon generates never ships raw rows to Python: it returns
aggregates (a count per histogram bin, per category or per distinct value).
This package turns those aggregates into drift and distance statistics;
``sqlmon.stats.reference`` holds the Python twins of what the SQL computes
itself, which only the tests use. Every function is pure and takes plain sequences of numbers.

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
from collections.abc import Sequence

import numpy as np

__all__ = [
    "EPSILON",
    "chi2_two_sample",
    "hellinger",
    "js",
    "kl",
    "ks_pvalue",
    "l_infinity",
    "proportions",
    "psi",
    "unseen_rate",
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
    total = float(arr.sum())
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
    ``p'_i = p_i``, or ``ε`` where ``p_i = 0``; ``ε = epsilon`` (default :data:`EPSILON` = 1e-4).
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
    p_floored = np.where(p[mask] > 0, p[mask], eps)  # only an empty bin is floored: a small share is a share
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
    from scipy.special import chdtrc  # what scipy.stats.chi2.sf computes, without importing all of scipy.stats

    n = total_b + total_c
    col = b + c
    exp_b = total_b * col / n
    exp_c = total_c * col / n
    statistic = float(np.sum((b - exp_b) ** 2 / exp_b) + np.sum((c - exp_c) ** 2 / exp_c))
    p_value = float(chdtrc(dof, statistic))
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
