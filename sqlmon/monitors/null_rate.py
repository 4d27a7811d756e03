"""`null_rate`: how many values are missing, per column, per window.

Metrics per column: `row_count`, `null_count`, `null_rate` = null_count / row_count (NaN counts as missing in
floating columns unless `nan_as_null: false`). An empty window has null_rate NULL: not computable, never an alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field

from sqlmon.config.specs import MonitorSpec
from sqlmon.monitors.base import Aggregate, MetricValue, MonitorContext, MonitorKind, MonitorOutput, Request, Results
from sqlmon.sql.types import ColumnInfo


class NullRateSpec(MonitorSpec):
    type: Literal["null_rate"]
    columns: list[str] | Literal["all"] = Field(default="all", min_length=1, description="columns to watch, or `all`")
    nan_as_null: bool = Field(default=True, description="count NaN in floating columns as missing")


class NullRate(MonitorKind[NullRateSpec]):
    type = "null_rate"
    column_keys = ("columns",)
    spec_class = NullRateSpec
    metrics = ("row_count", "null_count", "null_rate")
    headline = ("null_rate",)

    def columns_used(self, spec: NullRateSpec, columns: Mapping[str, ColumnInfo]) -> list[str]:
        return [] if spec.columns == "all" else list(spec.columns)

    def _columns(self, spec: NullRateSpec, ctx: MonitorContext) -> list[ColumnInfo]:
        names = list(ctx.columns) if spec.columns == "all" else spec.columns
        return [ctx.columns[name] for name in names]

    def _requests(self, spec: NullRateSpec, ctx: MonitorContext) -> tuple[Aggregate, dict[str, Aggregate]]:
        rows = Aggregate.of(ctx.current, "common.row_count")
        nulls = {
            col.name: Aggregate.of(
                ctx.current,
                "null_rate.null_count",
                column=col.name,
                floating=col.floating,
                nan_as_null=spec.nan_as_null,
            )
            for col in self._columns(spec, ctx)
        }
        return rows, nulls

    def window_requests(self, spec: NullRateSpec, ctx: MonitorContext, baseline: Results) -> list[Request]:
        rows, nulls = self._requests(spec, ctx)
        return [rows, *nulls.values()]

    def finalize(self, spec: NullRateSpec, ctx: MonitorContext, baseline: Results, window: Results) -> MonitorOutput:
        rows_request, nulls = self._requests(spec, ctx)
        rows = int(window[rows_request] or 0)
        output = MonitorOutput()
        for name, request in nulls.items():
            missing = int(window[request] or 0)
            output.metrics += [
                MetricValue("row_count", float(rows), name),
                MetricValue("null_count", float(missing), name),
                MetricValue("null_rate", missing / rows if rows else None, name),
            ]
        return output
