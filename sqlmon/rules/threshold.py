"""Threshold rules: a metric value against `warn`/`error` levels.

The levels of a metric are, in order of precedence: the monitor's own `thresholds` (`null` switches a rule off), the
default rule the kind computed for that very value (`MetricValue.rule`, e.g. drift levels that depend on the sample
sizes), the kind's fixed `default_thresholds`, and for a segmented monitor `segments_dropped > 0` as a warning.
"""

from __future__ import annotations

from sqlmon.config.specs import MonitorSpec, ThresholdRule
from sqlmon.monitors import registry
from sqlmon.monitors.base import SEGMENT_THRESHOLDS, MetricValue, show_value
from sqlmon.results import Alert
from sqlmon.rules.base import History, Observation, Rule


def thresholds_of(monitor: MonitorSpec) -> dict[str, ThresholdRule]:
    """The kind's fixed default rules, overridden (or switched off with null) by the monitor's own."""
    defaults = dict(registry.get(monitor.type).default_thresholds)
    if monitor.segment_by:  # a cut of segments is an alert unless switched off
        defaults = {**SEGMENT_THRESHOLDS, **defaults}
    rules = {metric: ThresholdRule(**rule) for metric, rule in defaults.items()}
    for metric, rule in monitor.thresholds.items():
        if rule is None:
            rules.pop(metric, None)
        else:
            rules[metric] = rule
    return rules


class Threshold(Rule):
    name = "threshold"

    def __init__(self, levels: ThresholdRule):
        self.levels = levels

    @classmethod
    def for_value(cls, monitor: MonitorSpec, value: MetricValue) -> Threshold | None:
        levels = thresholds_of(monitor).get(value.metric)
        if value.rule is not None and value.metric not in monitor.thresholds:
            levels = value.rule
        return cls(levels) if levels is not None else None

    def judge(self, observation: Observation, history: History) -> Alert | None:
        value = observation.value
        severity = self.levels.breach(value.value)
        if severity is None:
            return None
        assert value.value is not None  # breach() never fires on a value that could not be computed
        described = self.levels.describe(severity, lambda level: show_value(level, value.unit))
        message = f"{observation.subject} = {show_value(value.value, value.unit)} ({severity}: {described})"
        if value.detail:
            message += f"; {value.detail}"
        return observation.alert(severity, f"threshold {described}", message)
