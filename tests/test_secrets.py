"""A secret in the project's configuration never reaches any output.

A distinctive value is planted in the environment and referenced from sqlmon.yml the way users write passwords
(`${VAR}`, docs/engines.md). Each test runs real `python -m sqlmon` processes — the real exception paths and exit
codes — and then searches everything they left for the value: stdout, stderr, every file of the project folder
(logs included) and every column of every results table, cast to text. It must be found nowhere.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from sqlmon.cli import main
from tests.test_config_errors import WAREHOUSE

SECRET = "s3cr3t-PLANTED-7f3a"
VARIABLE = "SQLMON_TEST_PLANTED_SECRET"

SOURCES = """\
sources:
  - {name: events, table: main.events, timestamp: scored_at, window: 1 day}
"""
MONITORS = (
    SOURCES
    + """\
monitors:
  - {name: nulls, type: null_rate, source: events}
  - {name: rows, type: volume, source: events}
"""
)
BROKEN_SQL = (
    SOURCES
    + """\
monitors:
  - name: broken
    type: custom_sql
    source: events
    metrics:
      country_number: SUM(CAST(country AS INTEGER))
"""
)
# the secret where users put one: a password (and a user) of a target the run does not use, and Spark settings
UNUSED_TARGETS = f"""\
  prod:
    type: postgres
    host: db.internal
    user: monitor
    password: ${{{VARIABLE}}}
  lake:
    type: spark
    conf:
      spark.hadoop.fs.s3a.secret.key: ${{{VARIABLE}}}
      spark.hadoop.fs.s3a.access.key: prefix-${{{VARIABLE}}}-suffix
