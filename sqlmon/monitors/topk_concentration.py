"""`topk_concentration`: how concentrated a categorical column's mass is — the feedback-loop detector.

A recommender that feeds on its own output shows more and more exposure on fewer items. Metrics over the window's
values (rows, or the sum of a `weight` column): `top_k_share`, `hhi`, `entropy_norm`, `gini`, `distinct_count`, and
with a baseline `dropped_values`: values that held at least `min_baseline_share` of the baseline and are absent now
(NULL, not computable, when the window or the baseline holds no mass).
All of it is computed in the warehouse; Python receives one row per metric.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field

from sqlmon.config.specs import MonitorSpec
from sqlmon.monitors.base import (
    Distribution,
    MetricValue,
    MonitorContext,
    MonitorKind,
    MonitorOutput,
    Request,
    Results,
    metric_number,
)
from sqlmon.sql.types import ColumnInfo

LISTED_VALUES = 10  # how many dropped values an alert message names


class TopkConcentrationSpec(MonitorSpec):
    type: Literal["topk_concentration"]
    column: str = Field(description="the categorical column, e.g. an item id")
    k: int = Field(default=10, ge=1)
    weight: str | None = Field(default=None, description="numeric column whose sum is each value's mass")
    min_baseline_share: float = Field(
        default=0.0001, gt=0, le=1, description="baseline share a value needs to count as dropped when it vanishes"
    )


class TopkConcentration(MonitorKind[TopkConcentrationSpec]):
    type = "topk_concentration"
    column_keys = ("column", "weight")
    spec_class = TopkConcentrationSpec
    reads_baseline = True  # for dropped_values, when a baseline is set
    metrics = ("top_k_share", "hhi", "entropy_norm", "gini", "distinct_count", "dropped_values")
    headline = ("top_k_share",)

    def columns_used(self, spec: TopkConcentrationSpec, columns: Mapping[str, ColumnInfo]) -> list[str]:
        return [spec.column] + ([spec.weight] if spec.weight else [])

    def _request(self, spec: TopkConcentrationSpec, ctx: MonitorContext) -> Distribution:
        return Distribution.of(
            "topk_concentration.concentration",
            column=spec.column,
            weight=spec.weight,
            k=spec.k,
            current=ctx.current,
            baseline=ctx.baseline,
            min_share=spec.min_baseline_share,
            list_limit=LISTED_VALUES,
        )

    def window_requests(self, spec: TopkConcentrationSpec, ctx: MonitorContext, baseline: Results) -> list[Request]:
        return [self._request(spec, ctx)]

    def finalize(
        self, spec: TopkConcentrationSpec, ctx: MonitorContext, baseline: Results, window: Results
    ) -> MonitorOutput:
        rows = window[self._request(spec, ctx)]
        values = {k: a for k, a, b in rows if b is None}
        dropped = [k for k, a, b in sorted((r for r in rows if r[2] is not None), key=lambda r: (-(r[1] or 0), r[0]))]
        count = values.get("dropped_values")
        detail = None
        if dropped:
            more = int(count or 0) - len(dropped)
            detail = "dropped: " + ", ".join(dropped) + (f" (+{more} more)" if more > 0 else "")
        output = MonitorOutput()
        for metric in self.metrics:
            if metric == "dropped_values" and ctx.baseline is None:
                continue
            output.metrics.append(
                MetricValue(
                    metric,
                    metric_number(values.get(metric)),
                    spec.column,
                    detail if metric == "dropped_values" else None,
                )
            )
        return output
