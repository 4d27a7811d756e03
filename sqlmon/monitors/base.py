"""What every monitor kind provides, and the data that flows between a kind, the executor and the store.

A kind turns its spec into *requests* for aggregates (never rows), receives their values, and finishes the math in
Python, in two phases:

1. `baseline_requests`: what must be known about the baseline before the window can be read (quantile bin edges).
2. `window_requests`: the aggregates of the window (and of the baseline on those edges), given phase 1's results.

The executor gathers the requests of every monitor on a source and window and runs each phase as few statements as
it can: one single-row SELECT per relation for the aggregates, one UNION ALL statement for the distributions.
Results are cached by request, so a baseline table is profiled once per run, not once per window.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from sqlmon.config.durations import Window, span_text
from sqlmon.config.specs import MonitorSpec, SourceSpec, ThresholdRule
from sqlmon.errors import ConfigProblem
from sqlmon.sql.types import ColumnInfo

# What a segmented monitor reports about its segments per window, with the overall metrics (segment NULL).
SEGMENT_METRICS = ("segment_count", "segments_dropped")
SEGMENT_THRESHOLDS: dict[str, dict[str, Any]] = {"segments_dropped": {"warn": 0}}


# Names under which a relation with a labels join exposes the joined label and its conflict flag (0/1) beside the
# source's own columns; fixed names, so a source column that happens to share the label's name cannot clash.
JOINED_LABEL = "sqlmon_label"
JOINED_CONFLICT = "sqlmon_label_conflict"


@dataclass(frozen=True)
class LabelsJoin:
    """Labels kept in a table of their own, LEFT JOINed to the source rows by key, one label per key.

    `keys` pairs a source column with its labels-table column. A key with several labels takes the latest by
    `timestamp`; without `timestamp`, its labels must agree, or the key counts as unlabelled (macros/common.sql).
    """

    table: str
    keys: tuple[tuple[str, str], ...]
    label: str
    timestamp: str | None = None
    # read by the `relation` macro, so the names live in one place
    output_label: ClassVar[str] = JOINED_LABEL
    output_conflict: ClassVar[str] = JOINED_CONFLICT


def _label_text(value: Any) -> str:
    """A segment value as label text: the same on every engine for the same stored value."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")
    return "\\NULL" if text == "NULL" else text  # the text NULL must not read as a missing value


def segment_label(columns: tuple[str, ...], values: tuple[Any, ...]) -> str:
    """`country=DE`, `country=DE,model=v2`, `country=NULL`: stable, readable, and unambiguous (docs/results.md)."""
    return ",".join(f"{_label_text(c)}={_label_text(v)}" for c, v in zip(columns, values, strict=True))


@dataclass(frozen=True)
class Segment:
    """One combination of values of a monitor's `segment_by` columns; None stands for SQL NULL."""

    columns: tuple[str, ...]
    values: tuple[Any, ...]

    @property
    def pairs(self) -> tuple[tuple[str, Any], ...]:
        return tuple(zip(self.columns, self.values, strict=True))

    @property
    def label(self) -> str:
        return segment_label(self.columns, self.values)


@dataclass(frozen=True)
class Relation:
    """Rows a request reads: a table, optionally cut to a time window and to one segment, optionally joined with its
    labels.

    The window cuts the source before the join, so the labels table is only ever matched against the window's rows.
    """

    table: str
    timestamp: str | None = None
    window: Window | None = None
    # A frozen baseline (name, version): `table` is then the results table that holds it, and its aggregates are
    # read from the stored profile instead of being computed (see sqlmon.baselines.profile).
    profile: tuple[str, int] | None = None
    labels: LabelsJoin | None = None
    segment: Segment | None = None

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.table, self.timestamp, self.window, self.profile, self.labels, self.segment)


@dataclass(frozen=True)
class Aggregate:
    """One scalar aggregate over a relation, rendered by a Jinja macro into a SELECT-list expression.

    All aggregates over the same relation in a batch become one single-row SELECT: one scan.
    """

    relation: Relation
    macro: str  # "file.macro_name" in macros/
    args: tuple[tuple[str, Any], ...]
    # Why the relation is read, for the statement's comment in `sqlmon compile` when it is not the window itself
    # (e.g. the whole table for the newest row); not part of the request's identity.
    role: str | None = field(default=None, compare=False)

    @classmethod
    def of(cls, relation: Relation, macro: str, **args: Any) -> Aggregate:
        return cls(relation, macro, tuple(sorted(args.items())))


