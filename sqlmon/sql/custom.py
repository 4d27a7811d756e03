"""User-written SQL: an aggregate expression of a `custom_sql` monitor, checked and turned into canonical SQL.

The expression is parsed by sqlglot in the dialect it is written in, must be one aggregate over the window's rows (no
statement, subquery, window function or column outside an aggregate), and comes out in sqlmon's canonical dialect
with its identifiers quoted as written, so it joins the window's one scan and is written out for any target. Its
arithmetic is made floating point (decimal literals, AVG's argument), as metrics are: engines then agree.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def _in_floating_point(tree: exp.Expression) -> exp.Expression:
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
