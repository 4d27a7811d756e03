"""The processes of the crash trials (tests/test_crashes.py), run as `python -m tests.crash_child MODE …`.

- `kill N DELAY ARGS…`: the sqlmon CLI with ARGS, in this process, killed by SIGKILL DELAY seconds after its N-th
  call to the warehouse (a statement, a query or a batch of inserts) begins: no handler, no cleanup, no flush, as
  when the machine or the scheduler kills it. N = 0 counts the calls instead and prints how many there were.
- `prepare ROOT END`: (Spark) loads the trials' tables, runs the first phase up to END, prints its state.
- `inspect ROOT [resume END | backfill START END]`: prints, as one JSON line, what the results tables and views of
  the project at ROOT hold; then, if asked, runs on the same engine (an incremental run up to END, or a backfill) and
  prints its windows and calls to the warehouse, and the state after it. Spark's embedded
  metastore admits one process at a time, so its state is read by this process rather than by the test's.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

CALLS = ("execute", "query", "insert_rows")
# columns that differ between two runs computing the same thing
VOLATILE = {"run_id", "computed_at", "created_at", "observed_at"}


def _kill_at(n: int, delay: float) -> list[int]:
    from sqlmon.engines.duckdb import DuckDBEngine
    from sqlmon.engines.postgres import PostgresEngine
    from sqlmon.engines.spark import SparkEngine

    count = [0]

    def kill() -> None:
        os.killpg(os.getpgid(0), signal.SIGKILL)  # the Spark JVM too: it is in this process group

    def wrap(method: Any) -> Any:
        def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            count[0] += 1
            if count[0] == n:
                threading.Timer(delay, kill).start()
            return method(self, *args, **kwargs)

        return counted

    for engine in (DuckDBEngine, PostgresEngine, SparkEngine):
        for name in CALLS:
            if name in vars(engine):
                setattr(engine, name, wrap(vars(engine)[name]))
    return count


def state(engine: Any, schema: str) -> dict[str, Any]:
    """Every row of the windowed results tables (without the columns that differ between runs), the run ids each
    table and view holds, the finished runs, and the rewrite copies present."""
    from sqlglot import exp

    from sqlmon.store import TABLES, VIEWS, WINDOWED_TABLES

    def table(name: str) -> str:
        return exp.table_(exp.to_identifier(name, quoted=True), db=exp.to_identifier(schema, quoted=True)).sql(
            dialect=engine.dialect
        )

    found: dict[str, Any] = {"rows": {}, "unfinished": {}, "views": {}}
    found["runs"] = sorted(r[0] for r in engine.query(f"SELECT run_id FROM {table('sqlmon_runs')}"))
    finished = set(found["runs"])
    for name in (*WINDOWED_TABLES, "sqlmon_schemas"):
        columns = [c for c, _ in TABLES[name]]
        quoted = ", ".join(exp.to_identifier(c, quoted=True).sql(dialect=engine.dialect) for c in columns)
        rows = engine.query(f"SELECT {quoted} FROM {table(name)}")
        kept = [i for i, c in enumerate(columns) if c not in VOLATILE]
        run_id = columns.index("run_id")
        found["unfinished"][name] = sum(row[run_id] not in finished for row in rows)
        if name != "sqlmon_schemas":
            found["rows"][name] = sorted(
                json.dumps([_plain(row[i]) for i in kept]) for row in rows if row[run_id] in finished
            )
    for view in VIEWS:
        found["views"][view] = sorted({r[0] for r in engine.query(f"SELECT run_id FROM {table(view)}")})
    found["staging"] = sorted(
        f"{name}__sqlmon_rewrite_{kind}"
        for name in TABLES
        for kind in ("partial", "whole")
        if engine.describe(f"{schema}.{name}__sqlmon_rewrite_{kind}") is not None
    )
    return found


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, float):
        # to 12 significant digits: a parallel sum may differ in its last bits from one run to the next
        return float(f"{value:.12g}") if value == value else "NaN"
    return str(value)


def _inspect(root: Path, then: list[str]) -> None:
    from datetime import datetime

    from sqlmon.config.loader import load_project
    from sqlmon.engines import connect
    from sqlmon.plan import select_monitors
    from sqlmon.runner import run_monitors

    count = _kill_at(0, 0)  # counts the calls only
    project = load_project(root)
    engine = connect(project)
    print(json.dumps(state(engine, project.spec.results_schema)), flush=True)
    if then:
        start = datetime.fromisoformat(then[1]) if then[0] == "backfill" else None
        end = datetime.fromisoformat(then[-1])
        before = count[0]
        result = run_monitors(project, select_monitors(project, None), start, end, engine=engine)
        outcome = {"status": result.status, "error": result.error, "windows": _windows(result)}
        print(json.dumps({**outcome, "calls": count[0] - before}), flush=True)
        print(json.dumps(state(engine, project.spec.results_schema)), flush=True)
    engine.close()
    if hasattr(engine, "_spark"):
        engine._spark.stop()  # shuts the embedded metastore down cleanly for the next process


def _prepare(root: Path, end: str) -> None:
    """Load the trials' tables into Spark's catalog, run the first phase, and print its state."""
    from datetime import datetime

    from sqlmon.config.loader import load_project
    from sqlmon.engines import connect
    from sqlmon.plan import select_monitors
    from sqlmon.runner import run_monitors
    from tests.engines import load_spark
    from tests.test_crashes import TABLES

    project = load_project(root)
    engine = connect(project)
    load_spark(engine._spark, "main", TABLES)
    result = run_monitors(project, select_monitors(project, None), None, datetime.fromisoformat(end), engine=engine)
    assert result.status == "success", result.error
    print(json.dumps(state(engine, project.spec.results_schema)), flush=True)
    engine._spark.stop()


def _windows(result: Any) -> dict[str, list[str]]:
    return {source: [w.start.isoformat() for w in windows] for source, windows in result.windows.items()}


def main() -> None:
    mode, *rest = sys.argv[1:]
    if mode == "kill":
        n, delay, args = int(rest[0]), float(rest[1]), rest[2:]
        count = _kill_at(n, delay)
        from sqlmon.cli import main as cli

        try:
            cli(args, prog_name="sqlmon")
        finally:
            if n == 0:
                print(f"calls: {count[0]}", file=sys.stderr, flush=True)
    elif mode == "prepare":
        _prepare(Path(rest[0]), rest[1])
    elif mode == "inspect":
        _inspect(Path(rest[0]), rest[1:])


if __name__ == "__main__":
    main()
