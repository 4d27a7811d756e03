"""No fatigue, on real runs: what each channel is sent as a monitor's alert opens, stays, changes severity and
clears, across re-runs and backfills, with `when:` filters and `repeat_after`; and a failing channel changes
nothing about the run but its output and a stored row."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from click.testing import CliRunner

from sqlmon.cli import main
from sqlmon.runner import run
from tests.conftest import PROJECT_YML, execute, query
from tests.notify_server import Answer, Recorder

# null rate of `amount` per day: ok, error, error, warn, ok
NULL_SHARE = {1: 0.0, 2: 0.5, 3: 0.5, 4: 0.25, 5: 0.0}
SETUP = "CREATE TABLE main.events (ts TIMESTAMP, amount DOUBLE)"
MONITORS = """\
sources:
  - {name: events, table: main.events, timestamp: ts, window: 1 day}
monitors:
  - name: nulls
    type: null_rate
    source: events
    columns: [amount]
    thresholds: {null_rate: {warn: 0.1, error: 0.4}}
    owner: ml-team
    tags: [tier1]
  - {name: rows, type: volume, source: events, thresholds: {row_count: {error: [1, 1000]}}}
"""
CHANNELS = """\
notify:
  - name: feed
    type: slack
    webhook_url: ${HOOK_FEED}
    retries: 1
  - name: pager
    type: webhook
    url: ${HOOK_PAGER}
    when: {severity: error, owners: [ml-team]}
    repeat_after: 1 day
  - name: tier2
    type: slack
    webhook_url: ${HOOK_TIER2}
    when: {tags: [tier2]}
