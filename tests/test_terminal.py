"""What `sqlmon run` shows on a terminal and in a pipe: the progress bar, --quiet, --verbose and colour.

The terminal cases run the real command in a pseudo-terminal, as a person at a shell would, so isatty() and the
bytes written are those of a real run; the pipe cases run it with its output captured.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

# 48 hourly windows over two days of scores, one every 10 minutes; every fourth amount is missing (null rate 0.25)
WAREHOUSE = [
    "CREATE TABLE main.scores (id INTEGER, scored_at TIMESTAMP, amount DOUBLE)",
    "INSERT INTO main.scores SELECT i, TIMESTAMP '2026-01-01' + to_minutes(10 * i),"
    " CASE WHEN i % 4 = 0 THEN NULL ELSE i * 1.5 END FROM range(288) t(i)",
    "CREATE TABLE main.events (id INTEGER, seen_at TIMESTAMP)",
    "INSERT INTO main.events SELECT i, TIMESTAMP '2026-01-01' + to_hours(i) FROM range(48) t(i)",
]
MONITORS = """\
sources:
  - name: scores
    table: main.scores
    timestamp: scored_at
    window: 1 hour
  - name: events
    table: main.events
    timestamp: seen_at
    window: 1 hour
monitors:
  - name: amount_nulls
    type: null_rate
    source: scores
    columns: [amount]
    thresholds:
      null_rate: RULE
  - name: event_nulls
    type: null_rate
    source: events
    columns: [id]
"""
CLEAN = "{warn: 0.5, error: 0.9}"
ALERTING = "{warn: 0.1, error: 0.2}"
SPAN = ["--start", "2026-01-01", "--end", "2026-01-03"]
ANSI = re.compile(rb"\x1b\[")
BAR = re.compile(rb"source \d/2 \w+ \[[#-]+\] windows \d+/48, \d+ statements?")


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return {**env, "COLUMNS": "200", "TERM": "xterm", **extra}


def on_a_terminal(root: Path, *args: str, **env: str) -> tuple[int, bytes]:
    """Run `sqlmon run` with stdout and stderr on one pseudo-terminal; its exit code and every byte it wrote."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "sqlmon", "run", "-p", str(root), *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=environment(**env),
    )
    os.close(follower)
    output = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            process.kill()
            raise AssertionError("no output for 30 s: " + output.decode(errors="replace"))
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed its side: Linux reports EIO
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    return process.wait(timeout=30), output.replace(b"\r\n", b"\n")  # the terminal's newline translation


def piped(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "sqlmon", "run", "-p", str(root), *args],
        capture_output=True,
        env=environment(**env),
        timeout=60,
    )


@pytest.fixture
def project(make_project, tmp_path):
    made = iter(range(10))
    return lambda rule=CLEAN: make_project(
        MONITORS.replace("RULE", rule), setup_sql=WAREHOUSE, folder=tmp_path / f"project{next(made)}"
    )


def test_a_terminal_shows_the_progress_bar_and_then_the_whole_report(project):
    code, output = on_a_terminal(project(ALERTING), *SPAN)
    assert code == 1
    assert BAR.search(output), output
    # the bar is erased before the report, which starts on a clean line and reads as it does in a pipe
    before, report = output.split(b"sqlmon run ", 1)
    assert before.endswith(b"\r\x1b[K")
    plain = ANSI.sub(b"", re.sub(rb"\x1b\[[0-9;]*m", b"", report))
    assert b"scores: 48 window(s) computed" in plain and b"events: 48 window(s) computed" in plain
    assert plain.rstrip().endswith(b"exit 1 (--fail-on error)")
    # severities in colour: red for errors
    assert b"\x1b[31m\x1b[1mERROR\x1b[0m" in report


def test_a_pipe_gets_the_report_alone_without_progress_or_colour(project):
    root = project(ALERTING)
    result = piped(root, *SPAN)
    assert result.returncode == 1
    assert result.stderr == b""
    assert not ANSI.search(result.stdout) and b"\r" not in result.stdout
    assert result.stdout.startswith(b"sqlmon run ") and b"ERROR" in result.stdout


def test_no_color_on_a_terminal_means_no_colour(project):
    code, output = on_a_terminal(project(ALERTING), *SPAN, NO_COLOR="1")
    assert code == 1
    report = output.split(b"sqlmon run ", 1)[1]
    assert not ANSI.search(report) and b"ERROR" in report


def test_json_is_never_coloured_on_a_terminal(project):
    code, output = on_a_terminal(project(ALERTING), *SPAN, "--format", "json")
    assert code == 1
    report = output[output.index(b"{") :]
    assert not ANSI.search(report) and b'"exit_code": 1' in report


def test_quiet_prints_nothing_on_a_clean_run_and_still_prints_alerts(project):
    result = piped(project(CLEAN), *SPAN, "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    code, output = on_a_terminal(project(CLEAN), *SPAN, "--quiet")  # no bar either
    assert (code, output) == (0, b"")
    result = piped(project(ALERTING), *SPAN, "-q")
    assert result.returncode == 1
    assert b"Alerts (" in result.stdout and b"exit 1 (--fail-on error)" in result.stdout


def test_verbose_prints_each_statement_with_its_time_also_in_a_pipe(project):
    result = piped(project(CLEAN), *SPAN, "--verbose")
    assert result.returncode == 0
    lines = result.stderr.decode().splitlines()
    statements = int(re.search(r"(\d+) SQL statements", result.stdout.decode()).group(1))
    # every statement the run executed on the warehouse (the report's count also has those only written down)
    assert 96 <= len(lines) <= statements
    assert all(re.fullmatch(r" *\d+\.\d ms  \S.*", line) for line in lines), lines[:5]
    assert "\x1b" not in result.stderr.decode()


def test_quiet_and_verbose_exclude_each_other(project):
    result = piped(project(), "--quiet", "--verbose")
    assert result.returncode == 2
    assert b"--quiet and --verbose exclude each other" in result.stderr


def test_profile_says_where_the_time_went_slowest_statement_first(make_project):
    """--profile: after the report, stderr has the warehouse's share of the run and each statement's time and rows,
    the slowest first; stdout is the report as without it."""
    import re

    from click.testing import CliRunner

    from sqlmon.cli import main
    from tests.test_cli import THREE_MONITORS, TWO_DAYS, WAREHOUSE

    root = make_project(THREE_MONITORS, setup_sql=WAREHOUSE)
    result = CliRunner().invoke(main, ["run", "-p", str(root), *TWO_DAYS, "--fail-on", "never", "--profile"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    head = re.fullmatch(
        r"Profile: (\d+) statement\(s\), [\d.]+ s in the warehouse of the run's [\d.]+ s \(\d+%\); "
        r"the slowest first:",
        lines[0],
    )
    assert head, lines[0]
    rows = [re.fullmatch(r"\s*([\d.]+)\s+[\d.]+%\s+(\d+)  (.+)", line) for line in lines[2:]]
    assert all(rows) and len(rows) == int(head.group(1))
    times = [float(r.group(1)) for r in rows if r]
    assert times == sorted(times, reverse=True)
    assert any(r.group(3).startswith("aggregates over main.scores") and r.group(2) == "1" for r in rows if r)
    assert "Profile:" not in result.stdout
