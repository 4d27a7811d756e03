"""`notify:` in sqlmon.yml: the issue's example loads as written; every mistake is a problem with file:line and a
fix; secrets are masked; monitors (and dbt nodes) carry `owner` and `tags`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sqlmon.config.loader import load_project
from sqlmon.errors import ConfigError, redact
from tests.conftest import PROJECT_YML

MONITORS = """\
sources:
  - {name: events, table: main.events, timestamp: ts, window: 1 day}
monitors:
  - {name: nulls, type: null_rate, source: events, columns: [amount], owner: ml-team, tags: [tier1, pii]}
"""
ISSUE_EXAMPLE = """\
notify:
  - name: oncall
    type: slack                       # incoming webhook, Block Kit message
    webhook_url: ${SLACK_WEBHOOK_URL} # a secret: never printed, never stored
    when: {severity: error}           # filters: severity, monitors, sources, tags, owners
  - name: team-feed
    type: webhook                     # generic JSON POST; optional body template; HMAC-SHA256 signature with `secret`
    url: https://hooks.example.internal/sqlmon
  - {name: mail, type: email, smtp_host: smtp.internal, to: [ml-team@example.com], from: sqlmon@example.com}
  - {name: pager, type: pagerduty, routing_key: '${PD_ROUTING_KEY}'}   # Events API v2: trigger and resolve
  - {name: teams, type: teams, webhook_url: '${TEAMS_WORKFLOW_URL}'}   # Workflows webhook, Adaptive Card
"""
ENV = {
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T1/B1/slack-secret",
    "PD_ROUTING_KEY": "pd-routing-secret",
    "TEAMS_WORKFLOW_URL": "https://prod.westus.logic.azure.com/workflows/teams-secret",
}


@pytest.fixture
def env(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def problems(make_project, notify: str) -> list[str]:
    root = make_project(MONITORS, project_yml=PROJECT_YML + notify)
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    return [str(p) for p in caught.value.problems]


def test_a_bare_env_reference_in_a_flow_mapping_is_invalid_yaml_and_the_hint_says_to_quote_it(make_project, env):
    """The issue's sketch wrote `{…, routing_key: ${PD_ROUTING_KEY}}`: YAML reads `{PD_ROUTING_KEY}` there as a
    nested mapping. The fix is a quote, and the error says so."""
    [found] = problems(make_project, "notify:\n  - {name: pager, type: pagerduty, routing_key: ${PD_ROUTING_KEY}}\n")
    assert found.startswith("sqlmon.yml:8: invalid YAML: ")
    assert found.endswith(
        "(inside `{…}` or `[…]`, quote a `${VAR}` value: `key: '${VAR}'`, or write the mapping as a block)"
    )


def test_the_issues_example_loads_with_its_flow_mappings_quoted(make_project, env):
    project = load_project(make_project(MONITORS, project_yml=PROJECT_YML + ISSUE_EXAMPLE))
    channels = project.channels
    assert [(c.name, c.type) for c in channels.values()] == [
        ("oncall", "slack"),
        ("team-feed", "webhook"),
        ("mail", "email"),
        ("pager", "pagerduty"),
        ("teams", "teams"),
    ]
    assert channels["oncall"].when.severity == "error"
    assert channels["mail"].port == 587 and channels["mail"].sender == "sqlmon@example.com"  # type: ignore[attr-defined]
    assert channels["team-feed"].repeat_after is None and channels["team-feed"].max_alerts == 10
    for secret in ENV.values():
        assert redact(f"x {secret} y") == "x *** y"
    monitor = project.monitors["nulls"]
    assert (monitor.owner, monitor.tags) == ("ml-team", ["tier1", "pii"])


def test_a_secret_written_in_the_file_is_masked_too(make_project):
    literal = "https://hooks.slack.com/services/T1/B1/written-in-the-file"
    load_project(
        make_project(
            MONITORS, project_yml=PROJECT_YML + f"notify:\n  - {{name: a, type: slack, webhook_url: '{literal}'}}\n"
        )
    )
    assert redact(f"failed: {literal}") == "failed: ***"


def test_settings_of_every_channel_type(make_project):
    project = load_project(
        make_project(
            MONITORS,
            project_yml=PROJECT_YML
            + """\
notify:
  - name: hook
    type: webhook
    url: http://127.0.0.1:9/x
    secret: s
    headers: {Authorization: Bearer t}
    body_template: '{"text": {{ title | tojson }}}'
    repeat_after: 1 day
    max_alerts: 3
    timeout: 2.5
    retries: 0
    report_url: https://reports.example/report.html
    when: {severity: warn, monitors: [null*], sources: [events], tags: [tier1], owners: [ml-team]}
  - {name: smtps, type: email, smtp_host: mail, security: ssl, username: u, password: p, from: a@b.c, to: [d@e.f]}
