"""The report of a run that failed before it began — an invalid project or `--select`, a bad option value, a
warehouse that cannot be opened — so a machine that asked for `--format json` still reads JSON on stdout."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from sqlmon.errors import ConfigError, ExitCode, SqlmonError, redact
from sqlmon.notify.base import Report
from sqlmon.results import RunResult


def config_message(exc: ConfigError) -> str:
    """What stderr shows for an invalid configuration: a header, then one problem a line."""
    count = len(exc.problems)
    header = f"Invalid configuration ({count} problem{'s' if count != 1 else ''}):"
    return "\n".join([header, *(f"  {p}" for p in exc.problems)])


def _problems(exc: ConfigError) -> list[dict[str, Any]]:
    return [
        {
            "file": p.location.file if p.location else None,
            "line": p.location.line if p.location else None,
            "key": p.key or None,
            "message": redact(p.message),  # a message may quote a value that came from ${ENV}
            "hint": redact(p.hint) if p.hint else None,
        }
        for p in exc.problems
    ]


def not_started_report(exc: Exception, fail_on: str, end: datetime | None, now: datetime) -> Report:
    """A failed run with no run id (no `sqlmon_runs` row is written), nothing computed or stored, and the error and
    exit code the command ends with; a configuration error also lists its problems."""
    extra: dict[str, Any] | None = None
    if isinstance(exc, ConfigError):
        code, error, extra = ExitCode.INVALID_CONFIG, config_message(exc), {"problems": _problems(exc)}
    elif isinstance(exc, SqlmonError):
        code, error = exc.exit_code, str(exc)
    elif isinstance(exc, click.ClickException):  # a bad option value: click's usage error, exit 2
        code, error = ExitCode(exc.exit_code), exc.format_message()
    else:
        code, error = ExitCode.RUNTIME_ERROR, f"Internal error: {type(exc).__name__}: {redact(str(exc))}"
    result = RunResult(run_id="", status="error", started_at=now, finished_at=now, as_of=end or now, error=error)
    return Report(result, int(code), fail_on, extra)
