"""The arithmetic of anomaly rules: which past windows train a metric's band, the band, and the verdict on one value.

Pure functions of plain numbers, shared by the rule (sqlmon.rules.anomaly), the tests (against numpy) and
bench/anomaly_eval.py; docs/statistics.md ("Anomaly rules") states every formula.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Literal

Method = Literal["mad", "zscore"]
Direction = Literal["up", "down", "both"]
Seasonality = Literal["day_of_week", "hour_of_day", "hour_of_week", "day_of_month"]

# σ ≈ MAD / Φ⁻¹(3/4) for normal noise (see `noise_scale` for the case MAD = 0)
MAD_TO_SIGMA = 1.482602218505602

# Verdicts. Only `anomaly` alerts; `small_change` is outside the band but below both `min_change` floors.
OK, ANOMALY, SMALL_CHANGE, INSUFFICIENT, NO_VALUE = "ok", "anomaly", "small_change", "insufficient_history", "no_value"


@dataclass(frozen=True)
class Point:
    """One past window of a metric, as training sees it."""

    start: datetime
    end: datetime
    value: float | None
    alerted: bool = False  # a rule alerted on this metric in this window


@dataclass(frozen=True)
class Band:
    expected: float
    scale: float  # σ̂ · c_m: the noise's standard deviation, widened for the training size (see `widening`)
    lower: float
    upper: float


@dataclass(frozen=True)
class Assessment:
    status: str
    training_size: int
    band: Band | None = None
    # (value − expected) / scale: beyond ±sensitivity is outside the band; None when the scale is 0 or no band
    score: float | None = None


def season_of(start: datetime, seasonality: Seasonality | None) -> int | None:
    """The seasonal slot of a window by its start: weekday (Monday 0), hour, hour of the week, or day of the month."""
    if seasonality == "day_of_week":
        return start.weekday()
    if seasonality == "hour_of_day":
        return start.hour
    if seasonality == "hour_of_week":
        return start.weekday() * 24 + start.hour
    if seasonality == "day_of_month":
        return start.day
    return None


def touches(point: Point, dates: Collection[date]) -> bool:
    """Whether a window [start, end) overlaps any of these calendar days."""
    if not dates:
        return False
    last = (point.end - timedelta(microseconds=1)).date() if point.end > point.start else point.start.date()
    day = point.start.date()
    while day <= last:
        if day in dates:
            return True
        day += timedelta(days=1)
    return False


@dataclass(frozen=True)
class Training:
    """The windows that train one judged window's band: those of its own seasonal slot, which give the expected
    value, and over the same span those of the other slots, which only help estimate the noise's scale."""

    own: list[float]
    others: list[list[float]]
    # the groups the noise's scale is estimated from, the own slot first: `own` and `others` with the windows that
    # alerted put back (see `training_sets`)
    spread: list[list[float]] = field(default_factory=list)


def _usable(point: Point, exclude: Collection[date], include_alerts: bool) -> bool:
    if point.value is None or not math.isfinite(point.value):
        return False
    return (include_alerts or not point.alerted) and not touches(point, exclude)


def training_sets(
    past: Sequence[Point],
    judged: datetime,
    *,
    training: int,
    seasonality: Seasonality | None = None,
    exclude: Collection[date] = (),
    include_alerts: bool = False,
    pool: int | None = None,
) -> Training:
    """The training of the window starting at `judged`: the latest `training` usable windows before it of the same
    seasonal slot, oldest first, and the usable windows of every other slot since the oldest of the slot's latest
    `pool` of them (default: all `training`) — with 168 hours of the week, pooling over 28 weeks would cost 4,700
    values a window for little gain in the scale's precision. `past` is in time order. A window is unusable without
    a finite value, on an excluded date, or when it alerted (unless `include_alerts`); the search then reaches
    further back, as far as the history goes.

    Windows that alerted stay out of the expected value, but go back into the groups the scale is estimated from
    (`spread`, over the same spans): the MAD shrugs off a few incidents, and without them a count that is mostly 0
    loses its every burst to exclusion until its scale is 0 and each new burst alerts — a spiral measured at 12
    false alerts per 100 windows in bench/anomaly_eval.py."""
    slot = season_of(judged, seasonality)
    cut = bisect_left(past, judged, key=lambda p: p.start)  # the windows before the judged one
    own: list[float] = []
    since = oldest = cut
    for index in range(cut - 1, -1, -1):
        if len(own) == training:
            break
        point = past[index]
        if (seasonality is None or season_of(point.start, seasonality) == slot) and _usable(
            point, exclude, include_alerts
        ):
            own.append(point.value)  # type: ignore[arg-type]  # _usable: a finite float
            oldest = index
            if len(own) <= (training if pool is None else pool):
                since = index
    others: dict[int | None, list[float]] = {}
    spread: dict[int | None, list[float]] = {}
    if own:
        for index in range(oldest, cut):
            point = past[index]
            key = season_of(point.start, seasonality)
            if key != slot and index < since:
                continue  # other slots pool over the shorter span only
            if _usable(point, exclude, True):
                spread.setdefault(key, []).append(point.value)  # type: ignore[arg-type]
                if key != slot and (include_alerts or not point.alerted):
                    others.setdefault(key, []).append(point.value)  # type: ignore[arg-type]
    groups = (
        [spread.pop(slot, list(own[::-1])), *spread.values()] if seasonality is not None else [spread.get(slot, [])]
    )
    return Training(own[::-1], list(others.values()), groups)