"""


def load_day(root, day: int) -> None:
    share = NULL_SHARE[day]
    execute(
        root,
        f"INSERT INTO main.events SELECT TIMESTAMP '2026-10-0{day}' + to_minutes(15 * i), "
        f"CASE WHEN i < {int(share * 96)} THEN NULL ELSE i END FROM range(96) t(i)",
    )


@pytest.fixture
def server(monkeypatch):
    with Recorder() as recorder:
        for name in ("feed", "pager", "tier2"):
            monkeypatch.setenv(f"HOOK_{name.upper()}", f"{recorder.url}/{name}/secret-token-{name}")
        yield recorder


@pytest.fixture
def project(make_project, server):
    return make_project(MONITORS, setup_sql=SETUP, project_yml=PROJECT_YML + CHANNELS)


def run_day(root, day: int, start: int | None = None):
    end = datetime(2026, 10, day + 1)
    return run(root, start=datetime(2026, 10, start) if start else None, end=end)


def sent(server, path: str) -> list[dict]:
    return [r.json() for r in server.requests if r.path.startswith(f"/{path}/")]


def slack_lines(body: dict) -> list[str]:
    return [b["text"]["text"].split("\n")[0] for b in body["blocks"] if b["type"] == "section"]


def test_an_alert_is_sent_once_again_on_severity_change_and_resolved_once(project, server):
    load_day(project, 1)
    outcome = run_day(project, 1)
    assert [(d.channel, d.status) for d in outcome.notifications] == [
        ("feed", "nothing"),
        ("pager", "nothing"),
        ("tier2", "nothing"),
    ]
    load_day(project, 2)
    run_day(project, 2)
    [opened] = sent(server, "feed")
    assert opened["text"] == "sqlmon test_project: 1 alert (1 error)"
    assert slack_lines(opened) == [":red_circle: *ERROR* `nulls`: null_rate of amount = 0.5 (error: &gt; 0.4)"]

    # the same window again, by a re-run and by a backfill: nothing new anywhere
    for again in (run_day(project, 2), run_day(project, 2, start=1)):
        assert {d.status for d in again.notifications} == {"nothing"}
    assert len(sent(server, "feed")) == 1

    load_day(project, 3)  # still an error on the next day: still open, not sent again
    run_day(project, 3)
    assert len(sent(server, "feed")) == 1

    load_day(project, 4)  # error → warn
    run_day(project, 4)
    changed = sent(server, "feed")[-1]
    assert slack_lines(changed) == [
        ":large_yellow_circle: *WARN* (was error) `nulls`: null_rate of amount = 0.25 (warn: &gt; 0.1)"
    ]

    load_day(project, 5)  # clears
    run_day(project, 5)
    resolved = sent(server, "feed")[-1]
    assert resolved["text"] == "sqlmon test_project: 1 resolved"
    assert slack_lines(resolved)[0].startswith(":white_check_mark: *Resolved* `nulls: null_rate of amount`")
    run_day(project, 5)
    assert len(sent(server, "feed")) == 3  # the resolution went once
    assert sent(server, "tier2") == []  # no monitor has tag tier2

    rows = query(
        project,
        "SELECT channel, event, severity, status FROM sqlmon.sqlmon_notifications WHERE channel = 'feed' "
        "ORDER BY sent_at",
    )
    assert rows == [
        ("feed", "opened", "error", "sent"),
        ("feed", "changed", "warn", "sent"),
        ("feed", "resolved", "warn", "sent"),
    ]


def test_repeat_after_and_a_severity_filter(project, server):
    for day in (1, 2, 3):
        load_day(project, day)
        run_day(project, day)
    opened, repeated = sent(server, "pager")  # `repeat_after: 1 day`: day 3's run is a day after day 2's
    assert [(a["event"], a["monitor"], a["severity"]) for a in opened["alerts"]] == [("opened", "nulls", "error")]
    assert [a["event"] for a in repeated["alerts"]] == ["repeated"]
    run_day(project, 3)
    assert len(sent(server, "pager")) == 2  # a re-run of the same moment is no later: no repeat

    load_day(project, 4)  # a warning does not pass `severity: error`: on this channel the error is over
    run_day(project, 4)
    resolution = sent(server, "pager")[-1]
    assert resolution["alerts"] == []
    assert [(r["event"], r["monitor"], r["severity"]) for r in resolution["resolved"]] == [
        ("resolved", "nulls", "error")
    ]
    load_day(project, 5)
    run_day(project, 5)
    assert len(sent(server, "pager")) == 3


def test_a_failing_channel_is_reported_and_stored_and_changes_nothing_else(project, server):
    load_day(project, 1)
    load_day(project, 2)
    server.queue(*[Answer(503, body=b"upstream down")] * 2)  # feed: the first attempt and its one retry
    result = CliRunner().invoke(main, ["run", "-p", str(project), "--end", "2026-10-03"])
    assert result.exit_code == 1  # the alert's exit code, as without channels
    lines = result.stdout.split("Notifications (after the results were stored):\n", 1)[1].splitlines()
    assert lines[0] == (
        "  feed (slack): FAILED, sent again on the next run: HTTP 503 Service Unavailable: upstream down (2 attempts)"
    )
    assert lines[1] == "  pager (webhook): sent 1 alert(s)"
    assert lines[2] == "  tier2 (slack): nothing new"
    assert "secret-token" not in result.output
    assert query(project, "SELECT count(*) FROM sqlmon.sqlmon_runs") == [(1,)]
    assert query(project, "SELECT count(*) FROM sqlmon.sqlmon_alerts WHERE monitor = 'nulls'") == [(1,)]
    stored = query(project, "SELECT channel, status, error FROM sqlmon.sqlmon_notifications ORDER BY channel")
    assert stored == [
        ("feed", "failed", "HTTP 503 Service Unavailable: upstream down (2 attempts)"),
        ("pager", "sent", None),
    ]
    # the next run sends what the failed one could not, and nothing twice
    result = CliRunner().invoke(main, ["run", "-p", str(project), "--end", "2026-10-03", "--format", "json"])
    report = json.loads(result.stdout)
    assert report["exit_code"] == 1
    assert [(n["channel"], n["status"], n["alerts"]) for n in report["notifications"]] == [
        ("feed", "sent", 1),
        ("pager", "nothing", 0),
        ("tier2", "nothing", 0),
    ]
    assert len(sent(server, "feed")) == 3 and len(sent(server, "pager")) == 1


def test_secrets_of_channels_are_never_printed_nor_stored(make_project, server, monkeypatch, tmp_path):
    literal = "https://hooks.slack.com/services/T0/B0/literal-secret-in-the-file"
    yml = PROJECT_YML + CHANNELS + f"  - {{name: literal, type: slack, webhook_url: '{literal}', retries: 0}}\n"
    root = make_project(MONITORS, setup_sql=SETUP, project_yml=yml)
    load_day(root, 2)
    result = CliRunner().invoke(main, ["run", "-p", str(root), "--end", "2026-10-03"])
    assert "literal (slack): FAILED" in result.stdout  # no network here: hooks.slack.com cannot be reached
    tokens = ["secret-token-feed", "secret-token-pager", literal]
    assert not [t for t in tokens if t in result.output]
    import duckdb

    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'sqlmon'").fetchall():
            text = json.dumps(con.execute(f"SELECT * FROM sqlmon.{table}").fetchall(), default=str)
            assert not [t for t in tokens if t in text], table


def test_notify_test_sends_to_each_channel_or_the_named_one(project, server):
    result = CliRunner().invoke(main, ["notify", "test", "-p", str(project)])
    assert (result.exit_code, result.stdout) == (
        0,
        "feed (slack): test message sent\npager (webhook): test message sent\ntier2 (slack): test message sent\n",
    )
    assert sent(server, "pager")[0]["kind"] == "test"
    result = CliRunner().invoke(main, ["notify", "test", "-p", str(project), "tier2"])
    assert result.stdout == "tier2 (slack): test message sent\n"
    assert len(sent(server, "tier2")) == 2
    result = CliRunner().invoke(main, ["notify", "test", "-p", str(project), "tier3"])
    assert result.exit_code == 2
    assert "NAME: no channel `tier3` in `notify:` (did you mean `tier2`?)" in result.stderr
    server.queue(Answer(404, body=b"no_service"))
    result = CliRunner().invoke(main, ["notify", "test", "-p", str(project), "feed"])
    assert (result.exit_code, result.stdout) == (3, "feed (slack): FAILED: HTTP 404 Not Found: no_service\n")
    assert query(project, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'sqlmon'") == [(0,)]


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    from tests import engines

    session = engines.start_spark(tmp_path_factory.mktemp("spark-warehouse"))
    yield session
    session.stop()


@pytest.mark.parametrize("engine", ["postgres", "spark"])
def test_the_state_is_kept_on_every_engine(engine, make_project, server, request, tmp_path):
    """The state's one query (the latest sent row per key, a window function) and its appends on PostgreSQL and
    Spark: opened, nothing on a re-run, changed, resolved."""
    from datetime import timedelta

    from tests import engines

    rows = [
        (datetime(2026, 10, day) + timedelta(minutes=15 * i), None if i < int(NULL_SHARE[day] * 96) else float(i))
        for day in NULL_SHARE
        for i in range(96)
    ]
    events = {"ts": "timestamp", "amount": "double"}
    feed = "notify:\n  - {name: feed, type: webhook, url: '${HOOK_FEED}'}\n"
    if engine == "postgres":
        pg = request.getfixturevalue("postgres")
        db = f"notify_{tmp_path.name[-20:].lower()}".replace("-", "_")
        root = make_project(MONITORS, project_yml=pg.connection_yaml(db) + "results_schema: sqlmon\n" + feed)
        engines.load_postgres(pg, db, {"main.events": (events, rows)})
    else:
        session = request.getfixturevalue("spark")
        for database in ("sqlmon", "notify_state"):
            session.sql(f"DROP DATABASE IF EXISTS {database} CASCADE").collect()
        request.addfinalizer(lambda: session.sql("DROP DATABASE IF EXISTS sqlmon CASCADE").collect())
        yml = "connection: {type: spark, master: 'local[2]'}\nresults_schema: sqlmon\n" + feed
        root = make_project(MONITORS.replace("main.events", "notify_state.events"), project_yml=yml)
        engines.load_spark(session, "notify_state", {"notify_state.events": (events, rows)})
    for day in (2, 2, 3, 4, 5):  # a re-run of day 2, and day 3 still the same error: nothing
        run_day(root, day)
    bodies = sent(server, "feed")
    assert [[(i["event"], i["severity"]) for i in b["alerts"] + b["resolved"]] for b in bodies] == [
        [("opened", "error")],
        [("changed", "warn")],
        [("resolved", "warn")],
    ]


def test_a_channel_that_crashes_is_a_failed_delivery_not_a_failed_run(project, server, monkeypatch):
    from sqlmon.notify.channels.slack import Slack

    def broken(self, message):
        raise ValueError(f"a bug, near {self.spec.webhook_url}")

    monkeypatch.setattr(Slack, "send", broken)
    load_day(project, 2)
    outcome = run_day(project, 2)
    assert outcome.status == "success"
    [feed] = [d for d in outcome.notifications if d.channel == "feed"]
    assert (feed.status, feed.error) == ("failed", "ValueError: a bug, near ***")
    assert query(project, "SELECT count(*) FROM sqlmon.sqlmon_runs") == [(1,)]


# --- the rules, as a function: one test per rule ---------------------------------------------------------------------


def _spec(**settings):
    from sqlmon.notify.channels.slack import SlackSpec

    return SlackSpec.model_validate({"name": "c", "type": "slack", "webhook_url": "https://x", **settings})


def _item(monitor="m", severity="error", segment=None, **more):
    from sqlmon.notify.message import Item

    fields = {"source": "events", "owner": "ml-team", "tags": ("tier1",), **more}
    return Item("opened", monitor, "c", segment, "psi", severity, 1.0, "psi = 1", "threshold > 0.5", None, **fields)


def _sent(severity="error", event="opened", as_of=datetime(2026, 10, 2)):
    from sqlmon.notify.state import Sent

    return Sent(event, severity, 1.0, "psi = 1", "threshold > 0.5", None, as_of)


@pytest.mark.parametrize(
    ("when", "routed"),
    [
        ({}, {"m", "orders_volume", "orders_freshness"}),
        ({"severity": "error"}, {"m", "orders_freshness"}),
        ({"monitors": ["orders_*"]}, {"orders_volume", "orders_freshness"}),
        ({"sources": ["orders"]}, {"orders_volume", "orders_freshness"}),
        ({"tags": ["tier2", "pii"]}, {"orders_volume"}),
        ({"owners": ["data-eng"]}, {"orders_freshness"}),
        ({"owners": ["data-eng"], "severity": "error", "sources": ["ord*"]}, {"orders_freshness"}),
    ],
)
def test_when_filters_route_by_severity_monitor_source_tag_and_owner(when, routed):
    from sqlmon.notify.state import plan

    current = [
        _item(),
        _item("orders_volume", "warn", source="orders", tags=("pii",)),
        _item("orders_freshness", source="orders", owner="data-eng", tags=()),
    ]
    items = plan(_spec(when=when), current, {}, {"m"}, datetime(2026, 10, 3))
    assert {i.monitor for i in items} == routed
    assert {i.event for i in items} == {"opened"}


def test_each_segment_is_its_own_key():
    from sqlmon.notify.state import plan

    de, fr = _item(segment="country=DE"), _item(segment="country=FR")
    state = {de.key: _sent()}
    items = plan(_spec(), [de, fr], state, {"m"}, datetime(2026, 10, 3))
    assert [(i.segment, i.event) for i in items] == [("country=FR", "opened")]
    items = plan(_spec(), [fr], state, {"m"}, datetime(2026, 10, 3))
    assert [(i.segment, i.event) for i in items] == [("country=FR", "opened"), ("country=DE", "resolved")]


def test_only_monitors_of_the_run_resolve_and_a_resolved_key_opens_again():
    from sqlmon.notify.state import plan

    key = _item().key
    assert plan(_spec(), [], {key: _sent()}, {"other"}, datetime(2026, 10, 3)) == []  # `--select other`
    [again] = plan(_spec(), [_item()], {key: _sent(event="resolved")}, {"m"}, datetime(2026, 10, 3))
    assert again.event == "opened"


def test_repeat_after_counts_from_the_last_send_on_the_runs_as_of():
    from datetime import timedelta

    from sqlmon.notify.state import plan

    spec = _spec(repeat_after="12 hours")
    state = {_item().key: _sent(as_of=datetime(2026, 10, 2))}
    assert plan(spec, [_item()], state, {"m"}, datetime(2026, 10, 2, 11)) == []
    [repeated] = plan(spec, [_item()], state, {"m"}, datetime(2026, 10, 2, 12))
    assert repeated.event == "repeated"
    assert spec.repeat_after == timedelta(hours=12)
