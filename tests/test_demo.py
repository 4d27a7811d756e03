"""The demo is the integration test: every injected incident is alerted in its window, and clean days stay quiet."""

from __future__ import annotations

import contextlib
import io
import re
from datetime import date
from pathlib import Path

import pytest

from sqlmon.demo import print_demo, score
from tests.conftest import query

CLI_DOCS = Path(__file__).parent.parent / "docs" / "cli.md"


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """The demo as `sqlmon demo` runs it: its result, and what it printed."""
    folder = tmp_path_factory.mktemp("demo")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = print_demo(folder)
    return result, out.getvalue()


@pytest.fixture(scope="module")
def demo(printed):
    return printed[0]


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
    assert sorted((a.monitor, a.rule.split()[0], a.severity) for a in stopped) == [
        ("orders_freshness", "anomaly", "warn"),
        ("orders_freshness", "threshold", "warn"),
        ("orders_volume", "anomaly", "warn"),  # the day holds a fifth of a Tuesday's orders: no threshold sees it
    ]
    lag = next(a for a in stopped if a.rule.startswith("threshold"))
    assert lag.message.startswith("lag = 14 hours (warn: > 6 hours); newest ordered_at 2026-10-27 09:59")
    volume = next(a for a in stopped if a.monitor == "orders_volume")
    assert volume.message.startswith("row_count = 452 (warn: anomaly, expected 2455 within [")
    for day in (28, 29, 30):
        orders = sorted((a.monitor, a.severity) for a in demo.alerts[date(2026, 10, day)] if a.monitor.startswith("o"))
        assert orders == [
            ("orders_freshness", "error"),
            ("orders_freshness", "warn"),
            ("orders_volume", "error"),
            ("orders_volume", "warn"),
        ], day


def test_the_weekend_dips_of_the_orders_are_learnt_and_only_the_weekday_outage_is_an_anomaly(demo):
    bands = query(
        demo.folder,
        "SELECT window_start, status FROM sqlmon.sqlmon_anomalies WHERE monitor = 'orders_volume' "
        "AND window_start < '2026-10-31' ORDER BY window_start",
    )
    judged = {start.date(): status for start, status in bands if status != "insufficient_history"}
    weekends = [day for day in judged if day.weekday() >= 5]
    assert len(weekends) >= 10  # the order history before the demo's first day trains every weekday
    assert all(judged[day] == "ok" for day in weekends)
    assert [day for day, status in judged.items() if status != "ok"] == [date(2026, 10, d) for d in (27, 28, 29, 30)]
    assert len(bands) == len({start for start, _ in bands})  # one band per window, every window


def test_the_demo_output_in_the_cli_docs_is_real(printed, demo):
    """Every line of the docs' demo example is a line the demo printed, in the same order (`…` elides lines; the
    folder and the timing differ)."""
    text = CLI_DOCS.read_text()
    block = text.split("```console\n$ sqlmon demo --dir /tmp/docs_demo\n", 1)[1].split("```", 1)[0]
    output = printed[1].replace(str(demo.folder), "/tmp/docs_demo")

    def masked(line: str) -> str:
        line = re.sub(r"\(\d+\.\d s\)", "(… s)", line.rstrip())
        return re.sub(r"; \d+ KB\)$", "; … KB)", line)  # the report's size moves with its timestamps

    remaining = iter([masked(line) for line in output.splitlines()])
    for line in block.splitlines():
        if line.strip() == "…":
            continue
        assert any(masked(line) == real for real in remaining), f"not in the demo's output (in order): {line!r}"


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
    assert windows == [("orders", 63 + 30), ("predictions", 30), ("recommendations", 30)]  # orders: 63 days of history
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