def degrees_of_freedom(method: Method, size: int, groups: int = 1) -> float:
    """The t distribution's degrees of freedom that a σ̂ from `size` values in `groups` seasonal slots carries.
    Exact for the pooled standard deviation (n − groups); for the MAD, fitted by simulation of normal samples
    (docs/statistics.md): the MAD is about 37 % as efficient as the standard deviation, plus a small-sample term."""
    free = size - groups
    if method == "zscore":
        return float(free)
    return min(0.5 * free, 0.37 * free + 0.7)


@cache
def widening(method: Method, size: int, sensitivity: float, pooled: int | None = None, groups: int = 1) -> float:
    """c_m, by which σ̂ is widened so that a value of normal noise leaves expected ± sensitivity · c_m · σ̂ as often
    as it leaves ±sensitivity · σ with σ known: t_ν⁻¹(Φ(k)) / k · √(1 + v/m), where v/m is the variance of the
    expected value from the m = `size` values of its slot (1/m for the mean, π/(2m) for the median) and ν the
    `degrees_of_freedom` of σ̂ (from `pooled` values in `groups` slots; by default the m values alone). Without it,
    3.5 MADs from 7 training values fire on 6.9 % of normal windows instead of 0.05 %."""
    from scipy.special import ndtr, stdtrit  # a scipy.special function, not the whole of scipy.stats

    location = 1.0 / size if method == "zscore" else math.pi / (2.0 * size)
    nu = degrees_of_freedom(method, size if pooled is None else pooled, groups)
    quantile = float(stdtrit(nu, float(ndtr(sensitivity))))
    return quantile / sensitivity * math.sqrt(1.0 + location)


def loo_deviations(values: Sequence[float]) -> list[float]:
    """|x_i − median of the other values| for every value (in sorted order), in O(m log m) for all of them."""
    ordered = sorted(values)
    rest = len(ordered) - 1
    half = rest // 2
    if rest % 2:  # an odd number remain: their median is the one at `half` among them
        return [abs(x - (ordered[half] if half < i else ordered[half + 1])) for i, x in enumerate(ordered)]
    return [
        abs(
            x
            - (
                (ordered[half - 1] if half - 1 < i else ordered[half])
                + (ordered[half] if half < i else ordered[half + 1])
            )
            / 2
        )
        for i, x in enumerate(ordered)
    ]


def _centre(values: Sequence[float], method: Method) -> float:
    return statistics.median(values) if method == "mad" else statistics.fmean(values)


def level_power(centres: Sequence[float], spreads: Sequence[float]) -> float:
    """β in spread ∝ |centre|^β, fitted by least squares of log spread on log |centre| over the slots and kept in
    [0, 1]: 0 for noise that does not grow with the level, ½ for counts (Poisson), 1 for noise proportional to it.
    1 when fewer than 3 slots have a spread, or when their centres span less than a factor of 2: there the power
    hardly changes the units, and a slope fitted over so short a range is mostly noise."""
    pairs = [(math.log(abs(c)), math.log(d)) for c, d in zip(centres, spreads, strict=True) if d > 0]
    if len(pairs) < 3 or max(x for x, _ in pairs) - min(x for x, _ in pairs) < math.log(2.0):
        return 1.0
    mean_x = statistics.fmean(x for x, _ in pairs)
    mean_y = statistics.fmean(y for _, y in pairs)
    sxx = sum((x - mean_x) ** 2 for x, _ in pairs)
    if sxx <= 0:
        return 1.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in pairs) / sxx
    return min(1.0, max(0.0, slope))


