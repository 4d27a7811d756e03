"""Typed, validated configuration: the project file, sources, baselines, threshold rules and the monitor base.

Every model forbids unknown keys, so a typo is an error with a suggestion rather than a silently ignored setting.
Monitor kinds subclass `MonitorSpec` in their own modules (sqlmon/monitors/).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from sqlmon.config.durations import parse_duration
from sqlmon.errors import Location

IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
DEFAULT_MAX_SEGMENTS = 20
Severity = Literal["warn", "error"]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _booleans_are_booleans(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic would take `yes`, `on` or 1 for true; YAML 1.2 and the docs say only true and false are
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and field.annotation is bool and not isinstance(value, bool):
            raise ValueError(f"write true or false, not `{value}`")
        return value


class Origin:
    """Where a spec was declared: its file, YAML node and key path, so later checks (e.g. against the warehouse) can
    point at a line and name the key."""

    def __init__(self, file: str, node: Any, path: tuple[Any, ...] = ()):
        self.file = file
        self.node = node
        self.path = path

    def locate(self, *subpath: Any) -> Location:
        from sqlmon.config.yaml_loader import line_of

        return Location(self.file, line_of(self.node, subpath))

    def key(self, *subpath: Any) -> str:
        from sqlmon.config.yaml_loader import format_key

        return format_key((*self.path, *subpath))

    def locate_text(self, line: int, *subpath: Any) -> Location:
        """Where line `line` of a text value (a query) is in the file; the key's line when that is not known."""
        from sqlmon.config.yaml_loader import text_line_of

        found = text_line_of(self.node, subpath, line)
        return Location(self.file, found) if found is not None else self.locate(*subpath)


class OriginMixin:
    _origin: Origin | None = PrivateAttr(default=None)

    def locate(self, *subpath: Any) -> Location | None:
        return self._origin.locate(*subpath) if self._origin else None

    def locate_text(self, line: int, *subpath: Any) -> Location | None:
        return self._origin.locate_text(line, *subpath) if self._origin else None

    def key(self, *subpath: Any) -> str:
        """The full key of a value in this spec, e.g. `monitors[2].columns[0]`, as the offline checks name it."""
        from sqlmon.config.yaml_loader import format_key

        return self._origin.key(*subpath) if self._origin else format_key(subpath)


# --- connection and project -------------------------------------------------------------------------------------


class DuckDBConnection(StrictModel):
    type: Literal["duckdb"] = "duckdb"
    path: str = Field(default="warehouse.duckdb", description="DuckDB database file, relative to the project folder")
    memory_limit: str | None = Field(
        default=None, description="DuckDB memory limit, e.g. `4GB`; spills to disk above it"
    )
    threads: int | None = Field(default=None, ge=1)
    statement_timeout: int | None = Field(
        default=None, ge=1, description="seconds one statement may run before it is cancelled (the source then fails)"
    )


class PostgresConnection(StrictModel):
    type: Literal["postgres"]
    url: str | None = Field(
        default=None,
        description="`postgresql://user@host:5432/dbname?sslmode=require`, instead of the keys it holds; kept"
        " without its password",
    )
    host: str = "localhost"
    port: int = Field(default=5432, ge=1, le=65535)
    user: str | None = None
    password: str | None = Field(default=None, repr=False, description="write `${ENV_VAR}`; never stored or printed")
    dbname: str = "postgres"
    sslmode: str | None = None
    connect_timeout: int = Field(default=10, ge=1)
    statement_timeout: int | None = Field(
        default=None, ge=1, description="seconds one statement may run before it is cancelled (the source then fails)"
    )

    @model_validator(mode="before")
    @classmethod
    def _read_url(cls, data: Any) -> Any:
        from sqlmon.config.urls import connection_from_url

        return connection_from_url(data)


class SparkConnection(StrictModel):
    type: Literal["spark"]
    master: str = Field(default="local[*]", description="Spark master for a session started by sqlmon")
    remote: str | None = Field(default=None, description="Spark Connect URL, e.g. `sc://host:15002`")
    warehouse_dir: str | None = Field(default=None, description="spark.sql.warehouse.dir, relative to the project")
    table_format: Literal["parquet", "delta"] = Field(
        default="parquet", description="format of the results tables; delta allows in-place deletes"
    )
    conf: dict[str, str] = Field(default_factory=dict, description="extra Spark settings")


def _connection_type(value: Any) -> str:
    """A connection without `type` is the embedded default, DuckDB, unless it is a URL (a string, or `url:`), which
    PostgresConnection reads, or refuses saying what a connection is."""
    if isinstance(value, str):
        return "postgres"
    if isinstance(value, dict):
        return str(value.get("type", "postgres" if "url" in value else "duckdb"))
    return str(getattr(value, "type", "duckdb"))


