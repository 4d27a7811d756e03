"""The error hierarchy and the CLI's exit codes.

Every failure a user can cause is a `SqlmonError`; the CLI turns it into a message and an exit code, never a traceback.
"""

from __future__ import annotations

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


def redact(text: str, secrets: list[str] | tuple[str, ...]) -> str:
    """`text` with every secret (a password, a value from ${ENV}) replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class SqlmonError(Exception):
    exit_code: ExitCode = ExitCode.RUNTIME_ERROR


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
        return f"{where}{key}{self.message}{hint}"


class ConfigError(SqlmonError):
    """The project configuration is invalid. Holds every problem found, so a user fixes them in one pass."""

    exit_code = ExitCode.INVALID_CONFIG

    def __init__(self, problems: list[ConfigProblem] | ConfigProblem):
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("\n".join(str(p) for p in self.problems))


class EngineError(SqlmonError):
    """The warehouse refused a statement or could not be reached."""

    exit_code = ExitCode.RUNTIME_ERROR
