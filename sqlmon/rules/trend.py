"""Trend rules: a slow drift that never leaves any band, found by a Mann–Kendall test over the last windows
(`trend:` on any monitor).

An anomaly rule compares one window with the windows before it, so a metric that creeps up 2 % a day moves its own
band along and never alerts. The trend test asks instead whether the last N windows, the judged one included, rise
or fall more consistently than noise would; the arithmetic is in sqlmon.stats.trend.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from sqlmon.config.specs import Severity, StrictModel
from sqlmon.monitors.base import show_value
from sqlmon.rules.anomaly import BlockRule, SeasonalitySetting, seasonality_for
from sqlmon.rules.base import History, Observation, Verdict
from sqlmon.stats.anomaly import season_of
from sqlmon.stats.trend import mann_kendall


class TrendSpec(StrictModel):
    """`trend:` of a monitor (docs/configuration.md, "Trend rules")."""

    metrics: list[str] | None = Field(default=None, min_length=1, description="default: the kind's headline metrics")
    windows: int = Field(default=28, ge=8, le=1000, description="the last N windows, the judged one included")
    pvalue: float = Field(default=0.001, description="the test's two-sided p-value below which it alerts")
    seasonality: SeasonalitySetting = "auto"
    direction: Literal["up", "down", "both"] = "both"
    severity: Severity = "warn"

    @field_validator("pvalue")
    @classmethod
    def _probability(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError(f"`pvalue` is a probability between 0 and 1, such as 0.001, not {value:g}")
        return value


class Trend(BlockRule):
    name = "trend"
    key = "trend"
    settings = TrendSpec

    def verdict(self, observation: Observation, history: History) -> Verdict:
        spec, value, monitor = self.spec, observation.value, observation.monitor
        if value.value is None:
            return Verdict()
        seasonality = seasonality_for(spec.seasonality, observation.period)
        past = [
            p
            for p in history.series(monitor.name, value.column, observation.segment, value.metric)
            if p.start < observation.window_start
        ][-(spec.windows - 1) :]
        points = [(p.start, p.value) for p in past] + [(observation.window_start, value.value)]
        if len(points) < spec.windows:
            return Verdict(notes=[f"trend rule learning: {len(points)} of the {spec.windows} windows it tests"])
        slots: dict[int | None, list[tuple[int, float]]] = {}
        for index, (start, number) in enumerate(points):
            if number is not None:
                slots.setdefault(season_of(start, seasonality), []).append((index, number))
        found = mann_kendall(list(slots.values()))
        if found is None or found.pvalue >= spec.pvalue or found.s == 0:
            return Verdict()
        rising = found.s > 0
        if (spec.direction == "up" and not rising) or (spec.direction == "down" and rising):
            return Verdict()
        slope = (
            f", Sen's slope {'+' if (found.slope or 0) >= 0 else '-'}{show_value(abs(found.slope or 0), value.unit)}"
        )
        seasonal = f", seasonal by {seasonality.replace('_', ' ')}" if seasonality else ""
        message = (
            f"{observation.subject} = {show_value(value.value, value.unit)} ({spec.severity}: "
            f"{'rising' if rising else 'falling'} over the last {spec.windows} windows; Mann–Kendall "
            f"p = {found.pvalue:.2g}{seasonal}{slope} per window)"
        )
        rule = f"trend mann_kendall p < {spec.pvalue:g} over {spec.windows} windows"
        return Verdict(observation.alert(spec.severity, rule, message))