BUILTIN_CONNECTIONS: dict[str, type[StrictModel]] = {
    "duckdb": DuckDBConnection,
    "postgres": PostgresConnection,
    "spark": SparkConnection,
}
ConnectionSpec = Annotated[
    Annotated[DuckDBConnection, Tag("duckdb")]
    | Annotated[PostgresConnection, Tag("postgres")]
    | Annotated[SparkConnection, Tag("spark")],
    Discriminator(_connection_type),
]
SECRET_KEYS = ("password",)


class ProjectSpec(StrictModel):
    name: str = "sqlmon"
    connection: ConnectionSpec | None = Field(default=None, description="the warehouse, when there is one target")
    targets: dict[str, ConnectionSpec] = Field(default_factory=dict, description="named warehouses; --target picks")
    target: str | None = Field(default=None, description="the target used without --target")
    results_schema: str = Field(default="sqlmon", pattern=IDENTIFIER_PATTERN)
    monitor_paths: list[str] = Field(default_factory=lambda: ["monitors"])
    # each item is validated by its channel type's own model (sqlmon.config.channels), as monitors are by their kind's
    notify: list[Any] = Field(default_factory=list, description="notification channels (docs/notifications.md)")
    dbt_engine: Literal["auto", "adapter"] = Field(
        default="auto",
        description="with --dbt-project: `auto` uses sqlmon's own engine for duckdb and postgres targets and the dbt"
        " adapter's connection for the others; `adapter` always goes through the dbt adapter",
    )

    @model_validator(mode="after")
    def _one_way_to_connect(self) -> ProjectSpec:
        if self.connection is not None and self.targets:
            raise ValueError("give either `connection` or `targets`, not both")
        if self.target is not None and self.target not in self.targets:
            raise ValueError(f"`target: {self.target}` is not one of `targets` ({', '.join(self.targets) or 'none'})")
        return self

    def target_names(self) -> list[str]:
        return list(self.targets) if self.targets else ["default"]

    def resolve(self, target: str | None) -> tuple[str, ConnectionSpec]:
        """The connection of `target` (default: `target:`, else the first of `targets`, else `connection`); with
        plugin engines installed, it may be one of their models (`project_spec_class`)."""
        if not self.targets:
            if target not in (None, "default"):
                raise KeyError(target)
            return "default", self.connection or DuckDBConnection()
        name = target or self.target or next(iter(self.targets))
        return name, self.targets[name]


def project_spec_class(connections: dict[str, type[StrictModel]]) -> type[ProjectSpec]:
    """`ProjectSpec`, with connections that may also be of the types plugin engines add (`sqlmon.connections`).

    The union is discriminated by `type`, so a connection's errors name the keys of its own type, with lines.
    """
    extra = {name: model for name, model in connections.items() if name not in BUILTIN_CONNECTIONS}
    if not extra:
        return ProjectSpec
    members = [Annotated[model, Tag(name)] for name, model in {**BUILTIN_CONNECTIONS, **extra}.items()]
    # a type built at run time, which mypy cannot follow
    union: Any = Annotated[Union[tuple(members)], Discriminator(_connection_type)]  # noqa: UP007
    model: type[ProjectSpec] = create_model(
        "ProjectSpec",
        __base__=ProjectSpec,
        connection=(union | None, Field(default=None, description="the warehouse, when there is one target")),
        targets=(dict[str, union], Field(default_factory=dict, description="named warehouses; --target picks")),
    )
    return model


# --- sources and baselines ----------------------------------------------------------------------------------------


FileFormat = Literal["parquet", "csv", "json"]


def _file_format(file: str | None, given: FileFormat | None) -> FileFormat | None:
    """`format`, or the one the file's name says; `format` without `file` says nothing and is refused."""
    from sqlmon.sql.files import format_of

    if file is None:
        if given is not None:
            raise ValueError("`format` goes with `file`")
        return None
    found = given or format_of(file)
    if found is None:
        raise ValueError("cannot tell the format of `file` from its name: add `format: parquet`, `csv` or `json`")
    return found  # type: ignore[return-value]  # one of READERS' keys


def coerce_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError("write a duration as text, e.g. `1 day`, `6 hours`")
    return parse_duration(value)


