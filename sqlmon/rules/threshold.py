"""Threshold rules: a metric value against its monitor's `warn`/`error` levels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmon.config.specs import Severity, ThresholdRule

SEVERITY_RANK = {"warn": 1, "error": 2}


@dataclass
class Alert:
    monitor: str
    monitor_type: str
    column: str | None
    metric: str
    value: float | None
    severity: Severity
    rule: str
    message: str
    window_start: datetime | None
    segment: str | None = None  # the segment label; None for the whole window


def evaluate(
    monitor: str,
    monitor_type: str,
    column: str | None,
    metric: str,
    value: float | None,
    detail: str | None,
    rule: ThresholdRule,
    window_start: datetime | None,
    segment: str | None = None,
) -> Alert | None:
    severity = rule.breach(value)
    if severity is None:
        return None
    assert value is not None
    subject = f"{metric} of {column}" if column else metric
    if segment is not None:
        subject += f" (segment {segment})"
    message = f"{subject} = {value:.4g} ({severity}: {rule.describe(severity)})"
    if detail:
        message += f"; {detail}"
    return Alert(
        monitor,
        monitor_type,
        column,
        metric,
        value,
        severity,
        f"threshold {rule.describe(severity)}",
        message,
        window_start,
        segment,
    )


def at_or_above(alerts: list[Alert], level: str) -> bool:
    """Whether any alert reaches `level` (`warn`, `error`; `never` is never reached)."""
    if level == "never":
        return False
    return any(SEVERITY_RANK[a.severity] >= SEVERITY_RANK[level] for a in alerts)
