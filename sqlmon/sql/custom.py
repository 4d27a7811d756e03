"""User-written SQL of a `custom_sql` monitor, checked and turned into canonical SQL: an aggregate expression, or a
whole read-only query.

The expression is parsed by sqlglot in the dialect it is written in, must be one aggregate over the window's rows (no
statement, subquery, window function or column outside an aggregate), and comes out in sqlmon's canonical dialect
with its identifiers quoted as written, so it joins the window's one scan and is written out for any target. Its
arithmetic is made floating point (decimal literals, AVG's argument), as metrics are: engines then agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import sqlglot
from sqlglot import exp

from sqlmon.sql.dialects import CANONICAL


class ExpressionProblem(ValueError):
    """What is wrong with a user's expression, said so that the message alone tells how to fix it."""


@dataclass(frozen=True)
class Aggregate:
    sql: str  # canonical (DuckDB) SQL
    columns: tuple[str, ...]  # the source columns it reads, in order of appearance


def _as_projection(text: str, dialect: str) -> exp.Expression | None:
    """The expression as the one item of a SELECT list, or None when it is anything else (a statement, a clause, an
    alias): an allowlist, so no statement sqlglot knows or will know slips through as an expression."""
    try:
        select = sqlglot.parse_one(f"SELECT {text}", read=dialect)
    except sqlglot.errors.ParseError:
        return None
    if not isinstance(select, exp.Select) or len(select.expressions) != 1:
        return None
    if any(value for key, value in select.args.items() if key != "expressions"):
        return None  # FROM, WHERE, a second statement's remains …
    [projection] = select.expressions
    return None if isinstance(projection, exp.Alias) else projection


@lru_cache(maxsize=256)
def parse_aggregate(text: str, dialect: str) -> Aggregate:
    """Check `text` (written in sqlglot dialect `dialect`) and return it in canonical SQL; ExpressionProblem if it is
    not one aggregate expression over the window's rows."""
    try:
        trees = [t for t in sqlglot.parse(text, read=dialect) if t is not None]
    except sqlglot.errors.ParseError as exc:
        first = exc.errors[0]["description"] if exc.errors else str(exc)
        raise ExpressionProblem(
            f"`{text}` does not parse as {dialect} SQL ({first}); check its parentheses and quotes, or set"
            " `dialect:` to the one it is written in"
        ) from None
    if len(trees) != 1:
        raise ExpressionProblem(
            f"`{text}` holds {len(trees)} statements; write one aggregate expression"
            if trees
            else "the expression is empty"
        )
    [tree] = trees
    if tree.find(exp.Subquery) is not None or (tree.find(exp.Query) is not None and not isinstance(tree, exp.Query)):
        raise ExpressionProblem(f"`{text}` holds a subquery; an expression reads only the window's rows")
    if isinstance(tree, exp.Alias):
        raise ExpressionProblem(
            f"`{text}` gives an alias (`{tree.alias}`); the metric's name is its key, drop the alias"
        )
    projected = _as_projection(text, dialect)
    if projected is None:
        raise ExpressionProblem(
            f"`{text}` is a statement ({tree.key.upper()}), not an expression; write one aggregate such as "
            "`AVG(amount)`"
        )
    tree = projected
    if tree.find(exp.Window) is not None:
        raise ExpressionProblem(f"`{text}` uses a window function (OVER); write a plain aggregate")
    if tree.find(exp.AggFunc) is None:
        raise ExpressionProblem(
            f"`{text}` is not an aggregate; wrap the columns in an aggregate function such as AVG, SUM or COUNT"
        )
    columns: list[str] = []
    for column in tree.find_all(exp.Column):
        if column.table:
            raise ExpressionProblem(f"`{text}` names `{column.sql(dialect)}`; write the column without a table")
        if column.find_ancestor(exp.AggFunc, exp.Filter) is None:
            raise ExpressionProblem(
                f"`{text}`: column `{column.name}` is outside an aggregate, so it has no single value per window"
            )
        columns.append(column.name)
    for identifier in tree.find_all(exp.Identifier):
        identifier.set("quoted", True)  # as written, as sqlmon names every column
    return Aggregate(_in_floating_point(tree).sql(dialect=CANONICAL), tuple(dict.fromkeys(columns)))


