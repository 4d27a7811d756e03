"""Labels for the kinds that judge predictions (`model_performance`, `calibration`): a `label` column of the source
table, or a separate labels table joined by key.

`labels: {table, key, timestamp}` on a monitor joins the labels table to the window's rows (a LEFT JOIN, so rows
without a label still count as scored and lower `label_rate`). The join never multiplies rows: each key gets at most
one label — the latest by `timestamp` when given; without it, the key's labels must agree, or the key counts as
unlabelled. Rows whose key had differing labels are counted in `label_conflicts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator

from sqlmon.config.errors_pydantic import suggest
from sqlmon.config.specs import StrictModel, coerce_duration
from sqlmon.config.yaml_loader import format_key
from sqlmon.errors import ConfigProblem
from sqlmon.monitors.base import JOINED_LABEL, LabelsJoin, MonitorContext, MonitorKind, Relation
from sqlmon.sql.types import ColumnInfo


class LabelsSpec(StrictModel):
    """Where the labels live when they are not a column of the source table."""

    table: str = Field(description="the labels table or view, `schema.table`")
    key: str | list[str] | dict[str, str] = Field(
        description="the join key: a column name, a list of names (a composite key), or a mapping from source "
        "column to labels-table column when the names differ"
    )
    timestamp: str | None = Field(
        default=None, description="labels-table column that orders a key's labels: the latest one counts"
    )

    @field_validator("key")
    @classmethod
    def _some_key(cls, value: Any) -> Any:
        if isinstance(value, list | dict) and not value:
            raise ValueError("give at least one key column")
        if isinstance(value, list) and len(set(value)) != len(value):
            raise ValueError("a key column is listed twice")
        return value

    def pairs(self) -> list[tuple[str, str, tuple[Any, ...]]]:
        """(source column, labels-table column, path of the YAML value within `labels`) per key column."""
        if isinstance(self.key, str):
            return [(self.key, self.key, ("key",))]
        if isinstance(self.key, list):
            return [(name, name, ("key", i)) for i, name in enumerate(self.key)]
        return [(source, label, ("key", source)) for source, label in self.key.items()]


def _label_delay(value: Any) -> Any:
    return coerce_duration(value) if value is not None else timedelta(0)


# The keys the label-based specs share, each defined once. A spec lists them among its own keys instead of inheriting
# them from a base class: the order of a spec's fields is the order of its keys in error messages (the allowed keys,
# the missing ones), and a base class would put its fields before the kind's own.
LabelsTable = Annotated[LabelsSpec | None, Field(description="a labels table joined by key, instead of a column")]
LabelDelay = Annotated[
    timedelta, BeforeValidator(_label_delay), Field(description="how long after a window its labels are in")
]


def label_column(spec: Any) -> str:
    """The name the label has in the rows the aggregates read."""
    return JOINED_LABEL if spec.labels is not None else spec.label


def labelled_relation(spec: Any, current: Relation) -> Relation:
    """The window's rows, with the labels joined when they live in their own table."""
    labels: LabelsSpec | None = spec.labels
    if labels is None:
        return current
    keys = tuple((source, label) for source, label, _ in labels.pairs())
    return replace(current, labels=LabelsJoin(labels.table, keys, spec.label, labels.timestamp))


class LabelledKind(MonitorKind[Any]):
    """What the kinds that compare predictions with labels share: which columns and tables they read, and that a
    window waits for its labels (`label_delay`)."""

    def columns_used(self, spec: Any, columns: Mapping[str, ColumnInfo]) -> list[str]:
        """The prediction, and the label unless a labels table holds it (its key columns are checked by
        `label_problems`, which can point at them)."""
        return [spec.prediction] if spec.labels is not None else [spec.prediction, spec.label]

    def tables_used(self, spec: Any) -> list[str]:
        return [spec.labels.table] if spec.labels is not None else []

    def delay(self, spec: Any) -> timedelta:
        delay: timedelta = spec.label_delay
        return delay


def _missing(
    spec: Any, path: tuple[Any, ...], name: str, table: str, columns: Mapping[str, ColumnInfo], role: str
) -> ConfigProblem:
    hint = suggest(name, columns) or f"its columns: {', '.join(columns)}"
    return ConfigProblem(spec.locate(*path), format_key(path), f"column `{name}` is not in {role} table {table}", hint)


def _comparable(a: ColumnInfo, b: ColumnInfo) -> bool:
    return a.numeric == b.numeric and (a.numeric or a.logical == b.logical)


def label_problems(spec: Any, ctx: MonitorContext, task: str) -> list[ConfigProblem]:
    """A numeric prediction, a label of the task's type (0/1 or boolean for classification, a number otherwise) and,
    with a labels table, that table, its key and timestamp columns."""
    problems = []
    prediction = ctx.columns.get(spec.prediction)
    if prediction is not None and not prediction.numeric:
        problems.append(
            ConfigProblem(
                spec.locate("prediction"),
                "prediction",
                f"column `{spec.prediction}` has type {prediction.data_type}; predictions must be numeric",
            )
        )
    labels: LabelsSpec | None = spec.labels
    if labels is None:
        label = ctx.columns.get(spec.label)
    else:
        label_columns = ctx.tables.get(labels.table)
        if label_columns is None:
            return [
                *problems,
                ConfigProblem(
                    spec.locate("labels", "table"),
                    "labels.table",
                    f"labels table `{labels.table}` does not exist in the warehouse",
                    "check the name, including its schema",
                ),
            ]
        for source_name, label_name, path in labels.pairs():
            path = ("labels", *path)
            here, there = ctx.columns.get(source_name), label_columns.get(label_name)
            if here is None:
                problems.append(_missing(spec, path, source_name, ctx.source.resolved_table, ctx.columns, "source"))
            if there is None:
                problems.append(_missing(spec, path, label_name, labels.table, label_columns, "labels"))
            if here is not None and there is not None and not _comparable(here, there):
                problems.append(
                    ConfigProblem(
                        spec.locate(*path),
                        format_key(path),
                        f"key column `{source_name}` is {here.data_type} in {ctx.source.table} but "
                        f"{there.data_type} in labels table {labels.table}; join keys must have comparable types",
                        "cast one side in a view",
                    )
                )
        if labels.timestamp is not None and labels.timestamp not in label_columns:
            problems.append(
                _missing(spec, ("labels", "timestamp"), labels.timestamp, labels.table, label_columns, "labels")
            )
        label = label_columns.get(spec.label)
        if label is None:
            problems.append(_missing(spec, ("label",), spec.label, labels.table, label_columns, "labels"))
    allowed = ("integer", "boolean") if task == "classification" else ("integer", "float", "decimal")
    if label is not None and label.logical not in allowed:
        problems.append(
            ConfigProblem(
                spec.locate("label"),
                "label",
                f"column `{spec.label}` has type {label.data_type}; a {task} label must be {' or '.join(allowed)}",
            )
        )
    return problems
