"""Anomaly rules end to end on DuckDB: a shop's daily orders with weekend dips and one weekday outage.

Ten weeks of orders (about 300 a weekday, half that at the weekend) and, on one Wednesday, a stopped export that
leaves 60. A `volume` monitor has an anomaly rule by default (by weekday for daily windows): the weekends must not
alert, the outage must, every judged window's band must be in `sqlmon_anomalies` and equal the median/MAD band that
numpy computes from the same weekday's earlier counts, and a backfill must judge exactly as runs day by day.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sqlmon.cli import main
from sqlmon.runner import run
from sqlmon.stats.anomaly import widening
from tests.conftest import query
from tests.test_config_errors import offline, problems

DAY = timedelta(days=1)
FIRST = datetime(2026, 8, 3)  # a Monday
DAYS = 70
OUTAGE = FIRST + timedelta(days=65)  # the Wednesday of week 10
AS_OF = FIRST + DAYS * DAY
WEEKDAY = (1.0, 1.0, 1.0, 1.0, 1.05, 0.55, 0.5)

PROJECT = """\
sources:
  - {{name: orders, table: main.orders, timestamp: ordered_at, window: 1 day, backfill: 100 days}}
monitors:
  - name: orders_volume
    type: volume
    source: orders
{extra}"""


def daily_counts() -> list[int]:
    rng = np.random.default_rng(11)
    counts = [int(rng.poisson(300 * WEEKDAY[(FIRST + d * DAY).weekday()])) for d in range(DAYS)]
    counts[(OUTAGE - FIRST).days] = 60
    return counts


def orders(counts: list[int]) -> pd.DataFrame:
    rng = np.random.default_rng(12)
    stamps = [
        FIRST + d * DAY + timedelta(seconds=float(s))
        for d, n in enumerate(counts)
        for s in np.sort(rng.uniform(0, 86_399, size=n))
    ]
    return pd.DataFrame({"order_id": np.arange(len(stamps)), "ordered_at": pd.to_datetime(stamps)})


@pytest.fixture(scope="module")
def counts() -> list[int]:
    return daily_counts()


@pytest.fixture
def shop(make_project, counts):
    def build(extra: str = "", tables: dict | None = None):
        return make_project(PROJECT.format(extra=extra), tables={"orders": orders(counts), **(tables or {})})

    return build


def bands(root) -> dict[datetime, tuple]:
    rows = query(
        root,
        "SELECT window_start, value, expected, lower, upper, score, training_size, seasonality, status "
        "FROM sqlmon.sqlmon_anomalies WHERE monitor = 'orders_volume' ORDER BY window_start",
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def numpy_band(
    own: list[float], others: list[list[float]], k: float = 3.5, spread_own: list[float] | None = None
) -> tuple[float, float, float]:
    """The weekday's median ± k · widened σ̂, with numpy: σ̂ from the leave-one-out deviations of every weekday in
    the span, in units of each weekday's median to the power β fitted across the weekdays (1 when their medians lie
    within a factor 2, as the shop's 0.5–1.05 do not), times this weekday's median to the same power."""
    groups = [np.array(g) for g in [spread_own or own, *others]]
    devs = [np.array([abs(g[i] - np.median(np.delete(g, i))) for i in range(len(g))]) for g in groups]
    centres = np.array([np.median(g) for g in groups])
    spreads = np.array([np.median(d) for d in devs])
    lx, ly = np.log(centres), np.log(spreads)
    beta = float(np.clip(np.polyfit(lx, ly, 1)[0], 0, 1)) if lx.max() - lx.min() >= np.log(2) else 1.0
    scaled = np.concatenate(
        [d / c**beta / np.sqrt(1 + np.pi / (2 * (len(d) - 1))) for d, c in zip(devs, centres, strict=True)]
    )
    sigma = float(np.median(own)) ** beta * 1.482602218505602 * float(np.median(scaled))  # the own slot's level
    pooled = sum(len(g) for g in groups)
    half = k * sigma * widening("mad", len(own), k, pooled, len(groups))
    median = float(np.median(own))
    return median, median - half, median + half


def test_a_backfill_judges_every_window_alerts_the_weekday_outage_and_not_the_weekends(shop, counts) -> None:
    root = shop()
    result = run(root, start=FIRST, end=AS_OF)
    assert result.status == "success", result.error
    stored = bands(root)
    assert list(stored) == [FIRST + d * DAY for d in range(DAYS)]  # every window, not only those that alerted
    learning = [start for start, row in stored.items() if row[-1] == "insufficient_history"]
    assert learning == [FIRST + d * DAY for d in range(49)]  # 7 weeks until each weekday has 7 windows behind it
    assert {row[-1] for start, row in stored.items() if start not in learning and start != OUTAGE} == {"ok"}
    assert stored[OUTAGE][-1] == "warn"
    alerts = query(root, "SELECT window_start, metric, rule, message FROM sqlmon.sqlmon_alerts")
    assert [(a[0], a[1]) for a in alerts] == [(OUTAGE, "row_count")]
    assert alerts[0][2] == "anomaly mad 3.5 over 28 Wednesdays"
    assert alerts[0][3].startswith("row_count = 60 (warn: anomaly, expected ")
    assert "from 9 Wednesdays; score -" in alerts[0][3]


def test_each_band_is_the_median_and_widened_mad_of_the_same_weekdays_before_it(shop, counts) -> None:
    root = shop()
    run(root, start=FIRST, end=AS_OF)
    stored = bands(root)
    outage = (OUTAGE - FIRST).days
    for day in range(49, DAYS):
        start = FIRST + day * DAY
        days = [d for d in range(day % 7, day, 7) if d != outage]
        same_weekday = [float(counts[d]) for d in days]
        since = days[-7]  # the other weekdays pool over the span of this weekday's latest min_training windows
        others = [
            [float(counts[d]) for d in range(since, day) if d % 7 == weekday]  # the outage back in: scale only
            for weekday in range(7)
            if weekday != day % 7
        ]
        value, expected, lower, upper, score, size, seasonality, _ = stored[start]
        assert (value, size, seasonality) == (counts[day], len(same_weekday), "day_of_week")
        # the scale reads the outage too (alerted windows stay out of the expected value only)
        spread_own = [float(counts[d]) for d in range(days[0], day, 7)]
        band = numpy_band(same_weekday, others, spread_own=spread_own)
        assert np.allclose((expected, lower, upper), band, rtol=1e-12, atol=0)
        assert score == pytest.approx((value - expected) / ((upper - expected) / 3.5), rel=1e-12)


def test_a_backfill_judges_exactly_as_runs_day_by_day(shop, tmp_path) -> None:
    root = shop()
    daily = tmp_path / "daily"
    shutil.copytree(root, daily)
    run(root, start=FIRST, end=AS_OF)
    assert run(daily, start=FIRST, end=AS_OF - 8 * DAY).status == "success"
    for day in range(7, -1, -1):
        assert run(daily, end=AS_OF - day * DAY).status == "success"
    backfilled, by_day = bands(root), bands(daily)
    assert by_day == backfilled  # the outage Wednesday among them, judged against values of the same run


def test_an_alerted_window_stays_out_of_later_training_unless_include_alerts(shop, counts) -> None:
    # judge one more Wednesday after the outage: it trains on the Wednesdays before the outage only
    more = counts + [300] * 7
    extended = FIRST + (DAYS + 7) * DAY
    next_wednesday = OUTAGE + 7 * DAY
    root = shop()
    query(root, "SELECT 1")  # the project exists; replace its table with the longer history
    frame = orders(more)
    import duckdb

    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.register("frame", frame)
    con.execute("CREATE OR REPLACE TABLE main.orders AS SELECT * FROM frame")
    con.close()
    run(root, start=FIRST, end=extended)
    assert bands(root)[next_wednesday][5] == bands(root)[OUTAGE][5]  # the same 9 Wednesdays, not the outage too

    opted = shop("    anomaly: {include_alerts: true}\n")
    con = duckdb.connect(str(opted / "warehouse.duckdb"))
    con.register("frame", frame)
    con.execute("CREATE OR REPLACE TABLE main.orders AS SELECT * FROM frame")
    con.close()
    run(opted, start=FIRST, end=extended)
    assert bands(opted)[next_wednesday][5] == bands(opted)[OUTAGE][5] + 1


def test_excluded_dates_never_train_whether_listed_or_in_a_table(shop) -> None:
    holiday = OUTAGE - 7 * DAY  # the Wednesday before the outage
    listed = shop(f"    anomaly: {{exclude: ['{holiday:%Y-%m-%d}']}}\n")
    run(listed, start=FIRST, end=AS_OF)
    assert bands(listed)[OUTAGE][5] == 8  # 9 Wednesdays before it, one of them excluded

    calendar = pd.DataFrame({"day": pd.to_datetime([holiday.date(), datetime(2025, 12, 25).date()])})
    tabled = shop("    anomaly: {exclude: {table: main.holidays, column: day}}\n", tables={"holidays": calendar})
    run(tabled, start=FIRST, end=AS_OF)
    assert bands(tabled) == bands(listed)


def test_zscore_seasonality_none_and_direction_are_honoured(shop, counts) -> None:
    root = shop("    anomaly: {method: zscore, seasonality: none, training: 14 windows, direction: up}\n")
    run(root, start=FIRST, end=AS_OF)
    stored = bands(root)
    day = (OUTAGE - FIRST).days
    training = [float(c) for c in counts[day - 14 : day]]
    expected = float(np.mean(training))
    half = 3.5 * float(np.std(training, ddof=1)) * widening("zscore", 14, 3.5)
    assert stored[OUTAGE][1:4] == pytest.approx((expected, expected - half, expected + half), rel=1e-12)
    assert stored[OUTAGE][6:] == (None, "ok")  # far below the band, and only a rise alerts


def test_anomaly_null_switches_the_default_rule_off(shop) -> None:
    root = shop("    anomaly: null\n")
    run(root, start=FIRST, end=AS_OF)
    assert bands(root) == {}


def test_the_report_says_why_a_window_was_not_judged(shop) -> None:
    root = shop()
    result = CliRunner().invoke(main, ["run", "-p", str(root), "--end", f"{FIRST + 10 * DAY:%Y-%m-%d}"])
    assert "Not judged in the latest window (1):" in result.output
    assert "orders_volume: anomaly rule learning: 1 Wednesdays of history, needs 7 Wednesdays" in result.output


# --- bad input ------------------------------------------------------------------------------------------------------
BAD = """\
sources:
  - {name: orders, table: main.orders, timestamp: ordered_at, window: 1 day}
