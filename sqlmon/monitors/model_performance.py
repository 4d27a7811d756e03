"""`model_performance`: how good the model's predictions were, once the labels are in.

Classification (prediction = a score, label = 0/1 or boolean): `accuracy`, `precision`, `recall`, `f1` at
`decision_threshold`, `roc_auc` (exact, ties counted half), `log_loss`, `brier`, `positive_rate`, `label_rate`.
Regression: `mae`, `rmse`, `mape`, `r2`, `bias`, `label_rate`. The label is a column of the source, or of a labels
table joined by key (sqlmon/monitors/labels.py; then also `label_conflicts`). Labels arrive late: a window is computed
only once `label_delay` has passed since it ended, and then stays computed (a later run does not revisit it).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field

from sqlmon.config.specs import MonitorSpec
from sqlmon.errors import ConfigProblem
from sqlmon.monitors.base import (
    JOINED_CONFLICT,
    Aggregate,
    Distribution,
    MetricValue,
    MonitorContext,
    MonitorOutput,
    Request,
    Results,
    metric_number,
    ratio,
)
from sqlmon.monitors.labels import (
    LabelDelay,
    LabelledKind,
    LabelsTable,
    label_column,
    label_problems,
    labelled_relation,
)

CLASSIFICATION = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "log_loss",
    "brier",
    "positive_rate",
    "label_rate",
)
REGRESSION = ("mae", "rmse", "mape", "r2", "bias", "label_rate")
EPSILON = 2.220446049250313e-16  # float64 machine epsilon: the probability clip of log_loss, as scikit-learn


class ModelPerformanceSpec(MonitorSpec):
    type: Literal["model_performance"]
    task: Literal["classification", "regression"]
    prediction: str = Field(description="the score (classification) or predicted value (regression) column")
    label: str = Field(
        description="the true label column: 0/1 or boolean, or the true value; in the labels table when `labels` is set"
    )
    labels: LabelsTable = None
    decision_threshold: float = Field(default=0.5, description="scores at or above it are predicted positive")
    label_delay: LabelDelay = timedelta(0)


class ModelPerformance(LabelledKind):
    type = "model_performance"
    column_keys = ("prediction", "label")
    spec_class = ModelPerformanceSpec
    metrics = (*dict.fromkeys(CLASSIFICATION + REGRESSION), "label_conflicts")
    headline = ("accuracy", "roc_auc", "rmse")
    default_thresholds: ClassVar[dict[str, dict[str, Any]]] = {}

    def check(self, spec: ModelPerformanceSpec, ctx: MonitorContext) -> list[ConfigProblem]:
        return label_problems(spec, ctx, spec.task)

    def _requests(self, spec: ModelPerformanceSpec, ctx: MonitorContext) -> dict[str, Request]:
        column = ctx.columns[spec.prediction]
        args: dict[str, Any] = {"prediction": spec.prediction, "floating": column.floating}
        labelled = {**args, "label": label_column(spec)}
        rows = labelled_relation(spec, ctx.current)
        of = Aggregate.of
        requests: dict[str, Request] = {
            "scored": of(rows, "model_performance.scored_count", **args),
            "labelled": of(rows, "model_performance.labelled_count", **labelled),
        }
        if spec.labels is not None:
            requests["label_conflicts"] = of(rows, "model_performance.conflict_count", **args, conflict=JOINED_CONFLICT)
        if spec.task == "classification":
            t = spec.decision_threshold
            for name, predicted, actual in (
                ("tp", True, True),
                ("fp", True, False),
                ("fn", False, True),
                ("tn", False, False),
            ):
                requests[name] = of(
                    rows, "model_performance.cell", **labelled, threshold=t, predicted=predicted, actual=actual
                )
            requests["predicted_positive"] = of(rows, "model_performance.predicted_positive", **args, threshold=t)
            requests["log_loss"] = of(rows, "model_performance.log_loss_sum", **labelled, eps=EPSILON)
            requests["brier"] = of(rows, "model_performance.error_sum", **labelled, kind="squared")
            requests["roc_auc"] = Distribution.of("model_performance.roc_auc", **labelled, current=rows)
        else:
            for kind in ("absolute", "squared_value", "signed", "relative"):
                requests[kind] = of(rows, "model_performance.error_sum", **labelled, kind=kind)
            requests["sst"] = of(rows, "model_performance.label_sum_of_squares", **labelled)
        return requests

    def window_requests(self, spec: ModelPerformanceSpec, ctx: MonitorContext, baseline: Results) -> list[Request]:
        return list(self._requests(spec, ctx).values())

    def finalize(
        self, spec: ModelPerformanceSpec, ctx: MonitorContext, baseline: Results, window: Results
    ) -> MonitorOutput:
        got = {name: window[request] for name, request in self._requests(spec, ctx).items()}
        scored, n = float(got["scored"] or 0), float(got["labelled"] or 0)
        values: dict[str, float | None] = {"label_rate": ratio(n, scored)}
        if spec.task == "classification":
            tp, fp, fn, tn = (float(got[c] or 0) for c in ("tp", "fp", "fn", "tn"))
            precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
            rows = got["roc_auc"]
            values.update(
                accuracy=ratio(tp + tn, n),
                precision=precision,
                recall=recall,
                f1=ratio(2 * tp, 2 * tp + fp + fn),
                roc_auc=rows[0][1] if rows else None,
                log_loss=ratio(got["log_loss"] or 0.0, n),
                brier=ratio(got["brier"] or 0.0, n),
                positive_rate=ratio(float(got["predicted_positive"] or 0), scored),
            )
            names: tuple[str, ...] = CLASSIFICATION
        else:
            sse = got["squared_value"]
            sst = got["sst"]
            values.update(
                mae=ratio(got["absolute"] or 0.0, n),
                rmse=math.sqrt(sse / n) if n and sse is not None else None,
                mape=ratio(got["relative"] or 0.0, n),
                bias=ratio(got["signed"] or 0.0, n),
                r2=1 - sse / sst if n and sse is not None and sst else None,
            )
            names = REGRESSION
        if spec.labels is not None:
            values["label_conflicts"] = float(got["label_conflicts"] or 0)
            names = (*names, "label_conflicts")
        return MonitorOutput(metrics=[MetricValue(m, metric_number(values[m]), spec.prediction) for m in names])
