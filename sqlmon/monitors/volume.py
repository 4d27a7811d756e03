"""`volume`: how many rows each window holds — a day with half the usual rows, or none at all.

Metric: `row_count` per window (and per segment). The windows after the newest row, up to the run's time, are
computed too, so a source that stopped shows as windows of 0 rows rather than as nothing. By default a window
without rows is an error (`row_count < 1`); `thresholds: {row_count: ...}` sets levels of its own, or `null` turns
the rule off (a source that is empty on weekends).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from sqlmon.config.specs import MonitorSpec
from sqlmon.monitors.base import Aggregate, MetricValue, MonitorContext, MonitorKind, MonitorOutput, Request, Results


class VolumeSpec(MonitorSpec):
    type: Literal["volume"]


class Volume(MonitorKind[VolumeSpec]):
    type = "volume"
    spec_class = VolumeSpec
    metrics = ("row_count",)
    headline = ("row_count",)
    default_anomaly: ClassVar[dict[str, Any] | None] = {"metrics": ["row_count"]}
    default_thresholds: ClassVar[dict[str, dict[str, Any]]] = {"row_count": {"error": 1, "direction": "below"}}
    fills_empty_windows = True

    def window_requests(self, spec: VolumeSpec, ctx: MonitorContext, baseline: Results) -> list[Request]:
        # the same request as every other kind's row count: one column of the window's one scan, shared
        return [Aggregate.of(ctx.current, "common.row_count")]

    def finalize(self, spec: VolumeSpec, ctx: MonitorContext, baseline: Results, window: Results) -> MonitorOutput:
        [request] = self.window_requests(spec, ctx, baseline)
        rows = int(window[request] or 0)
        detail = "no rows in the window" if rows == 0 else None
        return MonitorOutput([MetricValue("row_count", float(rows), detail=detail)])
