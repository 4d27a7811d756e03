"""`validity`: rows whose values break the rules declared for their columns — out of range, an unknown status, a
malformed email, a duplicated key.

Rules per column: `min`/`max` (inclusive unless `strict`), `accepted_values`, `regex` (unanchored, as `re.search`:
anchor it with `^…$` to match whole values), `min_length`/`max_length`, `not_null`, `unique`; and `unique_together`
for keys of several columns. A rule judges values: a NULL breaks only `not_null`; a key with a NULL part is never
a duplicate.

Metrics, with n = rows in the window:
- `row_count` = n
- per column, `invalid_count` = rows that break at least one of its rules, `invalid_rate` = invalid_count / n
- per column and rule, `invalid_count.<rule>` and `invalid_rate.<rule>` (e.g. `invalid_rate.regex`)
- `unique`: the rows whose key occurs more than once in the window, every copy counted (three rows with one key
  are three invalid rows).
By default any invalid row is an error (`invalid_rate > 0`); `thresholds: {invalid_rate: ...}` sets the levels.

`samples: N` with `sample_key: [columns]` also stores, per column, the keys of the first N failing rows in key order and
the rules each broke (`sqlmon_samples`): the key columns only, never other values, which may hold personal data.
Samples are taken over the whole window, not per segment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, NamedTuple

from pydantic import Field, field_validator, model_validator

from sqlmon.config.specs import MonitorSpec, StrictModel
from sqlmon.errors import ConfigProblem
from sqlmon.monitors.base import (
    Aggregate,
    Distribution,
    FailingRow,
    MetricValue,
    MonitorContext,
    MonitorKind,
    MonitorOutput,
    Request,
    Results,
    Rows,
    ratio,
    segment_label,
)
from sqlmon.sql.types import ColumnInfo

ROW_RULES = ("min", "max", "accepted_values", "regex", "min_length", "max_length")
RULES = (*ROW_RULES, "not_null", "unique")
# What Python's `re` accepts and RE2 (DuckDB, BigQuery) or PostgreSQL's regex do not: a pattern must mean the same in
# every engine the monitor may run on.
_UNPORTABLE = (
    (re.compile(r"\(\?<?[=!]"), "a lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`)"),
    (re.compile(r"\\[1-9]"), "a backreference (`\\1`)"),
    (re.compile(r"\(\?P"), "a Python named group (`(?P<name>…)`)"),
    (re.compile(r"\(\?>"), "an atomic group (`(?>…)`)"),
)
Value = str | int | float | bool
SHOWN_SAMPLES = 3  # sampled keys an alert message names; the rest are in sqlmon_samples


class ColumnRules(StrictModel):
    min: float | None = Field(default=None, description="smallest valid value")
    max: float | None = Field(default=None, description="largest valid value")
    strict: bool = Field(default=False, description="`min` and `max` themselves are invalid")
    accepted_values: list[Value] | None = Field(default=None, min_length=1, description="the only valid values")
    regex: str | None = Field(default=None, description="a pattern valid values contain (unanchored)")
    min_length: int | None = Field(default=None, ge=0, description="fewest characters")
    max_length: int | None = Field(default=None, ge=0, description="most characters")
    not_null: bool = Field(default=False, description="NULL is invalid")
    unique: bool = Field(default=False, description="a value may occur once per window")

    @field_validator("regex")
    @classmethod
    def _portable_pattern(cls, pattern: str | None) -> str | None:
        if pattern is None:
            return None
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"`{pattern}` is not a regular expression: {exc}") from None
        for construct, name in _UNPORTABLE:
            if construct.search(pattern):
                raise ValueError(
                    f"`{pattern}` uses {name}, which DuckDB and BigQuery (RE2) do not support; write the pattern"
                    " without it"
                )
        return pattern

    @model_validator(mode="after")
    def _consistent(self) -> ColumnRules:
        if not self.rules():
            raise ValueError(f"give at least one rule: {', '.join(RULES)}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min:g}) is above `max` ({self.max:g})")
        if self.min_length is not None and self.max_length is not None and self.min_length > self.max_length:
            raise ValueError(f"`min_length` ({self.min_length}) is above `max_length` ({self.max_length})")
        if "strict" in self.model_fields_set and self.min is None and self.max is None:
            raise ValueError("`strict` goes with `min` or `max`")
        return self

    def rules(self) -> list[str]:
        """The rules set, in declaration order of the model (the order metrics and messages list them)."""
        flags = {"not_null": self.not_null, "unique": self.unique}
        return [r for r in RULES if (flags[r] if r in flags else getattr(self, r) is not None)]

    def row_rules(self) -> tuple[tuple[str, Any], ...]:
        """(rule, argument) for the rules a single value can break."""
        return tuple((r, _argument(getattr(self, r))) for r in ROW_RULES if getattr(self, r) is not None)


def _argument(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value  # requests are hashed


class ValiditySpec(MonitorSpec):
    type: Literal["validity"]
    columns: dict[str, ColumnRules] = Field(min_length=1, description="per column, its rules")
    unique_together: list[list[str]] = Field(
        default_factory=list, description="keys of several columns, each unique per window"
    )
    samples: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="per column, store the keys of this many failing rows (needs `sample_key`)",
    )
    sample_key: list[str] = Field(default_factory=list, description="the columns that identify a sampled row")

    @field_validator("unique_together")
    @classmethod
    def _keys(cls, keys: list[list[str]]) -> list[list[str]]:
        for key in keys:
            if len(key) < 2 or len(set(key)) != len(key):
                raise ValueError(
                    f"`{key}`: a key of several columns names two or more distinct columns; one column is "
                    "`unique: true` under `columns`"
                )
        return keys

    @model_validator(mode="after")
    def _samples_need_key(self) -> ValiditySpec:
        if self.samples and not self.sample_key:
            raise ValueError(
                "`samples` needs `sample_key`: the columns that identify a failing row (only they are stored, never"
                " the row), e.g. `sample_key: [order_id]`"
            )
        if self.sample_key and not self.samples:
            raise ValueError("`sample_key` identifies sampled rows: set `samples: N` too, or remove `sample_key`")
        return self


class SampleGroup(NamedTuple):
    """What the samples statement judges together: a column and its rules, or a key of several columns."""

    name: str  # the column, or `a,b` for a key of several
    columns: tuple[str, ...]
    rules: tuple[tuple[str, Any], ...]  # (rule, argument) in metric order; not_null and unique take None
    strict: bool


def _key_name(columns: list[str]) -> str:
    return ",".join(columns)


class Validity(MonitorKind[ValiditySpec]):
    type = "validity"
    spec_class = ValiditySpec
    column_keys = ("columns", "unique_together", "sample_key")
    metrics = ("row_count", "invalid_count", "invalid_rate")
    headline = ("invalid_rate",)
    default_thresholds: ClassVar[dict[str, dict[str, Any]]] = {"invalid_rate": {"error": 0}}

    def metrics_of(self, spec: ValiditySpec) -> tuple[str, ...]:
        used = {r for rules in spec.columns.values() for r in rules.rules()} | (
            {"unique"} if spec.unique_together else set()
        )
        per_rule = [f"{m}.{r}" for r in RULES if r in used for m in ("invalid_count", "invalid_rate")]
        return (*self.metrics, *per_rule)

    def columns_used(self, spec: ValiditySpec, columns: Mapping[str, ColumnInfo]) -> list[str]:
        together = [c for key in spec.unique_together for c in key]
        return list(dict.fromkeys([*spec.columns, *together, *spec.sample_key]))

    def check(self, spec: ValiditySpec, ctx: MonitorContext) -> list[ConfigProblem]:
        problems = []
        for name, rules in spec.columns.items():
            column = ctx.columns.get(name)
            if column is None:
                continue
            wrong = None
            if (rules.min is not None or rules.max is not None) and not column.numeric:
                wrong = ("min" if rules.min is not None else "max", "a numeric column")
            elif (rules.regex or rules.min_length is not None or rules.max_length is not None) and (
                column.logical != "string"
            ):
                wrong = (
                    "regex" if rules.regex else "min_length" if rules.min_length is not None else "max_length",
                    "a text column",
                )
            elif rules.accepted_values is not None:
                kinds = {"string": str, "boolean": bool}
                expected = kinds.get(column.logical, (int, float) if column.numeric else None)
                bad = [
                    v
                    for v in rules.accepted_values
                    if expected is not None
                    and (not isinstance(v, expected) or (column.numeric and isinstance(v, bool)))
                ]
                if bad:
                    wrong = ("accepted_values", f"values of the column's type ({column.logical}); `{bad[0]}` is not")
            if wrong:
                key, needs = wrong
                problems.append(
                    ConfigProblem(
                        spec.locate("columns", name, key),
                        spec.key("columns", name, key),
                        f"`{key}` needs {needs}, and column `{name}` is {column.data_type}",
                        "remove the rule or point it at another column",
                    )
                )
        return problems

    def _plan(self, spec: ValiditySpec, ctx: MonitorContext) -> dict[str, dict[str, Request]]:
        """Per column (or key of several), the request behind its combined count (`""`) and each rule's."""
        plan: dict[str, dict[str, Request]] = {}
        for name, rules in spec.columns.items():
            row_rules = rules.row_rules()

            def count(
                not_null: bool, chosen: tuple[tuple[str, Any], ...], name: str = name, strict: bool = rules.strict
            ) -> Aggregate:
                return Aggregate.of(
                    ctx.current, "validity.invalid_count", column=name, not_null=not_null, rules=chosen, strict=strict
                )

            requests: dict[str, Request] = {}
            if rules.unique:
                requests[""] = Distribution.of(
                    "validity.duplicates",
                    rel=ctx.current,
                    columns=(name,),
                    not_null=rules.not_null,
                    rules=row_rules,
                    strict=rules.strict,
                )
            else:
                requests[""] = count(rules.not_null, row_rules)
            for rule, argument in row_rules:
                requests[rule] = count(False, ((rule, argument),))
            if rules.not_null:
                requests["not_null"] = count(True, ())
            if rules.unique:
                requests["unique"] = requests[""]
            plan[name] = requests
        for key in spec.unique_together:
            duplicates = Distribution.of(
                "validity.duplicates", rel=ctx.current, columns=tuple(key), not_null=False, rules=(), strict=False
            )
            plan[_key_name(key)] = {"": duplicates, "unique": duplicates}
        return plan

    @staticmethod
    def _sample_groups(spec: ValiditySpec) -> tuple[SampleGroup, ...]:
        groups = []
        for name, rules in spec.columns.items():
            flags = [(r, None) for r in ("not_null", "unique") if getattr(rules, r)]
            ordered = sorted([*rules.row_rules(), *flags], key=lambda pair: RULES.index(pair[0]))
            groups.append(SampleGroup(name, (name,), tuple(ordered), rules.strict))
        groups += [SampleGroup(_key_name(key), tuple(key), (("unique", None),), False) for key in spec.unique_together]
        return tuple(groups)

    def _samples(self, spec: ValiditySpec, ctx: MonitorContext) -> Rows | None:
        """The samples request, when asked for; over the whole window only (a statement per segment would be many)."""
        if not spec.samples or ctx.current.segment is not None:
            return None
        return Rows.of(
            "validity.samples",
            f"samples of failing rows: the keys ({', '.join(spec.sample_key)}) of the first {spec.samples} per column",
            rel=ctx.current,
            key=tuple(spec.sample_key),
            groups=self._sample_groups(spec),
            limit=spec.samples,
        )

    def window_requests(self, spec: ValiditySpec, ctx: MonitorContext, baseline: Results) -> list[Request]:
        rows = Aggregate.of(ctx.current, "common.row_count")
        samples = self._samples(spec, ctx)
        return [
            rows,
            *(r for requests in self._plan(spec, ctx).values() for r in requests.values()),
            *([samples] if samples else []),
        ]

    def _failing_rows(self, spec: ValiditySpec, rows: list[tuple[Any, ...]]) -> list[FailingRow]:
        """The samples statement's rows as failing rows, group by group in declaration order, each in key order."""
        width = len(spec.sample_key)
        found: list[FailingRow] = []
        position = width  # of the group's running number; its rule flags follow
        for group in self._sample_groups(spec):
            mine = []
            for row in rows:
                number = row[position]
                if number is not None and int(number) <= spec.samples:
                    flags = row[position + 1 : position + 1 + len(group.rules)]
                    broken = ",".join(rule for (rule, _), flag in zip(group.rules, flags, strict=True) if flag)
                    key = segment_label(tuple(spec.sample_key), tuple(row[:width]))
                    mine.append(FailingRow(group.name, int(number), key, broken))
            found += sorted(mine, key=lambda failing: failing.sample)
            position += 1 + len(group.rules)
        return found

    def finalize(self, spec: ValiditySpec, ctx: MonitorContext, baseline: Results, window: Results) -> MonitorOutput:
        n = int(window[Aggregate.of(ctx.current, "common.row_count")] or 0)
        output = MonitorOutput([MetricValue("row_count", float(n))])
        for column, requests in self._plan(spec, ctx).items():
            counts: dict[str, int] = {}
            for rule, request in requests.items():
                if isinstance(request, Distribution):
                    [(_, duplicates, combined)] = window[request] or [(None, 0, 0)]
                    counts[rule] = int((duplicates if rule == "unique" else combined) or 0)
                else:
                    counts[rule] = int(window[request] or 0)
            broken = [f"{rule} {count}" for rule, count in counts.items() if rule and count]
            detail = f"{counts['']} of {n} rows invalid ({', '.join(broken)})" if counts[""] else None
            output.metrics += [
                MetricValue("invalid_count", float(counts[""]), column, detail),
                MetricValue("invalid_rate", ratio(counts[""], n), column, detail),
            ]
            for rule in (r for r in RULES if r in counts):
                output.metrics += [
                    MetricValue(f"invalid_count.{rule}", float(counts[rule]), column),
                    MetricValue(f"invalid_rate.{rule}", ratio(counts[rule], n), column),
                ]
        samples = self._samples(spec, ctx)
        if samples is not None:
            output.samples = self._failing_rows(spec, window[samples] or [])
            for value in output.metrics:
                keys = [f.key for f in output.samples if f.column == value.column][:SHOWN_SAMPLES]
                if keys and value.detail:
                    value.detail += f"; first failing rows {', '.join(keys)} (sqlmon_samples)"
        return output
