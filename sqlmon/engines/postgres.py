"""PostgreSQL through psycopg 3 (the `postgres` extra: `pip install '.[postgres]'` from a clone)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlglot import exp

from sqlmon.config.specs import PostgresConnection
from sqlmon.engines.base import Engine, information_schema_query, wrap_errors
from sqlmon.errors import EngineError


class PostgresEngine(Engine):
    dialect = "postgres"

    def __init__(self, connection: Any, description: str, secrets: list[str]):
        self._con = connection
        self.description = description
        self._secrets = secrets
        self._in_transaction = False

    @classmethod
    def open(
        cls, spec: PostgresConnection, project_root: Path, read_only: bool = False, secrets: list[str] | None = None
    ) -> PostgresEngine:
        try:
            import psycopg
        except ImportError:
            # named by the driver's own package, which installs the same wherever sqlmon came from
            raise EngineError("the postgres engine needs psycopg: pip install 'psycopg[binary]>=3.1'") from None
        secrets = list(secrets or [])
        settings: dict[str, Any] = {"host": spec.host, "port": spec.port, "dbname": spec.dbname}
        settings.update({k: v for k, v in (("user", spec.user), ("password", spec.password)) if v is not None})
        if spec.sslmode:
            settings["sslmode"] = spec.sslmode
        description = f"postgres://{spec.user + '@' if spec.user else ''}{spec.host}:{spec.port}/{spec.dbname}"
        with wrap_errors(f"cannot connect to {description}", secrets, errors=psycopg.Error):
            # autocommit: reads need no transaction; writes open one explicitly in `transaction()`
            con = psycopg.connect(**settings, autocommit=True, connect_timeout=spec.connect_timeout)
        engine = cls(con, description, secrets)
        engine.use_utc()
        if spec.statement_timeout:
            # enforced by the server, so it holds even while the client waits (for a lock, say)
            engine.execute("SELECT set_config('statement_timeout', %s, false)", [f"{spec.statement_timeout}s"])
        if read_only:
            con.execute("SET default_transaction_read_only = on")
        return engine

    def _errors(self, during: str) -> AbstractContextManager[None]:
        import psycopg

        return wrap_errors("PostgreSQL", self._secrets, errors=psycopg.Error, during=during)

    def _run(self, sql: str, parameters: Sequence[Any] | None) -> Any:
        with self._errors(f"while running:\n{sql}"):
            return self._con.execute(sql, parameters)

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> None:
        self._run(sql, parameters)

    def query(self, sql: str, parameters: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self._run(sql, parameters).fetchall()
        return rows

    def insert_rows(self, table: exp.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        statement = exp.insert(
            exp.values([tuple(exp.Placeholder() for _ in columns)]),
            table.copy(),
            columns=[exp.to_identifier(c, quoted=True) for c in columns],
        ).sql(dialect="postgres")
        with self._errors(f"while inserting into {table.sql()}"), self._con.cursor() as cursor:
            cursor.executemany(statement, [list(row) for row in rows])

    def describe(self, table: str) -> list[tuple[str, str]] | None:
        rows = self.query(information_schema_query(table, self.dialect))
        return [(str(n), str(t)) for n, t in rows] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        # psycopg's own block (BEGIN … COMMIT or ROLLBACK), so the connection knows a transaction is open; its BEGIN
        # and COMMIT fail like any statement when the connection is gone
        with self._errors("while opening or committing a transaction"), self._con.transaction():
            yield

    def close(self) -> None:
        self._con.close()
