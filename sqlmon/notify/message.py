"""The notification message: built once per run and channel from what changed, rendered by each channel.

An item is one alert key (monitor, column, segment, metric) and what happened to it: `opened`, `changed` (its
severity), `repeated` (still open after `repeat_after`) or `resolved`. Items are ordered worst first; a channel for
people lists `max_alerts` of them and sums up the rest (`Message.shown`, `Message.omitted`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlmon.results import SEVERITY_RANK

Event = Literal["opened", "changed", "repeated", "resolved"]
AlertKey = tuple[str, str | None, str | None, str]  # (monitor, column, segment, metric)
EVENT_WORDS = {"opened": "new", "changed": "severity changed", "repeated": "still open", "resolved": "resolved"}


@dataclass(frozen=True)
class Item:
    event: Event
    monitor: str
    column: str | None
    segment: str | None
    metric: str
    severity: str  # the alert's; for a resolution, the severity it had when last sent
    value: float | None
    message: str  # the alert's own text: the value and the band or threshold it broke
    rule: str | None
    window_start: datetime | None
    source: str | None = None
    owner: str | None = None
    tags: tuple[str, ...] = ()
    previous_severity: str | None = None  # for `changed`
    query: str | None = None  # how to look: the metric's recent values in the results tables
    link: str | None = None  # the report's section of the monitor

    @property
    def key(self) -> AlertKey:
        return (self.monitor, self.column, self.segment, self.metric)

    @property
    def subject(self) -> str:
        """`input_drift: psi of country (segment country=DE)`: what the item is about, in one line."""
        about = f"{self.metric} of {self.column}" if self.column else self.metric
        return f"{self.monitor}: {about}" + (f" (segment {self.segment})" if self.segment else "")

    @property
    def window(self) -> str:
        return f"{self.window_start:%Y-%m-%d %H:%M}" if self.window_start else "now"

    @property
    def headline(self) -> str:
        """The item as one line of plain text, e.g. `ERROR input_drift: psi of country = 2.03 (error: > 0.25)`."""
        if self.event == "resolved":
            return f"RESOLVED {self.subject} (was {self.severity}: {self.message})"
        change = f" (was {self.previous_severity})" if self.event == "changed" and self.previous_severity else ""
        return f"{self.severity.upper()}{change} {self.monitor}: {self.message}"

    def facts(self) -> list[tuple[str, str]]:
        """(label, text) pairs that locate the alert: column, segment, window, rule, value."""
        facts = [("window", self.window)]
        if self.column:
            facts.append(("column", self.column))
        if self.segment:
            facts.append(("segment", self.segment))
        if self.rule:
            facts.append(("rule", self.rule))
        if self.value is not None and self.event != "resolved":
            facts.append(("value", f"{self.value:.6g}"))
        return facts


def _order(item: Item) -> tuple[int, int, str, str]:
    # alerts before resolutions, errors before warnings, then by name: the same order on every channel and run
    resolved = item.event == "resolved"
    return (resolved, -SEVERITY_RANK.get(item.severity, 0), item.monitor, item.metric)


@dataclass
class Message:
    project: str
    channel: str
    run_id: str
    as_of: datetime
    target: str = ""
    items: list[Item] = field(default_factory=list)
    max_alerts: int = 10
    query: str | None = None  # every open alert of the monitors in the message
    report_url: str | None = None
    test: bool = False

    def __post_init__(self) -> None:
        self.items.sort(key=_order)

    @property
    def alerts(self) -> list[Item]:
        return [i for i in self.items if i.event != "resolved"]

    @property
    def resolved(self) -> list[Item]:
        return [i for i in self.items if i.event == "resolved"]

    @property
    def shown(self) -> list[Item]:
        """The items a message for people lists: the worst `max_alerts`, alerts first, resolutions after."""
        return self.items[: self.max_alerts]

    @property
    def omitted(self) -> list[Item]:
        return self.items[self.max_alerts :]

    @property
    def worst(self) -> str | None:
        alerts = self.alerts
        return max((a.severity for a in alerts), key=lambda s: SEVERITY_RANK.get(s, 0)) if alerts else None

    @property
    def title(self) -> str:
        if self.test:
            return f"sqlmon {self.project}: test message for channel {self.channel}"
        parts = []
        alerts = self.alerts
        if alerts:
            severities = Counter(a.severity for a in alerts)
            detail = ", ".join(f"{severities[s]} {s}" for s in ("error", "warn") if severities[s])
            parts.append(f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''} ({detail})")
        if self.resolved:
            parts.append(f"{len(self.resolved)} resolved")
        return f"sqlmon {self.project}: " + ", ".join(parts)

    def summary_of_omitted(self) -> str | None:
        """`…and 12 more: 5 error, 7 warn, 2 resolved, in monitors a, b, c`, or None when every item is shown."""
        rest = self.omitted
        if not rest:
            return None
        severities = Counter(i.severity for i in rest if i.event != "resolved")
        parts = [f"{severities[s]} {s}" for s in ("error", "warn") if severities[s]]
        resolved = sum(i.event == "resolved" for i in rest)
        if resolved:
            parts.append(f"{resolved} resolved")
        monitors = sorted({i.monitor for i in rest})
        named = ", ".join(monitors[:8]) + (f" and {len(monitors) - 8} more" if len(monitors) > 8 else "")
        return f"…and {len(rest)} more ({', '.join(parts)}) in {named}"

    def text(self) -> str:
        """The whole message as plain text (email, and any channel without formatting)."""
        if self.test:
            return f"{self.title}\n\nThis channel is configured correctly: sqlmon can reach it."
        lines = [self.title, ""]
        for item in self.shown:
            lines.append(item.headline)
            lines.append("  " + ", ".join(f"{label} {text}" for label, text in item.facts()))
            if item.link:
                lines.append(f"  report: {item.link}")
            if item.query and item.event != "resolved":
                lines.append(f"  query: {item.query}")
        more = self.summary_of_omitted()
        if more:
            lines.append(more)
        lines += [
            "",
            f"run {self.run_id} as of {self.as_of:%Y-%m-%d %H:%M}" + (f" on {self.target}" if self.target else ""),
        ]
        if self.query:
            lines.append(f"open alerts: {self.query}")
        if self.report_url:
            lines.append(f"report: {self.report_url}")
        return "\n".join(lines)


def probe(project: str, channel: str, as_of: datetime, report_url: str | None = None) -> Message:
    return Message(project, channel, run_id="test", as_of=as_of, test=True, report_url=report_url)