@dataclass(frozen=True)
class Distribution:
    """A small result set computed in the warehouse from both sides (e.g. per-category counts, exact KS).

    The macro renders a SELECT with columns (k VARCHAR, a DOUBLE, b DOUBLE); every distribution of a batch is one
    statement (UNION ALL), tagged by request.
    """

    macro: str
    args: tuple[tuple[str, Any], ...]
    # A part so heavy (exact statistics over millions of values) that it gets a statement of its own: an engine
    # runs the parts of one statement side by side, and their memory adds up.
    alone: bool = False

    @classmethod
    def of(cls, macro: str, *, alone: bool = False, **args: Any) -> Distribution:
        return cls(macro, tuple(sorted(args.items())), alone)


@dataclass(frozen=True)
class Rows:
    """A few rows of a relation, as the engine types them (the keys of failing rows, for samples).

    Each is a statement of its own, asked for only when the monitor's keys say so: it sorts the window's rows.
    """

    macro: str
    args: tuple[tuple[str, Any], ...]
    purpose: str = field(default="rows", compare=False)  # what `sqlmon compile` says the statement is for

    @classmethod
    def of(cls, macro: str, purpose: str, **args: Any) -> Rows:
        return cls(macro, tuple(sorted(args.items())), purpose)


Request = Aggregate | Distribution | Rows
DistributionRows = list[tuple[str | None, float | None, float | None]]
Results = Mapping[Request, Any]


@dataclass
class MetricValue:
    metric: str
    value: float | None
    column: str | None = None
    detail: str | None = None  # what the alert message adds, e.g. the names of missing columns
    # the kind's default rule for this very value, when it depends on the data (e.g. on the sample sizes); the
    # monitor's own `thresholds` still take precedence
    rule: ThresholdRule | None = None
    unit: str | None = None  # `seconds` for durations (freshness), so messages read `1 day 2 hours`, not `93600`
    # why the kind's default rule does not judge this value (e.g. a sample too small for its level), for the reports
    unjudged: str | None = None


@dataclass
class HistogramBin:
    column: str | None
    side: str  # baseline | current
    bin: int
    lower: float | None
    upper: float | None
    category: str | None
    count: float
    fraction: float | None


@dataclass
class FailingRow:
    """One sampled row that broke a rule: its key only, never its values (they may hold personal data)."""

    column: str  # the column, or the columns of a key (`a,b`), whose rules it broke
    sample: int  # 1..samples, in key order
    key: str  # the row's key columns as a label, `order_id=1042` (the segment label format)
    rules: str  # the rules it broke, `min,regex`


@dataclass
class MonitorOutput:
    metrics: list[MetricValue] = field(default_factory=list)
    bins: list[HistogramBin] = field(default_factory=list)
    samples: list[FailingRow] = field(default_factory=list)
    # segment label → output, for a kind that finds its segments itself (a custom query's `segment` column)
    segments: dict[str, MonitorOutput] = field(default_factory=dict)


@dataclass
class MonitorContext:
    """What a kind knows when it plans: the source, its columns now, the relations to read, and history it needs."""

    source: SourceSpec
    columns: dict[str, ColumnInfo]
    current: Relation
    window: Window | None
    baseline: Relation | None = None
    baseline_columns: dict[str, ColumnInfo] | None = None
    previous_schema: dict[str, str] | None = None  # column -> data type, as stored by the previous run
    profile: Any = None  # the sqlmon.baselines.profile.Profile the baseline is, when it is a frozen one
    # Columns of the other tables the kind reads (`MonitorKind.tables_used`), None for a table that does not exist.
    tables: Mapping[str, dict[str, ColumnInfo] | None] = field(default_factory=dict)
    # The run's time (`--end`, else now): what "now" is for a kind that measures how old the data is.
    as_of: datetime | None = None


SpecT = TypeVar("SpecT", bound=MonitorSpec)


