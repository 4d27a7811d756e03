"""dbt's runner in this process: the locks every dbt call takes, `invoke`, and DuckDB released after a command.

The bottom of sqlmon.dbt, importing nothing of sqlmon's but its errors, so that the dbt adapter engine and every
module of this package can share dbt's process-wide state without importing each other.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path
from typing import Any

from sqlmon.errors import ConfigError, ConfigProblem, Location

# dbt's runner keeps global state (flags, the invocation context, adapters) and is not re-entrant: two parses at once
# in one process corrupt each other, so every call goes through this lock.
DBT_LOCK = threading.Lock()
# Held from the staleness check to the end of the parse, so threads that find the manifest stale parse it once.
PARSE_LOCK = threading.Lock()


def config_error(
    file: str | Path, message: str, hint: str | None = None, key: str = "", line: int | None = None
) -> ConfigError:
    return ConfigError(ConfigProblem(Location(str(file), line), key, message, hint))


def require_dbt() -> None:
    try:
        import dbt.version  # noqa: F401
    except ImportError:
        raise config_error(
            "--dbt-project",
            "dbt is not installed",
            "pip install '.[dbt]' in a clone of sqlmon (dbt-core with dbt-duckdb/dbt-postgres)",
        ) from None


def invoke(args: list[str], callbacks: list[Any] | None = None) -> Any:
    """Run a dbt command in this process, one at a time; dbt's log goes to stderr so stdout stays ours (e.g. JSON).

    `callbacks` receive every dbt event, in the thread that fires it (sqlmon.dbt.build)."""
    require_dbt()
    from dbt.cli.main import dbtRunner

    with DBT_LOCK, contextlib.redirect_stdout(sys.stderr):
        try:
            return dbtRunner(callbacks=callbacks or []).invoke(args)
        finally:
            release_duckdb()


def release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the process after a command.

    DuckDB refuses a second connection to the same file with other settings from one process, so sqlmon's own
    connection (and a read-only one) would fail after an in-process `dbt build` or `dbt parse` without this.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if environment is not None:
        with contextlib.suppress(Exception):  # closing is best effort; a failure here is not the user's problem
            environment.close()
