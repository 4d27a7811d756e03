"""The engine interface: the whole surface sqlmon needs from a warehouse."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlglot import exp

from sqlmon.errors import EngineError, SqlmonError, redact
from sqlmon.sql.dialects import get_dialect
from sqlmon.sql.types import ColumnInfo, logical_type


class Engine(ABC):
    """A warehouse connection. A new engine subclasses this, implements the abstract methods, and is registered as an
    entry point of `sqlmon.engines` under its connection `type` (docs/architecture.md, "How to add an engine")."""

    dialect: str

    @classmethod
    @abstractmethod
    def open(cls, spec: Any, project_root: Path, read_only: bool = False, secrets: list[str] | None = None) -> Engine:
        """Connect as `spec` (the connection's model) says; relative paths are relative to the project folder.
        Errors are EngineErrors whose messages have every secret redacted."""

    @property
    def supports_delete(self) -> bool:
        """Whether the store can DELETE a recomputed window's rows; where not, it rewrites the table (Store.write)."""
        return get_dialect(self.dialect).supports_delete

    def create_table_properties(self) -> exp.Properties | None:
        """Extra clauses for CREATE TABLE (e.g. Spark's USING PARQUET)."""
        return None

    @abstractmethod
    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> None: ...

    @abstractmethod
    def query(self, sql: str, parameters: Sequence[Any] | None = None) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def insert_rows(self, table: exp.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Append rows to a table; called inside `transaction()`."""

    @abstractmethod
    def describe(self, table: str) -> list[tuple[str, str]] | None:
        """(column name, data type) in table order, or None when the table or view does not exist."""

    def use_utc(self) -> None:
        """Put the session in UTC, with the dialect's statement (window bounds are naive UTC; a session in UTC
        compares them with time-zoned timestamp columns correctly)."""
        statement = get_dialect(self.dialect).utc_session
        if statement is not None:
            self.execute(statement)

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Inside a transaction: the rest of it runs while no other sqlmon process does the same for `name` (a results
        schema), with the dialect's lock (`DialectSpec.schema_lock`), so two runs at once neither both create its
        tables nor interleave their writes. Where the warehouse already allows one writer (a DuckDB file), or has no
        locks to take (Spark), the statements simply run."""
        lock = get_dialect(self.dialect).schema_lock
        if lock is not None:
            self.execute(lock(f"sqlmon:{name}").sql(dialect=get_dialect(self.dialect).sqlglot_dialect))
        yield

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The statements inside as one transaction, with the dialect's BEGIN, COMMIT and ROLLBACK; where it has no
        transactions (Spark), the statements simply run. An engine whose driver keeps its own transaction state
        (psycopg, dbt's connection manager) uses the driver's instead."""
        statements = get_dialect(self.dialect).transaction_statements()
        if statements is None:
            yield
            return
        begin, commit, rollback = statements
        self.execute(begin)
        try:
            yield
        except BaseException:
            self.execute(rollback)
            raise
        self.execute(commit)

    @abstractmethod
    def close(self) -> None: ...

    def columns(self, table: str) -> dict[str, ColumnInfo] | None:
        described = self.describe(table)
        if described is None:
            return None
        return {
            name: ColumnInfo(name, data_type, logical_type(data_type, self.dialect)) for name, data_type in described
        }

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextmanager
def deadline(seconds: int | None, cancel: Callable[[], None], during: str) -> Iterator[None]:
    """The statement inside may run `seconds` (the connection's `statement_timeout`): then `cancel`, called from a
    timer thread, stops it in the warehouse, and whatever the driver raises for that becomes one clear error."""
    if seconds is None:
        yield
        return
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        cancel()

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except BaseException:
        if fired.is_set():
            raise EngineError(
                f"statement cancelled after {seconds} s (`statement_timeout` of the connection)\n{during}"
            ) from None
        raise
    finally:
        timer.cancel()


def stripped(exc: BaseException) -> str:
    """A driver's message as is, without the whitespace around it."""
    return str(exc).strip()


def first_line(exc: BaseException) -> str:
    """The first line only (Spark's messages go on with a JVM stack trace); the exception's repr when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else repr(exc)


def one_line(exc: BaseException) -> str:
    """The message on one line (dbt wraps a driver's message over several indented lines)."""
    return " ".join(str(exc).split())


@contextmanager
def wrap_errors(
    what: str,
    secrets: Sequence[str] = (),
    *,
    errors: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    text: Callable[[BaseException], str] = stripped,
    during: str | None = None,
) -> Iterator[None]:
    """A driver's exception (one of `errors`) raised inside becomes an EngineError `what: message`, then `during` on
    a line of its own (e.g. the statement). The message never shows a secret, and the driver's traceback is dropped;
    sqlmon's own errors pass through as they are."""
    try:
        yield
    except SqlmonError:
        raise
    except errors as exc:
        message = f"{what}: {redact(text(exc), tuple(secrets))}"
        raise EngineError(f"{message}\n{during}" if during is not None else message) from None


def information_schema_query(table: str, dialect: str) -> str:
    """Columns and types of `[catalog.]schema.table` in table order, from the standard information_schema."""
    parts = table.split(".")
    conditions = [exp.column("table_name").eq(exp.Literal.string(parts[-1]))]
    schema = exp.Literal.string(parts[-2]) if len(parts) >= 2 else exp.func("current_schema")
    conditions.append(exp.column("table_schema").eq(schema))
    if len(parts) >= 3:
        conditions.append(exp.column("table_catalog").eq(exp.Literal.string(parts[-3])))
    query = (
        exp.select("column_name", "data_type")
        .from_(exp.table_("columns", db="information_schema"))
        .where(exp.and_(*conditions))
        .order_by("ordinal_position")
    )
    return query.sql(dialect=dialect)
