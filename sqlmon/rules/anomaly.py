"""Anomaly rules: a metric value against the band its own past windows give (`anomaly:` on any monitor).

The arithmetic is in sqlmon.stats.anomaly; this module reads the settings, finds the training windows in the run's
history and turns a verdict into an alert and a row of `sqlmon_anomalies` (docs/results.md). Volume and freshness
monitors have a rule by default (`MonitorKind.default_anomaly`).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from sqlmon.config.durations import format_duration
from sqlmon.config.specs import MonitorSpec, Severity, SourceSpec, StrictModel
from sqlmon.config.yaml_loader import format_key
from sqlmon.errors import ConfigProblem
from sqlmon.monitors import registry
from sqlmon.monitors.base import MetricValue, MonitorKind, show_value
from sqlmon.results import Alert, AnomalyRow
from sqlmon.rules.base import History, Observation, Rule, Verdict
from sqlmon.stats import anomaly as math

if TYPE_CHECKING:
    from sqlmon.catalog import Catalog

_TRAINING = re.compile(r"^\s*(\d+)\s*windows?\s*$", re.IGNORECASE)
DAY = timedelta(days=1)
SeasonalitySetting = Literal["auto", "none", "day_of_week", "hour_of_day", "hour_of_week", "day_of_month"]
WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


class MinChange(StrictModel):
    """Floors under the size of a change: a value outside the band but closer to the expected value than both
    floors is not an alert (status `small_change`)."""

    absolute: float | None = Field(default=None, ge=0, description="in the metric's unit")
    relative: float | None = Field(default=None, ge=0, description="a share of the expected value: 0.05 is 5 %")

    @model_validator(mode="after")
    def _some(self) -> MinChange:
        if self.absolute is None and self.relative is None:
            raise ValueError("give `absolute`, `relative` or both")
        return self


class ExcludeTable(StrictModel):
    """A warehouse table that lists the days never to train on (holidays, known incidents)."""

    table: str
    column: str = Field(description="its DATE or TIMESTAMP column")


class AnomalySpec(StrictModel):
    """`anomaly:` of a monitor (docs/configuration.md, "Anomaly rules")."""

    metrics: list[str] | None = Field(default=None, min_length=1, description="default: the kind's headline metrics")
    method: Literal["mad", "zscore"] = "mad"
    sensitivity: float = Field(default=3.5, description="how many (scaled) MADs or standard deviations")
    training: int = Field(default=28, ge=2, description="past windows that train the band: `28 windows`")
    min_training: int = Field(default=7, ge=2, description="fewer usable windows: insufficient_history")
    seasonality: SeasonalitySetting = "auto"
    direction: Literal["up", "down", "both"] = "both"
    min_change: MinChange | None = None
    exclude: list[date] | ExcludeTable = Field(default_factory=list)
    include_alerts: bool = Field(default=False, description="train on windows that alerted too")
    severity: Severity = "warn"

    @field_validator("training", mode="before")
    @classmethod
    def _windows(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _TRAINING.match(value)
            if not match:
                raise ValueError(f"`training` counts windows: write `28 windows` or 28, not `{value}`")
            return int(match.group(1))
        return value

    @field_validator("sensitivity")
    @classmethod
    def _positive(cls, value: float) -> float:
        if not value > 0 or not value < float("inf"):
            raise ValueError(
                f"`sensitivity` is how far a value may stray, in scaled MADs or standard deviations: a positive"
                f" number such as 3.5, not {value:g}"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> AnomalySpec:
        if self.min_training > self.training:
            raise ValueError(
                f"`min_training` ({self.min_training}) is larger than `training` ({self.training}): no window could"
                f" ever be judged; lower min_training or raise training"
            )
        if self.metrics is not None:
            repeated = sorted({m for m in self.metrics if self.metrics.count(m) > 1})
            if repeated:
                raise ValueError(f"`{repeated[0]}` is listed twice in `metrics`")
        return self


def seasonality_for(setting: SeasonalitySetting, window: timedelta | None) -> math.Seasonality | None:
    """`auto` is by weekday for daily windows and by hour of the week for windows that cut a day into hours (traffic
    has a daily and a weekly rhythm: 3 a.m. differs from noon, and Saturday noon from Tuesday noon); else none."""
    if setting == "none":
        return None
    if setting != "auto":
        return setting
    if window == DAY:
        return "day_of_week"
    if window is not None and window < DAY and DAY % window == timedelta(0) and window.total_seconds() % 3600 == 0:
        return "hour_of_week"
    return None


def setting_problems(
    key: str,
    metrics: list[str] | None,
    slot: SeasonalitySetting,
    monitor: MonitorSpec,
    kind: MonitorKind[Any],
    source: SourceSpec,
    prefix: tuple[Any, ...],
) -> list[ConfigProblem]:
    """What is wrong with the metrics and seasonality a history rule's block (`anomaly:`, `trend:`) names."""
    found = []
    known = kind.metrics_of(monitor)
    for index, metric in enumerate(metrics or ()):
        if metric not in known and not kind.open_metrics(monitor):
            found.append(
                ConfigProblem(
                    monitor.locate(key, "metrics", index),
                    format_key((*prefix, key, "metrics", index)),
                    f"`{kind.type}` has no metric `{metric}`",
                    f"its metrics: {', '.join(known)}",
                )
            )
    hourly = slot in ("hour_of_day", "hour_of_week")
    if slot in ("day_of_week", "hour_of_day", "hour_of_week", "day_of_month") and source.window is not None:
        too_long = source.window >= DAY if hourly else source.window > DAY
        if too_long:
            found.append(
                ConfigProblem(
                    monitor.locate(key, "seasonality"),
                    format_key((*prefix, key, "seasonality")),
                    f"`seasonality: {slot}` needs windows "
                    f"{'shorter than a day' if hourly else 'of a day or shorter'}, and source "
                    f"`{source.name}` has windows of {format_duration(source.window)}",
                    "use `day_of_week` for daily windows, or `none`"
                    if hourly
                    else "use `none`, or a source with daily or shorter windows",
                )
            )
    return found


