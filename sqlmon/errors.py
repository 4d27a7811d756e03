"""The error hierarchy and the CLI's exit codes.

Every failure a user can cause is a `SqlmonError`; the CLI turns it into a message and an exit code, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ALERTS = 1  # alerts at or above --fail-on
    INVALID_CONFIG = 2
    RUNTIME_ERROR = 3
    INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
    TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, so a run unwinds (rolls back, closes the warehouse) as on Ctrl-C."""


@dataclass(frozen=True)
class Location:
    """Where in a YAML file a value came from (1-based line and column)."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}"


_project_secrets: list[str] = []  # of the project loaded last; see keep_secrets


def keep_secrets(secrets: Iterable[str]) -> None:
    """Make these (the loaded project's passwords and ${ENV} values) the secrets that `redact` masks in every message
    from now on, whoever writes it: an engine's error, a configuration problem quoting a value, the CLI's last resort.
    A process monitors one project at a time, so each load replaces the secrets of the one before."""
    _project_secrets[:] = sorted({secret for secret in secrets if secret}, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret (a password, a value from ${ENV}) replaced by ***: those given, and those of the
    loaded project (keep_secrets). The longest first, so a secret that contains another is masked whole."""
    for secret in sorted({*secrets, *_project_secrets}, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


class SqlmonError(Exception):
    """Every error sqlmon raises for a user. Its message never shows a secret of the loaded project."""

    exit_code: ExitCode = ExitCode.RUNTIME_ERROR

    def __init__(self, *args: object):
        super().__init__(*(redact(arg) if isinstance(arg, str) else arg for arg in args))


@dataclass
class ConfigProblem:
    """One invalid piece of configuration: where, which key, what is wrong, and what to do."""

    location: Location | None
    key: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        key = f"{self.key}: " if self.key else ""
        hint = f" ({self.hint})" if self.hint else ""
        return redact(f"{where}{key}{self.message}{hint}")  # a problem may quote a value that came from ${ENV}


def _place(problem: ConfigProblem) -> tuple[bool, str, int]:
    """Problems in file order, then line order; those about the command line (no file) first."""
    location = problem.location
    return (location is not None, location.file if location else "", (location.line or 0) if location else 0)


class ConfigError(SqlmonError):
    """The project configuration is invalid. Holds every problem found, so a user fixes them in one pass, sorted
    by file and line, whichever stage found them."""

    exit_code = ExitCode.INVALID_CONFIG

    def __init__(self, problems: list[ConfigProblem] | ConfigProblem):
        self.problems = sorted(problems if isinstance(problems, list) else [problems], key=_place)
        super().__init__("\n".join(str(p) for p in self.problems))


class EngineError(SqlmonError):
    """The warehouse refused a statement or could not be reached."""

    exit_code = ExitCode.RUNTIME_ERROR