"""


def _free_port() -> int:
    with socket.socket() as sock:  # bound and released: nothing listens there afterwards
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def project_yml(dev: str, extra: str = "") -> str:
    return f"name: secrets\ntargets:\n  dev:\n{textwrap.indent(dev, '    ')}{UNUSED_TARGETS}{extra}target: dev\n"


DUCKDB = "type: duckdb\npath: warehouse.duckdb\n"
REFUSED = (  # a PostgreSQL port where nothing listens: the connection is refused
    f"type: postgres\nhost: 127.0.0.1\nport: {_free_port()}\nuser: ${{{VARIABLE}}}\npassword: ${{{VARIABLE}}}\n"
    "connect_timeout: 2\n"
)


@pytest.fixture(autouse=True)
def planted(monkeypatch):
    monkeypatch.setenv(VARIABLE, SECRET)
    monkeypatch.delenv("SQLMON_DEBUG", raising=False)


class Outputs:
    """Everything the commands printed, for one search at the end."""

    def __init__(self, root: Path):
        self.root = root
        self.texts: list[str] = []

    def sqlmon(self, *args: str, expect: int, debug: bool = False) -> str:
        env = {**os.environ, "SQLMON_DEBUG": "1"} if debug else dict(os.environ)
        done = subprocess.run(
            [sys.executable, "-m", "sqlmon", *args, "-p", str(self.root)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        self.texts += [done.stdout, done.stderr]
        assert done.returncode == expect, done.stdout + done.stderr
        return done.stdout + done.stderr

    def found(self) -> dict[str, int]:
        """Where the secret is, and how often: in printed output, in files of the project, in results tables."""
        places = {f"output {i}": text.count(SECRET) for i, text in enumerate(self.texts)}
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and path.suffix not in (".duckdb", ".wal") and path.name != "sqlmon.yml":
                places[str(path.relative_to(self.root))] = path.read_bytes().count(SECRET.encode())
        places.update(results_tables(self.root / "warehouse.duckdb"))
        return {place: count for place, count in places.items() if count}


def results_tables(path: Path) -> dict[str, int]:
    """Occurrences of the secret in each table of the `sqlmon` schema, every column cast to text."""
    if not path.exists():
        return {}
    found: dict[str, int] = {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'sqlmon' ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            columns = [row[0] for row in con.execute(f'DESCRIBE "sqlmon"."{table}"').fetchall()]
            casts = ", ".join(f'CAST("{column}" AS VARCHAR)' for column in columns)
            rows = con.execute(f'SELECT {casts} FROM "sqlmon"."{table}"').fetchall()
            found[f"table sqlmon.{table} ({len(rows)} rows)"] = sum(str(v).count(SECRET) for row in rows for v in row)
    finally:
        con.close()
    return found


def test_the_results_tables_exist_to_be_searched(make_project):
    """The search of the results tables is no empty loop: a run leaves them, with rows."""
    root = make_project(MONITORS, setup_sql=WAREHOUSE, project_yml=project_yml(DUCKDB))
    Outputs(root).sqlmon("run", "--end", "2026-01-02", expect=0)
    tables = results_tables(root / "warehouse.duckdb")
    assert "table sqlmon.sqlmon_runs (1 rows)" in tables
    assert len(tables) >= 4


def test_validate_compile_and_run_never_show_a_secret(make_project):
    root = make_project(MONITORS, setup_sql=WAREHOUSE, project_yml=project_yml(DUCKDB))
    outputs = Outputs(root)
    outputs.sqlmon("validate", "--offline", expect=0)
    outputs.sqlmon("validate", expect=0)
    outputs.sqlmon("compile", "--end", "2026-01-02", expect=0)
    outputs.sqlmon("compile", "--end", "2026-01-02", "--dialect", "postgres", expect=0)
    outputs.sqlmon("run", "--end", "2026-01-02", expect=0)
    # 2 January has no rows: `rows` alerts, so alerts are in the output and the tables too
    outputs.sqlmon("run", "--end", "2026-01-03", "--format", "json", expect=1)
    outputs.sqlmon("run", "--start", "2026-01-01", "--end", "2026-01-03", expect=1, debug=True)
    assert outputs.found() == {}


def test_a_run_that_fails_on_the_warehouse_never_shows_a_secret(make_project):
    root = make_project(BROKEN_SQL, setup_sql=WAREHOUSE, project_yml=project_yml(DUCKDB))
    outputs = Outputs(root)
    assert "Conversion Error" in outputs.sqlmon("run", "--end", "2026-01-02", expect=3)
    outputs.sqlmon("run", "--end", "2026-01-02", "--format", "json", expect=3)
    outputs.sqlmon("run", "--end", "2026-01-02", expect=3, debug=True)
    assert outputs.found() == {}


def test_a_refused_postgres_connection_never_shows_the_user_or_password(make_project):
    root = make_project(MONITORS, project_yml=project_yml(REFUSED))
    outputs = Outputs(root)
    outputs.sqlmon("validate", "--offline", expect=0)
    for command in (["validate"], ["compile"], ["run"], ["run", "--format", "json"]):
        message = outputs.sqlmon(*command, expect=3)
        assert "Error: cannot connect to postgres://***@127.0.0.1:" in message
    outputs.sqlmon("run", expect=3, debug=True)
    assert outputs.found() == {}


@pytest.mark.parametrize(
    ("dev", "expect", "message"),
    [
        # a connection written as a URL with the password inline, written in the file itself: refused by the
        # server, or invalid (only not quoting the value back keeps it out); and the password beside the URL
        (
            f"postgresql://monitor:{SECRET}@127.0.0.1:{_free_port()}/analytics?connect_timeout=2",
            3,
            "Error: cannot connect to postgres://monitor@127.0.0.1:",
        ),
        (
            f"postgresql://monitor:{SECRET}@127.0.0.1:5x/analytics",
            2,
            "sqlmon.yml:3: targets.dev: the port in `url` is not a number from 1 to 65535",
        ),
        (
            f"url: postgresql://monitor@127.0.0.1:{_free_port()}/analytics?connect_timeout=2\n"
            f"password: ${{{VARIABLE}}}\n",
            3,
            "Error: cannot connect to postgres://monitor@127.0.0.1:",
        ),
        # a value of the wrong type, or a type that does not exist, quoted back in the problem
        (f"type: postgres\nport: ${{{VARIABLE}}}\n", 2, "sqlmon.yml:5: targets.dev.port: Input should be"),
        (f"type: ${{{VARIABLE}}}\n", 2, "sqlmon.yml:4: targets.dev.type: unknown type `***`"),
        (f"type: duckdb\nthreads: ${{{VARIABLE}}}\n", 2, "sqlmon.yml:5: targets.dev.threads: Input should be"),
        # DuckDB's own messages: a file that does not exist, a setting it cannot parse
        (f"type: duckdb\npath: ${{{VARIABLE}}}.duckdb\n", 3, "Error: DuckDB file "),
        (f"type: duckdb\nmemory_limit: ${{{VARIABLE}}}\n", 3, "Error: cannot open DuckDB database "),
    ],
    ids=["url", "invalid-url", "url-and-password", "port", "type", "threads", "duckdb-path", "duckdb-setting"],
)
def test_an_invalid_connection_never_repeats_a_secret(make_project, dev, expect, message):
    if dev.startswith("postgresql://"):
        yml = f"name: secrets\ntargets:\n  dev: {dev}\n{UNUSED_TARGETS}target: dev\n"
    else:
        yml = project_yml(dev)
    root = make_project(MONITORS, setup_sql=WAREHOUSE, project_yml=yml)
    outputs = Outputs(root)
    commands = [["validate", "--offline"], ["validate"], ["compile"], ["run"], ["run", "--format", "json"]]
    for command in commands if expect == 2 else commands[1:]:
        assert message in outputs.sqlmon(*command, expect=expect)
    assert outputs.found() == {}


def test_an_internal_error_and_its_debug_traceback_mask_a_secret(make_project, monkeypatch):
    """A bug whose exception quotes a secret (a driver's error that escaped its wrapper, say) is masked too, in the
    one-line report and in the SQLMON_DEBUG=1 traceback."""
    root = make_project(MONITORS, setup_sql=WAREHOUSE, project_yml=project_yml(DUCKDB))

    def escaped(*args, **kwargs):
        raise RuntimeError(f"driver said: password={SECRET} rejected")

    monkeypatch.setattr("sqlmon.engines.duckdb.DuckDBEngine.open", escaped)
    for debug in ("", "1"):
        monkeypatch.setenv("SQLMON_DEBUG", debug)
        result = CliRunner().invoke(main, ["validate", "-p", str(root)])
        assert result.exit_code == 3
        assert "Internal error: RuntimeError: driver said: password=*** rejected" in result.stderr
        assert ("Traceback (most recent call last)" in result.stderr) == bool(debug)
        assert SECRET not in result.output + result.stderr


def test_runs_on_a_real_postgres_never_show_its_password(postgres, make_project, monkeypatch):
    """The server's real password, from the environment, through a run that succeeds, one that fails on the
    warehouse, and a wrong password; then every table of the results schema is searched for it."""
    monkeypatch.setenv("SQLMON_TEST_PG_PASSWORD", postgres.password)
    postgres.create_database("secrets")
    with postgres.connect("secrets") as con:
        con.execute("CREATE SCHEMA main")
        con.execute("CREATE TABLE main.events (id INTEGER, country TEXT, scored_at TIMESTAMP)")
        con.execute("INSERT INTO main.events VALUES (1, 'DE', '2026-01-01 10:00')")
    connection = textwrap.dedent(postgres.connection_yaml("secrets").removeprefix("connection:\n"))
    root = make_project(MONITORS, project_yml=project_yml(connection))
    outputs = Outputs(root)
    outputs.sqlmon("validate", expect=0)
    outputs.sqlmon("run", "--end", "2026-01-02", expect=0)
    (root / "monitors" / "monitors.yml").write_text(BROKEN_SQL)
    outputs.sqlmon("run", "--end", "2026-01-02", "--format", "json", expect=3, debug=True)
    monkeypatch.setenv("SQLMON_TEST_PG_PASSWORD", SECRET)  # now a wrong one
    assert "password authentication failed" in outputs.sqlmon("run", expect=3)
    texts = "".join(outputs.texts)
    with postgres.connect("secrets") as con:
        tables = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'sqlmon'"
            ).fetchall()
        ]
        assert len(tables) >= 4
        for table in tables:
            [(text,)] = con.execute(
                f"SELECT COALESCE(string_agg(t::text, ' '), '') FROM sqlmon.\"{table}\" AS t"
            ).fetchall()
            assert postgres.password not in text and SECRET not in text, table
    assert postgres.password not in texts and SECRET not in texts
    assert outputs.found() == {}
