"""The one place where SQL engines differ, kept as data.

Templates in macros/ are written in the canonical dialect (DuckDB's, which sqlglot parses most completely); each
target dialect is a sqlglot dialect plus the overrides below, applied to the parsed tree before it is written out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

CANONICAL = "duckdb"


@dataclass(frozen=True)
class DialectSpec:
    name: str
    sqlglot_dialect: str
    # sqlglot node class -> function returning the replacement node, for constructs sqlglot writes wrongly here.
    transforms: dict[type[exp.Expression], Callable[[exp.Expression], exp.Expression]] = field(default_factory=dict)


DIALECTS: dict[str, DialectSpec] = {
    "duckdb": DialectSpec("duckdb", "duckdb"),
}


def get_dialect(name: str) -> DialectSpec:
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown dialect `{name}`; known: {', '.join(DIALECTS)}") from None


def apply_transforms(tree: exp.Expression, dialect: DialectSpec) -> exp.Expression:
    if not dialect.transforms:
        return tree

    def rewrite(node: exp.Expression) -> exp.Expression:
        transform = dialect.transforms.get(type(node))
        return transform(node) if transform else node

    return tree.transform(rewrite)


# --- types ----------------------------------------------------------------------------------------------------------

_LOGICAL: tuple[tuple[str, frozenset], ...] = (
    ("integer", frozenset(exp.DataType.INTEGER_TYPES)),
    (
        "float",
        frozenset(
            exp.DataType.REAL_TYPES
            - {
                exp.DataType.Type.DECIMAL,
                exp.DataType.Type.BIGDECIMAL,
                exp.DataType.Type.MONEY,
                exp.DataType.Type.SMALLMONEY,
                exp.DataType.Type.UDECIMAL,
            }
        ),
    ),
    (
        "decimal",
        frozenset(
            {
                exp.DataType.Type.DECIMAL,
                exp.DataType.Type.BIGDECIMAL,
                exp.DataType.Type.UDECIMAL,
                exp.DataType.Type.MONEY,
                exp.DataType.Type.SMALLMONEY,
            }
        ),
    ),
    ("string", frozenset(exp.DataType.TEXT_TYPES | {exp.DataType.Type.UUID, exp.DataType.Type.ENUM})),
    ("boolean", frozenset({exp.DataType.Type.BOOLEAN})),
    ("date", frozenset({exp.DataType.Type.DATE, exp.DataType.Type.DATE32})),
    (
        "timestamp",
        frozenset(
            exp.DataType.TEMPORAL_TYPES
            - {exp.DataType.Type.DATE, exp.DataType.Type.DATE32, exp.DataType.Type.TIME, exp.DataType.Type.TIMETZ}
        ),
    ),
)
LOGICAL_TYPES = ("integer", "float", "decimal", "string", "boolean", "date", "timestamp")


def logical_type(data_type: str, dialect: str = CANONICAL) -> str:
    """Map an engine's type name (as information_schema reports it) to sqlmon's logical type, or `other`."""
    try:
        parsed = exp.DataType.build(data_type, dialect=get_dialect(dialect).sqlglot_dialect, udt=True)
    except Exception:  # an engine-specific type sqlglot cannot parse is simply not one of ours
        return "other"
    for logical, types in _LOGICAL:
        if parsed.this in types:
            return logical
    return "other"
