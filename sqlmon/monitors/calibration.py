"""`calibration`: whether a classifier's scores mean what they say, once the labels are in.

Scores are cut into reliability bins (equal widths on [0, 1], left-closed, open at both ends); per bin the warehouse
returns the labelled rows, the sum of scores and the sum of labels. `ece` = Σ_b (n_b / N) · |ȳ_b − p̄_b| and
`mce` = max_b |ȳ_b − p̄_b| over non-empty bins. The bins go to `sqlmon_histograms` (sides `predicted`: mean score,
and `observed`: share of positives, per bin).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field

from sqlmon.config.specs import MonitorSpec
from sqlmon.errors import ConfigProblem
from sqlmon.monitors.base import (
    Aggregate,
    HistogramBin,
    MetricValue,
    MonitorContext,
    MonitorOutput,
    Request,
    Results,
    metric_number,
)
from sqlmon.monitors.binning import calibration_errors, reliability_bounds, reliability_requests
from sqlmon.monitors.labels import (
    LabelDelay,
    LabelledKind,
    LabelsTable,
    label_column,
    label_problems,
    labelled_relation,
)


class CalibrationSpec(MonitorSpec):
    type: Literal["calibration"]
    prediction: str = Field(description="the score column, a probability in [0, 1]")
    label: str = Field(description="the true label: 0/1 or boolean; in the labels table when `labels` is set")
    labels: LabelsTable = None
    bins: int = Field(default=10, ge=2, le=1000, description="equal-width reliability bins on [0, 1]")
    label_delay: LabelDelay = timedelta(0)


class Calibration(LabelledKind):
    type = "calibration"
    column_keys = ("prediction", "label")
    spec_class = CalibrationSpec
    metrics = ("ece", "mce")
    headline = ("ece",)
    default_thresholds: ClassVar[dict[str, dict[str, Any]]] = {}

    def check(self, spec: CalibrationSpec, ctx: MonitorContext) -> list[ConfigProblem]:
        return label_problems(spec, ctx, "classification")

    def _requests(self, spec: CalibrationSpec, ctx: MonitorContext) -> list[dict[str, Aggregate]]:
        column = ctx.columns[spec.prediction]
        args = {"prediction": spec.prediction, "floating": column.floating, "label": label_column(spec)}
        rows = labelled_relation(spec, ctx.current)
        return reliability_requests(rows, "calibration.bin_stat", spec.bins, **args)

    def window_requests(self, spec: CalibrationSpec, ctx: MonitorContext, baseline: Results) -> list[Request]:
        return [request for bin_requests in self._requests(spec, ctx) for request in bin_requests.values()]

    def finalize(self, spec: CalibrationSpec, ctx: MonitorContext, baseline: Results, window: Results) -> MonitorOutput:
        per_bin = [
            {stat: float(window[r] or 0) for stat, r in requests.items()} for requests in self._requests(spec, ctx)
        ]
        ece, mce = calibration_errors(per_bin)
        output = MonitorOutput(
            metrics=[
                MetricValue("ece", metric_number(ece), spec.prediction),
                MetricValue("mce", metric_number(mce), spec.prediction),
            ]
        )
        for index, ((lo, hi), b) in enumerate(zip(reliability_bounds(spec.bins), per_bin, strict=True)):
            for side, value in (("predicted", b["score"]), ("observed", b["label"])):
                output.bins.append(
                    HistogramBin(
                        spec.prediction,
                        side,
                        index,
                        lo,
                        hi,
                        None,
                        b["count"],
                        value / b["count"] if b["count"] else None,
                    )
                )
        return output
