"""`prediction_histogram`: a model's score distribution per window, against the baseline's.

Bins on fixed edges (default 10 equal bins on [0, 1]), explicit `edges`, or baseline quantiles; both sides' bins go
to `sqlmon_histograms`. Metrics: `psi` over the bins, `mean`, `stddev` (sample), `positive_rate` (share of scores
≥ `decision_threshold`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from sqlmon import stats
from sqlmon.config.specs import MonitorSpec
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
    baseline_side,
    metric_number,
)
from sqlmon.monitors.binning import (
    bin_requests,
    edges_from_quantiles,
    fixed_edges,
    histogram_rows,
    profile_binning_problems,
    quantile_requests,
)
from sqlmon.rules.drift_defaults import default_rule, small_sample_note
from sqlmon.sql.types import ColumnInfo

# what a window too small for psi's level can be judged by instead
SMALL_WINDOWS = "set `thresholds: {psi: ...}`, or watch the score with feature_drift, whose ks_pvalue holds at any n"


class PredictionHistogramSpec(MonitorSpec):
    type: Literal["prediction_histogram"]
    column: str = Field(description="the score column")
    binning: Literal["fixed", "quantile"] = Field(
        default="fixed", description="equal bins on `range`, or baseline quantiles"
    )
    bins: int = Field(default=10, ge=2, le=1000)
    range: tuple[float, float] = Field(default=(0.0, 1.0), description="[low, high] for fixed bins")
    edges: list[float] | None = Field(
        default=None, description="explicit inner bin edges, ascending; overrides binning"
    )
    decision_threshold: float = Field(default=0.5, description="scores at or above it count as positive")

    @field_validator("edges")
    @classmethod
    def _ascending(cls, edges: list[float] | None) -> list[float] | None:
        if edges is not None and (not edges or any(b <= a for a, b in pairwise(edges))):
            raise ValueError("`edges` must be a non-empty list of strictly increasing numbers")
        return edges

    @model_validator(mode="after")
    def _range(self) -> PredictionHistogramSpec:
        if self.range[0] >= self.range[1]:
            raise ValueError(f"`range` [{self.range[0]}, {self.range[1]}] must have low below high")
        return self


@dataclass
class _Plan:
    """A window's requests, given the edges the baseline decided."""

    edges: list[float]
    base_bins: list[Aggregate]
    cur_bins: list[Aggregate]
    n: Aggregate
    mean: Aggregate
    stddev: Aggregate
    positive: Aggregate


class PredictionHistogram(MonitorKind[PredictionHistogramSpec]):
    type = "prediction_histogram"
    column_keys = ("column",)
    spec_class = PredictionHistogramSpec
    metrics = ("psi", "mean", "stddev", "positive_rate")
    headline = ("psi", "mean")
    # psi 0.1/0.25, raised for small samples like feature_drift's (each value carries its rule: rules/drift_defaults.py)
    default_thresholds: ClassVar[dict[str, dict[str, Any]]] = {}
    needs_baseline = True
    reads_baseline = True
    supports_profile = True

    def columns_used(self, spec: PredictionHistogramSpec, columns: Mapping[str, ColumnInfo]) -> list[str]:
        return [spec.column]

    def check(self, spec: PredictionHistogramSpec, ctx: MonitorContext) -> list[ConfigProblem]:
        column = ctx.columns.get(spec.column)
        if column is not None and not column.numeric:
            return [
                ConfigProblem(
                    spec.locate("column"),
                    "column",
                    f"column `{spec.column}` has type {column.data_type}; a score column must be numeric",
                )
            ]
        if ctx.profile is not None:
            other = "edges" if spec.edges is not None else "binning" if spec.binning != "quantile" else None
            return profile_binning_problems(spec, other)
        return []

    def _quantiles(self, spec: PredictionHistogramSpec, ctx: MonitorContext) -> list[Distribution]:
        assert ctx.baseline is not None
        if spec.edges is not None or spec.binning != "quantile":
            return []
        return quantile_requests(ctx.baseline, baseline_side(ctx, ctx.columns[spec.column]), spec.bins)

    def _edges(self, spec: PredictionHistogramSpec, ctx: MonitorContext, baseline: Results) -> list[float]:
        if spec.edges is not None:
            return list(spec.edges)
        if spec.binning == "fixed":
            return fixed_edges(spec.range[0], spec.range[1], spec.bins)
        return edges_from_quantiles(self._quantiles(spec, ctx), baseline)

    def baseline_requests(self, spec: PredictionHistogramSpec, ctx: MonitorContext) -> list[Request]:
        return list(self._quantiles(spec, ctx))

    def _plan(self, spec: PredictionHistogramSpec, ctx: MonitorContext, baseline: Results) -> _Plan:
        assert ctx.baseline is not None
        column = ctx.columns[spec.column]
        edges = self._edges(spec, ctx, baseline)
        args = {"column": column.name, "floating": column.floating}
        return _Plan(
            edges=edges,
            base_bins=bin_requests(ctx.baseline, baseline_side(ctx, column), edges),
            cur_bins=bin_requests(ctx.current, column, edges),
            n=Aggregate.of(ctx.current, "common.valid_count", **args),
            mean=Aggregate.of(ctx.current, "prediction_histogram.mean", **args),
            stddev=Aggregate.of(ctx.current, "prediction_histogram.stddev", **args),
            positive=Aggregate.of(
                ctx.current, "prediction_histogram.positive_count", threshold=spec.decision_threshold, **args
            ),
        )

    def window_requests(self, spec: PredictionHistogramSpec, ctx: MonitorContext, baseline: Results) -> list[Request]:
        plan = self._plan(spec, ctx, baseline)
        return [*plan.base_bins, *plan.cur_bins, plan.n, plan.mean, plan.stddev, plan.positive]

    def finalize(
        self, spec: PredictionHistogramSpec, ctx: MonitorContext, baseline: Results, window: Results
    ) -> MonitorOutput:
        plan = self._plan(spec, ctx, baseline)
        base = [float(window[r] or 0) for r in plan.base_bins]
        cur = [float(window[r] or 0) for r in plan.cur_bins]
        n = int(window[plan.n] or 0)
        values = {
            "psi": stats.psi(base, cur),
            "mean": window[plan.mean],
            "stddev": window[plan.stddev],
            "positive_rate": int(window[plan.positive] or 0) / n if n else None,
        }
        edges = plan.edges
        return MonitorOutput(
            metrics=[
                MetricValue(
                    m,
                    metric_number(values[m]),
                    spec.column,
                    rule=default_rule("psi", "numeric", m, sum(base), sum(cur), len(base)),
                    unjudged=small_sample_note("psi", "numeric", m, sum(base), sum(cur), instead=SMALL_WINDOWS),
                )
                for m in self.metrics
            ],
            bins=histogram_rows(spec.column, "baseline", edges, base)
            + histogram_rows(spec.column, "current", edges, cur),
        )