monitors:
  - name: orders_volume
    type: volume
    source: orders
    anomaly:
"""


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (
            "      metrics: [row_cnt]\n",
            "monitors/monitors.yml:8: monitors[0].anomaly.metrics[0]: `volume` has no metric `row_cnt`"
            " (its metrics: row_count)",
        ),
        (
            "      seasonality: hour_of_day\n",
            "monitors/monitors.yml:8: monitors[0].anomaly.seasonality: `seasonality: hour_of_day` needs windows"
            " shorter than a day, and source `orders` has windows of 1 day (use `day_of_week` for daily windows,"
            " or `none`)",
        ),
        (
            "      training: 5 windows\n      min_training: 7\n",
            "monitors/monitors.yml:7: monitors[0].anomaly: `min_training` (7) is larger than `training` (5): no"
            " window could ever be judged; lower min_training or raise training",
        ),
        (
            "      sensitivity: -2\n",
            "monitors/monitors.yml:8: monitors[0].anomaly.sensitivity: `sensitivity` is how far a value may stray, in"
            " scaled MADs or standard deviations: a positive number such as 3.5, not -2",
        ),
        (
            "      training: 4 weeks\n",
            "monitors/monitors.yml:8: monitors[0].anomaly.training: `training` counts windows: write `28 windows`"
            " or 28, not `4 weeks`",
        ),
    ],
)
def test_bad_anomaly_settings_get_a_file_line_error_and_nothing_is_written(make_project, settings, problem) -> None:
    root = make_project(BAD + settings)
    assert offline(root) == [problem]


def test_an_exclusion_table_without_a_date_column_is_refused_before_anything_runs(make_project) -> None:
    root = make_project(
        BAD + "      exclude: {table: main.holidays, column: name}\n",
        setup_sql=[
            "CREATE TABLE main.orders (ordered_at TIMESTAMP)",
            "CREATE TABLE main.holidays (name VARCHAR, day DATE)",
        ],
    )
    assert problems(root) == [
        "monitors/monitors.yml:8: monitors[0].anomaly.exclude.column: column `name` of the exclusion table"
        " main.holidays has type VARCHAR; the excluded days need a date or timestamp column (its date columns: day)"
    ]
    result = CliRunner().invoke(main, ["run", "-p", str(root)])
    assert result.exit_code == 2
    assert query(root, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'sqlmon'") == [(0,)]
