"""Faults of sqlmon's own process: Ctrl-C and SIGTERM in the middle of a run end it with one line and exit 130 or
143, store nothing for the run, and leave no lock behind, so the next run computes everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import query

MONITORS = """\
sources:
  - {name: events, table: main.events, timestamp: ts, window: 1 hour, backfill: 400 days}
monitors:
  - {name: nulls, type: null_rate, source: events, columns: [x, c]}
  - {name: rows, type: volume, source: events}
  - {name: valid, type: validity, source: events, columns: {x: {min: 0}, c: {max_length: 3}}}
"""
# a year of hourly windows: thousands of statements, so a signal two seconds in lands mid-run
SETUP = [
    "CREATE TABLE main.events AS SELECT TIMESTAMP '2025-01-01' + INTERVAL (i * 97) SECOND AS ts, "
    "random() AS x, 'abc' AS c FROM range(330000) t(i)"
]


def _start(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sqlmon", "run", "-p", str(root), "--end", "2026-01-02", "--fail-on", "never"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SQLMON_DEBUG": ""},
    )


@pytest.mark.parametrize(
    ("sent", "code", "line"),
    [
        (signal.SIGINT, 130, "Interrupted; nothing stored for this run."),
        (signal.SIGTERM, 143, "Terminated (SIGTERM); nothing stored for this run."),
    ],
)
def test_a_signal_mid_run_stores_nothing_says_so_in_one_line_and_leaves_no_lock(make_project, sent, code, line):
    root = make_project(MONITORS, setup_sql=SETUP)
    process = _start(root)
    time.sleep(3)
    assert process.poll() is None, "the run ended before the signal: make it longer"
    process.send_signal(sent)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert stderr.strip() == line
    assert "Internal error" not in stdout + stderr
    assert query(root, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'sqlmon_runs'") in (
        [(0,)],
        [(1,)],
    )
    if query(root, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'sqlmon_runs'") == [(1,)]:
        assert query(root, "SELECT COUNT(*) FROM sqlmon.sqlmon_runs") == [(0,)]  # no run row, no metrics
        assert query(root, "SELECT COUNT(*) FROM sqlmon.sqlmon_metrics") == [(0,)]
    # no lock left: the next run opens the warehouse and computes its windows (two days of them, to be quick)
    again = subprocess.run(
        [sys.executable, "-m", "sqlmon", "run", "-p", str(root), "--end", "2025-01-03", "--fail-on", "never"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr
    assert query(root, "SELECT COUNT(DISTINCT window_start) FROM sqlmon.sqlmon_metrics WHERE monitor = 'rows'") == [
        (48,)
    ]
