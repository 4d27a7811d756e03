"""Bins shared by the monitors that compare histograms.

Inner edges e_1 < … < e_{k−1} make k bins: (−inf, e_1), [e_1, e_2), …, [e_{k−1}, +inf). The end bins are open, so a
value outside the baseline's range still lands in a bin. Edges come from the baseline only and are stored with the
results, so every window and every engine bins the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from sqlmon.errors import ConfigProblem
from sqlmon.monitors.base import Aggregate, Distribution, HistogramBin, Relation, Request, Results
from sqlmon.sql.types import ColumnInfo

PROFILE_LEVELS = 1000  # a frozen profile holds quantiles at j / 1000 (sqlmon.baselines.profile.LEVELS)


def quantile_requests(relation: Relation, column: ColumnInfo, bins: int) -> list[Distribution]:
    """The baseline's inverted-CDF quantiles at k/bins, k = 1 … bins−1, as numpy computes them (one request).

    Ranking sorts every value of the column; a whole baseline table may hold millions, so each column's ranking of
    one gets a statement of its own (once per run) rather than sharing one whose parts all sort at the same time.
    """
    return [
        Distribution.of(
            "common.quantiles",
            alone=relation.window is None and relation.profile is None,
            rel=relation,
            column=column.name,
            floating=column.floating,
            bins=bins,
        )
    ]


def edges_from_quantiles(requests: Sequence[Request], results: Results) -> list[float]:
    """Distinct quantile values in ascending order (ties in the baseline merge bins rather than make empty ones)."""
    values = [a for r in requests for _k, a, _b in results[r]]
    return sorted({float(v) for v in values if v is not None})


def fixed_edges(low: float, high: float, bins: int) -> list[float]:
    return [low + (high - low) * k / bins for k in range(1, bins)]


def bin_bounds(edges: Sequence[float]) -> list[tuple[float | None, float | None]]:
    bounds: list[float | None] = [None, *edges, None]
    return list(pairwise(bounds))


def bin_requests(relation: Relation, column: ColumnInfo, edges: Sequence[float]) -> list[Aggregate]:
    return [
        Aggregate.of(relation, "common.bin_count", column=column.name, floating=column.floating, lower=lo, upper=hi)
        for lo, hi in bin_bounds(edges)
    ]


def histogram_rows(column: str, side: str, edges: Sequence[float], counts: Sequence[float]) -> list[HistogramBin]:
    total = float(sum(counts))
    return [
        HistogramBin(column, side, index, lo, hi, None, float(count), float(count) / total if total else None)
        for index, ((lo, hi), count) in enumerate(zip(bin_bounds(edges), counts, strict=True))
    ]


def category_rows(
    column: str, categories: Sequence[str | None], base: Sequence[float], cur: Sequence[float]
) -> list[HistogramBin]:
    rows = []
    for side, counts in (("baseline", base), ("current", cur)):
        total = float(sum(counts))
        for index, (category, count) in enumerate(zip(categories, counts, strict=True)):
            rows.append(
                HistogramBin(
                    column,
                    side,
                    index,
                    None,
                    None,
                    category if category is not None else "__other__",
                    float(count),
                    float(count) / total if total else None,
                )
            )
    return rows


def profile_binning_problems(spec: Any, other_binning: str | None) -> list[ConfigProblem]:
    """Bins a frozen profile can count exactly: at its quantiles, so quantile binning with bins dividing 1000."""
    if other_binning is not None:
        return [
            ConfigProblem(
                spec.locate(other_binning),
                other_binning,
                "a profile baseline holds counts at its quantiles only, so it bins by quantile",
                "use `binning: quantile` with a profile, or compare against a `table` baseline",
            )
        ]
    if PROFILE_LEVELS % spec.bins:
        divisors = [b for b in range(2, 101) if PROFILE_LEVELS % b == 0]
        return [
            ConfigProblem(
                spec.locate("bins"),
                "bins",
                f"a profile holds quantiles at j/{PROFILE_LEVELS}, so `bins` must divide {PROFILE_LEVELS},"
                f" not {spec.bins}",
                f"use one of {', '.join(map(str, divisors))}, …",
            )
        ]
    return []
