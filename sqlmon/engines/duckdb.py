"""DuckDB, in process: the default engine."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlglot import exp

from sqlmon.config.specs import DuckDBConnection
from sqlmon.engines.base import Engine, deadline, information_schema_query, wrap_errors
from sqlmon.errors import EngineError


class DuckDBEngine(Engine):
    dialect = "duckdb"

    def __init__(self, connection: Any, description: str, statement_timeout: int | None = None):
        self._con = connection
        self.description = description
        self._timeout = statement_timeout

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
        # an in-memory database cannot be opened read-only (DuckDB refuses), nor needs to be: nothing of it outlives
        # the process, so a read-only command leaves nothing behind either way
        read_only = read_only and path != ":memory:"
        with wrap_errors(f"cannot open DuckDB database {path}", errors=duckdb.Error):
            con = duckdb.connect(path, read_only=read_only, config=config)
        engine = cls(con, path, spec.statement_timeout)
        engine.use_utc()
        return engine

    @staticmethod
    def _errors(during: str) -> AbstractContextManager[None]:
        import duckdb

        return wrap_errors("DuckDB", errors=duckdb.Error, during=during)

    def _run(self, sql: str, parameters: Sequence[Any] | None) -> Any:
        return self._con.execute(sql, parameters) if parameters is not None else self._con.execute(sql)

    def _statement(self, sql: str) -> AbstractContextManager[None]:
        return deadline(self._timeout, self._con.interrupt, f"while running:\n{sql}")

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> None:
        with self._statement(sql), _interrupts(), self._errors(f"while running:\n{sql}"):
            self._run(sql, parameters)

    def query(self, sql: str, parameters: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        # some errors only surface while rows are fetched
        with self._statement(sql), _interrupts(), self._errors(f"while running:\n{sql}"):
            rows: list[tuple[Any, ...]] = self._run(sql, parameters).fetchall()
            return rows

    def insert_rows(self, table: exp.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        # executemany binds row by row and is slow; a registered DataFrame inserts thousands of rows in one step.
        if not rows:
            return
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
            with self._errors(f"while inserting into {table.sql()}"):
                self._con.execute(statement)
        finally:
            self._con.unregister(view)

    def _types(self, table: exp.Table, columns: Sequence[str]) -> list[str]:
        # object-typed DataFrame columns carry no SQL type; cast each to the column it lands in
        described = dict(self.describe(".".join(p.name for p in table.parts)) or [])
        return [described.get(c, "VARCHAR") for c in columns]

    def describe(self, table: str) -> list[tuple[str, str]] | None:
        rows = self.query(information_schema_query(table, self.dialect))
        return [(str(n), str(t)) for n, t in rows] if rows else None

    def close(self) -> None:
        self._con.close()


@contextmanager
def _interrupts() -> Iterator[None]:
    """DuckDB turns a Ctrl-C inside a statement into RuntimeError("Query interrupted"): give it back as the interrupt
    it is, so the run unwinds and reports it like any other."""
    try:
        yield
    except RuntimeError as exc:
        if "Query interrupted" in str(exc):
            raise KeyboardInterrupt from None
        raise
