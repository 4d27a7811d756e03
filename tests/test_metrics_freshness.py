"""`freshness` and `volume` end to end on DuckDB, against the same quantities computed with numpy on the raw
timestamps: the lag at each window's end (and now), the longest pause inside each window, the rows per window — and
the windows after the data stopped, which must be computed as empty rather than skipped."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from sqlmon.monitors.freshness import FreshnessSpec, deadline_missed
from sqlmon.runner import run
from tests.metrics_support import Stored, load, project_in

DAY = timedelta(days=1)
FIRST = datetime(2026, 11, 20)
STOPPED = datetime(2026, 11, 25)  # the feed's last row is just before this
AS_OF = datetime(2026, 11, 28, 10, 30)

SOURCE = """\
sources:
  - {name: orders, table: main.orders, timestamp: ts, window: 1 day, backfill: 10 days}
"""
MONITORS = """\
monitors:
  - {name: fresh, type: freshness, source: orders, warn_after: 6 hours, error_after: 1 day}
  - {name: rows, type: volume, source: orders}
  - {name: fresh_by_region, type: freshness, source: orders, segment_by: [region]}
"""


def _timestamps(rng: np.random.Generator) -> np.ndarray:
    """Irregular arrivals with sub-second parts, a six-hour pause on the 22nd, and nothing after the 24th."""
    seconds = np.sort(rng.uniform(0, (STOPPED - FIRST).total_seconds() - 1, size=3000))
    pause = ((datetime(2026, 11, 22, 11) - FIRST).total_seconds(), (datetime(2026, 11, 22, 17) - FIRST).total_seconds())
    seconds = seconds[(seconds < pause[0]) | (seconds > pause[1])]
    return (np.datetime64(FIRST) + (seconds * 1e6).astype("timedelta64[us]")).astype("datetime64[us]")


@pytest.fixture(scope="module")
def stopped_feed(tmp_path_factory):
    rng = np.random.default_rng(5)
    ts = _timestamps(rng)
    region = rng.choice(np.array(["eu", "us"], dtype=object), size=len(ts))
    region[ts >= np.datetime64(datetime(2026, 11, 23, 12))] = "eu"  # the us feed stopped a day and a half earlier
    root = load(
        project_in(tmp_path_factory.mktemp("fresh")),
        SOURCE,
        MONITORS,
        {"orders": {"ts": ts, "region": region}},
    )
    result = run(root, end=AS_OF)
    assert result.status == "success", result.error
    return ts, region, result, Stored(root)


def _seconds(ts: np.ndarray) -> np.ndarray:
    return (ts - np.datetime64(FIRST)).astype("timedelta64[us]").astype(np.int64) / 1e6


def _reference_lag(ts: np.ndarray, moment: datetime) -> float:
    before = ts[ts < np.datetime64(moment)]
    return (moment - FIRST).total_seconds() - _seconds(before).max()


def _reference_gap(ts: np.ndarray, start: datetime) -> float | None:
    inside = np.sort(_seconds(ts[(ts >= np.datetime64(start)) & (ts < np.datetime64(start + DAY))]))
    return float(np.diff(inside).max()) if len(inside) > 1 else None


def _windows() -> list[datetime]:
    return [FIRST + i * DAY for i in range(8)]  # the 20th … the 27th: whole windows up to the run's day


def test_the_lag_at_each_window_end_and_now_matches_numpy(stopped_feed):
    ts, _, _, stored = stopped_feed
    for start in _windows():
        lag = stored.metrics("fresh", start)[(None, "lag")]
        assert lag == pytest.approx(_reference_lag(ts, start + DAY), abs=1e-6)
    now = stored.metrics("fresh", datetime(2026, 11, 28))[(None, "lag")]  # the window in progress, cut at as_of
    assert now == pytest.approx(_reference_lag(ts, AS_OF), abs=1e-6)
    assert now > 3 * 86400  # stopped three and a half days ago


def test_the_longest_pause_inside_each_window_matches_numpy(stopped_feed):
    ts, _, _, stored = stopped_feed
    for start in _windows():
        gap = stored.metrics("fresh", start)[(None, "max_gap")]
        expected = _reference_gap(ts, start)
        if expected is None:
            assert gap is None, start  # no row, or one: no gap between rows
        else:
            assert gap == pytest.approx(expected, abs=1e-6), start
    assert stored.metrics("fresh", datetime(2026, 11, 22))[(None, "max_gap")] > 6 * 3600


def test_volume_counts_every_window_and_the_ones_after_the_data_as_zero(stopped_feed):
    ts, _, _, stored = stopped_feed
    for start in _windows():
        expected = int(np.sum((ts >= np.datetime64(start)) & (ts < np.datetime64(start + DAY))))
        assert stored.metrics("rows", start)[(None, "row_count")] == expected, start
    assert [stored.metrics("rows", FIRST + i * DAY)[(None, "row_count")] for i in (5, 6, 7)] == [0, 0, 0]
    assert stored.metrics("rows", datetime(2026, 11, 28)) == {}  # no partial window: a half day is not a low day


def test_a_stopped_feed_alerts_on_every_empty_window(stopped_feed):
    _, _, result, _ = stopped_feed
    errors = sorted((a.monitor, a.window_start) for a in result.alerts if a.severity == "error" and a.segment is None)
    assert [(m, w.day) for m, w in errors if m == "rows"] == [("rows", 25), ("rows", 26), ("rows", 27)]
    assert [w.day for m, w in errors if m == "fresh"] == [25, 26, 27, 28]
    [now] = [a for a in result.alerts if a.monitor == "fresh" and a.window_start == datetime(2026, 11, 28)]
    assert now.message.startswith("lag = 3 days 10 hours (error: > 1 day); newest ts 2026-11-24 23:")


def test_a_segment_whose_feed_stopped_alone_shows_its_own_lag(stopped_feed):
    ts, region, result, _ = stopped_feed
    by_segment = {
        (m.segment, m.window.start): m.value
        for m in result.metrics
        if m.monitor == "fresh_by_region" and m.metric == "lag" and m.segment
    }
    day = datetime(2026, 11, 24)
    for name in ("eu", "us"):
        assert by_segment[(f"region={name}", day)] == pytest.approx(
            _reference_lag(ts[region == name], day + DAY), abs=1e-6
        )
    assert by_segment[("region=us", day)] > 86400 > by_segment[("region=eu", day)]


def test_the_default_lag_levels_are_one_and_two_windows(stopped_feed):
    _, _, result, _ = stopped_feed
    severities = {
        a.window_start.day: a.severity
        for a in result.alerts
        if a.monitor == "fresh_by_region" and a.segment is None and a.metric == "lag"
    }
    # the 25th ends 1 day 0 h after the last row (warn: above one window); from the 26th on, above two windows
    assert severities[25] == "warn" and severities[26] == "error"


def test_a_run_at_the_same_time_computes_nothing_again_and_a_later_one_recomputes_the_window_in_progress(
    stopped_feed, tmp_path
):
    ts, region, _, _ = stopped_feed
    root = load(
        project_in(tmp_path / "p"),
        SOURCE,
        MONITORS,
        {"orders": {"ts": ts, "region": region}},
    )
    run(root, end=AS_OF)
    again = run(root, end=AS_OF)
    assert again.metrics == []
    later = run(root, end=AS_OF + timedelta(hours=3))
    assert {(m.window.start, m.window.end) for m in later.metrics if m.monitor == "fresh"} == {
        (datetime(2026, 11, 28), AS_OF + timedelta(hours=3))
    }
    next_day = run(root, end=datetime(2026, 11, 29, 1))
    assert {(m.monitor, m.window.start, m.window.end) for m in next_day.metrics if m.segment is None} >= {
        ("fresh", datetime(2026, 11, 28), datetime(2026, 11, 29)),  # the partial window, now whole
        ("fresh", datetime(2026, 11, 29), datetime(2026, 11, 29, 1)),
        ("rows", datetime(2026, 11, 28), datetime(2026, 11, 29)),
    }


@pytest.mark.parametrize(
    ("moment", "newest", "missed"),
    [
        # Berlin is UTC+1 in winter: 09:00 local is 08:00 UTC; local midnight of the 27th is 23:00 UTC on the 26th
        (datetime(2026, 11, 27, 7, 59), datetime(2026, 11, 26, 12), 0.0),  # before the deadline
        (datetime(2026, 11, 27, 8, 0), datetime(2026, 11, 26, 12), 1.0),  # at it, nothing of the day yet
        (datetime(2026, 11, 27, 8, 0), datetime(2026, 11, 26, 23, 0), 0.0),  # a row of the local day (00:00 local)
        (datetime(2026, 11, 28, 9, 0), datetime(2026, 11, 26, 12), 0.0),  # a Saturday: not one of `days`
        (datetime(2026, 11, 27, 8, 0), None, 1.0),  # no row at all
    ],
)
def test_the_deadline_is_read_in_the_monitors_time_zone(moment, newest, missed):
    spec = FreshnessSpec(
        name="f",
        type="freshness",
        source="s",
        expected_by="09:00",
        timezone="Europe/Berlin",
        days=["mon", "tue", "wed", "thu", "fri"],
    )
    assert deadline_missed(spec, moment, newest) == missed


def test_a_table_that_has_rows_has_data(stopped_feed):
    _, _, _, stored = stopped_feed
    assert {stored.metrics("fresh", start)[(None, "no_data")] for start in _windows()} == {0.0}


def test_a_table_that_never_had_a_row_is_an_error_not_a_lag_of_nothing(make_project):
    root = make_project(SOURCE + MONITORS, setup_sql=["CREATE TABLE main.orders (ts TIMESTAMP, region VARCHAR)"])
    result = run(root, end=AS_OF)
    assert result.status == "success", result.error
    now = {
        m.metric: m.value for m in result.metrics if m.monitor == "fresh" and m.window.start == datetime(2026, 11, 28)
    }
    assert now["lag"] is None and now["no_data"] == 1
    [alert] = [a for a in result.alerts if a.monitor == "fresh" and a.window_start == datetime(2026, 11, 28)]
    assert (alert.severity, alert.message) == (
        "error",
        "no_data = 1 (error: > 0); no row with ts before 2026-11-28 10:30",
    )
