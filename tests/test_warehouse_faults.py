"""Faults of the warehouse: a source whose statements fail, a statement that runs too long, a connection that is
refused or dropped mid-run, a permission missing on one table. The failing source stores nothing, every other
source still runs and stores its windows (unless --fail-fast), the run row says `error` with the cause, and the run
exits 3."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from click.testing import CliRunner

from sqlmon.cli import main
from tests import engines
from tests.conftest import query

END = "2026-03-04"
MONITORS = """\
sources:
  - {name: good, table: main.good, timestamp: ts, window: 1 day, backfill: 3 days}
  - {name: bad, table: main.bad, timestamp: ts, window: 1 day, backfill: 3 days}
monitors:
  - {name: good_rows, type: volume, source: good}
  - {name: good_nulls, type: null_rate, source: good, columns: [x]}
  - {name: bad_nulls, type: null_rate, source: bad, columns: [x]}
"""
TABLES = [
    "CREATE TABLE main.good AS SELECT TIMESTAMP '2026-03-01' + INTERVAL (i) MINUTE AS ts, i * 1.0 AS x "
    "FROM range(3 * 1440) t(i)",
    "CREATE TABLE main.raw AS SELECT TIMESTAMP '2026-03-01' + INTERVAL (i) MINUTE AS ts, "
    "CASE WHEN i = 2000 THEN 'oops' ELSE CAST(i AS VARCHAR) END AS s FROM range(3 * 1440) t(i)",
    # a view that fails when it reads the second day, as a bad upstream value makes a cast fail
    "CREATE VIEW main.bad AS SELECT ts, CAST(s AS INTEGER) AS x FROM main.raw",
]


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["run", "-p", str(root), "--end", END, "--fail-on", "never", *args])


def _stored_monitors(root: Path) -> dict[str, int]:
    rows = query(root, "SELECT monitor, COUNT(DISTINCT window_start) FROM sqlmon.sqlmon_metrics GROUP BY 1")
    return dict(rows)


def test_a_failing_source_stores_nothing_while_the_others_run_and_the_run_exits_3(make_project):
    root = make_project(MONITORS, setup_sql=TABLES)
    result = _run(root)
    assert result.exit_code == 3, result.output
    assert "  bad: failed on the warehouse; nothing of it stored (error below)" in result.stdout
    assert "error: source `bad` failed, nothing of it stored: DuckDB: Conversion Error" in result.stdout
    assert _stored_monitors(root) == {"good_rows": 3, "good_nulls": 3}
    [(status, error)] = query(root, "SELECT status, error FROM sqlmon.sqlmon_runs")
    assert status == "error"
    assert error.startswith("source `bad` failed, nothing of it stored: DuckDB: Conversion Error")
    assert "'oops'" in error

    # the upstream fix lands: the next run computes the failed source's windows, and only those
    con_sql = "CREATE OR REPLACE VIEW main.bad AS SELECT ts, TRY_CAST(s AS INTEGER) AS x FROM main.raw"
    import duckdb

    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        con.execute(con_sql)
    again = _run(root)
    assert again.exit_code == 0, again.output
    assert "  good: no new window to compute" in again.stdout
    assert "  bad: 3 window(s) computed" in again.stdout
    assert _stored_monitors(root) == {"good_rows": 3, "good_nulls": 3, "bad_nulls": 3}


def test_with_fail_fast_the_first_failure_ends_the_run_and_nothing_is_stored(make_project):
    root = make_project(MONITORS, setup_sql=TABLES)
    result = _run(root, "--fail-fast")
    assert result.exit_code == 3
    assert query(root, "SELECT COUNT(*) FROM sqlmon.sqlmon_metrics") == [(0,)]
    [(status, error)] = query(root, "SELECT status, error FROM sqlmon.sqlmon_runs")
    assert (status, error.split(":")[0]) == ("error", "DuckDB")


def test_the_json_report_names_the_failed_source_and_its_cause(make_project):
    import json

    root = make_project(MONITORS, setup_sql=TABLES)
    result = _run(root, "--format", "json")
    payload = json.loads(result.stdout)
    assert (payload["status"], payload["exit_code"]) == ("error", 3)
    assert list(payload["failed_sources"]) == ["bad"]
    assert payload["failed_sources"]["bad"].startswith("DuckDB: Conversion Error")
    assert {m["monitor"] for m in payload["metrics"]} == {"good_rows", "good_nulls"}


SLOW = [
    "CREATE TABLE main.good AS SELECT TIMESTAMP '2026-03-01' + INTERVAL (i) MINUTE AS ts, i * 1.0 AS x "
    "FROM range(3 * 1440) t(i)",
    # billions of rows behind a view: each statement on it runs for minutes
    "CREATE VIEW main.bad AS SELECT g.ts, g.x + r.i AS x FROM main.good AS g, range(100000000) AS r(i)",
]


def test_a_statement_past_statement_timeout_is_cancelled_and_its_source_fails(make_project):
    project = "connection:\n  path: warehouse.duckdb\n  statement_timeout: 1\nresults_schema: sqlmon\n"
    root = make_project(MONITORS, setup_sql=SLOW, project_yml=project)
    started = time.monotonic()
    result = _run(root)
    elapsed = time.monotonic() - started
    assert result.exit_code == 3, result.output
    assert (
        "source `bad` failed, nothing of it stored: statement cancelled after 1 s "
        "(`statement_timeout` of the connection)" in result.stdout
    )
    assert elapsed < 30  # not the minutes the statement needs
    assert _stored_monitors(root) == {"good_rows": 3, "good_nulls": 3}


# --- PostgreSQL: a real server, a connection that goes away, a permission that is missing ------------------------


def _pg_project(make_project, postgres, dbname: str, extra: str = "") -> Path:
    project = postgres.connection_yaml(dbname) + extra + "results_schema: sqlmon\n"
    return make_project(MONITORS.replace("main.", "public."), project_yml=project)


def _pg_tables(postgres, dbname: str, bad_view: str) -> None:
    postgres.create_database(dbname)
    with postgres.connect(dbname) as con:
        con.execute(
            "CREATE TABLE public.good AS SELECT TIMESTAMP '2026-03-01' + i * INTERVAL '1 minute' AS ts, i * 1.0 AS x "
            "FROM generate_series(0, 3 * 1440 - 1) AS i"
        )
        con.execute(bad_view)


def _pg_stored(postgres, dbname: str) -> dict[str, int]:
    with postgres.connect(dbname) as con:
        rows = con.execute(
            "SELECT monitor, COUNT(DISTINCT window_start) FROM sqlmon.sqlmon_metrics GROUP BY 1"
        ).fetchall()
    return dict(rows)


def test_postgres_statement_timeout_is_enforced_by_the_server(make_project, postgres):
    _pg_tables(
        postgres, "timeout", "CREATE VIEW public.bad AS SELECT ts, x FROM public.good WHERE pg_sleep(0.01) IS NOT NULL"
    )
    root = _pg_project(make_project, postgres, "timeout", "  statement_timeout: 1\n")
    result = _run(root)
    assert result.exit_code == 3, result.output
    assert (
        "source `bad` failed, nothing of it stored: PostgreSQL: canceling statement due to statement timeout"
        in result.stdout
    )
    assert _pg_stored(postgres, "timeout") == {"good_rows": 3, "good_nulls": 3}


def test_permission_denied_on_one_source_fails_that_source_only(make_project, postgres):
    _pg_tables(postgres, "grants", "CREATE TABLE public.bad AS SELECT * FROM public.good")
    with postgres.connect("grants") as con:
        con.execute("CREATE ROLE reader LOGIN PASSWORD 'reader-pw'")
        con.execute("GRANT CREATE, USAGE ON SCHEMA public TO reader")
        con.execute("GRANT CREATE ON DATABASE grants TO reader")
        con.execute("GRANT SELECT ON public.good TO reader")
        con.execute("GRANT INSERT ON public.bad TO reader")  # visible in information_schema, but not readable
    root = _pg_project(make_project, postgres, "grants")
    yml = (root / "sqlmon.yml").read_text().replace("user: sqlmon", "user: reader")
    (root / "sqlmon.yml").write_text(yml.replace("${SQLMON_TEST_PG_PASSWORD}", "reader-pw"))
    result = _run(root)
    assert result.exit_code == 3, result.output
    assert "source `bad` failed, nothing of it stored: PostgreSQL: permission denied for table bad" in result.stdout
    assert _pg_stored(postgres, "grants") == {"good_rows": 3, "good_nulls": 3}


def test_a_connection_dropped_mid_run_ends_the_run_with_exit_3_and_nothing_stored(make_project, postgres):
    _pg_tables(
        postgres, "dropped", "CREATE VIEW public.bad AS SELECT ts, x FROM public.good WHERE pg_sleep(0.001) IS NOT NULL"
    )
    root = _pg_project(make_project, postgres, "dropped")

    def drop_the_connection_when_it_reads_bad() -> None:
        # as a failover or an administrator would: the server ends sqlmon's session in the middle of a statement
        deadline = time.monotonic() + 60
        with postgres.connect("dropped") as con:
            while time.monotonic() < deadline:
                killed = con.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'dropped' "
                    "AND pid <> pg_backend_pid() AND query LIKE '%\"bad\"%' AND state = 'active'"
                ).fetchall()
                if killed:
                    return
                time.sleep(0.02)

    killer = threading.Thread(target=drop_the_connection_when_it_reads_bad)
    killer.start()
    result = _run(root)
    killer.join()
    assert result.exit_code == 3, result.output
    assert "Internal error" not in result.output
    assert result.stderr.startswith(
        "Error: source `bad` failed, nothing of it stored: PostgreSQL: terminating connection due to "
        "administrator command"
    )
    assert "and the run could not be stored: PostgreSQL: the connection is lost" in result.stderr
    with postgres.connect("dropped") as con:
        tables = con.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'sqlmon'").fetchone()
        stored = con.execute("SELECT COUNT(*) FROM sqlmon.sqlmon_metrics").fetchone() if tables[0] else (0,)
    assert stored == (0,)  # the connection is gone, so the run could store nothing: and it stored nothing partial


def test_a_refused_connection_is_one_line_and_exit_3(make_project):
    port = engines._free_port()
    project = (
        f"connection:\n  type: postgres\n  host: 127.0.0.1\n  port: {port}\n  user: u\n  connect_timeout: 2\n"
        "results_schema: sqlmon\n"
    )
    root = make_project(MONITORS, project_yml=project)
    result = _run(root)
    assert result.exit_code == 3
    assert result.stderr.startswith(f"Error: cannot connect to postgres://u@127.0.0.1:{port}/postgres:")
    assert "Traceback" not in result.output


def test_the_monitors_of_a_failed_source_reach_the_channels_as_errors_once_and_resolve(make_project):
    """A failure of the warehouse is not silence: each channel is told, once, that the source's monitors could not
    run, with the cause; the run that computes them again sends the resolution."""
    import duckdb

    from tests.notify_server import Recorder

    with Recorder() as server:
        project = f"{'connection: {type: duckdb, path: warehouse.duckdb}'}\nmonitor_paths: [monitors]\nnotify:\n"
        project += f"  - {{name: feed, type: webhook, url: '{server.url}/hook'}}\n"
        root = make_project(MONITORS, setup_sql=TABLES, project_yml=project)
        assert _run(root).exit_code == 3
        [first] = server.on("/hook")
        [alert] = first.json()["alerts"]
        assert (alert["event"], alert["monitor"], alert["metric"], alert["severity"]) == (
            "opened",
            "bad_nulls",
            "monitor_error",
            "error",
        )
        assert alert["message"].startswith("not computed: source `bad` failed on the warehouse: DuckDB: Conversion")
        assert _run(root).exit_code == 3  # still failing: nothing new to say
        assert len(server.on("/hook")) == 1
        with duckdb.connect(str(root / "warehouse.duckdb")) as con:
            con.execute("CREATE OR REPLACE VIEW main.bad AS SELECT ts, TRY_CAST(s AS INTEGER) AS x FROM main.raw")
        assert _run(root).exit_code == 0
        last = server.on("/hook")[-1].json()
        assert [(r["monitor"], r["metric"]) for r in last["resolved"]] == [("bad_nulls", "monitor_error")]


def test_with_fail_fast_the_channels_still_hear_of_the_failure_and_nothing_is_falsely_resolved(make_project):
    """--fail-fast stores nothing, so nothing changed in the warehouse: the failed source's monitors are reported,
    and what was open stays open (no `resolved` for a monitor error that still holds)."""
    from tests.notify_server import Recorder

    with Recorder() as server:
        project = "connection: {type: duckdb, path: warehouse.duckdb}\nmonitor_paths: [monitors]\nnotify:\n"
        project += f"  - {{name: feed, type: webhook, url: '{server.url}/hook'}}\n"
        root = make_project(MONITORS, setup_sql=TABLES, project_yml=project)
        assert _run(root, "--fail-fast").exit_code == 3
        [first] = server.on("/hook")
        [alert] = first.json()["alerts"]
        assert (alert["monitor"], alert["metric"]) == ("bad_nulls", "monitor_error")
        assert "while running" not in alert["message"] and "SELECT" not in alert["message"]
        assert _run(root, "--fail-fast").exit_code == 3
        assert len(server.on("/hook")) == 1, "still failing: no new message, no false resolution"