class BaselineSpec(StrictModel):
    """What normal looks like: another table (e.g. the training set), the windows just before the current one, or a
    profile frozen by `sqlmon baseline create`."""

    table: str | None = Field(default=None, description="a table or view, `schema.table`")
    file: str | None = Field(default=None, description="Parquet, CSV or JSON files, as a source's `file` (DuckDB)")
    format: FileFormat | None = Field(default=None, description="of `file`; by default its name's extension")
    previous: timedelta | None = Field(default=None, description="the span right before each window, e.g. `7 days`")
    profile: str | None = Field(default=None, description="a frozen baseline made by `sqlmon baseline create NAME`")
    version: int | None = Field(default=None, ge=1, description="the profile's version; the latest when not given")

    @field_validator("previous", mode="before")
    @classmethod
    def _parse_previous(cls, value: Any) -> Any:
        return None if value is None else coerce_duration(value)

    @model_validator(mode="after")
    def _exactly_one(self) -> BaselineSpec:
        given = [k for k in ("table", "file", "previous", "profile") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of `table` (a baseline table), `file` (baseline files), `previous` (e.g. `7 days`)"
                " or `profile` (a frozen baseline)"
            )
        if self.version is not None and self.profile is None:
            raise ValueError("`version` goes with `profile`")
        self.format = _file_format(self.file, self.format)
        return self


class SourceSpec(OriginMixin, StrictModel):
    name: str = Field(pattern=IDENTIFIER_PATTERN)
    table: str | None = Field(default=None, description="the table or view to watch, `schema.table` or `table`")
    file: str | None = Field(
        default=None, description="Parquet, CSV or JSON files (a glob) read in place by DuckDB, relative to the project"
    )
    format: FileFormat | None = Field(default=None, description="of `file`; by default its name's extension")
    ref: str | None = Field(default=None, description="a dbt model, seed or snapshot (needs --dbt-project)")
    dbt_source: tuple[str, str] | None = Field(
        default=None, alias="source", description="a dbt source as `[source_name, table_name]` (needs --dbt-project)"
    )
    timestamp: str | None = Field(default=None, description="time column that windows are cut on")
    window: timedelta | None = Field(default=None, description="window size, e.g. `1 day`; needs `timestamp`")
    backfill: timedelta | None = Field(default=None, description="how far back a first run reaches (default 7 windows)")
    baseline: BaselineSpec | None = None

    @field_validator("window", "backfill", mode="before")
    @classmethod
    def _parse_durations(cls, value: Any) -> Any:
        return None if value is None else coerce_duration(value)

    # These two check a key against `timestamp` (declared above them), so the error points at the key's own line.
    @field_validator("window", "backfill")
    @classmethod
    def _window_needs_timestamp(cls, value: timedelta | None, info: ValidationInfo) -> timedelta | None:
        if value is not None and "timestamp" in info.data and info.data["timestamp"] is None:
            raise ValueError(f"`{info.field_name}` needs `timestamp`: the column that windows are cut on")
        return value

    @field_validator("baseline")
    @classmethod
    def _previous_needs_timestamp(cls, value: BaselineSpec | None, info: ValidationInfo) -> BaselineSpec | None:
        no_timestamp = "timestamp" in info.data and info.data["timestamp"] is None
        if value is not None and value.previous is not None and no_timestamp:
            raise ValueError("a `previous` baseline needs `timestamp` and `window` on the source")
        return value

    @field_validator("dbt_source", mode="before")
    @classmethod
    def _source_pair(cls, value: Any) -> Any:
        if value is not None and not (isinstance(value, list) and len(value) == 2 and all(value)):
            raise ValueError("write a dbt source as `[source_name, table_name]`, e.g. `source: [raw, accounts]`")
        return value

    @model_validator(mode="after")
    def _one_relation(self) -> SourceSpec:
        relations = (("table", self.table), ("file", self.file), ("ref", self.ref), ("source", self.dbt_source))
        given = [key for key, value in relations if value]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of `table` (a table or view), `file` (Parquet, CSV or JSON files), `ref` (a dbt"
                " model) or `source` (a dbt source, `[source_name, table_name]`)"
            )
        self.format = _file_format(self.file, self.format)
        return self

    @model_validator(mode="after")
    def _default_window(self) -> SourceSpec:
        if self.timestamp is not None and self.window is None:
            self.window = timedelta(days=1)
        if self.backfill is None and self.window is not None:
            self.backfill = self.window * 7
        return self

    @property
    def windowed(self) -> bool:
        return self.timestamp is not None

    @property
    def resolved_table(self) -> str:
        """`table`, which the loader sets for a source given as `ref`/`source` (or reports the source broken)."""
        assert self.table is not None, f"source `{self.name}`: its dbt relation was not resolved"
        return self.table


# --- thresholds ---------------------------------------------------------------------------------------------------

Level = float | tuple[float, float]


