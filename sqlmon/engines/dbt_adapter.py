"""Any dbt adapter as a sqlmon engine: statements run on the dbt target's own connection (docs/dbt.md).

With `--dbt-project`, a target whose adapter sqlmon has no engine of its own for (Snowflake, Redshift, Databricks,
Trino …), or any target when `dbt_engine: adapter`, is reached through dbt: dbt opens the connection with the
profile's credentials and authentication, sqlmon writes each statement in the adapter's SQL dialect. Inside
`sqlmon dbt build`, the engine attaches to the adapter of the running build instead (sqlmon.dbt.build).

Rows are read from the DB-API cursor, not from dbt's agate tables: agate infers column types from the values, so a
category like `007` would come back as the number 7.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from sqlmon.dbt.runtime import DBT_LOCK, release_duckdb
from sqlmon.dbt.target import DbtAdapterConnection, dialect_of
from sqlmon.engines.base import Engine, information_schema_query, one_line, wrap_errors
from sqlmon.errors import EngineError
from sqlmon.sql.compiler import literal
from sqlmon.sql.dialects import CANONICAL, get_dialect

INSERT_BATCH = 500  # rows per INSERT … VALUES statement


class DbtAdapterEngine(Engine):
    def __init__(self, adapter: Any, dialect: str, description: str, secrets: list[str], owned: bool):
        self._adapter = adapter
        self.dialect = dialect
        self.description = description
        self._secrets = secrets
        self._owned = owned  # registered by this engine (open) or dbt's own, mid-command (attach)

    @classmethod
    def open(
        cls, spec: DbtAdapterConnection, project_root: Path, read_only: bool = False, secrets: list[str] | None = None
    ) -> DbtAdapterEngine:
        """Register the target's adapter as a dbt command does, and connect."""
        # dbt's own errors: a profile it rejects, an adapter that fails to load
        what = f"dbt could not set up the `{spec.adapter_type}` adapter"
        setup_errors = wrap_errors(what, secrets or (), text=one_line)
        # dbt's flags and adapter registry are process-wide; its log goes to stderr, so stdout stays ours (JSON)
        with DBT_LOCK, contextlib.redirect_stdout(sys.stderr), setup_errors:
            adapter = _configured_adapter(spec)
        return cls._connected(adapter, spec.adapter_type, f"({spec.project_dir})", list(secrets or []), owned=True)

    @classmethod
    def attach(cls, adapter_type: str, secrets: list[str] | None = None) -> DbtAdapterEngine:
        """The adapter of the dbt command running in this process (inside `dbt build`), on a connection of this
        thread's own, so session settings never reach dbt's connections."""
        from dbt.adapters.factory import get_adapter_by_type

        return cls._connected(get_adapter_by_type(adapter_type), adapter_type, "(in dbt build)", list(secrets or []))

    @classmethod
    def _connected(
        cls, adapter: Any, adapter_type: str, where: str, secrets: list[str], owned: bool = False
    ) -> DbtAdapterEngine:
        dialect = dialect_of(adapter_type)
        if dialect is None or not hasattr(adapter.connections, "add_query"):
            raise EngineError(f"dbt adapter `{adapter_type}` offers no SQL cursor in a dialect sqlmon writes")
        engine = cls(adapter, dialect, f"dbt adapter {adapter_type} {where}", secrets, owned)
        adapter.acquire_connection("sqlmon")
        engine.use_utc()
        return engine

    def _cursor(self, sql: str) -> Any:
        # each adapter raises its driver's errors, wrapped by dbt
        with wrap_errors(self.description, self._secrets, text=one_line, during=f"while running:\n{sql}"):
            _, cursor = self._adapter.connections.add_query(sql, auto_begin=False)
        return cursor

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> None:
        if parameters:
            raise EngineError("the dbt adapter engine runs statements without parameters")
        self._cursor(sql)

    def query(self, sql: str, parameters: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        if parameters:
            raise EngineError("the dbt adapter engine runs statements without parameters")
        return [tuple(row) for row in self._cursor(sql).fetchall()]

    def insert_rows(self, table: exp.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        # Literals written by sqlglot, in batches: drivers differ in their placeholder style, and dbt passes
        # bindings through unchanged.
        target = get_dialect(self.dialect)
        names = [exp.to_identifier(c, quoted=True) for c in columns]
        for first in range(0, len(rows), INSERT_BATCH):
            values = [
                exp.Tuple(expressions=[sqlglot.parse_one(literal(v), read=CANONICAL) for v in row])
                for row in rows[first : first + INSERT_BATCH]
            ]
            statement = exp.insert(exp.Values(expressions=values), table.copy(), columns=names)
            self.execute(statement.sql(dialect=target.sqlglot_dialect))

    def describe(self, table: str) -> list[tuple[str, str]] | None:
        # information_schema rather than dbt's get_columns_in_relation: that runs a macro whose failure on a missing
        # relation rolls back the open transaction.
        rows = self.query(information_schema_query(table, get_dialect(self.dialect).sqlglot_dialect))
        return [(str(name), str(kind)) for name, kind in rows] or None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        connections = self._adapter.connections
        connections.begin()
        try:
            yield
        except BaseException:
            connections.rollback_if_open()
            raise
        connections.commit()

    def close(self) -> None:
        if not self._owned:  # dbt's adapter, mid-command: give back this thread's connection only
            self._adapter.release_connection()
            return
        self._adapter.cleanup_connections()
        release_duckdb()


def _configured_adapter(spec: DbtAdapterConnection) -> Any:
    """The target's adapter, registered the way a dbt command registers it."""
    from argparse import Namespace

    from dbt.adapters.factory import get_adapter, register_adapter
    from dbt.config.runtime import RuntimeConfig
    from dbt.events.logging import setup_event_logger
    from dbt.flags import get_flags, set_from_args
    from dbt.mp_context import get_mp_context
    from dbt_common.context import set_invocation_context

    set_invocation_context(dict(os.environ))
    args = Namespace(
        project_dir=str(spec.project_dir),
        profiles_dir=str(spec.profiles_dir),
        target=spec.target,
        profile=None,
        threads=None,
        vars={},
        which="run",
        log_path=str(spec.project_dir / "logs"),  # where dbt's own commands log for this project, not the cwd
    )
    set_from_args(args, None)
    setup_event_logger(get_flags())  # called with stdout redirected: dbt's console log then goes to stderr
    config = RuntimeConfig.from_args(args)
    register_adapter(config, get_mp_context())
    return get_adapter(config)
