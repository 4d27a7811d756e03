"""`custom_sql`: metrics the user writes as SQL aggregates over the window's rows (`AVG(amount)`, a refund share).

Each expression is parsed by sqlglot in `dialect` (the one it is written in), must be one aggregate expression —
a statement, a subquery, a window function or a column outside an aggregate is an error at its line — and is written
out for the target engine as a column of the same single scan as the other aggregates of the source and window.
Each key of `metrics` is a metric name, valid in `thresholds`. A value that is not a number is stored as NULL and
said so in the metric's detail.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator

from sqlmon.config.specs import IDENTIFIER_PATTERN, MonitorSpec, SourceSpec
from sqlmon.errors import ConfigProblem
from sqlmon.monitors.base import (
    SEGMENT_METRICS,
    Aggregate,
    MetricValue,
    MonitorContext,
    MonitorKind,
    MonitorOutput,
    Request,
    Results,
)
from sqlmon.sql.custom import ExpressionProblem, parse_aggregate
from sqlmon.sql.types import ColumnInfo


class CustomSqlSpec(MonitorSpec):
    type: Literal["custom_sql"]
    dialect: Literal["duckdb", "postgres", "spark", "databricks", "snowflake", "bigquery", "redshift", "trino"] = Field(
        default="duckdb", description="the SQL dialect the expressions are written in"
    )
    metrics: dict[str, str] = Field(min_length=1, description="metric name → an aggregate expression, e.g. AVG(x)")

    @field_validator("metrics")
    @classmethod
    def _names(cls, metrics: dict[str, str]) -> dict[str, str]:
        import re

        for name, text in metrics.items():
            if not re.match(IDENTIFIER_PATTERN, name):
                raise ValueError(f"`{name}` is not a metric name; use letters, digits and underscores")
            if name in SEGMENT_METRICS:
                raise ValueError(f"`{name}` is a metric sqlmon reports for segments; choose another name")
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"metric `{name}` needs an expression, e.g. `{name}: AVG(amount)`")
        return metrics


def _parsed(spec: CustomSqlSpec) -> dict[str, Any]:
    """Each metric's parsed aggregate, or its ExpressionProblem."""
    found: dict[str, Any] = {}
    for name, text in spec.metrics.items():
        try:
            found[name] = parse_aggregate(text, spec.dialect)
        except ExpressionProblem as problem:
            found[name] = problem
    return found


class CustomSql(MonitorKind[CustomSqlSpec]):
    type = "custom_sql"
    spec_class = CustomSqlSpec
    metrics = ()

    def metrics_of(self, spec: CustomSqlSpec) -> tuple[str, ...]:
        return tuple(spec.metrics)

    def check_source(self, spec: CustomSqlSpec, source: SourceSpec) -> list[ConfigProblem]:
        return [
            ConfigProblem(spec.locate("metrics", name), spec.key("metrics", name), str(parsed))
            for name, parsed in _parsed(spec).items()
            if isinstance(parsed, ExpressionProblem)
        ]

    def columns_used(self, spec: CustomSqlSpec, columns: Mapping[str, ColumnInfo]) -> list[str]:
        used = [
            c for parsed in _parsed(spec).values() if not isinstance(parsed, ExpressionProblem) for c in parsed.columns
        ]
        return list(dict.fromkeys(used))

    def column_path(self, spec: CustomSqlSpec, name: str) -> tuple[Any, ...]:
        for metric, parsed in _parsed(spec).items():
            if not isinstance(parsed, ExpressionProblem) and name in parsed.columns:
                return ("metrics", metric)
        return ()

    def _requests(self, spec: CustomSqlSpec, ctx: MonitorContext) -> dict[str, Aggregate]:
        return {
            name: Aggregate.of(
                ctx.current, "custom_sql.expression", sql=parse_aggregate(text, spec.dialect).sql, output_name=name
            )
            for name, text in spec.metrics.items()
        }

    def window_requests(self, spec: CustomSqlSpec, ctx: MonitorContext, baseline: Results) -> list[Request]:
        return list(self._requests(spec, ctx).values())

    def finalize(self, spec: CustomSqlSpec, ctx: MonitorContext, baseline: Results, window: Results) -> MonitorOutput:
        output = MonitorOutput()
        for name, request in self._requests(spec, ctx).items():
            value = window[request]
            if value is None or isinstance(value, bool | int | float | Decimal):
                number = None if value is None else float(value)
                output.metrics.append(MetricValue(name, None if number != number else number))
            else:
                shown = value.isoformat() if isinstance(value, date) else repr(value)[:60]
                output.metrics.append(
                    MetricValue(name, None, detail=f"`{spec.metrics[name]}` gave {shown}, not a number")
                )
        return output
