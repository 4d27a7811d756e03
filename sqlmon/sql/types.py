"""Column types as sqlmon reasons about them: a warehouse's type name mapped to one logical type."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

NUMERIC_TYPES = ("integer", "float", "decimal")


@dataclass(frozen=True)
class ColumnInfo:
    """A column as the warehouse reports it, with the logical type sqlmon reasons about."""

    name: str
    data_type: str
    logical: str  # integer | float | decimal | string | boolean | date | timestamp | other

    @property
    def numeric(self) -> bool:
        return self.logical in NUMERIC_TYPES

    @property
    def floating(self) -> bool:
        """Whether the column can hold NaN and ±inf."""
        return self.logical == "float"


@cache
def _logical_types() -> tuple[tuple[str, frozenset[object]], ...]:
    # sqlglot is imported on first use, so the kinds and specs that only carry a ColumnInfo stay light to import
    from sqlglot import exp

    return (
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


def logical_type(data_type: str, dialect: str = "duckdb") -> str:
    """Map an engine's type name (as information_schema reports it) to sqlmon's logical type, or `other`."""
    from sqlglot import exp

    from sqlmon.sql.dialects import get_dialect

    try:
        parsed = exp.DataType.build(data_type, dialect=get_dialect(dialect).sqlglot_dialect, udt=True)
    except Exception:  # an engine-specific type sqlglot cannot parse is simply not one of ours
        return "other"
    for logical, types in _logical_types():
        if parsed.this in types:
            return logical
    return "other"