""",
        )
    )
    hook, smtps = project.channels.values()
    assert hook.repeat_after == timedelta(days=1) and hook.timeout == 2.5 and hook.retries == 0
    assert hook.when.monitors == ["null*"]
    assert smtps.port == 465  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("notify", "expected"),
    [
        (
            "notify:\n  - {name: a, type: slak, webhook_url: https://x}\n",
            "sqlmon.yml:8: notify[0].type: unknown notification channel type `slak` (did you mean `slack`? known "
            "types: email, pagerduty, slack, teams, webhook)",
        ),
        (
            "notify:\n  - {name: a, webhook_url: https://x}\n",
            "sqlmon.yml:8: notify[0]: missing required key `type` (one of: email, pagerduty, slack, teams, webhook)",
        ),
        (
            "notify:\n  - name: a\n    type: slack\n    webhook_url: https://x\n    whne: {severity: error}\n",
            "sqlmon.yml:11: notify[0].whne: unknown key `whne` (did you mean `when`?)",
        ),
        (
            "notify:\n  - name: a\n    type: slack\n    webhook_url: https://x\n    when: {monitors: [nullz]}\n",
            "sqlmon.yml:11: notify[0].when.monitors[0]: no monitor named `nullz` (did you mean `nulls`?)",
        ),
        (
            "notify:\n  - {name: a, type: slack, webhook_url: https://x}\n  - {name: a, type: teams, webhook_url: https://y}\n",
            "sqlmon.yml:9: notify[1].name: a second channel named `a` (give each channel its own name: `sqlmon "
            "notify test NAME` and the state are per name)",
        ),
        (
            "notify:\n  - {name: a, type: webhook, url: https://x, body_template: '{{ title'}\n",
            "sqlmon.yml:8: notify[0].body_template: the template does not parse:",
        ),
        (
            "notify:\n  - {name: a, type: slack, webhook_url: https://x, repeat_after: soon}\n",
            "sqlmon.yml:8: notify[0].repeat_after:",
        ),
        (
            "notify:\n  - {name: a, type: email, smtp_host: h, from: me, to: [x@y.z]}\n",
            "sqlmon.yml:8: notify[0].from: `me` is not an email address (write name@example.com)",
        ),
        (
            "notify:\n  - {name: a, type: slack, webhook_url: '${NOT_SET_ANYWHERE}'}\n",
            "sqlmon.yml:8: notify[0].webhook_url: environment variable `NOT_SET_ANYWHERE` is not set",
        ),
    ],
)
def test_mistakes_are_reported_with_file_line_and_a_fix(make_project, notify, expected):
    found = problems(make_project, notify)
    assert any(p.startswith(expected) for p in found), found


def test_an_invalid_secret_is_never_echoed(make_project, monkeypatch):
    monkeypatch.setenv("BAD_HOOK", "ftp://user:hunter2-secret@hooks.example")
    [found] = problems(make_project, "notify:\n  - {name: a, type: slack, webhook_url: '${BAD_HOOK}'}\n")
    assert "hunter2-secret" not in found
    assert found.startswith("sqlmon.yml:8: notify[0].webhook_url: ")


def test_dbt_nodes_give_their_monitors_tags_and_owner():
    from sqlmon.dbt.meta import declarations

    node = {
        "resource_type": "model",
        "name": "predictions",
        "package_name": "shop",
        "tags": ["tier1"],
        "config": {
            "enabled": True,
            "meta": {
                "owner": "ml-team",
                "sqlmon": {"monitors": ["null_rate", {"type": "volume", "owner": "data-eng", "tags": []}]},
            },
        },
        "columns": {},
    }
    manifest = {
        "metadata": {"project_name": "shop", "adapter_type": "duckdb"},
        "nodes": {"model.shop.predictions": node},
    }
    found = declarations(__import__("pathlib").Path("/nonexistent"), manifest, str)
    assert [(m.data["name"], m.data.get("owner"), m.data.get("tags")) for m in found.monitors] == [
        ("predictions__null_rate", "ml-team", ["tier1"]),
        ("predictions__volume", "data-eng", []),  # its own win
    ]


CHANNEL_PLUGIN = '''
"""A toy channel plugin: every message appended to a file, as JSON lines."""

import json
from pathlib import Path
from typing import Literal

from pydantic import Field

from sqlmon.config.channels import ChannelSpec
from sqlmon.notify.channels.base import Channel


class FileSpec(ChannelSpec):
    type: Literal["to_file"] = "to_file"
    path: str = Field(description="the file")


class ToFile(Channel):
    type = "to_file"
    spec_class = FileSpec

    def send(self, message):
        with Path(self.spec.path).open("a") as out:
            out.write(json.dumps({"title": message.title, "items": [i.event for i in message.items]}) + "\\n")
'''


def test_a_plugin_adds_a_channel_through_the_entry_point_group(make_project, tmp_path):
    import json
    import os
    import subprocess
    import sys

    site = tmp_path / "site"
    (site / "toy_channel-0.1.dist-info").mkdir(parents=True)
    (site / "toy_channel.py").write_text(CHANNEL_PLUGIN)
    (site / "toy_channel-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: toy-channel\nVersion: 0.1\n"
    )
    (site / "toy_channel-0.1.dist-info" / "entry_points.txt").write_text(
        "[sqlmon.channels]\nto_file = toy_channel:ToFile\n"
    )
    root = make_project(
        MONITORS.replace("tags: [tier1, pii]}", "tags: [tier1, pii], thresholds: {null_rate: {error: 0.1}}}"),
        setup_sql=[
            "CREATE TABLE main.events AS SELECT TIMESTAMP '2026-10-01' + to_hours(i) AS ts, "
            "CASE WHEN i % 2 = 0 THEN NULL ELSE i END AS amount FROM range(24) t(i)"
        ],
        project_yml=PROJECT_YML + "notify:\n  - {name: log, type: to_file, path: sent.jsonl}\n",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "sqlmon", "run", "--end", "2026-10-02"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr  # the null rate's error
    assert "log (to_file): sent 1 alert(s)" in done.stdout
    [line] = (root / "sent.jsonl").read_text().splitlines()
    assert json.loads(line) == {"title": "sqlmon test_project: 1 alert (1 error)", "items": ["opened"]}
    wrong = subprocess.run(
        [sys.executable, "-m", "sqlmon", "validate", "--offline"],
        cwd=root,
        env={**env, "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wrong.returncode == 2 and "unknown notification channel type `to_file`" in wrong.stderr