# --- the console examples of docs/cli.md that run on the demo project are its real output ---------------------------
def _console_blocks(command_prefix: str) -> list[tuple[str, str]]:
    """(command, the output shown) of every console block example in docs/cli.md whose command starts so."""
    found = []
    for block in CLI_DOCS.read_text().split("```console\n")[1:]:
        body = block.split("```", 1)[0]
        for example in body.split("\n\n$ ") if body.startswith("$ ") else []:
            command, _, output = example.removeprefix("$ ").partition("\n")
            if command.startswith(command_prefix):
                found.append((command, output))
    return found


def _mask(text: str) -> str:
    text = re.sub(r"sqlmon run [0-9a-f]{12}", "sqlmon run <id>", text)
    text = re.sub(r"\d+\.\d s\b", "<s> s", text)
    return re.sub(r'"(run_id|started_at|finished_at)": "[^"]+"', r'"\1": "<masked>"', text)


@pytest.fixture(scope="module")
def demo_copy(demo, tmp_path_factory):
    """A copy of the finished demo project, for commands that write (the demo's own folder is shared)."""
    import shutil

    folder = tmp_path_factory.mktemp("demo_copy") / "demo"
    shutil.copytree(demo.folder, folder)
    return folder


def _invoke(folder: Path, command: str) -> str:
    import shlex

    from click.testing import CliRunner

    from sqlmon.cli import main

    result = CliRunner().invoke(main, [*shlex.split(command)[1:], "-p", str(folder)])
    return result.stdout


def test_the_run_examples_in_the_cli_docs_are_real_output(demo_copy):
    examples = _console_blocks("sqlmon run --select exposure_concentration")
    assert len(examples) == 2
    for command, shown in examples:  # in the order of the docs: a backfill, then a run with nothing due
        real = _invoke(demo_copy, command)
        assert _mask(shown).rstrip() == _mask(real).rstrip(), command


def test_the_json_example_in_the_cli_docs_is_an_excerpt_of_the_real_output(demo_copy):
    import json

    [(command, shown)] = _console_blocks("sqlmon run --select input_drift")
    real = json.loads(_invoke(demo_copy, command))
    excerpt = json.loads(re.sub(r"\n\s*…,?", "", shown))  # `…` stands for the items left out
    assert list(excerpt) == list(real)  # every field, in order
    for key, value in excerpt.items():
        if isinstance(value, list):
            assert all(item in real[key] for item in value), key
        elif key not in ("run_id", "started_at", "finished_at"):
            assert value == real[key], key


def test_the_json_example_of_a_run_that_cannot_start_is_real_output(demo_copy):
    [(command, shown)] = _console_blocks("sqlmon run --select input_drfit")
    real = _invoke(demo_copy, command)

    def masked(text: str) -> str:  # a run that never started is as of the moment it was tried
        return re.sub(r'"as_of": "[^"]+"', '"as_of": "<now>"', _mask(text))

    assert masked(shown).rstrip() == masked(real).rstrip()


def test_the_folded_text_report_in_the_cli_docs_is_real_output(demo_copy):
    [(command, shown)] = _console_blocks("sqlmon run --select prediction_nulls")
    real = _invoke(demo_copy, command)
    assert "10 ok" in real  # the ten columns without nulls, folded
    assert _mask(shown).rstrip() == _mask(real).rstrip()


def test_the_report_example_in_the_cli_docs_is_real(demo_copy, monkeypatch):
    """`sqlmon report` in the demo folder prints what docs/cli.md shows (the folder differs)."""
    import shlex

    from click.testing import CliRunner

    from sqlmon.cli import main

    [(command, shown)] = _console_blocks("sqlmon report --days 7")
    monkeypatch.chdir(demo_copy)
    result = CliRunner().invoke(main, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    real = result.output.replace(str(demo_copy), "/tmp/docs_demo").rstrip()
    assert re.sub(r"\d+ KB\)", "… KB)", real) == re.sub(r"\d+ KB\)", "… KB)", shown.rstrip())  # size: see above
    assert (demo_copy / "orders.html").is_file()
