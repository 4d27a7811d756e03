"""`schema_contract`: the columns a table must have, with their logical types; and changes since the last run.

Metrics (table level): `missing_columns` (required columns absent), `type_mismatches` (present with another logical
type), `unexpected_columns` (present, not in the contract, when `allow_extra_columns` is false) and `schema_changes`
(columns added, removed or retyped since the schema the previous run recorded). Each alert names the columns.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from sqlmon.config.specs import MonitorSpec, StrictModel
from sqlmon.monitors.base import MetricValue, MonitorContext, MonitorKind, MonitorOutput, Request, Results

LogicalType = Literal["integer", "float", "decimal", "string", "boolean", "date", "timestamp"]


class ColumnContract(StrictModel):
    type: LogicalType | None = Field(default=None, description="logical type; omitted means any type")
    required: bool = True


class SchemaContractSpec(MonitorSpec):
    type: Literal["schema_contract"]
    columns: dict[str, ColumnContract] = Field(description="column name → type (shorthand) or {type, required}")
    allow_extra_columns: bool = False
    track_changes: bool = Field(default=True, description="also report changes since the previous run's schema")

    @field_validator("columns", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {name: {"type": spec} if isinstance(spec, str) else spec for name, spec in value.items()}
        return value


def _names(names: list[str]) -> str | None:
    return ", ".join(names) if names else None


class SchemaContract(MonitorKind[SchemaContractSpec]):
    type = "schema_contract"
    spec_class = SchemaContractSpec
    metrics = ("missing_columns", "type_mismatches", "unexpected_columns", "schema_changes")
    headline = ("schema_changes",)
    default_thresholds: ClassVar[dict[str, dict[str, Any]]] = {
        "missing_columns": {"error": 0},
        "type_mismatches": {"error": 0},
        "unexpected_columns": {"warn": 0},
        "schema_changes": {"warn": 0},
    }
    snapshot = True

    def window_requests(self, spec: SchemaContractSpec, ctx: MonitorContext, baseline: Results) -> list[Request]:
        return []  # the schema comes from the catalog, not from a scan

    def finalize(
        self, spec: SchemaContractSpec, ctx: MonitorContext, baseline: Results, window: Results
    ) -> MonitorOutput:
        actual = ctx.columns
        missing = [name for name, c in spec.columns.items() if c.required and name not in actual]
        mismatched = [
            f"{name} ({actual[name].logical}, expected {c.type})"
            for name, c in spec.columns.items()
            if name in actual and c.type is not None and actual[name].logical != c.type
        ]
        unexpected = [] if spec.allow_extra_columns else [name for name in actual if name not in spec.columns]
        output = MonitorOutput(
            metrics=[
                MetricValue("missing_columns", float(len(missing)), detail=_names(missing)),
                MetricValue("type_mismatches", float(len(mismatched)), detail=_names(mismatched)),
                MetricValue("unexpected_columns", float(len(unexpected)), detail=_names(unexpected)),
            ]
        )
        if spec.track_changes:
            output.metrics.append(self._changes(ctx))
        return output

    @staticmethod
    def _changes(ctx: MonitorContext) -> MetricValue:
        previous = ctx.previous_schema
        if previous is None:  # first run: nothing to compare with
            return MetricValue("schema_changes", 0.0)
        now = {name: col.data_type for name, col in ctx.columns.items()}
        changes = [f"+{name}" for name in now if name not in previous]
        changes += [f"-{name}" for name in previous if name not in now]
        changes += [
            f"{name}: {previous[name]} → {now[name]}"
            for name in now
            if name in previous and previous[name] != now[name]
        ]
        return MetricValue("schema_changes", float(len(changes)), detail=_names(changes))
