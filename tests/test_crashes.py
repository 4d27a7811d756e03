"""kill -9 at random points of a multi-window run, on every engine: no partial run is ever visible, and the next run
computes exactly the windows that are missing, with the values of a run that was never interrupted.

Each trial starts from the same stored state (a first run up to FIRST_END), then starts a backfill that recomputes
some stored windows and adds new ones, and kills it (SIGKILL, the whole process group) right after its N-th call to
the warehouse begins, N drawn at random (seeded by the trial's number) over all the calls that run makes, plus a
random delay of up to 20 ms, so kills land inside statements, between them, and inside the final write. Then:

- every row that the tables hold belongs to a finished run (one with its `sqlmon_runs` row), except on Spark, which
  has no transactions: there the views still show finished runs only, and the next run removes the rest first;
- the finished rows are those before the killed run or those after it (DuckDB, PostgreSQL: the write is one
  transaction), or on Spark those before it less some windows the killed run was recomputing;
- an incremental run then computes exactly the windows missing, and the tables equal those of an uninterrupted run.

SQLMON_CRASH_TRIALS sets the trials per engine (CI runs a few; `SQLMON_CRASH_TRIALS=50` is the full suite),
SQLMON_SPARK_CRASH_TRIALS those on Spark, whose every process starts a JVM.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests import engines
from tests.crash_child import state

TRIALS = int(os.environ.get("SQLMON_CRASH_TRIALS", "10"))
SPARK_TRIALS = int(os.environ.get("SQLMON_SPARK_CRASH_TRIALS", "1"))
REPO = Path(__file__).resolve().parent.parent
DAY0 = datetime(2026, 2, 1)
FIRST_END = "2026-02-15"
BACKFILL_START, END = "2026-02-10", "2026-02-21"

MONITORS = """\
sources:
  - {name: events, table: main.events, timestamp: ts, window: 1 day, backfill: 30 days}
  - {name: orders, table: main.orders, timestamp: ts, window: 1 day, backfill: 30 days,
     baseline: {table: main.training}}
monitors:
  - {name: nulls, type: null_rate, source: events, columns: [x, c]}
  - {name: rows, type: volume, source: events}
  - {name: drift, type: feature_drift, source: orders, columns: [x, c]}
  - {name: valid, type: validity, source: orders, columns: {x: {min: 0}}, samples: 3, sample_key: [id]}
