"""`sqlmon validate` covers the whole project: every source, used or not; every problem of every file at once, in
file and line order; and a near miss gets the name it was meant to be (a table, or a timestamp column of a time type).

Each test builds a real project (tests/conftest.py) and compares what `validate` prints, word for word.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqlmon.cli import main
from tests.conftest import PROJECT_YML
from tests.test_config_errors import WAREHOUSE, offline, problems

MONITOR = """\
monitors:
  - name: nulls
    type: null_rate
    source: events
"""


def write(root: Path, name: str, text: str) -> None:
    (root / "monitors" / name).write_text(textwrap.dedent(text))


# --- every source, used or not -------------------------------------------------------------------------------------


def test_validate_checks_a_source_that_no_monitor_uses(make_project):
    root = make_project(
        textwrap.dedent("""\
        sources:
          - name: events
            table: main.events
          - name: history
            table: main.archive
          - name: scored
            table: main.events
            timestamp: scored
        """)
        + MONITOR,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [
        "monitors/monitors.yml:5: sources[1].table: table `main.archive` does not exist in the warehouse "
        "(check the name, including its schema)",
        "monitors/monitors.yml:8: sources[2].timestamp: column `scored` is not in table main.events "
        "(did you mean `scored_at`?)",
    ]


def test_a_run_is_not_stopped_by_a_source_it_does_not_read(make_project):
    """A run checks what it runs: a table dropped under a source nobody monitors yet must not stop the monitors."""
    root = make_project(
        textwrap.dedent("""\
        sources:
          - name: events
            table: main.events
          - name: history
            table: main.archive
        """)
        + MONITOR,
        setup_sql=WAREHOUSE,
    )
    result = CliRunner().invoke(main, ["run", "-p", str(root), "--end", "2026-01-02"])
    assert result.exit_code == 0, result.output
    assert problems(root) == [
        "monitors/monitors.yml:5: sources[1].table: table `main.archive` does not exist in the warehouse "
        "(check the name, including its schema)"
    ]


# --- a misspelled table gets a suggestion, as a misspelled column does ----------------------------------------------


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("main.event", "main.events"),
        ("mian.events", "main.events"),
        ("event", "events"),
        ("main.v_event", "main.v_events"),
    ],
)
def test_a_misspelled_table_gets_the_closest_table_of_the_warehouse(make_project, written, meant):
    root = make_project(
        f"sources:\n  - name: events\n    table: {written}\n" + MONITOR,
        setup_sql=[*WAREHOUSE, "CREATE VIEW main.v_events AS SELECT * FROM main.events"],
    )
    assert problems(root) == [
        f"monitors/monitors.yml:3: sources[0].table: table `{written}` does not exist in the warehouse "
        f"(did you mean `{meant}`?)"
    ]


def test_a_misspelled_baseline_table_gets_a_suggestion(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [amount]
            baseline: {table: main.trainig}
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [
        "monitors/monitors.yml:9: monitors[0].baseline.table: baseline table `main.trainig` does not exist in the "
        "warehouse (did you mean `main.training`?)"
    ]


def test_a_misspelled_table_on_postgres_gets_a_suggestion(postgres, make_project):
    postgres.create_database("coverage")
    with postgres.connect("coverage") as con:
        con.execute("CREATE SCHEMA main")
        con.execute("CREATE TABLE main.events (id INTEGER, scored_at TIMESTAMP, created TEXT)")
    project = PROJECT_YML.replace(
        "connection:\n  type: duckdb\n  path: warehouse.duckdb\n", postgres.connection_yaml("coverage")
    )
    root = make_project(
        "sources:\n  - {name: events, table: main.event}\n"
        "  - {name: on_time, table: main.events, timestamp: scored_on}\n"
        "  - {name: bare, table: events}\n" + MONITOR,
        project_yml=project,
    )
    assert problems(root) == [
        "monitors/monitors.yml:2: sources[0].table: table `main.event` does not exist in the warehouse "
        "(did you mean `main.events`?)",
        "monitors/monitors.yml:3: sources[1].timestamp: column `scored_on` is not in table main.events "
        "(did you mean `scored_at`?)",
        # the search path is `public`, where there is no such table: no suggestion from another schema
        "monitors/monitors.yml:4: sources[2].table: table `events` does not exist in the warehouse "
        "(check the name, including its schema)",
    ]


# --- a timestamp suggestion is a time column -----------------------------------------------------------------------


def test_a_wrong_timestamp_column_is_told_the_closest_time_column_not_the_closest_name(make_project):
    # `created` (VARCHAR) is the nearer name, but windows cannot be cut on it
    root = make_project(
        "sources:\n  - name: events\n    table: main.events\n    timestamp: created_at\n" + MONITOR,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [
        "monitors/monitors.yml:4: sources[0].timestamp: column `created_at` is not in table main.events "
        "(did you mean `scored_at`?)"
    ]


def test_a_wrong_timestamp_column_with_no_near_miss_lists_the_time_columns(make_project):
    root = make_project(
        "sources:\n  - {name: events, table: main.events, timestamp: event_time}\n"
        "  - {name: training, table: main.training, timestamp: event_time}\n" + MONITOR,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [
        "monitors/monitors.yml:2: sources[0].timestamp: column `event_time` is not in table main.events "
        "(its date and timestamp columns: scored_at, day)",
        "monitors/monitors.yml:3: sources[1].timestamp: column `event_time` is not in table main.training "
        "(it has no date or timestamp column)",
    ]


# --- every problem of every file, in file and line order -----------------------------------------------------------


def test_problems_of_sqlmon_yml_and_two_monitor_files_come_together_in_file_and_line_order(make_project, monkeypatch):
    monkeypatch.delenv("SQLMON_TEST_UNSET", raising=False)
    root = make_project("", project_yml=PROJECT_YML.replace("name: test_project", "name: ${SQLMON_TEST_UNSET}"))
    write(
        root,
        "a.yml",
        """\
        monitors:
          - name: nulls
            type: null_rate
            source: events
            treshold: {}
        """,
    )
    write(
        root,
        "b.yml",
        """\
        sources:
          - name: events
            table: main.events
            window: 1 day
        """,
    )
    assert offline(root) == [  # the loader finds b.yml's source first, and sqlmon.yml's problem before either
        "monitors/a.yml:5: monitors[0].treshold: unknown key `treshold` (did you mean `thresholds`?)",
        "monitors/b.yml:4: sources[0].window: `window` needs `timestamp`: the column that windows are cut on",
        "sqlmon.yml:1: name: environment variable `SQLMON_TEST_UNSET` is not set (export SQLMON_TEST_UNSET=…, or "
        "write `${SQLMON_TEST_UNSET:-default}`)",
    ]


def test_warehouse_problems_of_two_files_come_in_file_and_line_order(make_project):
    root = make_project("", setup_sql=WAREHOUSE)
    write(root, "a.yml", MONITOR + "    columns: [amout]\n")
    write(
        root,
        "b.yml",
        """\
        sources:
          - name: events
            table: main.events
            timestamp: scored_on
          - name: gone
            table: main.gone
        """,
    )
    assert problems(root) == [  # found in the order b.yml:4 (with the monitor), a.yml:5, b.yml:6 (unused)
        "monitors/a.yml:5: monitors[0].columns[0]: column `amout` is not in source table main.events "
        "(did you mean `amount`?)",
        "monitors/b.yml:4: sources[0].timestamp: column `scored_on` is not in table main.events "
        "(did you mean `scored_at`?)",
        "monitors/b.yml:6: sources[1].table: table `main.gone` does not exist in the warehouse "
        "(check the name, including its schema)",
    ]
