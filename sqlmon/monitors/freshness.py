"""`freshness`: how old the newest row is — a source that stopped is the most common silent failure.

Metrics, in seconds:
- `lag` = t − the newest value of `column` before t, where t is the window's end, or the run's time for the window in
  progress: every run computes that window again, so the lag is measured now whatever else is due. NULL when the
  table holds no row before t, and then `no_data` = 1 (else 0), an error by default: a source that never had a row
  is the stalest of all.
- `max_gap`: the largest gap between consecutive values of `column` among the window's rows (a feed that paused for
  six hours at noon); NULL with fewer than two rows. The pause after the last row is the lag's to catch.
- `deadline_missed` (with `expected_by`): 1 when t is at or after `expected_by` on one of `days`, in `timezone`, and
  the newest row is older than that day's local midnight; else 0.

The windows after the newest row, up to the run's time, are computed too, so a stopped feed shows as a lag that grows
window by window. `column` defaults to the source's `timestamp`; a load-time column (`loaded_at`) measures when rows
arrived rather than when their events happened.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from sqlmon.config.durations import span_text
from sqlmon.config.specs import MonitorSpec, SourceSpec, ThresholdRule, coerce_duration
from sqlmon.errors import ConfigProblem
from sqlmon.monitors.base import (
    Aggregate,
    Distribution,
    MetricValue,
    MonitorContext,
    MonitorKind,
    MonitorOutput,
    Request,
    Results,
    as_datetime,
)
from sqlmon.sql.types import ColumnInfo

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class FreshnessSpec(MonitorSpec):
    type: Literal["freshness"]
    column: str | None = Field(
        default=None, description="time column whose newest value is measured; default the source's `timestamp`"
    )
    warn_after: timedelta | None = Field(default=None, description="warn when the lag is above this, e.g. `6 hours`")
    error_after: timedelta | None = Field(default=None, description="error when the lag is above this, e.g. `1 day`")
    expected_by: str | None = Field(default=None, description="local time `HH:MM` by which each day's data is in")
    timezone: str = Field(default="UTC", description="time zone of `expected_by` and `days`, e.g. `Europe/Berlin`")
    days: list[Day] = Field(default_factory=lambda: list(DAYS), min_length=1, description="days `expected_by` holds")

    @field_validator("warn_after", "error_after", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> Any:
        return None if value is None else coerce_duration(value)

    @field_validator("expected_by", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> Any:
        if value is not None and not (isinstance(value, str) and _CLOCK.match(value)):
            raise ValueError(f'write a local time as `HH:MM` in quotes, e.g. `expected_by: "09:00"`, not `{value}`')
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"`{value}` is not a time zone; write an IANA name such as `Europe/Berlin` or `UTC`"
            ) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FreshnessSpec:
        if self.warn_after is not None and self.error_after is not None and self.warn_after > self.error_after:
            raise ValueError("`warn_after` is longer than `error_after`; the warning must come first")
        if "lag" in self.thresholds and (self.warn_after is not None or self.error_after is not None):
            raise ValueError("give the lag's levels once: `warn_after`/`error_after`, or `thresholds: {lag: ...}`")
        given = {"timezone", "days"} & self.model_fields_set
        if given and self.expected_by is None:
            raise ValueError(f"`{sorted(given)[0]}` goes with `expected_by`, which is not given")
        return self

    @property
    def deadline(self) -> time | None:
        if self.expected_by is None:
            return None
        hours, minutes = self.expected_by.split(":")
        return time(int(hours), int(minutes))


def deadline_missed(spec: FreshnessSpec, moment: datetime, newest: datetime | None) -> float:
    """1.0 when `moment` (naive UTC) is past the day's deadline and that day's data has not begun arriving."""
    deadline = spec.deadline
    assert deadline is not None
    zone = ZoneInfo(spec.timezone)
    local = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    if DAYS[local.weekday()] not in spec.days or local.time() < deadline:
        return 0.0
    midnight = datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    return 1.0 if newest is None or newest < midnight else 0.0


class Freshness(MonitorKind[FreshnessSpec]):
    type = "freshness"
    spec_class = FreshnessSpec
    column_keys = ("column",)
    metrics = ("lag", "max_gap", "no_data", "deadline_missed")
    headline = ("lag",)
    units: ClassVar[dict[str, str]] = {"lag": "seconds", "max_gap": "seconds"}
    # a lag shorter than usual is no incident, and one within an hour of usual is noise (lags have exponential tails)
    default_anomaly: ClassVar[dict[str, Any] | None] = {
        "metrics": ["lag"],
        "direction": "up",
        "min_change": {"absolute": 3600},
    }
    # A table that never had a row has no lag to judge, and is the stalest source of all.
    default_thresholds: ClassVar[dict[str, dict[str, Any]]] = {"deadline_missed": {"error": 0}, "no_data": {"error": 0}}
    fills_empty_windows = True
    observes_now = True

    def metrics_of(self, spec: FreshnessSpec) -> tuple[str, ...]:
        return self.metrics if spec.expected_by else ("lag", "max_gap", "no_data")

    @staticmethod
    def _column(spec: FreshnessSpec, ctx: MonitorContext) -> str:
        column = spec.column or ctx.source.timestamp
        assert column is not None  # checked: a freshness monitor needs `column` or a source timestamp
        return column

    def columns_used(self, spec: FreshnessSpec, columns: Mapping[str, ColumnInfo]) -> list[str]:
        return [spec.column] if spec.column else []

    def check_source(self, spec: FreshnessSpec, source: SourceSpec) -> list[ConfigProblem]:
        if spec.column is None and source.timestamp is None:
            return [
                ConfigProblem(
                    spec.locate("type"),
                    spec.key("type"),
                    f"freshness needs a time column, and source `{source.name}` has no `timestamp`",
                    "add `column: <a timestamp column>` to the monitor, or `timestamp:` to the source",
                )
            ]
        return []

    def check(self, spec: FreshnessSpec, ctx: MonitorContext) -> list[ConfigProblem]:
        info = ctx.columns.get(self._column(spec, ctx))
        if info is not None and info.logical not in ("timestamp", "date"):
            key = "column" if spec.column else None
            return [
                ConfigProblem(
                    spec.locate(*([key] if key else [])),
                    spec.key(*([key] if key else [])),
                    f"column `{info.name}` is {info.data_type}, not a timestamp or date",
                    "name a timestamp column",
                )
            ]
        return []

    def _moment(self, ctx: MonitorContext) -> datetime:
        if ctx.window is not None:
            return ctx.window.end  # the window in progress ends at the run's time
        assert ctx.as_of is not None
        return ctx.as_of

    def _requests(self, spec: FreshnessSpec, ctx: MonitorContext) -> tuple[Aggregate, Distribution | None]:
        column = self._column(spec, ctx)
        # the whole table (of the segment, for a segmented monitor): staleness is not a property of one window
        whole = replace(ctx.current, timestamp=None, window=None)
        role = "the newest row before the window's end, over the whole table"
        newest = replace(Aggregate.of(whole, "freshness.newest", column=column, before=self._moment(ctx)), role=role)
        gap = Distribution.of("freshness.max_gap", rel=ctx.current, column=column) if ctx.window else None
        return newest, gap

    def window_requests(self, spec: FreshnessSpec, ctx: MonitorContext, baseline: Results) -> list[Request]:
        newest, gap = self._requests(spec, ctx)
        return [newest] if gap is None else [newest, gap]

    def _lag_rule(self, spec: FreshnessSpec, ctx: MonitorContext) -> ThresholdRule | None:
        if spec.warn_after is not None or spec.error_after is not None:
            return ThresholdRule(
                warn=spec.warn_after.total_seconds() if spec.warn_after else None,
                error=spec.error_after.total_seconds() if spec.error_after else None,
            )
        if ctx.source.window is not None:  # a whole window without a row warns; two are an error
            size = ctx.source.window.total_seconds()
            return ThresholdRule(warn=size, error=2 * size)
        return None

    def finalize(self, spec: FreshnessSpec, ctx: MonitorContext, baseline: Results, window: Results) -> MonitorOutput:
        newest_request, gap_request = self._requests(spec, ctx)
        moment = self._moment(ctx)
        newest = as_datetime(window[newest_request])
        lag = (moment - newest).total_seconds() if newest is not None else None
        column = self._column(spec, ctx)
        detail = (
            f"newest {column} {newest:%Y-%m-%d %H:%M:%S}, {span_text(lag)} before {moment:%Y-%m-%d %H:%M}"
            if newest is not None and lag is not None
            else f"no row with {column} before {moment:%Y-%m-%d %H:%M}"
        )
        output = MonitorOutput(
            [
                MetricValue("lag", lag, detail=detail, rule=self._lag_rule(spec, ctx), unit="seconds"),
                MetricValue("no_data", 1.0 if newest is None else 0.0, detail=detail if newest is None else None),
            ]
        )
        if gap_request is not None:
            rows = window[gap_request] or []
            gap = rows[0][1] if rows else None
            began = datetime(1970, 1, 1) + timedelta(seconds=rows[0][2]) if rows and rows[0][2] is not None else None
            gap_detail = f"{span_text(gap)} without a row from {began:%Y-%m-%d %H:%M:%S}" if gap and began else None
            output.metrics.append(MetricValue("max_gap", gap, detail=gap_detail, unit="seconds"))
        if spec.expected_by:
            missed = deadline_missed(spec, moment, newest)
            late = f"no row of the day by {spec.expected_by} {spec.timezone}; {detail}" if missed else None
            output.metrics.append(MetricValue("deadline_missed", missed, detail=late))
        return output