def settings_of(monitor: MonitorSpec) -> AnomalySpec | None:
    """The monitor's anomaly settings: its own, its kind's default, or None (`anomaly: null` or no default)."""
    own = getattr(monitor, "anomaly", None)
    if isinstance(own, AnomalySpec):
        return own
    if "anomaly" in monitor.model_fields_set:
        return None
    default = registry.get(monitor.type).default_anomaly
    return AnomalySpec(**default) if default is not None else None


def _training_text(size: int, seasonality: math.Seasonality | None, judged: Any) -> str:
    if seasonality == "day_of_week":
        return f"{size} {WEEKDAYS[judged.weekday()]}"
    if seasonality == "hour_of_day":
        return f"{size} windows at {judged:%H:00}"
    if seasonality == "hour_of_week":
        return f"{size} {WEEKDAYS[judged.weekday()]} at {judged:%H:00}"
    if seasonality == "day_of_month":
        return f"{size} windows on day {judged.day} of the month"
    return f"{size} windows"


class BlockRule(Rule):
    """A rule a monitor configures with one block (`anomaly:`, `trend:`) that names the metrics it watches (by
    default the kind's headline metrics) and a seasonality."""

    def __init__(self, spec: Any):
        self.spec = spec

    @classmethod
    def block(cls, monitor: MonitorSpec) -> Any:
        """The monitor's settings for this rule, or None."""
        own = getattr(monitor, cls.key or "", None)
        return own if cls.settings is not None and isinstance(own, cls.settings) else None

    @classmethod
    def for_value(cls, monitor: MonitorSpec, value: MetricValue) -> BlockRule | None:
        spec = cls.block(monitor)
        if spec is None:
            return None
        watched = spec.metrics or registry.get(monitor.type).headline_of(monitor)
        return cls(spec) if value.metric in watched else None

    @classmethod
    def check(
        cls, monitor: MonitorSpec, kind: MonitorKind[Any], source: SourceSpec, prefix: tuple[Any, ...]
    ) -> list[ConfigProblem]:
        spec = cls.block(monitor)
        if spec is None or cls.key is None:
            return []
        return setting_problems(cls.key, spec.metrics, spec.seasonality, monitor, kind, source, prefix)

    def judge(self, observation: Observation, history: History) -> Alert | None:
        return self.verdict(observation, history).alert