class MonitorKind(Generic[SpecT]):
    """Base of every monitor kind. Subclasses set the class attributes and implement `compute`.

    `SpecT` is the kind's spec class (`NullRate(MonitorKind[NullRateSpec])`), the type of `spec` in its methods.
    """

    type: ClassVar[str]
    spec_class: ClassVar[builtins.type[MonitorSpec]]  # `type` is the attribute above here
    metrics: ClassVar[tuple[str, ...]]
    default_thresholds: ClassVar[dict[str, dict[str, Any]]] = {}
    needs_baseline: ClassVar[bool] = False
    # Whether the kind reads the baseline at all (then its columns must exist there too); a kind may read an
    # optional baseline without needing one.
    reads_baseline: ClassVar[bool] = False
    # A snapshot kind looks at the table as it is now (e.g. its schema), so it runs once per run, not per window.
    snapshot: ClassVar[bool] = False
    # Whether the kind can compare with a frozen profile instead of baseline rows (`baseline: {profile: NAME}`).
    supports_profile: ClassVar[bool] = False
    # The monitor keys that name source columns, so a check that finds a column missing points at its key.
    column_keys: ClassVar[tuple[str, ...]] = ()
    # Whether the windows after the newest row, up to the run's time, are computed too (as empty windows): for the
    # kinds that notice a source that stopped (volume, freshness). The other kinds compute no window after the data.
    fills_empty_windows: ClassVar[bool] = False
    # Whether every run also computes the window in progress, cut at the run's time, as `Window(start, as_of)`; it
    # is computed again, whole, once it has ended (freshness: the lag now, on every run).
    observes_now: ClassVar[bool] = False

    # The metrics an `anomaly:` block without `metrics:` watches: the ones a person looks at first.
    headline: ClassVar[tuple[str, ...]] = ()
    # The unit of metrics that are not plain numbers (`seconds`), so the report's axes read as durations.
    units: ClassVar[dict[str, str]] = {}
    # The `anomaly:` settings every monitor of the kind gets unless it sets its own (`anomaly: null` switches them
    # off); None: no anomaly rule by default.
    default_anomaly: ClassVar[dict[str, Any] | None] = None

    def headline_of(self, spec: SpecT) -> tuple[str, ...]:
        """The metrics an anomaly rule watches by default (see `headline`)."""
        return self.headline

    def metrics_of(self, spec: SpecT) -> tuple[str, ...]:
        """The metric names this monitor yields (what `thresholds` may name); a kind whose metrics depend on its
        keys (validity rules, custom SQL) overrides it."""
        return self.metrics

    def open_metrics(self, spec: SpecT) -> bool:
        """Whether the metric names are known only when the run returns them (a custom query that computes them):
        then `thresholds` may name any metric."""
        return False

    def delay(self, spec: SpecT) -> timedelta:
        """How long after a window ends before it can be computed (e.g. until its labels are in)."""
        return timedelta(0)

    def reads_baseline_of(self, spec: SpecT) -> bool:
        """Whether this monitor reads its baseline; a kind whose keys decide it (an optional `label`) overrides it."""
        return self.reads_baseline

    def columns_used(self, spec: SpecT, columns: Mapping[str, ColumnInfo]) -> list[str]:
        """The source columns this monitor reads; checked against the warehouse before anything runs."""
        return []

    def column_path(self, spec: SpecT, name: str) -> tuple[Any, ...]:
        """The key path, under the monitor, of where it names a source column (`("columns", 2)`), so a problem with
        the column points at that line; () for the monitor itself. Looks through the kind's `column_keys`: a name,
        a list of names, a mapping keyed by name, or a list of such lists."""
        for key in self.column_keys:
            value = getattr(spec, key, None)
            if value == name:
                return (key,)
            if isinstance(value, Mapping) and name in value:
                return (key, name)
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if item == name:
                        return (key, index)
                    if isinstance(item, list) and name in item:
                        return (key, index, item.index(name))
        return ()

    def tables_used(self, spec: SpecT) -> list[str]:
        """Tables other than the source and baseline that the monitor reads (e.g. labels); `check` sees their
        columns in `MonitorContext.tables`."""
        return []

    def check_source(self, spec: SpecT, source: SourceSpec) -> list[ConfigProblem]:
        """Problems with how the monitor fits its declared source, found without a warehouse (`sqlmon validate`)."""
        return []

    def check(self, spec: SpecT, ctx: MonitorContext) -> list[ConfigProblem]:
        """Problems only visible against the warehouse, such as column types; missing columns are checked already."""
        return []

    def baseline_requests(self, spec: SpecT, ctx: MonitorContext) -> list[Request]:
        return []

    def window_requests(self, spec: SpecT, ctx: MonitorContext, baseline: Results) -> list[Request]:
        raise NotImplementedError

    def finalize(self, spec: SpecT, ctx: MonitorContext, baseline: Results, window: Results) -> MonitorOutput:
        raise NotImplementedError


def show_value(value: float, unit: str | None) -> str:
    """A metric value in a message: durations in words, other numbers to four significant digits."""
    return span_text(value) if unit == "seconds" else f"{value:.4g}"


def ratio(numerator: float, denominator: float) -> float | None:
    """A rate or mean of a window: None (stored as NULL) when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def metric_number(value: Any) -> float | None:
    """A metric value as stored: a float, or NULL when not computable (None or NaN)."""
    if value is None:
        return None
    value = float(value)
    return None if value != value else value


def as_datetime(value: Any) -> datetime | None:
    """A timestamp a driver returned as the naive UTC datetime that windows are cut in; a DATE is its midnight."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    return datetime.combine(value, datetime.min.time())


def baseline_side(ctx: MonitorContext, column: ColumnInfo) -> ColumnInfo:
    """The column as the baseline relation types it (falls back to the current side's when unknown)."""
    if ctx.baseline_columns and column.name in ctx.baseline_columns:
        return ctx.baseline_columns[column.name]
    return column
