"""The `sqlmon` command line, run through click's CliRunner on real projects.

Exit codes (sqlmon/cli.py, docs/cli.md): 0 ok, 1 alerts at or above `--fail-on`, 2 invalid configuration (or a bad
option), 3 runtime or warehouse error. No failure prints a Python traceback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import duckdb
import pytest
from click.testing import CliRunner, Result

from sqlmon.cli import main
from tests.conftest import query

# 24 scores, one every two hours over 2026-01-01 and 2026-01-02; every fourth amount is missing (a null rate of 0.25).
WAREHOUSE = [
    "CREATE TABLE main.scores (id INTEGER, scored_at TIMESTAMP, amount DOUBLE, country VARCHAR)",
    "INSERT INTO main.scores SELECT i, TIMESTAMP '2026-01-01' + to_hours(2 * i),"
    " CASE WHEN i % 4 = 0 THEN NULL ELSE i * 1.5 END, CASE WHEN i % 3 = 0 THEN 'DE' ELSE 'FR' END FROM range(24) t(i)",
    "CREATE TABLE main.training (id INTEGER, amount DOUBLE, country VARCHAR)",
    "INSERT INTO main.training SELECT i, i * 1.5, CASE WHEN i % 3 = 0 THEN 'DE' ELSE 'FR' END FROM range(24) t(i)",
]
SOURCES = """\
sources:
  - name: scores
    table: main.scores
    timestamp: scored_at
    window: 1 day
    baseline: {table: main.training}
  - name: training
    table: main.training
"""
NULLS = (
    SOURCES
    + """\
monitors:
  - name: amount_nulls
    type: null_rate
    source: scores
    columns: [amount]
    thresholds:
      null_rate: RULE
"""
)
WARN_ONLY = "{warn: 0.1, error: 0.5}"  # 0.25 missing: a warning
ERROR = "{warn: 0.1, error: 0.2}"  # 0.25 missing: an error
THREE_MONITORS = (
    SOURCES
    + """\
monitors:
  - name: amount_nulls
    type: null_rate
    source: scores
    columns: [amount]
  - name: amount_drift
    type: feature_drift
    source: scores
    columns: [amount, country]
  - name: training_nulls
    type: null_rate
    source: training
