"""`estimated_performance`: a classifier's accuracy, precision and recall expected from its scores alone.

Before the labels arrive, a score p that is a calibrated probability P(y = 1 | x) says how often each decision
ŷ = [p ≥ decision_threshold] will turn out right. The warehouse returns the expected confusion matrix as four sums —
E[TP] = Σ_{ŷ=1} p, E[FP] = Σ_{ŷ=1} (1 − p), E[FN] = Σ_{ŷ=0} p, E[TN] = Σ_{ŷ=0} (1 − p) — and Python divides:
`expected_accuracy`, `expected_precision`, `expected_recall`, `expected_f1` (a plug-in estimate from the expected
cells), `expected_positive_rate` (mean p), `scored_count`, `out_of_range_count`. Scores outside [0, 1] are no
probabilities: they are left out and counted, and the default rule makes any of them an error.

With `label` and a baseline, the assumption is checked where labels exist: `baseline_ece` (reliability bins as in
`calibration`) and `baseline_accuracy_gap` (expected minus realised accuracy on the baseline's labelled rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from sqlmon.config.specs import MonitorSpec
from sqlmon.errors import ConfigProblem
from sqlmon.monitors.base import (
    Aggregate,
    MetricValue,
    MonitorContext,
    MonitorKind,
    MonitorOutput,
    Relation,
    Request,
    Results,
    baseline_side,
    metric_number,
    ratio,
)
from sqlmon.monitors.binning import RELIABILITY_STATS, calibration_errors, reliability_requests
from sqlmon.sql.types import ColumnInfo

ESTIMATES = (
    "expected_accuracy",
    "expected_precision",
    "expected_recall",
    "expected_f1",
    "expected_positive_rate",
    "scored_count",
    "out_of_range_count",
)
BASELINE_CHECKS = ("baseline_ece", "baseline_accuracy_gap")
CELLS = {"tp": (True, True), "fp": (True, False), "fn": (False, True), "tn": (False, False)}  # (predicted, actual)


class EstimatedPerformanceSpec(MonitorSpec):
    type: Literal["estimated_performance"]
    prediction: str = Field(description="the score column, a calibrated probability P(y = 1) in [0, 1]")
    decision_threshold: float = Field(default=0.5, ge=0, le=1, description="scores at or above it are positive")
    label: str | None = Field(
        default=None, description="the true label (0/1 or boolean) on the baseline, to check its calibration there"
    )
    calibration_bins: int = Field(default=10, ge=2, le=1000, description="reliability bins for `baseline_ece`")


class EstimatedPerformance(MonitorKind[EstimatedPerformanceSpec]):
    type = "estimated_performance"
    column_keys = ("prediction", "label")
    spec_class = EstimatedPerformanceSpec
    metrics = ESTIMATES + BASELINE_CHECKS
    headline = ("expected_accuracy",)
    default_thresholds: ClassVar[dict[str, dict[str, Any]]] = {"out_of_range_count": {"error": 0}}
    reads_baseline = True

    def reads_baseline_of(self, spec: EstimatedPerformanceSpec) -> bool:
        # Only with `label`: the baseline is where the calibration assumption can be checked. Without it, a baseline
        # table need not hold the score column.
        return spec.label is not None

    def columns_used(self, spec: EstimatedPerformanceSpec, columns: Mapping[str, ColumnInfo]) -> list[str]:
        # The label is read on the baseline only; the window needs none (that is the point), so it is checked below.
        return [spec.prediction]

    def check(self, spec: EstimatedPerformanceSpec, ctx: MonitorContext) -> list[ConfigProblem]:
        problems = []
        prediction = ctx.columns.get(spec.prediction)
        if prediction is not None and not prediction.numeric:
            problems.append(
                ConfigProblem(
                    spec.locate("prediction"),
                    "prediction",
                    f"column `{spec.prediction}` has type {prediction.data_type}; the score must be a number in [0, 1]",
                )
            )
        if spec.label is None:
            return problems
        baseline = spec.baseline or ctx.source.baseline
        if baseline is None:
            return [
                *problems,
                ConfigProblem(
                    spec.locate("label"),
                    "label",
                    "the label is read on the baseline only, and this monitor has none",
                    "set a baseline with labels (`table` or `previous`), or remove `label`",
                ),
            ]
        # A baseline table's columns are known here unless the table is missing, which is reported already.
        where, columns = (
            (baseline.table, ctx.baseline_columns) if baseline.table is not None else (ctx.source.table, ctx.columns)
        )
        if columns is None:
            return problems
        label = columns.get(spec.label)
        if label is None:
            problems.append(
                ConfigProblem(spec.locate("label"), "label", f"column `{spec.label}` does not exist in {where}")
            )
        elif label.logical not in ("integer", "boolean"):
            problems.append(
                ConfigProblem(
                    spec.locate("label"),
                    "label",
                    f"column `{spec.label}` has type {label.data_type} in {where}; a label must be integer or boolean",
                )
            )
        return problems

    def _requests(self, spec: EstimatedPerformanceSpec, ctx: MonitorContext) -> dict[str, Request]:
        args = {"prediction": spec.prediction, "floating": ctx.columns[spec.prediction].floating}
        t = spec.decision_threshold
        of = Aggregate.of
        requests: dict[str, Request] = {
            "scored_count": of(ctx.current, "estimated_performance.scored_count", **args),
            "out_of_range_count": of(ctx.current, "estimated_performance.out_of_range_count", **args),
        }
        for cell, (predicted, actual) in CELLS.items():
            requests[cell] = of(
                ctx.current,
                "estimated_performance.expected_cell",
                **args,
                threshold=t,
                predicted=predicted,
                actual=actual,
            )
        if spec.label is not None and ctx.baseline is not None:
            requests.update(self._baseline_requests(spec, ctx, ctx.baseline))
        return requests

    def _baseline_requests(
        self, spec: EstimatedPerformanceSpec, ctx: MonitorContext, baseline: Relation
    ) -> dict[str, Request]:
        column = baseline_side(ctx, ctx.columns[spec.prediction])
        args = {"prediction": spec.prediction, "floating": column.floating, "label": spec.label}
        requests: dict[str, Request] = {
            f"base_{kind}": Aggregate.of(
                baseline,
                "estimated_performance.baseline_correct",
                **args,
                threshold=spec.decision_threshold,
                kind=kind,
            )
            for kind in ("expected", "realised")
        }
        bins = reliability_requests(baseline, "estimated_performance.baseline_bin", spec.calibration_bins, **args)
        for index, bin_requests in enumerate(bins):
            requests.update({f"bin_{index}_{stat}": request for stat, request in bin_requests.items()})
        return requests

    def window_requests(self, spec: EstimatedPerformanceSpec, ctx: MonitorContext, baseline: Results) -> list[Request]:
        return list(self._requests(spec, ctx).values())

    def finalize(
        self, spec: EstimatedPerformanceSpec, ctx: MonitorContext, baseline: Results, window: Results
    ) -> MonitorOutput:
        got = {name: float(window[request] or 0) for name, request in self._requests(spec, ctx).items()}
        n = got["scored_count"]
        tp, fp, fn, tn = (got[cell] for cell in CELLS)
        values: dict[str, float | None] = {
            "expected_accuracy": ratio(tp + tn, n),
            "expected_precision": ratio(tp, tp + fp),
            "expected_recall": ratio(tp, tp + fn),
            "expected_f1": ratio(2 * tp, 2 * tp + fp + fn),
            "expected_positive_rate": ratio(tp + fn, n),
            "scored_count": n,
            "out_of_range_count": got["out_of_range_count"],
        }
        names: tuple[str, ...] = ESTIMATES
        if spec.label is not None and ctx.baseline is not None:
            values.update(_baseline_checks(got, spec.calibration_bins))
            names += BASELINE_CHECKS
        return MonitorOutput(metrics=[MetricValue(m, metric_number(values[m]), spec.prediction) for m in names])


def _baseline_checks(got: Mapping[str, float], bins: int) -> dict[str, float | None]:
    """ECE over the baseline's non-empty reliability bins, and expected minus realised accuracy there."""
    per_bin = [{stat: got[f"bin_{index}_{stat}"] for stat in RELIABILITY_STATS} for index in range(bins)]
    ece, _ = calibration_errors(per_bin)
    gap = ratio(got["base_expected"] - got["base_realised"], sum(b["count"] for b in per_bin))
    return {"baseline_ece": ece, "baseline_accuracy_gap": gap}