"""


def _tables() -> dict[str, tuple[dict[str, str], list[tuple]]]:
    rng = random.Random(7)
    events, orders = [], []
    for day in range(20):
        for i in range(120):
            ts = DAY0 + timedelta(days=day, seconds=i * 700 + rng.randrange(600))
            x = None if rng.random() < 0.05 + 0.02 * (day > 12) else rng.gauss(10 + 0.3 * (day > 14), 2)
            events.append((ts, x, rng.choice("abc")))
            orders.append((day * 1000 + i, ts, rng.gauss(5, 3), rng.choice("abcd")))
    training = [(rng.gauss(5, 3), rng.choice("abcd")) for _ in range(500)]
    return {
        "main.events": ({"ts": "timestamp", "x": "double", "c": "string"}, events),
        "main.orders": ({"id": "integer", "ts": "timestamp", "x": "double", "c": "string"}, orders),
        "main.training": ({"x": "double", "c": "string"}, training),
    }


TABLES = _tables()


# --- the engines -------------------------------------------------------------------------------------------------


class Duck:
    name = "duckdb"

    def __init__(self, root: Path):
        self.root = root
        (root / "monitors").mkdir(parents=True)
        (root / "monitors" / "m.yml").write_text(MONITORS)
        (root / "sqlmon.yml").write_text("connection: {path: warehouse.duckdb}\nresults_schema: sqlmon\n")
        engines.load_duckdb(root / "warehouse.duckdb", TABLES)

    def prepare(self) -> dict[str, Any]:
        _first_run(self.root)
        shutil.copy(self.root / "warehouse.duckdb", self.root.parent / "snapshot.duckdb")
        return inspect(self.root)[0]

    def restore(self, trial: int) -> None:
        shutil.copy(self.root.parent / "snapshot.duckdb", self.root / "warehouse.duckdb")


class Postgres:
    name = "postgres"

    def __init__(self, root: Path, server: engines.PostgresServer):
        self.root, self.server = root, server
        (root / "monitors").mkdir(parents=True)
        (root / "monitors" / "m.yml").write_text(MONITORS)
        engines.load_postgres(server, "crashes", TABLES)
        self._schema("reference")

    def _schema(self, name: str) -> None:
        (self.root / "sqlmon.yml").write_text(self.server.connection_yaml("crashes") + f"results_schema: {name}\n")

    def prepare(self) -> dict[str, Any]:
        _first_run(self.root)
        return inspect(self.root)[0]

    def restore(self, trial: int) -> None:
        self._schema(f"trial_{trial}")  # a schema of its own, brought to the same state by the same first run
        _first_run(self.root)


class Spark:
    name = "spark"

    def __init__(self, root: Path):
        self.root = root
        (root / "monitors").mkdir(parents=True)
        (root / "monitors" / "m.yml").write_text(MONITORS)
        metastore = root / "metastore_db"
        (root / "sqlmon.yml").write_text(
            "connection:\n  type: spark\n  master: local[2]\n  warehouse_dir: spark-warehouse\n  conf:\n"
            "    spark.sql.catalogImplementation: hive\n"
            f'    spark.hadoop.javax.jdo.option.ConnectionURL: "jdbc:derby:;databaseName={metastore};create=true"\n'
            "    spark.sql.shuffle.partitions: '1'\n    spark.sql.adaptive.enabled: 'false'\n"
            "    spark.sql.codegen.wholeStage: 'false'\n    spark.driver.memory: 1g\n"
            "    spark.ui.enabled: 'false'\nresults_schema: sqlmon\n"
        )

    def prepare(self) -> dict[str, Any]:
        lines = _child(self.root, "prepare", str(self.root), FIRST_END)
        shutil.copytree(self.root, self.root.parent / "snapshot")
        return lines[0]

    def restore(self, trial: int) -> None:
        # the metastore keeps absolute paths: the snapshot goes back to the same place
        shutil.rmtree(self.root)
        shutil.copytree(self.root.parent / "snapshot", self.root)


def _first_run(root: Path) -> None:
    from sqlmon.runner import run

    assert run(root, end=datetime.fromisoformat(FIRST_END)).status == "success"


def _child(root: Path, *args: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.crash_child", *args],
        cwd=root.parent,  # where Spark and its metastore leave their logs
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def inspect(root: Path, *then: str) -> list[dict[str, Any]]:
    """The state of the results; then, with `resume END` or `backfill START END`, that run's outcome and the state
    after it."""
    if "type: spark" in (root / "sqlmon.yml").read_text():
        return _child(root, "inspect", str(root), *then)
    from sqlmon.config.loader import load_project
    from sqlmon.engines import connect
    from sqlmon.plan import select_monitors
    from sqlmon.runner import run_monitors

    project = load_project(root)
    with connect(project) as engine:
        found = [state(engine, project.spec.results_schema)]
        if then:
            start = datetime.fromisoformat(then[1]) if then[0] == "backfill" else None
            end = datetime.fromisoformat(then[-1])
            result = run_monitors(project, select_monitors(project, None), start, end, engine=engine)
            windows = {s: [w.start.isoformat() for w in ws] for s, ws in result.windows.items()}
            found += [{"status": result.status, "error": result.error, "windows": windows}]
            found += [state(engine, project.spec.results_schema)]
    return found


def _killed_run(root: Path, at: int, delay: float) -> tuple[int, str]:
    args = ["run", "-p", str(root), "--start", BACKFILL_START, "--end", END, "--fail-on", "never"]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.crash_child", "kill", str(at), str(delay), *args],
        cwd=root.parent,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, which the kill takes down whole (Spark's JVM with it)
    )
    _, stderr = process.communicate(timeout=600)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the JVM of a Spark run is gone too
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    return process.returncode, stderr


def _backfilled(root: Path) -> tuple[dict[str, Any], int]:
    """The state after the uninterrupted backfill, and how many calls to the warehouse it makes."""
    if "type: spark" in (root / "sqlmon.yml").read_text():  # one JVM for both
        _, outcome, after = inspect(root, "backfill", BACKFILL_START, END)
        return after, outcome["calls"]
    code, stderr = _killed_run(root, 0, 0)
    assert code == 0, stderr[-3000:]
    return inspect(root)[0], int(stderr.rsplit("calls: ", 1)[1].split()[0])


def _windows_of(found: dict[str, Any]) -> dict[str, set[str]]:
    """Per source, the windows whose metrics are stored (rows: monitor, monitor_type, source, column, segment, metric,
    value, window_start, window_end)."""
    windows: dict[str, set[str]] = {}
    for row in found["rows"]["sqlmon_metrics"]:
        values = json.loads(row)
        windows.setdefault(values[2], set()).add(values[7])
    return windows


def _iso(value: str) -> str:
    return datetime.fromisoformat(value).isoformat()


# --- the trials --------------------------------------------------------------------------------------------------


def _engine(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> Duck | Postgres | Spark:
    root = tmp_path / "project"
    if name == "duckdb":
        return Duck(root)
    if name == "postgres":
        return Postgres(root, request.getfixturevalue("postgres"))
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.skip("engine unavailable: pyspark is not installed")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        pytest.skip("engine unavailable: Spark needs a Java runtime (java not on PATH)")
    return Spark(root)


@pytest.mark.parametrize("engine_name", ["duckdb", "postgres", "spark"])
def test_kill_9_anywhere_in_a_run_leaves_no_partial_run_and_the_next_run_completes_it(engine_name, tmp_path, request):
    engine = _engine(engine_name, tmp_path, request)
    transactional = engine_name != "spark"
    before = engine.prepare()
    after, calls = _backfilled(engine.root)
    assert after["rows"] != before["rows"]
    outcomes: dict[str, int] = {}
    trials = TRIALS if transactional else SPARK_TRIALS
    for trial in range(trials):
        engine.restore(trial)
        rng = random.Random(trial)
        at, delay = rng.randint(1, calls), rng.uniform(0, 0.02)
        code, stderr = _killed_run(engine.root, at, delay)
        assert code in (-signal.SIGKILL, 0), stderr[-3000:]
        crashed, resumed, final = inspect(engine.root, "resume", END)
        where = f"trial {trial}: killed at call {at} of {calls} (+{delay * 1000:.0f} ms)"

        # no partial run through the views, and on a transactional engine none in the tables either
        assert all(set(ids) <= set(crashed["runs"]) for ids in crashed["views"].values()), where
        if transactional:
            assert not any(crashed["unfinished"].values()), where
            assert crashed["rows"] in (before["rows"], after["rows"]), where
            outcome = "before" if crashed["rows"] == before["rows"] else "after"
        elif crashed["rows"] == after["rows"]:
            outcome = "after"
        else:  # Spark, killed before its run row: what is left of before, less windows it was recomputing
            for name, rows in crashed["rows"].items():
                assert set(rows) <= set(before["rows"][name]), (where, name)
            lost = set(before["rows"]["sqlmon_metrics"]) - set(crashed["rows"]["sqlmon_metrics"])
            assert all(_iso(json.loads(row)[7]) >= _iso(BACKFILL_START) for row in lost), where
            outcome = "before, less recomputed windows" if lost else "before"
        outcome += "" if code else " (the run had finished before the kill)"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

        # the next run computes exactly the windows missing, and the results equal an uninterrupted run's
        assert resumed["status"] == "success", (where, resumed["error"])
        missing = {
            source: sorted(_iso(w) for w in windows - _windows_of(crashed).get(source, set()))
            for source, windows in _windows_of(after).items()
        }
        computed = {source: [_iso(w) for w in ws] for source, ws in resumed["windows"].items()}
        assert computed == missing, where
        assert final["rows"] == after["rows"], where
        assert not any(final["unfinished"].values()) and not final["staging"], where
    print(f"\n{engine_name}: {trials} trials over {calls} calls: {outcomes}")