def _in_floating_point(tree: exp.Expr) -> exp.Expr:
    # Metrics are DOUBLE. `1.0` is a DECIMAL literal in most engines, and Spark averages DECIMALs as DECIMALs with four
    # more digits of scale (0.11032 where DuckDB says 0.110320284…): decimal literals become DOUBLE and AVG averages
    # doubles, so every engine computes the same number.
    for literal in list(tree.find_all(exp.Literal)):
        if not literal.is_string and any(c in literal.this for c in ".eE"):
            literal.replace(exp.cast(literal.copy(), "DOUBLE"))
    for average in list(tree.find_all(exp.Avg)):
        inner = average.this.expressions[0] if isinstance(average.this, exp.Distinct) else average.this
        if not (isinstance(inner, exp.Cast) and inner.to.is_type(exp.DataType.Type.DOUBLE)):
            inner.replace(exp.cast(inner.copy(), "DOUBLE"))
    return tree


# --- a whole query ---------------------------------------------------------------------------------------------------

# What a query may name, and the identifiers they stand for while sqlglot parses it (replaced per window afterwards).
PLACEHOLDERS = {"source": "sqlmon__source", "window_start": "sqlmon__window_start", "window_end": "sqlmon__window_end"}
QUERY_COLUMNS = ("metric", "value", "segment")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# Anything that writes, changes a definition or a session, or locks: a query only reads. The root must be a query as
# well, so a statement sqlglot does not know (parsed as a Command) cannot pass either.
_WRITES: tuple[type[exp.Expression], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Command,
    exp.Into,
    exp.Copy,
    exp.Set,
    exp.Pragma,
    exp.Use,
    exp.Grant,
    exp.Revoke,
    exp.Lock,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Cache,
    exp.Uncache,
    exp.LoadData,
    exp.Refresh,
    exp.Analyze,
    exp.Kill,
    exp.Comment,
    exp.Execute,
)


