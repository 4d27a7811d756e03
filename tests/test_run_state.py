"""A run reports the state, not only what is new: open errors keep the exit code at 1 on a re-run until a later
window or a recompute clears them, and a source whose data ends before the run's horizon says so and what to do."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from sqlmon.cli import main
from tests.conftest import execute, query

MONITORS = """\
sources:
  - {name: events, table: main.events, timestamp: ts, window: 1 day}
monitors:
  - name: nulls
    type: null_rate
    source: events
    columns: [x]
    thresholds: {null_rate: {error: 0.2}}
"""


def _events(days: list[str], null_days: set[str]) -> pd.DataFrame:
    rows = [
        (pd.Timestamp(day) + pd.Timedelta(hours=hour), None if day in null_days and hour % 2 else float(hour))
        for day in days
        for hour in range(24)
    ]
    return pd.DataFrame(rows, columns=["ts", "x"])


def _run(root, *args: str):
    return CliRunner().invoke(main, ["run", "--project-dir", str(root), *args])


def test_a_rerun_with_nothing_new_still_exits_on_the_open_error(make_project):
    root = make_project(MONITORS, tables={"events": _events(["2026-11-01", "2026-11-02"], {"2026-11-02"})})
    first = _run(root, "--end", "2026-11-03 06:00")
    assert first.exit_code == 1, first.output
    again = _run(root, "--end", "2026-11-03 07:00")
    assert again.exit_code == 1, again.output
    assert "No new alerts." in again.output
    assert "Still open from earlier runs (1)" in again.output
    assert "1 error(s), 0 warning(s) (1 still open from earlier runs); exit 1" in again.output
    as_json = json.loads(_run(root, "--end", "2026-11-03 07:00", "--format", "json").output)
    assert as_json["alerts"] == []
    assert [(a["monitor"], a["severity"], a["new"]) for a in as_json["open_alerts"]] == [("nulls", "error", False)]
    assert as_json["exit_code"] == 1
    # the open alert is reported, never stored a second time
    assert query(root, "SELECT COUNT(*) FROM sqlmon.sqlmon_alerts") == [(1,)]


def test_the_documented_rerun_is_the_real_output(make_project):
    """docs/configuration.md shows this very scenario; the output must be what the command prints (run id and
    timing masked)."""
    text = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text()
    command = '$ sqlmon run --end "2026-11-03 07:00"\n'
    shown = text[text.index(command) + len(command) :].split("```", 1)[0]
    root = make_project(MONITORS, tables={"events": _hourly_with_nulls()})
    assert _run(root, "--end", "2026-11-03 06:00").exit_code == 1
    again = _run(root, "--end", "2026-11-03 07:00")

    def masked(output: str) -> str:
        return re.sub(r"\d+\.\d s$", "0.0 s", re.sub(r"sqlmon run [0-9a-f]{12}", "sqlmon run RUN", output), flags=re.M)

    assert masked(again.output) == masked(shown)


def _hourly_with_nulls() -> pd.DataFrame:
    """The documented data: `x` every hour of two days, missing every other hour of the second."""
    hours = range(48)
    return pd.DataFrame(
        {
            "ts": [pd.Timestamp("2026-11-01") + pd.Timedelta(hours=i) for i in hours],
            "x": [None if i >= 24 and i % 2 else float(i) for i in hours],
        }
    )


def test_a_later_clean_window_clears_the_open_error(make_project):
    days = ["2026-11-01", "2026-11-02"]
    root = make_project(MONITORS, tables={"events": _events(days, {"2026-11-02"})})
    assert _run(root, "--end", "2026-11-03 06:00").exit_code == 1
    execute(root, "INSERT INTO main.events SELECT * FROM (VALUES (TIMESTAMP '2026-11-03 05:00', 1.0)) AS t(ts, x)")
    cleared = _run(root, "--end", "2026-11-04 06:00")
    assert cleared.exit_code == 0, cleared.output
    assert "No alerts." in cleared.output


def test_a_recompute_of_the_window_clears_it_once_the_data_is_fixed(make_project):
    root = make_project(MONITORS, tables={"events": _events(["2026-11-01", "2026-11-02"], {"2026-11-02"})})
    assert _run(root, "--end", "2026-11-03 06:00").exit_code == 1
    execute(root, "UPDATE main.events SET x = 0 WHERE x IS NULL")
    fixed = _run(root, "--end", "2026-11-03 06:00", "--start", "2026-11-02")
    assert fixed.exit_code == 0, fixed.output
    assert "Still open" not in fixed.output


def test_a_backfill_of_older_windows_keeps_the_latest_windows_error_open(make_project):
    root = make_project(MONITORS, tables={"events": _events(["2026-11-01", "2026-11-02"], {"2026-11-02"})})
    assert _run(root, "--end", "2026-11-03 06:00").exit_code == 1
    older = CliRunner().invoke(
        main, ["run", "--project-dir", str(root), "--start", "2026-11-01", "--end", "2026-11-02"]
    )
    assert older.exit_code == 1, older.output
    assert "Still open from earlier runs (1)" in older.output


def test_data_older_than_the_first_window_is_named_with_the_way_to_reach_it(make_project):
    root = make_project(MONITORS, tables={"events": _events(["2026-03-20", "2026-03-21"], set())})
    result = _run(root, "--end", "2026-11-28 10:00")
    assert result.exit_code == 0, result.output
    assert (
        "  events: no new window to compute\n"
        "  events: newest row 2026-03-21 23:00 is older than the first window of this run (2026-11-21 00:00, backfill"
        " 7 days); to compute the past, run with --start 2026-03-20\n"  # the backfill's reach, not before the data
    ) in result.output
    reached = _run(root, "--end", "2026-11-28 10:00", "--start", "2026-03-20")
    assert "2 window(s) computed, 2026-03-20 00:00 → 2026-03-22 00:00" in reached.output
    # once the past is computed, a later run finding nothing new is the normal case: no note
    assert "newest row" not in _run(root, "--end", "2026-11-29 10:00").output
