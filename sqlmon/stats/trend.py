"""The Mann–Kendall trend test and Sen's slope over a metric's last windows (the `trend:` rule).

With a seasonality the test is the seasonal Kendall test of Hirsch, Slack and Smith (1982): S and its variance are
summed over the slots (weekdays, hours), so a weekly pattern is not mistaken for a trend. docs/statistics.md
("Trend rules") states the formulas; tests/test_rules_trend.py checks them against scipy.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Trend:
    s: int  # Σ sign(x_j − x_i) over the pairs i < j (within each slot)
    variance: float
    z: float  # S / √Var(S)
    pvalue: float  # two-sided
    slope: float | None  # Sen's slope per window: the median of the pairwise slopes (within each slot)


def _s_and_variance(values: Sequence[float]) -> tuple[int, float]:
    n = len(values)
    s = sum((values[j] > values[i]) - (values[j] < values[i]) for i in range(n - 1) for j in range(i + 1, n))
    ties = sum(t * (t - 1) * (2 * t + 5) for t in Counter(values).values() if t > 1)
    return s, (n * (n - 1) * (2 * n + 5) - ties) / 18.0


def mann_kendall(slots: Sequence[Sequence[tuple[int, float]]]) -> Trend | None:
    """The test over one or more slots, each a time-ordered list of (window index, value); None when no slot has two
    values or every value ties.

    S = Σ_slots Σ_{i<j} sign(x_j − x_i), Var(S) = Σ_slots [n(n − 1)(2n + 5) − Σ_ties t(t − 1)(2t + 5)] / 18,
    z = S / √Var(S), p = 2 (1 − Φ(|z|)) (no continuity correction: for one slot this is exactly scipy's asymptotic
    Kendall's tau test of the values against time). Sen's slope is the median of (x_j − x_i) / (t_j − t_i) over the
    same pairs, in the metric's unit per window.
    """
    from scipy.special import ndtr

    s, variance = 0, 0.0
    slopes: list[float] = []
    for slot in slots:
        if len(slot) < 2:
            continue
        part, var = _s_and_variance([v for _, v in slot])
        s, variance = s + part, variance + var
        slopes += [(b[1] - a[1]) / (b[0] - a[0]) for k, a in enumerate(slot) for b in slot[k + 1 :]]
    if variance <= 0:
        return None
    z = s / math.sqrt(variance)
    pvalue = float(2.0 * ndtr(-abs(z)))
    return Trend(s, variance, z, pvalue, statistics.median(slopes) if slopes else None)
