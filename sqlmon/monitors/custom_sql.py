"""`custom_sql`: metrics the user writes as SQL aggregates over the window's rows (`AVG(amount)`, a refund share).

Each expression is parsed by sqlglot in `dialect` (the one it is written in), must be one aggregate expression —
a statement, a subquery, a window function or a column outside an aggregate is an error at its line — and is written
out for the target engine as a column of the same single scan as the other aggregates of the source and window.
Each key of `metrics` is a metric name, valid in `thresholds`. A value that is not a number is stored as NULL and
said so in the metric's detail.

`query:` is a whole read-only SELECT instead (or as well), a statement of its own per window, returning one row per
metric: `metric` (its name), `value`, and optionally `segment` (stored as the segment label). It may name
`{{ source }}` (the source's table), `{{ window_start }}` and `{{ window_end }}` (the window's bounds), which sqlmon
fills in as SQL, never as text pasted into a template.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sqlmon.config.specs import IDENTIFIER_PATTERN, MonitorSpec, SourceSpec
from sqlmon.errors import ConfigProblem, SqlmonError
from sqlmon.monitors.base import (
    SEGMENT_METRICS,
    Aggregate,
    MetricValue,
    MonitorContext,
    MonitorKind,
    MonitorOutput,
    Request,
    Results,
    Rows,
)
from sqlmon.sql.custom import ExpressionProblem, Query, QueryProblem, parse_aggregate, parse_query, render_query
from sqlmon.sql.types import ColumnInfo


class CustomSqlSpec(MonitorSpec):
    type: Literal["custom_sql"]
    dialect: Literal["duckdb", "postgres", "spark", "databricks", "snowflake", "bigquery", "redshift", "trino"] = Field(
        default="duckdb", description="the SQL dialect the expressions are written in"
    )
    metrics: dict[str, str] = Field(
        default_factory=dict, description="metric name → an aggregate expression, e.g. AVG(x)"
    )
    query: str | None = Field(
        default=None, description="a read-only SELECT returning `metric, value[, segment]` per window"
    )

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

    @model_validator(mode="after")
    def _something_to_compute(self) -> CustomSqlSpec:
        if not self.metrics and self.query is None:
            raise ValueError("give `metrics` (name: aggregate expression) or `query` (a SELECT), or both")
        if self.query is not None and self.segment_by:
            raise ValueError("a `query` returns its own segments (a `segment` column); remove `segment_by`")
        return self


def _query(spec: CustomSqlSpec) -> Query | QueryProblem | None:
    if spec.query is None:
        return None
    try:
        return parse_query(spec.query, spec.dialect)
    except QueryProblem as problem:
        return problem


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
        query = _query(spec)
        found = query.metrics if isinstance(query, Query) and query.metrics else ()
        return tuple(dict.fromkeys([*spec.metrics, *found]))

    def headline_of(self, spec: CustomSqlSpec) -> tuple[str, ...]:
        return self.metrics_of(spec)  # each custom metric is its own headline

    def open_metrics(self, spec: CustomSqlSpec) -> bool:
        # a query that does not check out yet has unknown metrics too: its own problem is the one to report
        query = _query(spec)
        return isinstance(query, QueryProblem) or (isinstance(query, Query) and query.metrics is None)

    def check_source(self, spec: CustomSqlSpec, source: SourceSpec) -> list[ConfigProblem]:
        problems = [
            ConfigProblem(spec.locate("metrics", name), spec.key("metrics", name), str(parsed))
            for name, parsed in _parsed(spec).items()
            if isinstance(parsed, ExpressionProblem)
        ]
        query = _query(spec)
        where = spec.locate("query")
        if isinstance(query, QueryProblem):
            if query.line is not None:
                where = spec.locate_text(query.line, "query")
            line = f" (line {query.line} of the query)" if query.line is not None else ""
            problems.append(ConfigProblem(where, spec.key("query"), f"{query}{line}"))
        elif query is not None:
            both = [name for name in query.metrics or () if name in spec.metrics]
            if both:
                problems.append(
                    ConfigProblem(
                        where, spec.key("query"), f"metric `{both[0]}` is both under `metrics` and in the query"
                    )
                )
            if not source.windowed and query.placeholders & {"window_start", "window_end"}:
                problems.append(
                    ConfigProblem(
                        where,
                        spec.key("query"),
                        f"source `{source.name}` has no windows, so the query has no `{{{{ window_start }}}}` or"
                        " `{{ window_end }}` to use",
                        "add `timestamp` and `window` to the source, or leave the bounds out of the query",
                    )
                )
        return problems

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

    def _query_request(self, spec: CustomSqlSpec, ctx: MonitorContext) -> Rows | None:
        query = _query(spec)
        if not isinstance(query, Query) or ctx.current.segment is not None:
            return None
        window = ctx.window
        sql = render_query(query, ctx.current.table, window.start if window else None, window.end if window else None)
        return Rows.of("custom_sql.query", "the custom query", sql=sql, segmented=query.segmented)

    def window_requests(self, spec: CustomSqlSpec, ctx: MonitorContext, baseline: Results) -> list[Request]:
        query = self._query_request(spec, ctx)
        return [*self._requests(spec, ctx).values(), *([query] if query else [])]

    def finalize(self, spec: CustomSqlSpec, ctx: MonitorContext, baseline: Results, window: Results) -> MonitorOutput:
        output = MonitorOutput()
        query = self._query_request(spec, ctx)
        if query is not None:
            self._query_metrics(spec, ctx, window[query] or [], output)
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

    @staticmethod
    def _query_metrics(
        spec: CustomSqlSpec, ctx: MonitorContext, rows: list[tuple[Any, ...]], output: MonitorOutput
    ) -> None:
        """The query's rows as metrics over all rows (no segment) and per segment; a row without a metric name, or a
        metric returned twice for one segment, stops the run: the query is wrong, and guessing would hide it."""
        window = f" in window {ctx.window.start:%Y-%m-%d %H:%M}" if ctx.window else ""
        seen: set[tuple[str, str | None]] = set()
        for row in rows:
            metric, value, segment = (*row, None)[:3]
            if metric is None or not str(metric).strip():
                raise SqlmonError(f"custom_sql `{spec.name}`: the query returned a row without a metric name{window}")
            if (metric, segment) in seen:
                where = f" segment `{segment}`" if segment is not None else ""
                raise SqlmonError(
                    f"custom_sql `{spec.name}`: the query returned metric `{metric}`{where} twice{window}; return one"
                    " row per metric and segment"
                )
            if metric in spec.metrics:
                raise SqlmonError(
                    f"custom_sql `{spec.name}`: the query returned metric `{metric}`, which `metrics` computes too"
                )
            seen.add((metric, segment))
            number = None if value is None or value != value else float(value)
            target = output if segment is None else output.segments.setdefault(segment, MonitorOutput())
            target.metrics.append(MetricValue(str(metric), number))
