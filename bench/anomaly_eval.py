"""Precision and recall of sqlmon's anomaly rules on simulated metric series, against a plain z-score baseline.

The script simulates metric values per series, daily over two years (730 windows) and hourly over one year
(8,760 windows; two would take too long, see below), in several families: row counts with a weekly dip, a slow
trend and negative-binomial noise at three volumes (hourly ones also with a daily profile), a null rate
(Beta-distributed rate with binomial noise), a daily revenue with Student-t(3) noise, a zero-inflated errors count
and a freshness lag (exponential). Into every series it injects incidents at random, non-overlapping positions
after the first 90 days: spikes, drops, level shifts, stops and slow drifts, each only where it means something
for that metric.

Every configuration then judges every series window by window, in time order:

* sqlmon's rule is exactly sqlmon.stats.anomaly, called as sqlmon.rules.anomaly calls it (`training_sets`, then
  `assess` with the other seasonal slots' values as `others`), the code the product runs; windows it alerted on
  are marked `alerted=True`, so later training sets leave them out (`include_alerts=False`);
* the baseline is |x − mean| / sd > 3 over the last 14 days of windows *including the judged one* (sample sd), in
  numpy; it judges a window once that history exists.

It counts, per configuration, family and cadence: recall (incidents with an alert in their first window), the
recall of slow drifts (an alert anywhere in the ramp), false alerts per 100 clean windows, and precision; and
prints which of the issue's targets each configuration meets. A grid of sensitivity × min_training shows the
trade-off of the `mad` defaults.

    python bench/anomaly_eval.py                  # default settings, Markdown to stdout, timings to stderr
    python bench/anomaly_eval.py --quick          # a smoke test in a few seconds
    python bench/anomaly_eval.py --write-docs     # also write the tables into docs/statistics.md

Speed: with hourly seasonality (hour of the week) a window's band pools the noise of all 168 hours of the week over
the span of its slot's latest min_training windows, some 2 ms of Python per window and configuration. All
configurations therefore walk a series together, and those whose
alerts agree over the windows a training set reads share that training set and its verdict (`sqlmon_alerts`); a
self-check at start-up confirms that this gives the alerts of one call per configuration, and the numpy baseline
those of the statistics module. The full run took 17 minutes on one core (1,029 s, the hourly families 90 % of it),
`--quick` 12 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from sqlmon.stats import anomaly
from sqlmon.stats.anomaly import ANOMALY, Direction, Method, Point, Seasonality, Training, assess, training_sets

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "statistics.md"
SECTION = "## Anomaly rules: measured precision and recall"
START_MARKER = "<!-- anomaly-eval:start -->"
END_MARKER = "<!-- anomaly-eval:end -->"

SEED = 20_240_917
START = datetime(2024, 1, 1)  # a Monday
DAYS = 730
WARMUP_DAYS = 90  # no incident, and no window counted, before this: every rule has its history by then
AFTER_SHIFT = 14  # windows after a level shift's (or a drift's) start that count neither as hits nor as false alerts
GAP = 14  # clean windows at least between two incidents
TRAINING = 28
BASELINE_DAYS = 14
BASELINE_Z = 3.0

TARGET_RECALL = 0.95
TARGET_FALSE_PER_100 = 1.0

# incidents
SPIKE_FACTOR = 3.0
SPIKE_SIGMAS = 8.0
DROP_FACTOR = 0.3
SHIFT_FACTORS = (0.5, 1.6)
SHIFT_WINDOWS = 14
STOP_WINDOWS = 3
DRIFT_STEP = 0.02
DRIFT_WINDOWS = 30
BURST = 40.0

# noise
EXTRA_CV = (0.03, 0.08)  # day-to-day variation of a count beyond Poisson (gamma-Poisson = negative binomial)
WEEKEND = (0.6, 0.8)
TREND = 0.30  # over the two years
NIGHT = 0.2  # the hourly profile's low, as a share of its peak
NULL_RATE = 0.02
NULL_RATE_SD = 0.002
NULL_RATE_ROWS = 20_000  # rows per day behind the null rate
ZERO_SHARE = 0.85
ERRORS_MEAN = 3.0
LAG_MEAN = (60.0, 600.0)  # seconds
REVENUE = 10_000.0
REVENUE_SCALE = (0.03, 0.06)  # the t(3) scale as a share of the level

KINDS = ("spike", "drop", "shift", "stop", "drift")


# --------------------------------------------------------------------------
# cadences, families, incidents
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Cadence:
    name: str
    code: int
    step: timedelta
    seasonality: Seasonality
    period: int  # windows per seasonal cycle

    @property
    def per_day(self) -> int:
        return int(timedelta(days=1) / self.step)


DAILY = Cadence("daily", 1, timedelta(days=1), "day_of_week", 7)
HOURLY = Cadence("hourly", 2, timedelta(hours=1), "hour_of_week", 168)


@dataclass(frozen=True)
class Incident:
    kind: str
    start: int
    windows: int  # the incident's own windows: alerts in them are true
    after: int  # then ambiguous windows: neither hits nor false alerts
    factor: float = 1.0  # the level shift's factor


@dataclass
class Clock:
    """What the simulation needs of each window's time, as arrays."""

    weekday: np.ndarray
    hour: np.ndarray
    days: np.ndarray  # days since START, fractional

    @classmethod
    def of(cls, cadence: Cadence, n: int) -> Clock:
        hours = np.arange(n) * (cadence.step / timedelta(hours=1))
        return cls((hours // 24).astype(int) % 7, (hours % 24).astype(int), hours / 24.0)


@dataclass
class Effects:
    """The incidents of one series as per-window arrays a family turns into values."""

    factor: np.ndarray  # multiplies the level (drop, shift, drift; a spike where the family spikes by ×3)
    spike: np.ndarray  # bool: the family's own kind of spike (+8σ, a burst)
    stop: np.ndarray  # 1, 2, 3 in the windows of a stop, else 0


Simulate = Callable[[np.random.Generator, Cadence, Clock, Effects], np.ndarray]


@dataclass(frozen=True)
class Family:
    name: str
    code: int
    kinds: tuple[str, ...]
    spike_by_factor: bool  # ×3 rather than the family's own spike
    simulate: Simulate
    # what sqlmon's rule is told beyond the configuration: the settings of the monitor kind that watches such a
    # metric by default (freshness: only a longer lag, and not within an hour of the usual one)
    direction: Direction = "both"
    min_absolute: float | None = None


def _gamma_poisson(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    cv = rng.uniform(*EXTRA_CV)
    shape = 1.0 / (cv * cv)
    values: np.ndarray = rng.poisson(mean * rng.gamma(shape, 1.0 / shape, mean.size)).astype(np.float64)
    return values


def _weekly(rng: np.random.Generator, clock: Clock) -> np.ndarray:
    factors = np.ones(7)
    factors[5:] = rng.uniform(*WEEKEND, 2)  # Saturday, Sunday
    weekly: np.ndarray = factors[clock.weekday]
    return weekly


def _profile(clock: Clock, cadence: Cadence) -> np.ndarray:
    """Share of a day's volume in each window: 1 for a daily window; by hour a cosine from NIGHT·peak at 03:00 to
    the peak at 15:00, normalised to sum 1 over the day."""
    if cadence is DAILY:
        return np.ones(clock.hour.size)
    shape = NIGHT + (1.0 - NIGHT) * (0.5 - 0.5 * np.cos(2.0 * np.pi * (np.arange(24) - 3) / 24.0))
    share: np.ndarray = (shape / shape.sum())[clock.hour]
    return share


def row_counts(level: float) -> Simulate:
    def simulate(rng: np.random.Generator, cadence: Cadence, clock: Clock, fx: Effects) -> np.ndarray:
        trend = 1.0 + TREND * clock.days / DAYS
        mean = level * _profile(clock, cadence) * _weekly(rng, clock) * trend * fx.factor
        values = _gamma_poisson(rng, mean)
        values[fx.stop > 0] = 0.0
        return values

    return simulate


def null_rate(rng: np.random.Generator, cadence: Cadence, clock: Clock, fx: Effects) -> np.ndarray:
    rows = np.maximum(rng.poisson(NULL_RATE_ROWS * _profile(clock, cadence) * _weekly(rng, clock)), 1)
    mean = np.clip(NULL_RATE * fx.factor, 1e-6, 0.5)
    concentration = NULL_RATE * (1 - NULL_RATE) / NULL_RATE_SD**2 - 1.0
    rate = rng.beta(mean * concentration, (1.0 - mean) * concentration)
    values: np.ndarray = rng.binomial(rows, rate) / rows
    return values


def revenue(rng: np.random.Generator, cadence: Cadence, clock: Clock, fx: Effects) -> np.ndarray:
    level = REVENUE * rng.uniform(0.5, 2.0)
    scale = level * rng.uniform(*REVENUE_SCALE)
    sd = scale * math.sqrt(3.0)  # of t(3)
    values = level * fx.factor + scale * rng.standard_t(3, clock.days.size) + SPIKE_SIGMAS * sd * fx.spike
    values = np.maximum(values, 0.0)  # refunds above a day's sales are not modelled
    values[fx.stop > 0] = 0.0
    return values


def errors(rng: np.random.Generator, cadence: Cadence, clock: Clock, fx: Effects) -> np.ndarray:
    n = clock.days.size
    values = np.where(rng.random(n) < ZERO_SHARE, 0.0, rng.poisson(ERRORS_MEAN, n).astype(np.float64))
    values[fx.spike] = BURST
    return values


def lag(rng: np.random.Generator, cadence: Cadence, clock: Clock, fx: Effects) -> np.ndarray:
    mean = rng.uniform(*LAG_MEAN)
    values = rng.exponential(mean, clock.days.size) + SPIKE_SIGMAS * mean * fx.spike  # the sd of an exponential
    # no new row since the stop began: the window end is one more window past the newest row each time
    return values + fx.stop * cadence.step.total_seconds()


NO_DRIFT = tuple(kind for kind in KINDS if kind != "drift")  # recall counts these; drifts are reported apart
FAMILIES = {
    "rows_50": Family("rows 50/day", 1, KINDS, True, row_counts(50.0)),
    "rows_1k": Family("rows 1,000/day", 2, KINDS, True, row_counts(1_000.0)),
    "rows_100k": Family("rows 100,000/day", 3, KINDS, True, row_counts(100_000.0)),
    "null_rate": Family("null rate", 4, ("spike", "drop", "shift", "drift"), True, null_rate),
    "revenue": Family("revenue, t(3) noise", 5, KINDS, False, revenue),
    "errors": Family("errors (85 % zeros)", 6, ("spike",), False, errors),
    "lag": Family("freshness lag", 7, ("spike", "stop"), False, lag, direction="up", min_absolute=3600.0),
}
CADENCE_FAMILIES = {
    DAILY: ("rows_50", "rows_1k", "rows_100k", "null_rate", "revenue", "errors", "lag"),
    HOURLY: ("rows_1k", "rows_100k", "null_rate", "lag"),
}


def extent(kind: str) -> tuple[int, int]:
    """(incident windows, ambiguous windows after them)."""
    if kind == "shift":
        return 1, AFTER_SHIFT
    if kind == "stop":
        return STOP_WINDOWS, 0
    if kind == "drift":
        return DRIFT_WINDOWS, AFTER_SHIFT
    return 1, 0


def plan(rng: np.random.Generator, family: Family, n: int, first: int, per_kind: int) -> list[Incident]:
    """Incidents at random positions from window `first` on, each with GAP clean windows either side."""
    wanted = [kind for kind in family.kinds for _ in range(per_kind if kind != "drift" else max(1, per_kind // 2))]
    taken = np.zeros(n + GAP, dtype=bool)
    incidents = []
    for kind in wanted:
        windows, after = extent(kind)
        # a shift's second to fourteenth window are shifted too: the extent below is the incident's whole footprint
        footprint = windows + after
        for _ in range(10_000):
            start = int(rng.integers(first, n - footprint - GAP))
            if not taken[max(0, start - GAP) : start + footprint + GAP].any():
                break
        else:
            raise SystemExit(f"no room for the incidents of {family.name} in {n} windows")
        taken[start : start + footprint] = True
        factor = float(rng.choice(SHIFT_FACTORS)) if kind == "shift" else 1.0
        incidents.append(Incident(kind, start, windows, after, factor))
    return sorted(incidents, key=lambda incident: incident.start)


def effects(family: Family, incidents: Sequence[Incident], n: int) -> Effects:
    fx = Effects(np.ones(n), np.zeros(n, dtype=bool), np.zeros(n))
    for incident in incidents:
        s = incident.start
        if incident.kind == "spike":
            if family.spike_by_factor:
                fx.factor[s] = SPIKE_FACTOR
            else:
                fx.spike[s] = True
        elif incident.kind == "drop":
            fx.factor[s] = DROP_FACTOR
        elif incident.kind == "shift":
            fx.factor[s : s + SHIFT_WINDOWS] = incident.factor
        elif incident.kind == "stop":
            fx.stop[s : s + STOP_WINDOWS] = np.arange(1, STOP_WINDOWS + 1)
        elif incident.kind == "drift":
            fx.factor[s : s + DRIFT_WINDOWS] = 1.0 + DRIFT_STEP * np.arange(1, DRIFT_WINDOWS + 1)
    return fx


@dataclass
class Series:
    cadence: Cadence
    family: str
    values: np.ndarray
    incidents: list[Incident]
    first: int  # first counted window


def simulate(
    cadence: Cadence, family_key: str, index: int, n: int, per_kind: int, seed: int, first_day: int = WARMUP_DAYS
) -> Series:
    family = FAMILIES[family_key]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(cadence.code, family.code, index)))
    first = first_day * cadence.per_day
    incidents = plan(rng, family, n, first, per_kind)
    values = family.simulate(rng, cadence, Clock.of(cadence, n), effects(family, incidents, n))
    return Series(cadence, family_key, values, incidents, first)


# --------------------------------------------------------------------------
# the rules
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Config:
    label: str
    method: Method | None  # None: the baseline
    sensitivity: float = 3.5
    min_training: int = 7
    seasonal: bool = True

    @property
    def key(self) -> tuple[object, ...]:
        return (self.method, self.sensitivity, self.min_training, self.seasonal)


DEFAULT = Config("sqlmon default (mad 3.5, min 7, seasonal)", "mad")
BASELINE = Config(f"baseline (z > {BASELINE_Z:g}, {BASELINE_DAYS} days incl. the point)", None)
CONFIGS = (
    DEFAULT,
    Config("sqlmon mad, no seasonality", "mad", seasonal=False),
    Config("sqlmon zscore 3.5, seasonal", "zscore"),
    BASELINE,
)
GRID = tuple(Config(f"mad {s:g}, min_training {m}", "mad", s, m) for s in (3.0, 3.5, 4.0, 5.0) for m in (4, 7))


def windows_of(cadence: Cadence, n: int) -> tuple[list[datetime], list[datetime]]:
    starts = [START + i * cadence.step for i in range(n)]
    return starts, [*starts[1:], START + n * cadence.step]


def sqlmon_alerts(
    values: Sequence[float],
    starts: Sequence[datetime],
    ends: Sequence[datetime],
    configs: Sequence[Config],
    seasonality: Seasonality | None,
    period: int,
    share: bool = True,
    direction: Direction = "both",
    min_absolute: float | None = None,
) -> np.ndarray:
    """The alerts (one row per configuration) of sqlmon's rule, called as sqlmon.rules.anomaly calls it: each
    window's `training_sets` from the history before it (its alerted windows marked), then `assess`.

    All configurations walk the series together, and two of them whose alerts agree over the windows that
    `training_sets` reads get the same training, computed once (`share`). Those windows run from the oldest of the
    TRAINING latest usable windows of the judged slot (or of all of them, if fewer) to the judged one; the slot's
    windows are every `period`-th, so that oldest one follows from the alerts alone. The verdict on a shared
    training is shared as well between configurations that ask the same of it."""
    n = len(values)
    alerts = np.zeros((len(configs), n), dtype=bool)
    histories: list[list[Point]] = [[] for _ in configs]
    for i in range(n):
        shared: dict[tuple[int, bytes, int], Training] = {}
        verdicts: dict[tuple[object, ...], bool] = {}
        for c, config in enumerate(configs):
            assert config.method is not None
            key = None
            if share:
                usable = np.flatnonzero(~alerts[c, i - period :: -period]) if i >= period else np.empty(0, int)
                oldest = i if usable.size == 0 else i - period * (int(usable[min(TRAINING, usable.size) - 1]) + 1)
                # the other slots pool over the span of the slot's latest min_training windows: part of the key
                key = (oldest, alerts[c, oldest:i].tobytes(), config.min_training)
            training = shared.get(key) if key is not None else None
            if training is None:
                training = training_sets(
                    histories[c],
                    starts[i],
                    training=TRAINING,
                    seasonality=seasonality,
                    include_alerts=False,
                    pool=config.min_training,
                )
                if key is not None:
                    shared[key] = training
            # min_training only decides whether the training is too small
            asked = (key, config.method, config.sensitivity, len(training.own) < config.min_training)
            alerted = verdicts.get(asked) if key is not None else None
            if alerted is None:
                verdict = assess(
                    training.own,
                    values[i],
                    others=training.others,
                    spread=training.spread,
                    method=config.method,
                    sensitivity=config.sensitivity,
                    min_training=config.min_training,
                    direction=direction,
                    min_absolute=min_absolute,
                )
                alerted = verdict.status == ANOMALY
                verdicts[asked] = alerted
            alerts[c, i] = alerted
            histories[c].append(Point(starts[i], ends[i], values[i], alerted))
    return alerts


def baseline_alerts(values: np.ndarray, window: int) -> np.ndarray:
    alerts = np.zeros(values.size, dtype=bool)
    if values.size < window:
        return alerts
    view = np.lib.stride_tricks.sliding_window_view(values, window)
    mean = view.mean(axis=1)
    sd = view.std(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(values[window - 1 :] - mean) / sd
    alerts[window - 1 :] = (sd > 0) & (z > BASELINE_Z)
    return alerts


def alerts_of(series: Series, configs: Sequence[Config], clock: tuple[list[datetime], list[datetime]]) -> np.ndarray:
    """One row of alerts per configuration."""
    cadence = series.cadence
    alerts = np.zeros((len(configs), series.values.size), dtype=bool)
    values = series.values.tolist()
    for seasonal in (True, False):
        rows = [c for c, config in enumerate(configs) if config.method is not None and config.seasonal == seasonal]
        if rows:
            seasonality, period = (cadence.seasonality, cadence.period) if seasonal else (None, 1)
            family = FAMILIES[series.family]
            found = sqlmon_alerts(
                values,
                *clock,
                [configs[c] for c in rows],
                seasonality,
                period,
                direction=family.direction,
                min_absolute=family.min_absolute,
            )
            alerts[rows] = found
    for c, config in enumerate(configs):
        if config.method is None:
            alerts[c] = baseline_alerts(series.values, BASELINE_DAYS * cadence.per_day)
    return alerts


# --------------------------------------------------------------------------
# counting
# --------------------------------------------------------------------------
@dataclass
class Tally:
    hits: dict[str, int] = field(default_factory=dict)
    incidents: dict[str, int] = field(default_factory=dict)
    true_alerts: int = 0
    false_alerts: int = 0
    weekend_false_alerts: int = 0  # on Saturdays and Sundays, which an hour-of-day band does not tell apart
    clean: int = 0

    def add(self, other: Tally) -> None:
        for kind, count in other.incidents.items():
            self.incidents[kind] = self.incidents.get(kind, 0) + count
            self.hits[kind] = self.hits.get(kind, 0) + other.hits.get(kind, 0)
        self.true_alerts += other.true_alerts
        self.false_alerts += other.false_alerts
        self.weekend_false_alerts += other.weekend_false_alerts
        self.clean += other.clean

    def recall(self, kinds: Iterable[str] = NO_DRIFT) -> float:
        kinds = [k for k in kinds if k in self.incidents]
        total = sum(self.incidents[k] for k in kinds)
        return sum(self.hits[k] for k in kinds) / total if total else math.nan

    def count(self, kinds: Iterable[str] = NO_DRIFT) -> int:
        return sum(self.incidents.get(k, 0) for k in kinds)

    @property
    def false_per_100(self) -> float:
        return 100.0 * self.false_alerts / self.clean if self.clean else math.nan

    @property
    def precision(self) -> float:
        alerts = self.true_alerts + self.false_alerts
        return self.true_alerts / alerts if alerts else math.nan


def tally(series: Series, alerts: np.ndarray) -> Tally:
    n = series.values.size
    # 0 clean, 1 an incident's window, 2 ambiguous or before the first counted window
    label = np.zeros(n, dtype=np.int8)
    label[: series.first] = 2
    result = Tally()
    for incident in series.incidents:
        s, e = incident.start, incident.start + incident.windows
        label[s:e] = 1
        label[e : e + incident.after] = 2
        hit = bool(alerts[s:e].any()) if incident.kind == "drift" else bool(alerts[s])
        result.incidents[incident.kind] = result.incidents.get(incident.kind, 0) + 1
        result.hits[incident.kind] = result.hits.get(incident.kind, 0) + hit
    result.true_alerts = int((alerts & (label == 1)).sum())
    result.false_alerts = int((alerts & (label == 0)).sum())
    weekend = Clock.of(series.cadence, n).weekday >= 5
    result.weekend_false_alerts = int((alerts & (label == 0) & weekend).sum())
    result.clean = int((label == 0).sum())
    return result


# --------------------------------------------------------------------------
# self-check
# --------------------------------------------------------------------------
def self_check(seed: int) -> None:
    """Shared training sets give the alerts of one `training_sets` per configuration, and the numpy baseline
    those of the statistics module."""
    # short series with incidents from day 10 on
    for cadence, n, keys in ((DAILY, 300, ("rows_1k", "lag")), (HOURLY, 35 * 24, ("lag",))):
        for key in keys:
            series = simulate(cadence, key, 999, n, 1, seed, first_day=10)
            clock = windows_of(cadence, n)
            configs = (GRID[0], GRID[1], DEFAULT, GRID[-1], CONFIGS[2])
            values = series.values.tolist()
            args = (values, *clock, configs, cadence.seasonality, cadence.period)
            assert np.array_equal(sqlmon_alerts(*args), sqlmon_alerts(*args, share=False)), (cadence.name, key)
    rng = np.random.default_rng(seed)
    values = np.round(rng.exponential(100.0, 200), 1)
    values[[50, 120]] = [0.0, 2_000.0]
    fast = baseline_alerts(values, BASELINE_DAYS)
    for i in range(values.size):
        window = values[max(0, i - BASELINE_DAYS + 1) : i + 1].tolist()
        expected = False
        if len(window) == BASELINE_DAYS and (sd := statistics.stdev(window)) > 0:
            expected = abs(values[i] - statistics.fmean(window)) / sd > BASELINE_Z
        assert fast[i] == expected, i


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------
def pct(rate: float) -> str:
    return "–" if math.isnan(rate) else f"{100.0 * rate:.1f} %"


def per_100(rate: float) -> str:
    return "–" if math.isnan(rate) else f"{rate:.2f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    align = align or "l" + "r" * (len(header) - 1)
    rule = "|" + "|".join("---" if a == "l" else "---:" for a in align) + "|"
    return ["| " + " | ".join(header) + " |", rule, *("| " + " | ".join(row) + " |" for row in rows)]


@dataclass(frozen=True)
class Settings:
    daily_series: int
    hourly_series: int
    hourly_days: int
    daily_per_kind: int
    hourly_per_kind: int
    hourly_warmup: int  # days
    seed: int

    def series(self, cadence: Cadence) -> int:
        return self.daily_series if cadence is DAILY else self.hourly_series

    def windows(self, cadence: Cadence) -> int:
        return DAYS if cadence is DAILY else self.hourly_days * 24

    def per_kind(self, cadence: Cadence) -> int:
        return self.daily_per_kind if cadence is DAILY else self.hourly_per_kind

    def warmup(self, cadence: Cadence) -> int:
        return WARMUP_DAYS if cadence is DAILY else self.hourly_warmup


# One year of hourly windows, not two: sqlmon's hourly training pools the noise of all 168 hours of the week, about
# 2 ms of Python per window and configuration, and two years would take several times the run's budget.
FULL = Settings(20, 2, 365, 2, 10, WARMUP_DAYS, SEED)
QUICK = Settings(1, 1, 45, 2, 1, TRAINING, SEED)

Tallies = dict[tuple[tuple[object, ...], Cadence, str], Tally]  # (config key, cadence, family) -> tally


class Report:
    def __init__(self, settings: Settings, tallies: Tallies, quick: bool) -> None:
        self.s = settings
        self.tallies = tallies
        self.quick = quick

    def get(self, config: Config, cadence: Cadence | None = None, family: str | None = None) -> Tally:
        total = Tally()
        for (key, c, f), part in self.tallies.items():
            if key == config.key and cadence in (None, c) and family in (None, f):
                total.add(part)
        return total

    def families(self, config: Config) -> list[tuple[Cadence, str, Tally]]:
        return [(c, f, self.get(config, c, f)) for c, keys in CADENCE_FAMILIES.items() for f in keys]

    def worst(self, config: Config) -> tuple[float, int]:
        """The highest false-alert rate of any (cadence, family), and how many stay within the target."""
        rates = [t.false_per_100 for _, _, t in self.families(config)]
        return max(rates), sum(rate <= TARGET_FALSE_PER_100 for rate in rates)

    def summary(self) -> list[str]:
        rows = []
        for config in CONFIGS:
            for cadence in (DAILY, HOURLY, None):
                t = self.get(config, cadence)
                rows.append(
                    [
                        config.label,
                        cadence.name if cadence else "**all**",
                        pct(t.recall()),
                        f"{t.count():,}",
                        pct(t.recall(["drift"])),
                        per_100(t.false_per_100),
                        f"{t.clean:,}",
                        pct(t.precision),
                    ]
                )
        header = [
            "configuration",
            "cadence",
            "recall",
            "incidents",
            "slow drifts caught",
            "false alerts / 100 clean",
            "clean windows",
            "precision",
        ]
        return table(header, rows, "ll" + "r" * 6)

    def verdicts(self) -> list[str]:
        base = self.get(BASELINE)
        lines = []
        for config in CONFIGS:
            t = self.get(config)
            worst, within = self.worst(config)
            families = len(self.families(config))
            parts = [
                f"recall {pct(t.recall())} ({'meets' if t.recall() >= TARGET_RECALL else 'misses'} ≥ 95 %)",
                f"false alerts ≤ 1 per 100 in {within} of {families} series families "
                f"({'meets' if within == families else 'misses'}; worst {per_100(worst)})",
            ]
            if config is not BASELINE:
                better_recall = t.recall() > base.recall()
                better_false = t.false_per_100 < base.false_per_100
                parts.append(
                    f"vs the baseline over all series: recall {'better' if better_recall else 'not better'}, "
                    f"false alerts {'fewer' if better_false else 'not fewer'} "
                    f"({per_100(t.false_per_100)} vs {per_100(base.false_per_100)} per 100)"
                )
            lines.append(f"- **{config.label}**: " + "; ".join(parts) + ".")
        return lines

    def by_family(self) -> list[str]:
        rows = []
        for cadence, key, _ in self.families(DEFAULT):
            for config in CONFIGS:
                t = self.get(config, cadence, key)
                rows.append(
                    [
                        f"{cadence.name} {FAMILIES[key].name}",
                        config.label,
                        pct(t.recall()),
                        pct(t.recall(["drift"])),
                        per_100(t.false_per_100),
                        pct(t.weekend_false_alerts / t.false_alerts if t.false_alerts else math.nan),
                        pct(t.precision),
                    ]
                )
        header = [
            "family",
            "configuration",
            "recall",
            "slow drifts caught",
            "false alerts / 100 clean",
            "of them on Sat/Sun",
            "precision",
        ]
        return table(header, rows, "ll" + "r" * 5)

    def grid_by_family(self) -> list[str]:
        rows = []
        for cadence, key, _ in self.families(DEFAULT):
            cells = [f"{cadence.name} {FAMILIES[key].name}"]
            for config in GRID:
                t = self.get(config, cadence, key)
                cells.append(f"{pct(t.recall())} / {per_100(t.false_per_100)}")
            rows.append(cells)
        header = ["family", *(f"{c.sensitivity:g} / {c.min_training}" for c in GRID)]
        return table(header, rows)

    def by_kind(self) -> list[str]:
        rows = []
        for cadence in (DAILY, HOURLY):
            for kind in KINDS:
                cells = []
                for config in CONFIGS:
                    t = self.get(config, cadence)
                    cells.append(pct(t.recall([kind])))
                rows.append([cadence.name, kind, f"{self.get(DEFAULT, cadence).count([kind]):,}", *cells])
        return table(["cadence", "incident", "incidents", *(c.label for c in CONFIGS)], rows, "ll" + "r" * 5)

    def grid(self) -> list[str]:
        rows = []
        for config in GRID:
            cells = [f"{config.sensitivity:g}", str(config.min_training)]
            for cadence in (DAILY, HOURLY, None):
                t = self.get(config, cadence)
                cells += [pct(t.recall()), per_100(t.false_per_100)]
            t = self.get(config)
            worst, within = self.worst(config)
            cells += [pct(t.recall(["drift"])), pct(t.precision), f"{within} of {len(self.families(config))}"]
            cells.append(per_100(worst))
            rows.append(cells)
        header = [
            "sensitivity",
            "min_training",
            "daily recall",
            "daily false / 100",
            "hourly recall",
            "hourly false / 100",
            "all recall",
            "all false / 100",
            "slow drifts caught",
            "precision",
            "families ≤ 1 false / 100",
            "worst family false / 100",
        ]
        return table(header, rows, "r" * len(header))

    def markdown(self) -> str:
        s = self.s
        flags = (" --quick" if self.quick else "") + (f" --seed {s.seed}" if s.seed != SEED else "")
        hourly_span = "two years" if s.hourly_days == DAYS else f"{s.hourly_days} days"
        if s.hourly_days == 365:
            hourly_span = "one year (not two, to keep the run within minutes)"
        warmup = f"{WARMUP_DAYS} days" + (
            f" ({s.hourly_warmup} for hourly series)" if s.hourly_warmup != WARMUP_DAYS else ""
        )
        lines = [
            f"Generated by `python bench/anomaly_eval.py{flags} --write-docs` (seed {s.seed}): "
            f"{s.daily_series} daily series per family over two years ({DAYS} windows), {s.hourly_series} hourly "
            f"series per family over {hourly_span} ({s.windows(HOURLY):,} windows).",
            "",
            "**Series.** Row counts: weekday level 50, 1,000 or 100,000 rows/day, Saturday and Sunday each at a "
            f"factor drawn from {WEEKEND[0]}–{WEEKEND[1]}, a linear trend of +{TREND:.0%} over two years, "
            f"negative-binomial noise (Poisson around a gamma-distributed mean with a coefficient of variation drawn "
            f"from {EXTRA_CV[0]:.0%}–{EXTRA_CV[1]:.0%} per series). Hourly counts spread the day's volume over a "
            f"cosine profile whose night low (03:00) is {NIGHT:g} of its peak (15:00), and keep the weekly factor. "
            f"Null rate: {NULL_RATE_ROWS:,} rows/day (with the same profile and weekly factor), a per-window rate "
            f"from a Beta with mean {NULL_RATE} and sd {NULL_RATE_SD}, and binomial nulls. Revenue (daily only): a "
            f"level of {REVENUE:,.0f} × U(0.5, 2) plus Student-t(3) noise with a scale of "
            f"{REVENUE_SCALE[0]:.0%}–{REVENUE_SCALE[1]:.0%} of the level. Errors (daily only): 0 with probability "
            f"{ZERO_SHARE}, else Poisson({ERRORS_MEAN:g}). Freshness lag: exponential with a mean drawn from "
            f"{LAG_MEAN[0]:.0f}–{LAG_MEAN[1]:.0f} s per series.",
            "",
            f"**Incidents**, at random non-overlapping positions after the first {warmup}, at least "
            f"{GAP} clean windows apart: spike ×{SPIKE_FACTOR:g} of the level for one window (revenue and lag: "
            f"+{SPIKE_SIGMAS:g} standard deviations of the noise, a late load for the lag; errors: a burst of "
            f"{BURST:g}); drop ×{DROP_FACTOR:g} for one window; level shift ×0.5 or ×1.6 (at random) for "
            f"{SHIFT_WINDOWS} windows, then back; stop for {STOP_WINDOWS} windows (value 0; for the lag, one more "
            f"window length each window, as no new row arrives); slow drift, the level ×(1 + {DRIFT_STEP:g}·k) in the "
            f"k-th of {DRIFT_WINDOWS} windows, then back. Per series {s.daily_per_kind} (daily) or "
            f"{s.hourly_per_kind} (hourly) of each kind, half as many drifts. Only the kinds that mean an incident "
            "for the metric: the null rate has no stop (no rows, no rate: that is volume's alert), errors only "
            "bursts, the lag only late loads and stops.",
            "",
            "**Rules.** sqlmon: `training_sets` then `assess` of `sqlmon.stats.anomaly`, called as "
            f"`sqlmon.rules.anomaly` calls them, training {TRAINING}, direction both, no min_change, windows that "
            "alerted left out of later expected values (kept in the scale), the other seasonal slots pooled over "
            "the span of the slot's latest "
            "min_training windows; seasonality `day_of_week` for daily and `hour_of_week` for hourly series unless "
            "stated (what `seasonality: auto` picks); the lag as the freshness kind's default, `direction: up` and "
            "`min_change: {absolute: 3600}`. Baseline: "
            f"|x − mean| / sd > {BASELINE_Z:g}, mean and sample sd over the last {BASELINE_DAYS} windows "
            f"including the judged one (daily), or the last {BASELINE_DAYS} days = {BASELINE_DAYS * 24} windows "
            "including it (hourly), no seasonality, judged once that history exists.",
            "",
            "**Counting.** Recall: incidents (slow drifts apart) with an alert in their first window. Slow drifts "
            "caught: an alert anywhere in the ramp. An incident's windows are its window (spike, drop), its "
            f"{STOP_WINDOWS} windows (stop), the first window of a shift, the ramp of a drift; the {AFTER_SHIFT} "
            "windows after a shift starts, and after a ramp ends, count neither as hits nor as false alerts (the "
            "level really moved). Clean windows: every other window after the first "
            f"{warmup}; false alerts per 100 clean windows; precision = alerts in incident windows / (those + alerts "
            "in clean windows). By then a daily window has at least 12 earlier windows of its weekday and an hourly "
            f"one at least {TRAINING} of its hour, so min_training matters only through the first weeks' alerts (left "
            "out of later training) and where alerts left too few usable windows. Targets: recall ≥ 95 %, ≤ 1 false "
            "alert per 100 clean windows in every series family, better than the baseline on both.",
            "",
            "### Summary",
            "",
            *self.summary(),
            "",
            *self.verdicts(),
            "",
            "### Recall by incident kind",
            "",
            *self.by_kind(),
            "",
            "### By series family",
            "",
            *self.by_family(),
            "",
            "### sqlmon mad: sensitivity × min_training (seasonality as the default)",
            "",
            *self.grid(),
            "",
            "By family: recall / false alerts per 100 clean windows, for each sensitivity / min_training.",
            "",
            *self.grid_by_family(),
        ]
        return "\n".join(lines) + "\n"


def write_docs(markdown: str, path: Path = DOCS) -> None:
    text = path.read_text(encoding="utf-8")
    if START_MARKER not in text and END_MARKER not in text:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{START_MARKER}\n{END_MARKER}\n"
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        raise SystemExit(f"{path} has only one of {START_MARKER} … {END_MARKER}")
    path.write_text(text[: start + len(START_MARKER)] + "\n" + markdown + text[end:], encoding="utf-8")


def run(settings: Settings) -> Tallies:
    configs = list({c.key: c for c in (*CONFIGS, *GRID)}.values())
    tallies: Tallies = {}
    for cadence, keys in CADENCE_FAMILIES.items():
        n = settings.windows(cadence)
        clock = windows_of(cadence, n)
        for key in keys:
            started = time.perf_counter()
            for index in range(settings.series(cadence)):
                per_kind, warmup = settings.per_kind(cadence), settings.warmup(cadence)
                series = simulate(cadence, key, index, n, per_kind, settings.seed, warmup)
                for config, alerts in zip(configs, alerts_of(series, configs, clock), strict=True):
                    tallies.setdefault((config.key, cadence, key), Tally()).add(tally(series, alerts))
            seconds = time.perf_counter() - started
            log(f"  {cadence.name:<6} {key:<10} {settings.series(cadence)} series: {seconds:6.1f} s")
    return tallies


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 1 daily and 1 hourly series per family, 45 hourly days"
    )
    parser.add_argument("--write-docs", action="store_true", help=f"write the tables into {DOCS.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    settings = dataclasses.replace(QUICK if args.quick else FULL, seed=args.seed)

    started = time.perf_counter()
    code = Path(anomaly.__file__).read_bytes()
    log(f"sqlmon.stats.anomaly: {anomaly.__file__} (sha256 {hashlib.sha256(code).hexdigest()[:12]})")
    self_check(settings.seed)
    log(f"self-check passed in {time.perf_counter() - started:.1f} s")
    tallies = run(settings)
    markdown = Report(settings, tallies, args.quick).markdown()
    print(markdown)
    log(f"total {time.perf_counter() - started:.1f} s")
    if args.write_docs:
        write_docs(markdown)
        log(f"wrote {DOCS.relative_to(ROOT)}")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
