"""The demo is the integration test: every injected incident is alerted in its window, and clean days stay quiet."""

from __future__ import annotations

from datetime import date

import pytest

from sqlmon.demo import run_demo, score
from tests.conftest import query


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("demo"))


def alerts_on(demo, day: int, monitor: str) -> list[str]:
    return [a.message for a in demo.alerts[date(2026, 10, day)] if a.monitor == monitor]


def test_every_incident_is_caught_and_no_clean_day_alerts(demo):
    missed, unexplained = score(demo)
    assert missed == []
    assert unexplained == []
    assert len(demo.days) == 30


def test_the_first_nine_days_are_quiet_but_for_the_invalid_orders_of_day_8(demo):
    assert all(demo.alerts[date(2026, 10, d)] == [] for d in (1, 2, 3, 4, 5, 6, 7, 9))
    day8 = demo.alerts[date(2026, 10, 8)]
    assert {(a.monitor, a.column, a.severity) for a in day8} == {
        ("orders_validity", "amount", "error"),
        ("orders_validity", "status", "error"),
    }
    assert any("accepted_values" in a.message for a in day8)


def test_the_stopped_order_feed_warns_on_its_day_and_errors_after(demo):
    stopped = [a for a in demo.alerts[date(2026, 10, 27)] if a.monitor.startswith("orders")]
    assert [(a.monitor, a.severity) for a in stopped] == [("orders_freshness", "warn")]
    assert stopped[0].message.startswith("lag = 14 hours (warn: > 6 hours); newest ordered_at 2026-10-27 09:59")
    for day in (28, 29, 30):
        orders = sorted((a.monitor, a.severity) for a in demo.alerts[date(2026, 10, day)] if a.monitor.startswith("o"))
        assert orders == [("orders_freshness", "error"), ("orders_volume", "error")], day


def test_the_null_spike_is_an_error_on_its_two_days_only(demo):
    for day in (12, 13):
        [message] = alerts_on(demo, day, "prediction_nulls")
        subject, rest = message.split(" = ")
        assert subject == "null_rate of account_age_days"
        assert 0.35 < float(rest.split()[0]) < 0.45 and rest.endswith("(error: > 0.05)")
    assert alerts_on(demo, 11, "prediction_nulls") == alerts_on(demo, 14, "prediction_nulls") == []


def test_the_new_market_is_named_in_the_drift_alert(demo):
    messages = alerts_on(demo, 18, "input_drift")
    assert any(m.startswith("psi of country") and m.endswith("new: BR") for m in messages)
    assert any(m.startswith("ks of amount") for m in messages)  # a change of scale that PSI alone misses
    assert alerts_on(demo, 17, "input_drift") == []


def test_the_score_shift_follows_the_drift(demo):
    assert [m.split(" = ")[0] for m in alerts_on(demo, 18, "score_distribution")] == ["psi of score"]
    assert alerts_on(demo, 17, "score_distribution") == []


def test_the_schema_break_names_the_renamed_column_and_the_revert_is_a_change_too(demo):
    assert sorted(alerts_on(demo, 20, "predictions_contract")) == [
        "missing_columns = 1 (error: > 0); device_type",
        "schema_changes = 2 (warn: > 0); +device_os, -device_type",
        "unexpected_columns = 1 (warn: > 0); device_os",
    ]
    assert sorted(alerts_on(demo, 21, "predictions_contract")) == [
        "missing_columns = 1 (error: > 0); device_type",
        "unexpected_columns = 1 (warn: > 0); device_os",
    ]
    assert alerts_on(demo, 22, "predictions_contract") == ["schema_changes = 2 (warn: > 0); +device_type, -device_os"]
    assert alerts_on(demo, 23, "predictions_contract") == []


def test_the_feedback_loop_warns_at_onset_and_escalates(demo):
    assert [m.split(" = ")[0] for m in alerts_on(demo, 10, "exposure_concentration")] == ["dropped_values of item_id"]
    late = alerts_on(demo, 30, "exposure_concentration")
    [share] = [m for m in late if m.startswith("top_k_share of item_id = ")]
    assert float(share.split(" = ")[1].split()[0]) > 0.55 and share.endswith("(error: > 0.4)")


def test_results_land_in_the_documented_tables(demo):
    runs = query(
        demo.folder, "SELECT count(*), count(DISTINCT run_id), min(status), max(status) FROM sqlmon.sqlmon_runs"
    )
    assert runs == [(30, 30, "success", "success")]
    windows = query(
        demo.folder,
        "SELECT source, count(DISTINCT window_start) FROM sqlmon.sqlmon_metrics GROUP BY source ORDER BY source",
    )
    assert windows == [("orders", 30), ("predictions", 30), ("recommendations", 30)]
    open_alerts = query(demo.folder, "SELECT DISTINCT monitor FROM sqlmon.sqlmon_open_alerts ORDER BY 1")
    assert open_alerts == [
        ("exposure_concentration",),
        ("input_drift",),
        ("orders_freshness",),
        ("orders_volume",),
        ("score_distribution",),
    ]
    bins = query(
        demo.folder,
        "SELECT side, count(*), sum(fraction) FROM sqlmon.sqlmon_histograms "
        "WHERE monitor = 'score_distribution' AND window_start = DATE '2026-10-30' GROUP BY side "
        "ORDER BY side",
    )
    assert [(side, n) for side, n, _ in bins] == [("baseline", 10), ("current", 10)]
    assert all(abs(total - 1) < 1e-12 for _, _, total in bins)