"""
)
TWO_DAYS = ["--start", "2026-01-01", "--end", "2026-01-03"]


def sqlmon(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    # every outcome is a message and an exit code: nothing escapes as an exception, nothing prints a traceback
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def run_json(root: Path, *args: str) -> tuple[int, dict]:
    result = sqlmon("run", "-p", root, "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


# --- init and validate ---------------------------------------------------------------------------------------------


def test_init_creates_a_project_that_validates_offline(tmp_path):
    folder = tmp_path / "project"
    result = sqlmon("init", folder)
    assert result.exit_code == 0
    assert result.stdout == (
        f"created {folder / 'sqlmon.yml'}\n"
        f"created {folder / 'monitors' / 'example.yml'}\n"
        "Next: edit monitors/example.yml, then `sqlmon validate` and `sqlmon run`.\n"
    )
    result = sqlmon("validate", "-p", folder, "--offline")
    assert (result.exit_code, result.stdout) == (0, "OK (YAML only): 1 source(s), 2 monitor(s) in 1 file(s).\n")


def test_init_refuses_to_overwrite_a_project(tmp_path):
    (tmp_path / "sqlmon.yml").write_text("name: mine\n")
    result = sqlmon("init", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        "Invalid configuration (1 problem):\n"
        f"  {tmp_path / 'sqlmon.yml'}: already exists; sqlmon init does not overwrite "
        "(choose an empty folder or remove the file)\n"
    )
    assert (tmp_path / "sqlmon.yml").read_text() == "name: mine\n"
    assert not (tmp_path / "monitors").exists()


def test_validate_checks_the_warehouse_and_prints_ok(make_project):
    root = make_project(THREE_MONITORS, setup_sql=WAREHOUSE)
    result = sqlmon("validate", "-p", root)
    assert result.exit_code == 0
    assert result.stdout == "OK (YAML and warehouse): 2 source(s), 3 monitor(s) in 1 file(s).\n"


def test_validate_finds_the_project_from_a_subfolder(make_project):
    root = make_project(THREE_MONITORS, setup_sql=WAREHOUSE)
    result = sqlmon("validate", "-p", root / "monitors", "--offline")
    assert (result.exit_code, result.stdout) == (0, "OK (YAML only): 2 source(s), 3 monitor(s) in 1 file(s).\n")


def test_validate_of_an_invalid_project_exits_2(make_project):
    root = make_project(NULLS.replace("RULE", "{warn: 0.5, error: 0.1}"))
    result = sqlmon("validate", "-p", root, "--offline")
    assert result.exit_code == 2
    assert result.stderr == (
        "Invalid configuration (1 problem):\n"
        "  monitors/monitors.yml:15: monitors[0].thresholds.null_rate: `warn` (0.5) is above `error` (0.1); "
        "with direction above, warn ≤ error\n"
    )


# --- run: exit codes and --fail-on ---------------------------------------------------------------------------------


def test_a_run_without_alerts_exits_0(make_project):
    root = make_project(NULLS.replace("RULE", "{warn: 0.3, error: 0.5}"), setup_sql=WAREHOUSE)
    result = sqlmon("run", "-p", root, *TWO_DAYS)
    assert result.exit_code == 0
    assert "scores: 2 window(s) computed, 2026-01-01 00:00 → 2026-01-03 00:00" in result.stdout
    assert result.stdout.endswith("No alerts.\n\n0 error(s), 0 warning(s); exit 0 (--fail-on error)\n")


@pytest.mark.parametrize(
    ("rule", "fail_on", "code"),
    [
        (WARN_ONLY, "error", 0),  # the default: warnings are reported, the run passes
        (WARN_ONLY, "warn", 1),
        (WARN_ONLY, "never", 0),
        (ERROR, "error", 1),
        (ERROR, "warn", 1),  # an error is at or above warn
        (ERROR, "never", 0),  # report only, e.g. for a dashboard job
    ],
)
def test_fail_on_sets_the_severity_that_fails_the_run(make_project, rule, fail_on, code):
    root = make_project(NULLS.replace("RULE", rule), setup_sql=WAREHOUSE)
    result = sqlmon("run", "-p", root, *TWO_DAYS, "--fail-on", fail_on)
    assert result.exit_code == code
    errors, warnings = (0, 2) if rule == WARN_ONLY else (2, 0)  # one alert per window
    assert result.stdout.endswith(f"{errors} error(s), {warnings} warning(s); exit {code} (--fail-on {fail_on})\n")


def test_fail_on_takes_only_known_levels(make_project):
    root = make_project(NULLS.replace("RULE", WARN_ONLY), setup_sql=WAREHOUSE)
    result = sqlmon("run", "-p", root, "--fail-on", "info")
    assert result.exit_code == 2
    assert "Invalid value for '--fail-on': 'info' is not one of 'warn', 'error', 'never'." in result.stderr


def test_json_output_has_the_run_its_metrics_alerts_and_exit_code(make_project):
    root = make_project(NULLS.replace("RULE", ERROR), setup_sql=WAREHOUSE)
    code, report = run_json(root, *TWO_DAYS)
    assert code == report["exit_code"] == 1
    assert re.fullmatch(r"[0-9a-f]{32}", report["run_id"])
    assert report["status"] == "success"
    assert report["windows"] == {
        "scores": [
            {"start": "2026-01-01T00:00:00", "end": "2026-01-02T00:00:00"},
            {"start": "2026-01-02T00:00:00", "end": "2026-01-03T00:00:00"},
        ]
    }
    assert {(m["metric"], m["value"], m["window"]["start"]) for m in report["metrics"]} == {
        (metric, value, f"2026-01-0{day}T00:00:00")
        for day in (1, 2)
        for metric, value in (("row_count", 12.0), ("null_count", 3.0), ("null_rate", 0.25))
    }
    assert [(a["monitor"], a["metric"], a["severity"], a["window_start"]) for a in report["alerts"]] == [
        ("amount_nulls", "null_rate", "error", "2026-01-01T00:00:00"),
        ("amount_nulls", "null_rate", "error", "2026-01-02T00:00:00"),
    ]
    assert report["alerts"][0]["message"] == "null_rate of amount = 0.25 (error: > 0.2)"


# --- run: --select -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selectors", "chosen"),
    [
        ([], {"amount_nulls", "amount_drift", "training_nulls"}),
        (["amount_drift"], {"amount_drift"}),
        (["source:training"], {"training_nulls"}),
        (["type:null_rate"], {"amount_nulls", "training_nulls"}),
        (["amount_drift", "source:training"], {"amount_drift", "training_nulls"}),
    ],
)
def test_select_by_name_source_or_type(make_project, selectors, chosen):
    root = make_project(THREE_MONITORS, setup_sql=WAREHOUSE)
    options = [option for selector in selectors for option in ("--select", selector)]
    code, report = run_json(root, *TWO_DAYS, *options, "--fail-on", "never")
    assert code == 0
    assert {m["monitor"] for m in report["metrics"]} == chosen
    assert {row[0] for row in query(root, "SELECT DISTINCT monitor FROM sqlmon.sqlmon_metrics")} == chosen


# --- run: incremental, backfill, atomic ----------------------------------------------------------------------------


def stored_null_rates(root: Path) -> list[tuple]:
    return query(
        root,
        "SELECT CAST(window_start AS DATE)::VARCHAR, value FROM sqlmon.sqlmon_metrics "
        "WHERE metric = 'null_rate' ORDER BY window_start",
    )


def test_a_second_run_computes_only_new_windows(make_project):
    root = make_project(NULLS.replace("RULE", WARN_ONLY), setup_sql=WAREHOUSE)
    assert run_json(root, "--end", "2026-01-03")[1]["windows"]["scores"] != []
    code, report = run_json(root, "--end", "2026-01-03")
    assert (code, report["windows"], report["metrics"]) == (0, {"scores": []}, [])
    assert stored_null_rates(root) == [("2026-01-01", 0.25), ("2026-01-02", 0.25)]


def test_a_backfill_recomputes_and_replaces_stored_windows(make_project):
    root = make_project(NULLS.replace("RULE", WARN_ONLY), setup_sql=WAREHOUSE)
    assert run_json(root, *TWO_DAYS)[0] == 0
    assert stored_null_rates(root) == [("2026-01-01", 0.25), ("2026-01-02", 0.25)]
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute("UPDATE main.scores SET amount = NULL WHERE scored_at < TIMESTAMP '2026-01-02'")  # late-arriving fix
    con.close()

    code, report = run_json(root, *TWO_DAYS)
    assert code == 1  # the first day is now all missing: above the error level
    assert stored_null_rates(root) == [("2026-01-01", 1.0), ("2026-01-02", 0.25)]  # replaced, not appended
    assert (
        query(
            root,
            "SELECT monitor, column_name, metric, window_start, count(*) FROM sqlmon.sqlmon_metrics "
            "GROUP BY ALL HAVING count(*) > 1",
        )
        == []
    )
    assert query(root, "SELECT DISTINCT run_id FROM sqlmon.sqlmon_metrics") == [(report["run_id"],)]
    assert query(root, "SELECT count(*) FROM sqlmon.sqlmon_runs") == [(2,)]
    assert query(root, "SELECT count(*) FROM sqlmon.sqlmon_alerts WHERE window_start < '2026-01-02'") == [(1,)]


def test_a_warehouse_error_during_a_run_exits_3_and_stores_no_metrics(make_project):
    # the view exists and has its columns, so validation passes; reading it fails
    broken = "CREATE VIEW main.broken AS SELECT CAST(x AS INTEGER) AS v FROM (VALUES ('1'), ('x')) t(x)"
    root = make_project(
        """\
        sources:
          - name: broken
            table: main.broken
        monitors:
          - name: broken_nulls
            type: null_rate
            source: broken
        """,
        setup_sql=[broken],
    )
    result = sqlmon("run", "-p", root)
    assert result.exit_code == 3
    assert "sqlmon run " in result.stdout and ": error, as of " in result.stdout
    assert "\nerror: source `broken` failed, nothing of it stored: DuckDB: Conversion Error: " in result.stdout
    assert query(root, "SELECT status FROM sqlmon.sqlmon_runs") == [("error",)]
    assert query(root, "SELECT count(*) FROM sqlmon.sqlmon_metrics") == [(0,)]


# --- run: errors ---------------------------------------------------------------------------------------------------


def test_a_file_that_is_not_a_duckdb_database_exits_3(make_project):
    root = make_project(THREE_MONITORS, setup_sql=WAREHOUSE)
    (root / "warehouse.duckdb").write_bytes(b"these are not the bytes of a database\n" * 200)
    for command in (["run"], ["validate"], ["compile"]):
        result = sqlmon(*command, "-p", root)
        assert result.exit_code == 3
        assert result.stderr.startswith(f"Error: cannot open DuckDB database {root / 'warehouse.duckdb'}: ")


def test_a_missing_database_file_exits_3_on_validate(make_project):
    root = make_project(THREE_MONITORS)
    (root / "warehouse.duckdb").unlink()
    result = sqlmon("validate", "-p", root)
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: DuckDB file {root / 'warehouse.duckdb'} does not exist; check `connection.path` in sqlmon.yml\n"
    )


def test_no_project_here_exits_2(tmp_path):
    result = sqlmon("validate", "-p", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Invalid configuration (1 problem):\n  {tmp_path}: no sqlmon.yml here or in any parent "
        "folder (run `sqlmon init` to create one)\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "--start", "last week"],
            "Error: Invalid value for --start: `last week` is not a date or time; "
            "write e.g. 2026-10-01 or 2026-10-01T06:00",
        ),
        (
            ["compile", "--dialect", "oracle"],
            "Error: Invalid value for --dialect: unknown dialect `oracle`; "
            "known: duckdb, postgres, spark, databricks, snowflake, bigquery, redshift, trino",
        ),
    ],
)
def test_a_bad_option_value_is_a_usage_error(make_project, args, message):
    root = make_project(THREE_MONITORS, setup_sql=WAREHOUSE)
    result = sqlmon(*args, "-p", root)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == message


def test_a_bug_is_reported_as_one_without_a_traceback(make_project, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("sqlmon.runner.run", broken)
    monkeypatch.delenv("SQLMON_DEBUG", raising=False)
    root = make_project(THREE_MONITORS, setup_sql=WAREHOUSE)
    result = sqlmon("run", "-p", root)
    assert result.exit_code == 3
    assert result.stderr == (
        "Internal error: RuntimeError: boom\n"
        "This is a bug in sqlmon; rerun with SQLMON_DEBUG=1 for the traceback and report it.\n"
    )


# --- compile -------------------------------------------------------------------------------------------------------


def test_compile_prints_sql_that_duckdb_runs(make_project):
    root = make_project(THREE_MONITORS, setup_sql=WAREHOUSE)
    result = sqlmon("compile", "-p", root, "--end", "2026-01-03")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("-- sqlmon compile: 3 monitor(s), dialect duckdb\n")
    assert "-- source scores (main.scores), window [2026-01-02 00:00:00, 2026-01-03 00:00:00)" in out
    assert '"main"."scores"' in out and '"main"."training"' in out and '"amount"' in out  # identifiers quoted
    statements = re.findall(r"^-- \d+\. [^\n]*\n(.*?);$", out, flags=re.MULTILINE | re.DOTALL)
    assert len(statements) == len(re.findall(r"^-- \d+\. ", out, flags=re.MULTILINE)) > 0
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        for statement in statements:
            assert con.execute(statement).fetchall() != [], statement
    finally:
        con.close()
    assert query(root, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'sqlmon'") == [(0,)]


def test_compile_of_one_selected_monitor(make_project):
    root = make_project(THREE_MONITORS, setup_sql=WAREHOUSE)
    result = sqlmon("compile", "-p", root, "--select", "training_nulls")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "-- sqlmon compile: 1 monitor(s), dialect duckdb\n\n"
        "-- source training (main.training), window whole table: 1 statement(s)\n"
        "-- monitors: training_nulls\n"
    )


# --- help and documentation ----------------------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def long_options(command: click.Command) -> list[str]:
    return [
        opt for param in command.params if isinstance(param, click.Option) for opt in param.opts if opt.startswith("--")
    ]


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_and_option_has_help(name):
    command = main.commands[name]
    assert (command.help or "").strip(), f"`sqlmon {name}` has no help"
    for param in command.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), f"`sqlmon {name} {param.opts[0]}` has no help"
    result = sqlmon(name, "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: main {name} ")


def test_the_group_help_lists_every_command_and_the_exit_codes():
    result = sqlmon("--help")
    assert result.exit_code == 0
    assert all(f"  {name} " in result.stdout for name in main.commands)
    assert (
        "Exit codes: 0 ok, 1 alerts at or above --fail-on, 2 invalid configuration, 3 runtime or warehouse"
        " error." in " ".join(result.stdout.split())
    )


SUBCOMMANDS = {
    f"{name} {sub}": command.commands[sub]
    for name, command in main.commands.items()
    if isinstance(command, click.Group)
    for sub in command.commands
}


@pytest.mark.parametrize("name", sorted([*main.commands, *SUBCOMMANDS]))
def test_every_command_and_option_is_documented(name):
    assert DOCS.is_file(), "docs/cli.md, the command line reference, is missing"
    text = DOCS.read_text(encoding="utf-8")
    assert f"sqlmon {name}" in text, f"docs/cli.md does not describe `sqlmon {name}`"
    command = SUBCOMMANDS.get(name) or main.commands[name]
    missing = [option for option in long_options(command) if option not in text]
    assert missing == [], f"docs/cli.md does not mention {', '.join(missing)} of `sqlmon {name}`"


def test_every_help_shown_in_the_docs_is_the_commands_own_help():
    """docs/cli.md shows `sqlmon … --help` as the command prints it off a terminal (click wraps at 78 columns
    there); `Usage: main` is how CliRunner names the program."""
    blocks = re.findall(r"```console\n\$ sqlmon ([^\n]*)--help\n(.*?)\n```", DOCS.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= len(main.commands)
    for words, shown in blocks:
        printed = CliRunner().invoke(main, [*words.split(), "--help"], terminal_width=78).stdout
        assert printed.replace("Usage: main", "Usage: sqlmon").rstrip() == shown, f"sqlmon {words}--help"


def test_demo_refuses_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "sqlmon.yml").write_text("name: mine\n")
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path), "--days", "1"])
    assert result.exit_code == 3
    assert "was not made by `sqlmon demo`" in result.stderr
    assert (tmp_path / "sqlmon.yml").read_text() == "name: mine\n"


def test_json_output_is_strict_json_even_when_a_metric_is_infinite(make_project):
    root = make_project(
        """\
        sources:
          - {name: s, table: main.s, baseline: {table: main.s}}
        monitors:
          - {name: scores, type: prediction_histogram, source: s, column: score}
        """,
        setup_sql="CREATE TABLE main.s AS SELECT * FROM (VALUES (0.2), (0.4), (CAST('inf' AS DOUBLE))) t(score)",
    )
    result = CliRunner().invoke(main, ["run", "-p", str(root), "--format", "json"])

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    payload = json.loads(result.stdout, parse_constant=refuse)
    [mean] = [m for m in payload["metrics"] if m["metric"] == "mean"]
    assert mean["value"] is None


# --- --format json when the run cannot start ------------------------------------------------------------------------


def failed_json(root: Path, *args: str) -> tuple[Result, dict]:
    result = sqlmon("run", "-p", root, "--format", "json", *args)
    report = json.loads(result.stdout)  # JSON on stdout, whatever went wrong
    assert (report["run_id"], report["status"], report["metrics"], report["alerts"]) == (None, "error", [], [])
    assert report["exit_code"] == result.exit_code
    return result, report


def test_json_of_an_invalid_configuration_lists_its_problems_and_exits_2(make_project):
    root = make_project(NULLS.replace("RULE", "{warn: 0.5, error: 0.1}"), setup_sql=WAREHOUSE)
    result, report = failed_json(root)
    assert result.exit_code == 2
    assert report["problems"] == [
        {
            "file": "monitors/monitors.yml",
            "line": 15,
            "key": "monitors[0].thresholds.null_rate",
            "message": "`warn` (0.5) is above `error` (0.1); with direction above, warn ≤ error",
            "hint": None,
        }
    ]
    assert report["error"] == result.stderr.rstrip("\n")  # the same message as on stderr
    assert result.stderr.startswith("Invalid configuration (1 problem):\n  monitors/monitors.yml:15: ")


def test_json_of_a_select_that_matches_nothing_exits_2(make_project):
    root = make_project(THREE_MONITORS, setup_sql=WAREHOUSE)
    result, report = failed_json(root, "--select", "amount_drfit")
    assert result.exit_code == 2
    assert report["problems"] == [
        {
            "file": None,
            "line": None,
            "key": "--select",
            "message": "`amount_drfit` matches no monitor",
            "hint": "did you mean `amount_drift`?",
        }
    ]


def test_json_of_a_missing_database_file_exits_3(make_project):
    root = make_project(THREE_MONITORS)
    (root / "warehouse.duckdb").unlink()
    result, report = failed_json(root)
    assert result.exit_code == 3
    message = f"DuckDB file {root / 'warehouse.duckdb'} does not exist; check `connection.path` in sqlmon.yml"
    assert report["error"] == message and "problems" not in report
    assert result.stderr == f"Error: {message}\n"


def test_json_of_a_bad_option_value_exits_2(make_project):
    root = make_project(THREE_MONITORS, setup_sql=WAREHOUSE)
    result, report = failed_json(root, "--end", "tomorrow")
    assert result.exit_code == 2
    assert report["error"] == (
        "Invalid value for --end: `tomorrow` is not a date or time; write e.g. 2026-10-01 or 2026-10-01T06:00"
    )
    assert result.stderr.splitlines()[-1] == f"Error: {report['error']}"


def test_json_of_an_internal_error_exits_3(make_project, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("sqlmon.runner.run", broken)
    root = make_project(THREE_MONITORS, setup_sql=WAREHOUSE)
    result, report = failed_json(root)
    assert (result.exit_code, report["error"]) == (3, "Internal error: RuntimeError: boom")


def test_json_of_a_refused_connection_exits_3(make_project):
    import socket

    with socket.socket() as sock:  # bound and released: nothing listens there afterwards
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    project = f"connection: {{type: postgres, host: 127.0.0.1, port: {port}, user: monitor, connect_timeout: 2}}\n"
    root = make_project(THREE_MONITORS, project_yml=project)
    result, report = failed_json(root)
    assert result.exit_code == 3
    assert report["error"].startswith(f"cannot connect to postgres://monitor@127.0.0.1:{port}/postgres: ")
    assert "Connection refused" in report["error"]


# --- the text report: what is fine is folded -----------------------------------------------------------------------


def test_a_monitors_ok_values_are_one_line_and_each_alert_keeps_its_own(make_project):
    """`columns: all` on a wide table: 34 columns, one of them with nulls."""
    columns = ", ".join(["CASE WHEN i % 4 = 0 THEN NULL ELSE i END AS c00"] + [f"i AS c{n:02}" for n in range(1, 34)])
    root = make_project(
        """\
        sources:
          - {name: wide, table: main.wide}
        monitors:
          - {name: wide_nulls, type: null_rate, source: wide, columns: all, thresholds: {null_rate: {warn: 0.1}}}
        """,
        setup_sql=f"CREATE TABLE main.wide AS SELECT {columns} FROM range(8) t(i)",
    )
    result = sqlmon("run", "-p", root)
    assert result.exit_code == 0
    table = result.stdout.split("metrics with a threshold rule):\n", 1)[1].split("\n(", 1)[0]
    assert table.splitlines() == [
        "monitor     window  column      metric     value  status",
        "----------  ------  ----------  ---------  -----  ------",
        "wide_nulls  now     c00         null_rate  0.25   WARN",
        "wide_nulls  now     33 columns  null_rate  -      33 ok",
    ]


def test_segments_fold_with_the_columns_and_a_lone_ok_value_keeps_its_line():
    from sqlmon.notify.folding import latest_rows
    from sqlmon.results import MetricRow

    def row(monitor, column, segment, value, status):
        return MetricRow(monitor, "null_rate", "s", column, "null_rate", value, None, status, segment=segment)

    rows = [
        row("a", "x", "country=DE", 0.0, "ok"),
        row("a", "y", "country=DE", 0.5, "error"),
        row("a", "x", "country=FR", 0.0, "ok"),
        row("a", "y", "country=FR", 0.0, "ok"),
        row("b", "x", None, 0.0, "ok"),
    ]
    assert latest_rows(rows, segmented=True) == [
        ["a", "now", "country=DE", "y", "null_rate", 0.5, "ERROR"],
        ["a", "now", "2 segments", "2 columns", "null_rate", None, "3 ok"],
        ["b", "now", "(all)", "x", "null_rate", 0.0, "ok"],
    ]


def test_json_of_a_dbt_build_that_cannot_start_exits_2(tmp_path):
    result = sqlmon("dbt", "build", "--dbt-project", tmp_path, "--format", "json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert (report["run_id"], report["exit_code"]) == (None, 2)
    assert report["problems"] == [
        {
            "file": str(tmp_path),
            "line": None,
            "key": None,
            "message": "no dbt_project.yml in this folder",
            "hint": "--dbt-project names a dbt project",
        }
    ]
