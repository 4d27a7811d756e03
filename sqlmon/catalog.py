"""What a run knows of the warehouse's catalog: the columns of each table it reads, the names of the tables it could
have meant when one is missing, and the stored profiles."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

from sqlmon.baselines.profile import Profiles
from sqlmon.engines.base import Engine
from sqlmon.errors import SqlmonError
from sqlmon.sql.compiler import SqlCompiler
from sqlmon.sql.files import FileTable
from sqlmon.sql.types import ColumnInfo, logical_type
from sqlmon.store import Store

if TYPE_CHECKING:
    from sqlmon.config.loader import Project


class Catalog:
    """Column lists of the tables a run reads, fetched once per table; and the stored profiles."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._tables: dict[str, dict[str, ColumnInfo] | None] = {}
        self._profiles: Profiles | None = None
        self._names: dict[tuple[int, str], list[str]] = {}

    def profiles(self, project: Project) -> Profiles:
        if self._profiles is None:
            store = Store(self.engine, SqlCompiler(self.engine.dialect), project.spec.results_schema)
            self._profiles = Profiles(store)
        return self._profiles

    def columns(self, table: str) -> dict[str, ColumnInfo] | None:
        if table not in self._tables:
            self._tables[table] = (
                _file_columns(self.engine, table) if isinstance(table, FileTable) else (self.engine.columns(table))
            )
        return self._tables[table]

    def table_names(self, table: str) -> list[str]:
        """The tables and views the engine can see, written as `table` is: `name` for those of the current schema,
        `schema.name` for those of every schema of the current database, `catalog.schema.name` for that catalog's.
        Empty where the warehouse has no information_schema.tables (Spark): the names serve only as suggestions."""
        parts = table.split(".")[-3:]
        key = (len(parts), parts[0] if len(parts) == 3 else "")
        if key not in self._names:
            try:
                rows = self.engine.query(_tables_query(parts, self.engine.dialect))
            except SqlmonError:
                rows = []
            self._names[key] = [".".join(str(part) for part in row) for row in rows]
        return self._names[key]


def files_found(files: FileTable) -> bool:
    """Whether a local path or glob matches a file (DuckDB's globs are Python's: `*`, `**`, `?`, `[…]`); a remote
    one is DuckDB's to find."""
    return "://" in files.path or any(Path(p).is_file() for p in glob.iglob(files.path, recursive=True))


def _file_columns(engine: Engine, files: FileTable) -> dict[str, ColumnInfo] | None:
    """The columns DuckDB reads from the files (`DESCRIBE SELECT * FROM read_parquet(…)`), or None when no file
    matches or the engine is not DuckDB (the checks say which)."""
    if engine.dialect != "duckdb" or not files_found(files):
        return None
    describe = exp.Describe(this=exp.select(exp.Star()).from_(files.expression()))
    rows = engine.query(describe.sql(dialect="duckdb"))
    return {str(row[0]): ColumnInfo(str(row[0]), str(row[1]), logical_type(str(row[1]), "duckdb")) for row in rows}


SYSTEM_SCHEMAS = ("information_schema", "pg_catalog")


def _tables_query(parts: list[str], dialect: str) -> str:
    """information_schema.tables, with as many name parts selected as `parts` has."""
    selected = ["table_catalog", "table_schema", "table_name"][-len(parts) :]
    catalog = exp.Literal.string(parts[-3]) if len(parts) >= 3 else exp.func("current_database")
    conditions: list[exp.Expression] = [exp.column("table_catalog").eq(catalog)]
    if len(parts) == 1:
        conditions.append(exp.column("table_schema").eq(exp.func("current_schema")))
    else:
        conditions.append(exp.column("table_schema").isin(*SYSTEM_SCHEMAS).not_())
    query = (
        exp.select(*selected)
        .from_(exp.table_("tables", db="information_schema"))
        .where(exp.and_(*conditions))
        .order_by(*selected)
    )
    return query.sql(dialect=dialect)
