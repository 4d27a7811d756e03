"""The issue's "done when" for notifications: the demo with a Slack-type channel pointed at a local server sends
one grouped message per simulated day that has new alerts (or a change, or an end), nothing on re-runs, and a
resolution when an incident ends. The first 14 days hold two incidents that end (invalid orders on day 8, the null
spike of days 12–13) and one that starts and escalates (the feedback loop from day 10)."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from sqlmon.demo import run_demo
from sqlmon.results import SEVERITY_RANK
from sqlmon.runner import run
from tests.conftest import query
from tests.notify_server import Recorder

DAYS = 14
NOTIFY = """\
notify:
  - name: oncall
    type: slack
    webhook_url: ${DEMO_SLACK_URL}
    report_url: https://reports.example/report.html
  - name: machines
    type: webhook
    url: ${DEMO_WEBHOOK_URL}
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    with Recorder() as server:
        monkeypatch.setenv("DEMO_SLACK_URL", server.url + "/slack/T0/B0/demo-secret")
        monkeypatch.setenv("DEMO_WEBHOOK_URL", server.url + "/webhook")
        per_day: dict[date, int] = {}

        def on_day(day: date, outcome) -> None:
            per_day[day] = len(server.requests)

        started = time.perf_counter()
        result = run_demo(tmp_path_factory.mktemp("demo"), DAYS, on_day, notify=NOTIFY)
        seconds = time.perf_counter() - started
        before = len(server.requests)
        last = result.days[-1]
        end = datetime.combine(last + timedelta(days=1), datetime.min.time())
        reruns = [run(result.folder, end=end), run(result.folder, start=end - timedelta(days=7), end=end)]
        yield result, server, per_day, before, reruns, seconds
    monkeypatch.undo()


def requests_of(server, per_day, day: date, path: str) -> list[dict]:
    days = sorted(per_day)
    index = days.index(day)
    first = per_day[days[index - 1]] if index else 0
    return [r.json() for r in server.requests[first : per_day[day]] if r.path.startswith(path)]


def expected_changes(result) -> dict[date, tuple[set, set, set]]:
    """Per day (opened, changed, resolved) keys, from the alerts each day's run raised: each run computes that day's
    window, so its alerts are each monitor's current state."""
    changes = {}
    before: dict[tuple, str] = {}
    for day in result.days:
        now: dict[tuple, str] = {}
        for a in result.alerts[day]:
            key = (a.monitor, a.column, a.segment, a.metric)
            if SEVERITY_RANK[a.severity] > SEVERITY_RANK.get(now.get(key, ""), 0):
                now[key] = a.severity
        opened = {k for k in now if k not in before}
        changed = {k for k in now if k in before and before[k] != now[k]}
        resolved = {k for k in before if k not in now}
        changes[day] = (opened, changed, resolved)
        before = now
    return changes


def test_one_grouped_slack_message_per_day_with_something_new(demo):
    result, server, per_day, _, _, seconds = demo
    changes = expected_changes(result)
    days_with_news = [day for day, (o, c, r) in changes.items() if o or c or r]
    assert len(days_with_news) >= 4  # the incidents of the first two weeks
    for day in result.days:
        slack = requests_of(server, per_day, day, "/slack/")
        opened, changed, resolved = changes[day]
        if day not in days_with_news:
            assert slack == [], day
            continue
        [message] = slack
        alerts = len(opened) + len(changed)
        title = message["text"]
        assert title.startswith("sqlmon fraud_and_recs_demo: "), title
        if alerts:
            assert f" {alerts} alert" in title, (day, title)
        if resolved:
            assert title.endswith(f"{len(resolved)} resolved"), (day, title)
    print(f"\nslack messages over {DAYS} demo days: {len(server.on('/slack/T0/B0/demo-secret'))}; {seconds:.1f} s")


def test_the_webhook_is_told_exactly_what_opened_changed_and_resolved(demo):
    result, server, per_day, _, _, _ = demo
    for day, (opened, changed, resolved) in expected_changes(result).items():
        hooks = requests_of(server, per_day, day, "/webhook")
        if not (opened or changed or resolved):
            assert hooks == [], day
            continue
        [body] = hooks

        def keys(items, event):
            return {(i["monitor"], i["column"], i["segment"], i["metric"]) for i in items if i["event"] == event}

        assert keys(body["alerts"], "opened") == opened, day
        assert keys(body["alerts"], "changed") == changed, day
        assert keys(body["resolved"], "resolved") == resolved, day


def test_incidents_that_end_are_resolved_once(demo):
    _, server, per_day, _, _, _ = demo
    day14 = requests_of(server, per_day, date(2026, 10, 14), "/webhook")
    assert ("prediction_nulls", "account_age_days") in {(i["monitor"], i["column"]) for i in day14[0]["resolved"]}
    day9 = requests_of(server, per_day, date(2026, 10, 9), "/slack/")
    assert day9[0]["text"] == "sqlmon fraud_and_recs_demo: 2 resolved"  # invalid orders: amount and status
    resolutions = Counter(
        (i["monitor"], i["column"], i["metric"]) for r in server.on("/webhook") for i in r.json()["resolved"]
    )
    assert resolutions and max(resolutions.values()) == 1


def test_re_runs_and_a_backfill_send_nothing(demo):
    result, server, _, before, reruns, _ = demo
    assert len(server.requests) == before
    for outcome in reruns:
        assert [(d.channel, d.status) for d in outcome.notifications] == [
            ("oncall", "nothing"),
            ("machines", "nothing"),
        ]
    stored = query(
        result.folder, "SELECT channel, status, count(*) FROM sqlmon.sqlmon_notifications GROUP BY ALL ORDER BY 1"
    )
    assert {status for _, status, _ in stored} == {"sent"}
    assert not any(
        "demo-secret" in str(row) for row in query(result.folder, "SELECT * FROM sqlmon.sqlmon_notifications")
    )


def test_sqlmon_demo_notify_prints_what_each_day_sent(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from sqlmon.cli import main

    notify = tmp_path / "notify.yml"
    notify.write_text("notify:\n  - name: oncall\n    type: slack\n    webhook_url: ${DEMO_SLACK_URL}\n")
    with Recorder() as server:
        monkeypatch.setenv("DEMO_SLACK_URL", server.url + "/slack/T0/B0/cli-secret")
        result = CliRunner().invoke(
            main, ["demo", "--dir", str(tmp_path / "demo"), "--days", "9", "--notify", str(notify)]
        )
        titles = [r.json()["text"] for r in server.requests]
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    day8 = lines.index(next(line for line in lines if line.startswith("2026-10-08")))
    assert lines[day8 + 1] == "            → oncall (slack): sent 2 alert(s)"  # under orders_validity
    assert lines[day8 + 2 : day8 + 4] == ["2026-10-09  ok", "            → oncall (slack): sent 2 resolved"]
    assert titles == ["sqlmon fraud_and_recs_demo: 2 alerts (2 error)", "sqlmon fraud_and_recs_demo: 2 resolved"]
    assert "cli-secret" not in result.output


def test_the_demo_takes_a_file_of_channels_only(tmp_path):
    from click.testing import CliRunner

    from sqlmon.cli import main

    notify = tmp_path / "notify.yml"
    notify.write_text("notify: []\nconnection: {type: duckdb}\n")
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "demo"), "--notify", str(notify)])
    assert result.exit_code == 2
    assert f"{notify}:2: connection: expected only a `notify:` list of channels here" in result.stderr
    assert not (tmp_path / "demo").exists()