def noise_scale(groups: Sequence[Sequence[float]], method: Method, centre: float | None = None) -> float:
    """σ̂ of the noise around the first group's expected value, pooled over the groups (each one slot's values).

    `zscore`: the pooled standard deviation √(Σ_j Σ_i (x_ij − x̄_j)² / Σ_j (m_j − 1)). `mad`: 1.4826 · the median
    of the leave-one-out residuals e_ij = (x_ij − median of the slot's other values) / √(1 + π/(2(m_j − 1))),
    which are distributed like the noise (the division removes the error of the median they are taken from);
    when that median is 0 (a count that is mostly 0), their root mean square instead: the standard deviation, which
    a few large values widen as they should. Slots with fewer than 2 values add nothing.

    Noise grows with the level (a weekday's count varies more than a Sunday's, a peak hour's more than 3 a.m.'s),
    so when every slot's centre c_j has the same sign and none is 0, the residuals pool in units of |c_j|^β, with β
    fitted across the slots (`level_power`), and σ̂ is |c_1|^β times their pooled scale; otherwise they pool as
    they are. `centre` is the judged slot's expected value (default: the first group's centre).
    """
    used = [list(g) for g in groups if len(g) > 1]
    if not used:
        return 0.0
    centres = [_centre(g, method) for g in used]
    relative = len(used) > 1 and (all(c > 0 for c in centres) or all(c < 0 for c in centres))
    if method == "zscore":
        deviations = [[x - c for x in g] for g, c in zip(used, centres, strict=True)]
        spreads = [math.sqrt(sum(d * d for d in devs) / (len(devs) - 1)) for devs in deviations]
    else:
        deviations = [loo_deviations(g) for g in used]
        spreads = [statistics.median(devs) for devs in deviations]
    power = level_power(centres, spreads) if relative else 0.0
    units = [math.pow(abs(c), power) for c in centres]
    own = math.pow(abs(_centre(groups[0], method) if centre is None else centre), power)
    if method == "zscore":
        squares = sum(sum((d / u) ** 2 for d in devs) for devs, u in zip(deviations, units, strict=True))
        return own * math.sqrt(squares / sum(len(g) - 1 for g in used))
    residuals: list[float] = []
    for devs, unit in zip(deviations, units, strict=True):
        shrink = unit * math.sqrt(1.0 + math.pi / (2.0 * (len(devs) - 1)))
        residuals += [d / shrink for d in devs]
    sigma = MAD_TO_SIGMA * statistics.median(residuals)
    return own * (sigma if sigma > 0 else math.sqrt(statistics.fmean([e * e for e in residuals])))


def band(
    values: Sequence[float],
    method: Method,
    sensitivity: float,
    others: Sequence[Sequence[float]] = (),
    spread: Sequence[Sequence[float]] | None = None,
) -> Band:
    """Expected value ± sensitivity · c_m · σ̂: the median (`mad`) or mean (`zscore`) of the slot's own `values`,
    σ̂ the `noise_scale` of the `spread` groups (default: the values and the `others` slots), c_m the `widening`."""
    expected = _centre(values, method)
    groups = [list(values), *others] if spread is None else [list(g) for g in spread]
    used = [g for g in groups if len(g) > 1]
    sigma = noise_scale(groups, method, expected) if len(values) > 1 and used else 0.0
    if sigma <= 0:
        return Band(expected, 0.0, expected, expected)
    scale = sigma * widening(method, len(values), sensitivity, sum(len(g) for g in used), len(used))
    return Band(expected, scale, expected - sensitivity * scale, expected + sensitivity * scale)


def assess(
    training: Sequence[float],
    value: float | None,
    *,
    others: Sequence[Sequence[float]] = (),
    spread: Sequence[Sequence[float]] | None = None,
    method: Method = "mad",
    sensitivity: float = 3.5,
    min_training: int = 7,
    direction: Direction = "both",
    min_absolute: float | None = None,
    min_relative: float | None = None,
) -> Assessment:
    """The verdict on `value` against the band its training values give (its own slot's, and the `others` slots'
    over the same span, which only share in the noise's scale)."""
    size = len(training)
    if size < max(min_training, 1) or (method == "zscore" and size < 2):
        return Assessment(INSUFFICIENT, size)
    fitted = band(training, method, sensitivity, others, spread)
    if value is None or not math.isfinite(value):
        return Assessment(NO_VALUE, size, fitted)
    deviation = value - fitted.expected
    score = deviation / fitted.scale if fitted.scale > 0 else (0.0 if deviation == 0 else None)
    above, below = value > fitted.upper, value < fitted.lower
    outside = (above and direction != "down") or (below and direction != "up")
    if not outside:
        return Assessment(OK, size, fitted, score)
    floors = [f for f in (min_absolute, None if min_relative is None else min_relative * abs(fitted.expected)) if f]
    if floors and all(abs(deviation) < floor for floor in floors):
        return Assessment(SMALL_CHANGE, size, fitted, score)
    return Assessment(ANOMALY, size, fitted, score)