class Anomaly(BlockRule):
    name = "anomaly"
    key = "anomaly"
    settings = AnomalySpec

    @classmethod
    def block(cls, monitor: MonitorSpec) -> AnomalySpec | None:
        return settings_of(monitor)  # with the kind's default (volume, freshness)

    @classmethod
    def check_warehouse(cls, monitor: MonitorSpec, catalog: Catalog) -> list[ConfigProblem]:
        spec = getattr(monitor, "anomaly", None)
        if not isinstance(spec, AnomalySpec) or not isinstance(spec.exclude, ExcludeTable):
            return []
        table, column = spec.exclude.table, spec.exclude.column
        columns = catalog.columns(table)
        if columns is None:
            return [
                ConfigProblem(
                    monitor.locate("anomaly", "exclude", "table"),
                    monitor.key("anomaly", "exclude", "table"),
                    f"the exclusion table {table} does not exist",
                    "create it, or list the dates: `exclude: ['2026-12-25']`",
                )
            ]
        info = columns.get(column)
        if info is None or info.logical not in ("date", "timestamp"):
            dated = [c.name for c in columns.values() if c.logical in ("date", "timestamp")]
            what = f"has type {info.data_type}" if info is not None else "is not in it"
            return [
                ConfigProblem(
                    monitor.locate("anomaly", "exclude", "column"),
                    monitor.key("anomaly", "exclude", "column"),
                    f"column `{column}` of the exclusion table {table} {what}; the excluded days need a date or"
                    " timestamp column",
                    f"its date columns: {', '.join(dated)}" if dated else f"add a DATE column to {table}",
                )
            ]
        return []

    def verdict(self, observation: Observation, history: History) -> Verdict:
        spec, value, monitor = self.spec, observation.value, observation.monitor
        window = observation.window
        seasonality = seasonality_for(spec.seasonality, observation.period)
        exclude = (
            history.dates(spec.exclude.table, spec.exclude.column)
            if isinstance(spec.exclude, ExcludeTable)
            else set(spec.exclude)
        )
        past = history.series(monitor.name, value.column, observation.segment, value.metric)
        training = math.training_sets(
            past,
            observation.window_start,
            training=spec.training,
            seasonality=seasonality,
            exclude=exclude,
            include_alerts=spec.include_alerts,
            pool=spec.min_training,
        )
        floors = spec.min_change
        verdict = math.assess(
            training.own,
            value.value,
            others=training.others,
            spread=training.spread,
            method=spec.method,
            sensitivity=spec.sensitivity,
            min_training=spec.min_training,
            direction=spec.direction,
            min_absolute=floors.absolute if floors else None,
            min_relative=floors.relative if floors else None,
        )
        band = verdict.band
        status = spec.severity if verdict.status == math.ANOMALY else verdict.status
        row = AnomalyRow(
            monitor.name,
            value.column,
            observation.segment,
            value.metric,
            window,
            value.value,
            band.expected if band else None,
            band.lower if band else None,
            band.upper if band else None,
            verdict.score,
            verdict.training_size,
            spec.method,
            spec.sensitivity,
            seasonality,
            status,
        )
        trained = _training_text(verdict.training_size, seasonality, observation.window_start)
        over = _training_text(spec.training, seasonality, observation.window_start)
        rule = f"anomaly {spec.method} {spec.sensitivity:g} over {over}"
        if verdict.status == math.INSUFFICIENT:
            need = _training_text(spec.min_training, seasonality, observation.window_start)
            return Verdict(anomaly=row, notes=[f"anomaly rule learning: {trained} of history, needs {need}"])
        if verdict.status != math.ANOMALY or band is None or value.value is None:
            return Verdict(anomaly=row)
        unit = value.unit

        def show(number: float) -> str:
            return show_value(number, unit)

        score = f"score {verdict.score:+.1f}" if verdict.score is not None else "the training values are all equal"
        limits = {
            "both": f"within [{show(band.lower)}, {show(band.upper)}]",
            "up": f"at most {show(band.upper)}",
            "down": f"at least {show(band.lower)}",
        }[spec.direction]
        message = (
            f"{observation.subject} = {show(value.value)} ({spec.severity}: anomaly, expected {show(band.expected)}"
            f" {limits} from {trained}; {score})"
        )
        if value.detail:
            message += f"; {value.detail}"
        return Verdict(observation.alert(spec.severity, rule, message), row)