class QueryProblem(ExpressionProblem):
    """A problem with a `query:`, with the line of the query it is on when known (1-based)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Query:
    tree: exp.Query  # canonical, with the placeholders still in as identifiers
    metrics: tuple[str, ...] | None  # the metric names when every branch writes them as literals, else None
    segmented: bool  # whether it returns a `segment` column
    placeholders: frozenset[str]  # which of PLACEHOLDERS it uses


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


@lru_cache(maxsize=64)
def parse_query(text: str, dialect: str) -> Query:
    """Check a `custom_sql` query (one read-only SELECT returning `metric, value[, segment]`, written in `dialect`,
    naming `{{ source }}`, `{{ window_start }}`, `{{ window_end }}`) and return it in canonical SQL."""
    used = set()

    def marker(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            raise QueryProblem(
                f"`{match.group(0)}` is not a placeholder sqlmon fills in; the query may use "
                + ", ".join(f"{{{{ {p} }}}}" for p in PLACEHOLDERS),
                _line_of(text, match.group(0)),
            )
        used.add(name)
        return PLACEHOLDERS[name]

    marked = _PLACEHOLDER.sub(marker, text)
    for block in ("{%", "{#"):
        if block in marked:
            raise QueryProblem(
                f"`{block}`: a query is SQL with placeholders, not a template; write the SQL out",
                _line_of(text, block),
            )
    try:
        trees = [t for t in sqlglot.parse(marked, read=dialect) if t is not None]
    except sqlglot.errors.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        raise QueryProblem(
            f"the query does not parse as {dialect} SQL ({first.get('description', str(exc))}); check it, or set"
            " `dialect:` to the one it is written in",
            first.get("line"),
        ) from None
    if len(trees) != 1:
        raise QueryProblem(
            f"the query holds {len(trees)} statements; write one SELECT" if trees else "the query is empty"
        )
    [tree] = trees
    writes = next((node for node in tree.walk() if isinstance(node, _WRITES)), None)
    if writes is not None or not isinstance(tree, exp.Query):
        found = writes if writes is not None else tree
        raise QueryProblem(
            f"the query must only read: it holds {found.key.upper()}; write one SELECT (WITH and UNION are fine)"
        )
    names = tree.named_selects
    if "*" in names or any(isinstance(s, exp.Star) for s in tree.selects):
        raise QueryProblem("the query selects `*`; name its columns: `metric`, `value` and optionally `segment`")
    missing = [c for c in ("metric", "value") if c not in names]
    extra = [c for c in names if c not in QUERY_COLUMNS]
    if missing or extra or len(set(names)) != len(names):
        raise QueryProblem(
            f"the query returns {', '.join(f'`{n}`' for n in names) or 'no named column'}; it must return `metric`"
            " and `value`, and may return `segment` (write `AS metric`, `AS value`)"
        )
    widths = {len(branch.selects) for branch in _branches(tree) if isinstance(branch, exp.Select)}
    if len(widths) > 1:
        raise QueryProblem(
            f"the parts of the query's UNION return {' and '.join(map(str, sorted(widths)))} columns; each part"
            " returns the same columns: `metric`, `value` and, if one does, `segment`"
        )
    for identifier in tree.find_all(exp.Identifier):
        identifier.set("quoted", True)
    canonical = sqlglot.parse_one(_in_floating_point(tree).sql(dialect=CANONICAL), read=CANONICAL)
    assert isinstance(canonical, exp.Query)
    return Query(canonical, _literal_metrics(canonical), "segment" in names, frozenset(used))


def _branches(tree: exp.Query) -> list[exp.Query]:
    """The SELECTs of a UNION (INTERSECT, EXCEPT), or the query itself."""
    if isinstance(tree, exp.SetOperation):
        return [*_branches(tree.left), *_branches(tree.right)]
    return [tree]


def _literal_metrics(tree: exp.Query) -> tuple[str, ...] | None:
    """The `metric` of every branch, when each is a string literal; None when one is computed."""
    names = []
    for branch in _branches(tree):
        if not isinstance(branch, exp.Select):
            return None
        position = branch.named_selects.index("metric") if "metric" in branch.named_selects else 0
        item = branch.selects[position]
        value = item.this if isinstance(item, exp.Alias) else item
        if not (isinstance(value, exp.Literal) and value.is_string):
            return None
        names.append(value.this)
    return tuple(dict.fromkeys(names))


def render_query(query: Query, table: str, start: datetime | None, end: datetime | None) -> str:
    """The query for one window in canonical SQL: `{{ source }}` as the source table (quoted part by part), the
    window's bounds as timestamp literals."""
    from sqlmon.sql.compiler import quote_table

    tree = query.tree.copy()
    source = sqlglot.parse_one(quote_table(table), read=CANONICAL, into=exp.Table)
    bounds = {PLACEHOLDERS["window_start"]: start, PLACEHOLDERS["window_end"]: end}
    for named in list(tree.find_all(exp.Table)):
        if named.name == PLACEHOLDERS["source"] and not named.db:
            replacement = source.copy()
            if named.alias:
                replacement.set("alias", named.args["alias"])
            named.replace(replacement)
    for column in list(tree.find_all(exp.Column)):
        if column.name in bounds and not column.table:
            moment = bounds[column.name]
            column.replace(
                exp.cast(exp.Literal.string(moment.isoformat(sep=" ")), "TIMESTAMP") if moment else exp.null()
            )
    return tree.sql(dialect=CANONICAL)
