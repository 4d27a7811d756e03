"""DuckDB, in process: the default engine."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlglot import exp

from sqlmon.config.specs import DuckDBConnection
from sqlmon.engines.base import Engine, information_schema_query
from sqlmon.errors import EngineError


class DuckDBEngine(Engine):
    dialect = "duckdb"

    def __init__(self, connection: Any, description: str):
        self._con = connection
        self.description = description

    @classmethod
    def open(
        cls, spec: DuckDBConnection, project_root: Path, read_only: bool = False, secrets: list[str] | None = None
    ) -> DuckDBEngine:
        import duckdb

        path = spec.path if spec.path == ":memory:" else str((project_root / spec.path).resolve())
        # Never create a database as a side effect: a mistyped path should fail, not monitor an empty new file.
        if path != ":memory:" and not Path(path).exists():
            raise EngineError(f"DuckDB file {path} does not exist; check `connection.path` in sqlmon.yml")
        config: dict[str, Any] = {}
        if spec.memory_limit:
            config["memory_limit"] = spec.memory_limit
        if spec.threads:
            config["threads"] = spec.threads
        try:
            con = duckdb.connect(path, read_only=read_only, config=config)
        except duckdb.Error as exc:
            raise EngineError(f"cannot open DuckDB database {path}: {exc}") from None
        # Window bounds are naive UTC; a session in UTC compares them with TIMESTAMPTZ columns correctly.
        con.execute("SET TimeZone = 'UTC'")
        return cls(con, path)

    def _run(self, sql: str, parameters: Sequence[Any] | None) -> Any:
        import duckdb

        try:
            return self._con.execute(sql, parameters) if parameters is not None else self._con.execute(sql)
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB: {str(exc).strip()}\nwhile running:\n{sql}") from None

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> None:
        self._run(sql, parameters)

    def query(self, sql: str, parameters: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        import duckdb

        cursor = self._run(sql, parameters)
        try:
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows
        except duckdb.Error as exc:  # some errors only surface while rows are fetched
            raise EngineError(f"DuckDB: {str(exc).strip()}\nwhile running:\n{sql}") from None

    def insert_rows(self, table: exp.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        # executemany binds row by row and is slow; a registered DataFrame inserts thousands of rows in one step.
        if not rows:
            return
        import duckdb
        import pandas as pd

        frame = pd.DataFrame([list(row) for row in rows], columns=list(columns), dtype=object)
        view = "_sqlmon_rows"
        statement = exp.insert(
            exp.select(
                *[
                    exp.cast(exp.column(c, quoted=True), kind)
                    for c, kind in zip(columns, self._types(table, columns), strict=True)
                ]
            ).from_(exp.to_identifier(view)),
            table.copy(),
            columns=[exp.to_identifier(c, quoted=True) for c in columns],
        ).sql(dialect="duckdb")
        self._con.register(view, frame)
        try:
            self._con.execute(statement)
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB: {str(exc).strip()}\nwhile inserting into {table.sql()}") from None
        finally:
            self._con.unregister(view)

    def _types(self, table: exp.Table, columns: Sequence[str]) -> list[str]:
        # object-typed DataFrame columns carry no SQL type; cast each to the column it lands in
        described = dict(self.describe(".".join(p.name for p in table.parts)) or [])
        return [described.get(c, "VARCHAR") for c in columns]

    def describe(self, table: str) -> list[tuple[str, str]] | None:
        rows = self.query(information_schema_query(table, self.dialect))
        return [(str(n), str(t)) for n, t in rows] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._run("BEGIN TRANSACTION", None)
        try:
            yield
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._run("COMMIT", None)

    def close(self) -> None:
        self._con.close()