class ThresholdRule(StrictModel):
    """`warn`/`error` levels for one metric.

    A number means "alert when the value is above it" (or below, with `direction: below`); a pair `[low, high]` is the
    allowed range, and a value outside it alerts.
    """

    warn: Level | None = None
    error: Level | None = None
    direction: Literal["above", "below"] = "above"

    @field_validator("warn", "error", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):  # a duration, for the metrics measured in seconds (lag, max_gap)
            try:
                return parse_duration(value).total_seconds()
            except ValueError:
                raise ValueError(
                    f"a level is a number, a duration such as `6 hours` (for metrics in seconds) or a [low, high]"
                    f" pair, not `{value}`"
                ) from None
        if isinstance(value, bool) or not isinstance(value, int | float | list | tuple):
            raise ValueError(f"a level is a number or a [low, high] pair, not `{value}`")
        if isinstance(value, list | tuple):
            if len(value) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
                raise ValueError(f"a range is a pair of numbers [low, high], not `{list(value)}`")
            if any(v != v for v in value):
                raise ValueError("a level cannot be NaN: it would never alert")
            return (float(value[0]), float(value[1]))
        if value != value:
            raise ValueError("a level cannot be NaN: it would never alert")
        return float(value)

    @model_validator(mode="after")
    def _consistent(self) -> ThresholdRule:
        if self.warn is None and self.error is None:
            raise ValueError("give `warn`, `error` or both")
        kinds = {isinstance(level, tuple) for level in (self.warn, self.error) if level is not None}
        if kinds == {True} and "direction" in self.model_fields_set:
            raise ValueError("`direction` applies to single levels; a [low, high] range alerts outside it either way")
        if len(kinds) > 1:
            raise ValueError("`warn` and `error` must both be numbers or both be [low, high] ranges")
        for name in ("warn", "error"):
            level = getattr(self, name)
            if isinstance(level, tuple) and level[0] > level[1]:
                raise ValueError(f"the `{name}` range [{level[0]}, {level[1]}] has low above high")
        warn, error = self.warn, self.error  # both ranges or both numbers, as checked above
        if isinstance(warn, tuple) and isinstance(error, tuple):
            if not (error[0] <= warn[0] and warn[1] <= error[1]):
                raise ValueError("the `error` range must contain the `warn` range (error is the wider band)")
        elif isinstance(warn, float) and isinstance(error, float):
            if self.direction == "above" and warn > error:
                raise ValueError(f"`warn` ({warn}) is above `error` ({error}); with direction above, warn ≤ error")
            if self.direction == "below" and warn < error:
                raise ValueError(f"`warn` ({warn}) is below `error` ({error}); with direction below, warn ≥ error")
        return self

    def breach(self, value: float | None) -> Severity | None:
        """The highest severity this value breaks, or None. NaN/None (not computable) never alerts."""
        if value is None or value != value:
            return None
        severity: Severity
        for severity, level in (("error", self.error), ("warn", self.warn)):
            if level is None:
                continue
            if isinstance(level, tuple):
                if value < level[0] or value > level[1]:
                    return severity
            elif (self.direction == "above" and value > level) or (self.direction == "below" and value < level):
                return severity
        return None

    def describe(self, severity: Severity, show: Callable[[float], str] = "{:g}".format) -> str:
        level = getattr(self, severity)
        if isinstance(level, tuple):
            return f"outside [{show(level[0])}, {show(level[1])}]"
        return f"{'>' if self.direction == 'above' else '<'} {show(level)}"


# --- monitors -----------------------------------------------------------------------------------------------------


class MonitorSpec(OriginMixin, StrictModel):
    """Keys every monitor has. Each kind adds its own in sqlmon/monitors/<kind>.py."""

    name: str = Field(pattern=IDENTIFIER_PATTERN)
    type: str
    source: str
    description: str | None = None
    enabled: bool = True
    baseline: BaselineSpec | None = Field(default=None, description="overrides the source's baseline for this monitor")
    thresholds: dict[str, ThresholdRule | None] = Field(
        default_factory=dict, description="per metric; `null` switches a default rule off"
    )
    segment_by: list[str] = Field(
        default_factory=list, description="columns to split the monitor by: its metrics per value, besides overall"
    )
    max_segments: int = Field(
        default=DEFAULT_MAX_SEGMENTS, ge=1, description="segments kept per window, the largest by rows; a cut warns"
    )
    owner: str | None = Field(default=None, description="who answers for it; notification channels route by it")
    tags: list[str] = Field(default_factory=list, description="labels that notification channels route by")

    @field_validator("segment_by")
    @classmethod
    def _distinct_segment_columns(cls, value: list[str]) -> list[str]:
        repeated = sorted({name for name in value if value.count(name) > 1})
        if repeated:
            raise ValueError(f"`{repeated[0]}` is listed twice; give each segment column once")
        return value
