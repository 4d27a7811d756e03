"""`sqlmon demo`: build the example warehouse day by day, run the monitors after each day as a scheduler would, and
print the alert timeline next to the incidents that were injected."""

from __future__ import annotations

import importlib.util
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlmon.errors import SqlmonError
from sqlmon.report import ReportSummary
from sqlmon.resources import resource_dir
from sqlmon.results import Alert, Delivery, RunResult
from sqlmon.runner import run


def load_generator() -> ModuleType:
    path = resource_dir("example_warehouse") / "generate.py"
    spec = importlib.util.spec_from_file_location("sqlmon_example_warehouse", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class DemoResult:
    folder: Path
    days: list[date]
    alerts: dict[date, list[Alert]] = field(default_factory=dict)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    expected: int = 0  # incidents with at least one day inside the simulated days (set by `score`)
    notifications: dict[date, list[Delivery]] = field(default_factory=dict)  # with `notify`: what each day sent
    report: ReportSummary | None = None  # the HTML report written at the end


MARKER = ".sqlmon-demo"


def prepare(folder: Path, notify: str = "") -> None:
    """A fresh demo project: sqlmon.yml and the example monitors; an old demo warehouse is replaced. `notify` is a
    `notify:` section (YAML) added to sqlmon.yml, so the demo's runs message those channels (docs/notifications.md).

    Only a folder the demo made (it holds a marker file) or an empty one is touched: pointing --dir at a real
    project must not delete it.
    """
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise SqlmonError(
            f"{folder} is not empty and was not made by `sqlmon demo`; choose another --dir (the demo replaces "
            "what is in it)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("made by `sqlmon demo`; the next demo run may replace this folder\n")
    shutil.copy(resource_dir("example_warehouse") / "sqlmon.yml", folder / "sqlmon.yml")
    if notify:
        with (folder / "sqlmon.yml").open("a") as file:
            file.write("\n" + notify.strip() + "\n")
    if (folder / "monitors").exists():
        shutil.rmtree(folder / "monitors")
    shutil.copytree(resource_dir("monitors"), folder / "monitors")
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
        (folder / name).unlink(missing_ok=True)


def notify_section(path: Path) -> str:
    """The text of a file that holds only a `notify:` list (checked, with its lines), for `sqlmon demo --notify`."""
    from sqlmon.config.yaml_loader import YamlMap, load_yaml_file
    from sqlmon.errors import ConfigError, ConfigProblem, Location

    data = load_yaml_file(path)
    others = sorted(str(key) for key in data) if isinstance(data, dict) else []
    if not isinstance(data, YamlMap) or "notify" not in data or others != ["notify"]:
        extra = [key for key in others if key != "notify"]
        line = data.key_lines.get(extra[0]) if isinstance(data, YamlMap) and extra else 1
        raise ConfigError(
            ConfigProblem(
                Location(str(path), line),
                extra[0] if extra else "",
                "expected only a `notify:` list of channels here",
                "the demo's own sqlmon.yml holds the rest",
            )
        )
    return path.read_text(encoding="utf-8")


def run_demo(
    folder: Path,
    days: int | None = None,
    on_day: Callable[[date, RunResult], None] | None = None,
    notify: str = "",
) -> DemoResult:
    import duckdb

    started = time.perf_counter()
    generator = load_generator()
    days = days or generator.DAYS
    prepare(folder, notify)
    database = folder / "warehouse.duckdb"
    con = duckdb.connect(str(database))
    try:
        generator.create_tables(con)
    finally:
        con.close()
    result = DemoResult(folder, [], incidents=generator.ground_truth()["incidents"])
    for day in range(1, days + 1):
        con = duckdb.connect(str(database))
        try:
            generator.load_day(con, day)
        finally:
            con.close()
        today = generator.START_DATE + timedelta(days=day - 1)
        # The scheduler runs just after midnight, when the day that ended is complete.
        outcome = run(folder, end=datetime.combine(today + timedelta(days=1), datetime.min.time()))
        if outcome.error:
            raise RuntimeError(outcome.error)
        result.days.append(today)
        result.alerts[today] = outcome.alerts
        result.notifications[today] = outcome.notifications
        if on_day:
            on_day(today, outcome)
    from sqlmon.report import write_report

    # what a team would open the morning after: the report of the whole month
    result.report = write_report(folder, folder / "report.html")
    result.seconds = time.perf_counter() - started
    return result


def _incident_days(incident: dict[str, Any]) -> tuple[set[int], set[int]]:
    """(days that must alert, days that may alert): an incident may also alert from its onset and on the day a
    schema change is reverted, which is a change too."""
    required = set(incident["days"])
    allowed = set(required)
    if incident.get("onset_day"):
        allowed |= set(range(incident["onset_day"], incident["last_day"] + 1))
    allowed |= set(incident.get("schema_change_days", []))
    return required, allowed


def _expectations(incident: dict[str, Any]) -> list[tuple[str, set[int], set[int]]]:
    """(monitor kind, days it must alert, days it may alert) for each kind that catches the incident: its own, and
    those in `also_caught_by` on their own days (a stopped feed: freshness from the day it stops, volume from the
    first day without rows)."""
    required, allowed = _incident_days(incident)
    kinds = [(incident["monitor_kind"], required, allowed)]
    for kind, days in incident.get("also_caught_by", {}).items():
        kinds.append((kind, set(days), set(days)))
    return kinds


def score(result: DemoResult) -> tuple[list[str], list[str]]:
    """(incidents missed, alerts no incident explains) — both empty when the demo does its job.

    An incident counts as caught when a monitor of each kind that should catch it alerts on every one of its days;
    an alert is explained when an incident of its monitor's kind allows that day.
    """
    start = result.days[0]
    day_number = {d: (d - start).days + 1 for d in result.days}
    missed = []
    expected = 0
    allowed_by_kind: dict[str, set[int]] = {}
    for incident in result.incidents:
        absent_by_kind = []
        counted = False
        for kind, required, allowed in _expectations(incident):
            allowed_by_kind.setdefault(kind, set()).update(allowed)
            alerted = {
                day_number[d] for d, alerts in result.alerts.items() if any(a.monitor_type == kind for a in alerts)
            }
            simulated = {day for day in required if day in day_number.values()}
            if not simulated:
                continue  # after the simulated days: neither caught nor missed
            counted = True
            absent = sorted(day for day in simulated if day not in alerted)
            if absent:
                absent_by_kind.append(f"{kind} on day(s) {absent}")
        expected += counted
        if absent_by_kind:
            missed.append(f"{incident['id']}: {'; '.join(absent_by_kind)}")
    unexplained = [
        f"{d} {a.monitor}: {a.message}"
        for d, alerts in result.alerts.items()
        for a in alerts
        if day_number[d] not in allowed_by_kind.get(a.monitor_type, set())
    ]
    result.expected = expected
    return missed, unexplained


def _alert_lines(day: date, alerts: list[Alert]) -> list[str]:
    """The day's alerts, one line per monitor, errors first."""
    if not alerts:
        return [f"{day}  ok"]
    by_monitor: dict[str, list[Alert]] = {}
    for alert in sorted(alerts, key=lambda a: (a.severity != "error", a.monitor)):
        by_monitor.setdefault(alert.monitor, []).append(alert)
    lines = []
    for index, (monitor, group) in enumerate(by_monitor.items()):
        first = group[0]
        message = first.message if len(first.message) <= 80 else first.message[:77] + "…"
        more = f"  [+{len(group) - 1} more alert{'s' if len(group) > 2 else ''}]" if len(group) > 1 else ""
        lines.append(f"{str(day) if index == 0 else '':10}  {first.severity.upper():5}  {monitor}: {message}{more}")
    return lines


def print_demo(folder: Path, days: int | None = None, notify: str = "") -> DemoResult:
    import click

    click.echo(f"Building the example warehouse in {folder}/ day by day and running the monitors after each day…\n")

    def on_day(day: date, outcome: RunResult) -> None:
        for line in _alert_lines(day, outcome.alerts):
            click.echo(line)
        for delivery in outcome.notifications:  # with `notify`: what the channels were sent after this day's run
            if delivery.status != "nothing":
                click.echo(f"{'':10}  → {delivery.line}")

    result = run_demo(folder, days, on_day, notify)
    missed, unexplained = score(result)
    click.echo("\nInjected incidents (example_warehouse/ground_truth.json):")
    for incident in result.incidents:
        required, _ = _incident_days(incident)
        kinds = ", ".join(kind for kind, _, _ in _expectations(incident))
        first, last = min(required), max(required)
        span = f"day {first}" if first == last else f"days {first}–{last}"
        click.echo(f"  {incident['id']:16} {span:11}  → {kinds}")
    caught = result.expected - len(missed)
    click.echo(
        f"\nCaught {caught} of the {result.expected} incidents within the simulated days; "
        f"{len(unexplained)} alert(s) on days without an incident. ({result.seconds:.1f} s)"
    )
    for line in missed:
        click.echo(f"  missed: {line}")
    for line in unexplained:
        click.echo(f"  unexplained: {line}")
    if result.report is not None:
        click.echo(f"\n{result.report.line}")
    click.echo(
        f"\nThe metrics and alerts are in {folder / 'warehouse.duckdb'}, schema `sqlmon` (sqlmon_metrics, "
        "sqlmon_alerts, sqlmon_histograms, sqlmon_samples, sqlmon_anomalies; views sqlmon_latest_metrics, "
        "sqlmon_open_alerts). Next:\n"
        f"  cd {folder} && sqlmon compile        # the SQL each monitor runs\n"
        f"  cd {folder} && sqlmon run --start 2026-10-25 --end 2026-10-31 --fail-on never   # recompute a week\n"
        f"  cd {folder} && sqlmon report --days 7 --select source:orders   # a report of one source's week"
    )
    return result
