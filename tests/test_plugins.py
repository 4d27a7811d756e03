"""A third-party package extends sqlmon the way the built-ins do: through entry points.

The toy package below is what a plugin author ships — a monitor kind with its own macro, a rule configured by a
monitor key of its own, a notifier, and an engine with its own connection type — installed as a distribution
(a `*.dist-info` folder with `entry_points.txt`) on the path of a fresh `sqlmon` process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

PLUGIN = '''
"""A toy sqlmon plugin: every seam at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from sqlmon.config.specs import MonitorSpec, StrictModel
from sqlmon.engines.duckdb import DuckDBEngine
from sqlmon.monitors.base import Aggregate, MetricValue, MonitorKind, MonitorOutput
from sqlmon.notify.base import Notifier, Report
from sqlmon.results import Alert
from sqlmon.rules.base import Rule

MACROS = str(Path(__file__).parent / "macros")


class EvenRowsSpec(MonitorSpec):
    type: Literal["even_rows"]


class EvenRows(MonitorKind):
    """How many rows of the window have an even id: its own macro, one aggregate."""

    type = "even_rows"
    spec_class = EvenRowsSpec
    metrics = ("even_rows",)

    def _request(self, ctx: Any) -> Aggregate:
        return Aggregate.of(ctx.current, "toy_plugin.even_rows", column="id")

    def window_requests(self, spec: Any, ctx: Any, baseline: Any) -> list[Any]:
        return [self._request(ctx)]

    def finalize(self, spec: Any, ctx: Any, baseline: Any, window: Any) -> MonitorOutput:
        return MonitorOutput([MetricValue("even_rows", float(window[self._request(ctx)]))])


class AtMost(StrictModel):
    max: float


class AtMostRule(Rule):
    """`at_most: {max: N}` on any monitor: every metric above N is an error."""

    name = "at_most"
    key = "at_most"
    settings = AtMost

    def __init__(self, limit: float):
        self.limit = limit

    @classmethod
    def for_value(cls, monitor: Any, value: Any) -> "AtMostRule | None":
        settings = cls.configured(monitor)
        return cls(settings.max) if settings is not None else None

    def judge(self, observation: Any, history: Any) -> Alert | None:
        value = observation.value
        if value.value is None or value.value <= self.limit:
            return None
        return Alert(observation.monitor.name, observation.monitor.type, value.column, value.metric, value.value,
                     "error", "at_most", f"{observation.subject} is above {self.limit:g}", observation.window_start)


class FileNotifier(Notifier):
    name = "to_file"

    def render(self, report: Report) -> str:
        return json.dumps({"run": report.run.run_id, "alerts": [a.message for a in report.run.alerts]})

    def send(self, report: Report) -> None:
        Path("notified.json").write_text(self.render(report))


class ToyConnection(StrictModel):
    type: Literal["toy_duckdb"]
    file: str


class ToyEngine(DuckDBEngine):
    """DuckDB under another connection type, with keys of its own."""

    @classmethod
    def open(cls, spec: Any, project_root: Path, read_only: bool = False, secrets: Any = None) -> "ToyEngine":
        from sqlmon.config.specs import DuckDBConnection

        return super().open(DuckDBConnection(path=spec.file), project_root, read_only, secrets)
'''

ENTRY_POINTS = """
[sqlmon.monitors]
even_rows = toy_plugin:EvenRows

[sqlmon.rules]
at_most = toy_plugin:AtMostRule

[sqlmon.notifiers]
to_file = toy_plugin:FileNotifier

[sqlmon.engines]
toy_duckdb = toy_plugin:ToyEngine

[sqlmon.connections]
toy_duckdb = toy_plugin:ToyConnection

[sqlmon.macros]
toy_plugin = toy_plugin:MACROS
"""


def install_plugin(site: Path) -> None:
    package = site / "toy_plugin"
    (package / "macros").mkdir(parents=True)
    (package / "__init__.py").write_text(PLUGIN)
    (package / "macros" / "toy_plugin.sql").write_text(
        "{% macro even_rows(column) -%}\nCOUNT(CASE WHEN {{ column | ident }} % 2 = 0 THEN 1 END)\n{%- endmacro %}\n"
    )
    info = site / "toy_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)


def make_project(root: Path, monitor: str) -> None:
    root.mkdir()
    (root / "monitors").mkdir()
    con = duckdb.connect(str(root / "toy.duckdb"))
    con.execute(
        "CREATE TABLE events AS SELECT i AS id, TIMESTAMP '2026-01-01' + INTERVAL (i) HOUR AS at FROM range(48) t(i)"
    )
    con.close()
    (root / "sqlmon.yml").write_text("connection:\n  type: toy_duckdb\n  file: toy.duckdb\n")
    (root / "monitors" / "events.yml").write_text(
        "sources:\n  - name: events\n    table: main.events\n    timestamp: at\n    window: 1 day\nmonitors:\n"
        + textwrap.indent(monitor, "  ")
    )


def sqlmon(root: Path, site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "sqlmon", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_plugin_adds_a_monitor_kind_a_rule_a_notifier_and_an_engine(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_plugin(site)
    root = tmp_path / "project"
    make_project(root, "- name: evens\n  type: even_rows\n  source: events\n  at_most: {max: 10}\n")

    done = sqlmon(root, site, "run", "--end", "2026-01-03", "--format", "to_file")

    assert done.returncode == 1, done.stderr  # the plugin rule's error alert, at --fail-on error
    notified = json.loads((root / "notified.json").read_text())
    assert notified["alerts"] == ["even_rows is above 10", "even_rows is above 10"]  # 12 even ids a day
    con = duckdb.connect(str(root / "toy.duckdb"), read_only=True)
    assert con.execute("SELECT metric, value FROM sqlmon.sqlmon_metrics ORDER BY window_start").fetchall() == [
        ("even_rows", 12.0),
        ("even_rows", 12.0),
    ]
    assert con.execute("SELECT DISTINCT rule FROM sqlmon.sqlmon_alerts").fetchall() == [("at_most",)]


def test_a_plugin_rules_settings_are_checked_like_any_key(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_plugin(site)
    root = tmp_path / "project"
    make_project(root, "- name: evens\n  type: even_rows\n  source: events\n  at_most: {maximum: 10}\n")

    done = sqlmon(root, site, "validate", "--offline")

    assert done.returncode == 2
    unknown = "monitors/events.yml:10: monitors[0].at_most.maximum: unknown key `maximum` (did you mean `max`?)"
    assert unknown in done.stderr
    assert "monitors/events.yml:10: monitors[0].at_most.max: missing required key" in done.stderr


def test_without_the_plugin_its_names_are_unknown_and_say_what_is_known(tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_project(root, "- name: evens\n  type: even_rows\n  source: events\n")

    done = sqlmon(root, tmp_path, "validate", "--offline")
    assert done.returncode == 2
    assert "sqlmon.yml:2: connection.type: unknown type `toy_duckdb` (did you mean `duckdb`?" in done.stderr

    (root / "sqlmon.yml").write_text("connection:\n  path: toy.duckdb\n")
    done = sqlmon(root, tmp_path, "run", "--format", "to_file")
    assert done.returncode == 2
    assert "Invalid value for '--format': no format `to_file`; known: json, text" in done.stderr

    done = sqlmon(root, tmp_path, "validate", "--offline")
    assert done.returncode == 2
    assert "monitors/events.yml:8: monitors[0].type: unknown monitor type `even_rows`" in done.stderr
