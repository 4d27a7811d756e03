"""The one place where SQL engines differ, kept as data.

Templates in macros/ are written in the canonical dialect (DuckDB's, which sqlglot parses most completely); each
target dialect is a sqlglot dialect plus the overrides below, applied to the parsed tree before it is written out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from sqlmon.errors import SqlmonError

CANONICAL = "duckdb"


@dataclass(frozen=True)
class DialectSpec:
    name: str
    sqlglot_dialect: str
    # sqlglot node class -> function returning the replacement node, for constructs sqlglot writes wrongly here.
    transforms: dict[type[exp.Expression], Callable[[exp.Expression], exp.Expression]] = field(default_factory=dict)
    executed_in_tests: bool = False  # an engine of this dialect runs the test suite; the others compile and parse
    # The statement that puts a session in UTC (window bounds are naive UTC), run by every engine on the sessions it
    # opens (Engine.use_utc); None where sessions have no time zone. Spark's own engine sets the session's conf
    # instead, which a project's `conf` may override.
    utc_session: str | None = None
    supports_delete: bool = True  # whether the store can DELETE a recomputed window (sqlmon.engines.base.Engine)
    # Whether a session can run statements as one transaction, as the store's writes do (Engine.transaction).
    transactions: bool = True
    # The statement that makes the rest of a transaction exclusive to one sqlmon process per results schema, given a
    # key naming it (Engine.exclusive); None where a warehouse has no such lock.
    schema_lock: Callable[[str], exp.Expression] | None = None

    def transaction_statements(self) -> tuple[str, str, str] | None:
        """BEGIN, COMMIT and ROLLBACK as sqlglot writes them here, or None where sessions have no transactions."""
        if not self.transactions:
            return None
        begin, commit, rollback = (
            node.sql(dialect=self.sqlglot_dialect) for node in (exp.Transaction(), exp.Commit(), exp.Rollback())
        )
        return begin, commit, rollback


def _advisory_lock(key: str) -> exp.Expression:
    # released at COMMIT or ROLLBACK, so a process that dies never leaves it behind
    hashed = exp.Anonymous(this="hashtextextended", expressions=[exp.Literal.string(key), exp.Literal.number(0)])
    return exp.select(exp.Anonymous(this="pg_advisory_xact_lock", expressions=[hashed]))


def _equals_nan(node: exp.Expression) -> exp.Expression:
    # PostgreSQL, Redshift and Snowflake have no isnan(); their NaN equals itself, so equality with NaN tests for it.
    return exp.EQ(this=node.this, expression=exp.cast(exp.Literal.string("NaN"), "DOUBLE"))


def _abs_equals_infinity(spelling: str) -> Callable[[exp.Expression], exp.Expression]:
    # No isinf() there either: |x| = +inf, with the engine's own spelling of the infinity literal.
    def transform(node: exp.Expression) -> exp.Expression:
        return exp.EQ(this=exp.Abs(this=node.this), expression=exp.cast(exp.Literal.string(spelling), "DOUBLE"))

    return transform


def _function(name: str) -> Callable[[exp.Expression], exp.Expression]:
    def transform(node: exp.Expression) -> exp.Expression:
        return exp.Anonymous(this=name, expressions=[node.this])

    return transform


def _epoch_from_micros(function: str, cast_to: str | None) -> Callable[[exp.Expression], exp.Expression]:
    # Epoch seconds with their fraction: sqlglot writes UNIX_TIMESTAMP (whole seconds) for Spark and an
    # EXTRACT(epoch_second) for Snowflake, which drop the microseconds a gap between two rows may be made of.
    def transform(node: exp.Expression) -> exp.Expression:
        value = exp.cast(node.this, cast_to) if cast_to else node.this
        return exp.Div(this=exp.Anonymous(this=function, expressions=[value]), expression=exp.Literal.number(1e6))

    return transform


def _snowflake_search(node: exp.Expression) -> exp.Expression:
    # Snowflake's REGEXP_LIKE matches the whole value; every other engine's regex test searches inside it, as
    # Python's re.search does. REGEXP_INSTR finds a match anywhere.
    found = exp.Anonymous(this="REGEXP_INSTR", expressions=[node.this, node.expression])
    return exp.Paren(this=exp.GT(this=found, expression=exp.Literal.number(0)))


def _snowflake_epoch(node: exp.Expression) -> exp.Expression:
    part = exp.Anonymous(this="DATE_PART", expressions=[exp.var("epoch_microsecond"), node.this])
    return exp.Div(this=part, expression=exp.Literal.number(1e6))


# sqlglot writes IS_NAN()/IS_INF() for dialects that lack them, without an "unsupported" error; each row below
# says what that engine has instead. tests/test_dialects.py runs or parses every construct for every dialect.
_Transforms = dict[type[exp.Expression], Callable[[exp.Expression], exp.Expression]]
_POSTGRES_LIKE: _Transforms = {exp.IsNan: _equals_nan, exp.IsInf: _abs_equals_infinity("Infinity")}
_SPARK_LIKE: _Transforms = {
    exp.IsInf: _abs_equals_infinity("Infinity"),
    exp.TimeToUnix: _epoch_from_micros("UNIX_MICROS", "TIMESTAMPLTZ"),
}
DIALECTS: dict[str, DialectSpec] = {
    "duckdb": DialectSpec("duckdb", "duckdb", executed_in_tests=True, utc_session="SET TimeZone = 'UTC'"),
    "postgres": DialectSpec(
        "postgres",
        "postgres",
        _POSTGRES_LIKE,
        executed_in_tests=True,
        utc_session="SET TIME ZONE 'UTC'",
        schema_lock=_advisory_lock,
    ),
    "spark": DialectSpec(
        "spark",
        "spark",
        _SPARK_LIKE,
        executed_in_tests=True,
        utc_session="SET TIME ZONE 'UTC'",
        supports_delete=False,
        transactions=False,
    ),
    "databricks": DialectSpec(
        "databricks", "databricks", _SPARK_LIKE, utc_session="SET TIME ZONE 'UTC'", transactions=False
    ),
    "snowflake": DialectSpec(
        "snowflake",
        "snowflake",
        {
            exp.IsNan: _equals_nan,
            exp.IsInf: _abs_equals_infinity("inf"),
            exp.TimeToUnix: _snowflake_epoch,
            exp.RegexpLike: _snowflake_search,
        },
        utc_session="ALTER SESSION SET TIMEZONE = 'UTC'",
    ),
    # IS_NAN and IS_INF exist there
    "bigquery": DialectSpec("bigquery", "bigquery", {exp.TimeToUnix: _epoch_from_micros("UNIX_MICROS", "TIMESTAMPTZ")}),
    "redshift": DialectSpec("redshift", "redshift", _POSTGRES_LIKE, utc_session="SET TIME ZONE 'UTC'"),
    "trino": DialectSpec(  # is_nan exists there
        "trino",
        "trino",
        {exp.IsInf: _function("is_infinite")},
        utc_session="SET TIME ZONE 'UTC'",
    ),
}


class UnknownDialect(SqlmonError):
    """A dialect name sqlmon has no entry for in `DIALECTS`."""


def get_dialect(name: str) -> DialectSpec:
    try:
        return DIALECTS[name]
    except KeyError:
        raise UnknownDialect(f"unknown dialect `{name}`; known: {', '.join(DIALECTS)}") from None


def apply_transforms(tree: exp.Expression, dialect: DialectSpec) -> exp.Expression:
    if not dialect.transforms:
        return tree

    def rewrite(node: exp.Expression) -> exp.Expression:
        transform = dialect.transforms.get(type(node))
        return transform(node) if transform else node

    return tree.transform(rewrite)
