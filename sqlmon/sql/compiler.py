"""Renders the Jinja templates in macros/ into SQL, parses it with sqlglot, and writes it in the target dialect.

Templates never build identifiers or literals by hand: the `ident`, `table`, `literal` and `timestamp` filters
produce them through sqlglot, so quoting and escaping are sqlglot's. Every statement is parsed before it is run, so
a template bug is caught as a parse error, not sent to the warehouse.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import jinja2
import sqlglot
from sqlglot import exp

from sqlmon.errors import SqlmonError
from sqlmon.plugins import Registry
from sqlmon.resources import resource_dir
from sqlmon.sql.dialects import CANONICAL, DialectSpec, apply_transforms, get_dialect
from sqlmon.sql.files import FileTable


def quote_identifier(name: str) -> str:
    return exp.to_identifier(str(name), quoted=True).sql(dialect=CANONICAL)


def table_expression(name: str) -> exp.Table:
    """`schema.table` as a table whose every part is quoted, so names with dots must be written as parts; the files
    of a file source as DuckDB's table function that reads them."""
    if isinstance(name, FileTable):
        return name.expression()
    parts = [part for part in str(name).split(".")]
    return exp.Table(
        this=exp.to_identifier(parts[-1], quoted=True),
        db=exp.to_identifier(parts[-2], quoted=True) if len(parts) >= 2 else None,
        catalog=exp.to_identifier(parts[-3], quoted=True) if len(parts) >= 3 else None,
    )


def quote_table(name: str) -> str:
    """`schema.table` → `"schema"."table"`."""
    return table_expression(name).sql(dialect=CANONICAL)


def literal(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return exp.cast(
            exp.Literal.string("nan" if value != value else ("inf" if value > 0 else "-inf")), "DOUBLE"
        ).sql(dialect=CANONICAL)
    if isinstance(value, datetime):
        return timestamp_literal(value)
    return exp.convert(value).sql(dialect=CANONICAL)


def timestamp_literal(value: datetime) -> str:
    return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP").sql(dialect=CANONICAL)


@lru_cache(maxsize=512)
def _parse(sql: str) -> exp.Expression:
    # A run renders the same baseline statements for every window; parsing each text once saves most of sqlglot's time.
    try:
        tree = sqlglot.parse_one(sql, read=CANONICAL)
    except sqlglot.errors.ParseError as exc:
        raise TemplateError(f"generated SQL does not parse: {exc}\n{sql}") from None
    assert isinstance(tree, exp.Expression)  # a statement; sqlglot 30 types it as Expr, the base of Expression
    return tree


# The only literals that differ between the windows of one run: a window's bounds, as `timestamp_literal` writes
# them. A statement is parsed and written once per shape (its text with these taken out) and dialect; each window
# then gets the written SQL with its own bounds put back, instead of a parse and a generation of its own.
_TIMESTAMP = re.compile(r"CAST\('(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)' AS TIMESTAMP\)")
_HOLE = "__sqlmon_hole_{}__"


def _shape(sql: str) -> tuple[str, list[str]]:
    """The statement with each window bound replaced by a numbered hole, and the bounds in order."""
    bounds: list[str] = []

    def hole(match: re.Match[str]) -> str:
        bounds.append(match.group(1))
        return f"CAST('{_HOLE.format(len(bounds) - 1)}' AS TIMESTAMP)"

    return _TIMESTAMP.sub(hole, sql), bounds


@lru_cache(maxsize=512)
def _written(shape: str, dialect: str) -> str | None:
    """A shape written in a dialect, or None when a hole did not come through as it went in (a dialect that
    rewrote the literal): then that statement is written whole, every time."""
    compiler = SqlCompiler(dialect)
    sql = compiler.to_sql(_parse(shape))
    holes = shape.count("__sqlmon_hole_")
    if all(sql.count(f"'{_HOLE.format(i)}'") == 1 for i in range(holes)) and sql.count("__sqlmon_hole_") == holes:
        return sql
    return None


@lru_cache(maxsize=8)
def _environment(folders: tuple[str, ...]) -> jinja2.Environment:
    # One environment per process: Jinja compiles a template to Python once per environment, and that compilation is
    # most of the cost of rendering. Every compiler (one per run, per baseline profile, per dbt test) shares it.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(folders)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(ident=quote_identifier, table=quote_table, literal=literal, timestamp=timestamp_literal)
    return env


MACROS = Registry("sqlmon.macros", "macro folder", lambda name, loaded: Path(str(loaded)))


def plugin_macro_folders() -> list[Path]:
    """The macro folders plugins add (entry-point group `sqlmon.macros`, each naming a folder path), in name order.
    Their files are called like ours, `file.macro`; a plugin names its files after itself to stay apart."""
    return [MACROS.get(name) for name in MACROS.names()]


class TemplateError(SqlmonError):
    """A template rendered SQL that sqlglot cannot parse: a bug in sqlmon or in a user's macro."""


class SqlCompiler:
    """Renders macros and turns canonical SQL into the target dialect."""

    def __init__(self, dialect: str = CANONICAL):
        self.dialect: DialectSpec = get_dialect(dialect)

    @cached_property
    def env(self) -> jinja2.Environment:
        # sqlmon's own macros first, so a plugin's file can never shadow one of ours
        folders = (str(resource_dir("macros")), *(str(folder) for folder in plugin_macro_folders()))
        return _environment(folders)

    def macro(self, name: str, **args: Any) -> str:
        """Call `file.macro` (macros/file.sql) and return its SQL text, whitespace collapsed."""
        file_name, _, macro_name = name.rpartition(".")
        module = self.env.get_template(f"{file_name.replace('.', '/')}.sql").module
        function = getattr(module, macro_name, None)
        if function is None:
            raise TemplateError(f"macros/{file_name}.sql has no macro `{macro_name}`")
        return " ".join(str(function(**args)).split())

    def render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

    def parse(self, sql: str) -> exp.Expression:
        """Parse canonical SQL. The tree is shared by every caller that renders the same text: do not mutate it."""
        return _parse(sql)

    def statement(self, sql: str) -> str:
        """Canonical SQL, parsed (a template bug fails here, not in the warehouse) and written in this dialect, as
        `to_sql(parse(sql))` writes it; statements that differ only in their window bounds share the work."""
        shape, bounds = _shape(sql)
        written = _written(shape, self.dialect.name)
        if written is None:
            return self.to_sql(self.parse(sql))
        for index, bound in enumerate(bounds):
            written = written.replace(f"'{_HOLE.format(index)}'", f"'{bound}'", 1)
        return written

    def to_sql(self, tree: exp.Expression, pretty: bool = True) -> str:
        if self.dialect.transforms:
            tree = apply_transforms(tree.copy(), self.dialect)
        try:
            return tree.sql(
                dialect=self.dialect.sqlglot_dialect, pretty=pretty, unsupported_level=sqlglot.ErrorLevel.RAISE
            )
        except sqlglot.errors.UnsupportedError as exc:
            raise TemplateError(f"SQL for {self.dialect.name} cannot be written: {exc}") from None
