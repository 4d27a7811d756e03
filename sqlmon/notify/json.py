"""The JSON report: the whole run for machines — run id, every metric with its status, alerts, exit code."""

from __future__ import annotations

import json
import math
from typing import Any

from sqlmon.notify.base import Notifier, Report
from sqlmon.results import Alert, RunResult


def json_report(result: RunResult, exit_code: int, extra: dict[str, Any] | None = None) -> str:
    def window(w: Any) -> dict[str, str] | None:
        return {"start": w.start.isoformat(), "end": w.end.isoformat()} if w else None

    def alert(a: Alert, new: bool) -> dict[str, Any]:
        return {
            "monitor": a.monitor,
            "column": a.column,
            "segment": a.segment,
            "metric": a.metric,
            "value": a.value,
            "severity": a.severity,
            "rule": a.rule,
            "message": a.message,
            "window_start": a.window_start.isoformat() if a.window_start else None,
            "new": new,
        }

    payload = {
        "run_id": result.run_id or None,  # null for a run that failed before it started: no sqlmon_runs row
        "status": result.status,
        "error": result.error,
        "failed_sources": result.failed_sources,
        "exit_code": exit_code,
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat(),
        "as_of": result.as_of.isoformat(),
        "statements": result.statements,
        "windows": {source: [window(w) for w in ws] for source, ws in result.windows.items()},
        "notes": result.notes,
        "metrics": [
            {
                "monitor": r.monitor,
                "monitor_type": r.monitor_type,
                "source": r.source,
                "column": r.column,
                "segment": r.segment,
                "metric": r.metric,
                "value": r.value,
                "window": window(r.window),
                "status": r.status,
                "detail": r.detail,
                "notes": r.notes,
            }
            for r in result.metrics
        ],
        # every anomaly rule's band on the windows this run judged (the rows of sqlmon_anomalies)
        "anomalies": [
            {
                "monitor": a.monitor,
                "column": a.column,
                "segment": a.segment,
                "metric": a.metric,
                "window": window(a.window),
                "value": a.value,
                "expected": a.expected,
                "lower": a.lower,
                "upper": a.upper,
                "score": a.score,
                "training_size": a.training_size,
                "method": a.method,
                "sensitivity": a.sensitivity,
                "seasonality": a.seasonality,
                "status": a.status,
            }
            for a in result.anomalies
        ],
        "alerts": [alert(a, new=True) for a in result.alerts],
        # alerts of each monitor's latest window raised by an earlier run and not cleared since; the exit code counts
        # them
        "open_alerts": [alert(a, new=False) for a in result.open_alerts],
        "warnings": [
            {
                "monitor": w.monitor,
                "window": window(w.window),
                "segments": w.segments,
                "kept": w.kept,
                "message": w.message,
            }
            for w in result.warnings
        ],
        # what each channel of `notify:` did; present only when the project has channels and the run stored
        **({"notifications": [vars(d) for d in result.notifications]} if result.notifications else {}),
        **(extra or {}),
    }
    return json.dumps(_finite(payload), indent=2, allow_nan=False)


def _finite(value: Any) -> Any:
    """JSON has no NaN or Infinity: a non-finite metric value becomes null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


class JsonNotifier(Notifier):
    name = "json"

    def render(self, report: Report) -> str:
        return json_report(report.run, report.exit_code, report.extra)
