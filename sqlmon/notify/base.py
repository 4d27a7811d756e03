"""The notifier interface and its registry (entry-point group `sqlmon.notifiers`).

A notifier turns one run's outcome into its channel's message (`render`) and delivers it (`send`). The console
formats (`--format text|json`) are notifiers whose channel is standard output; the message is built from the same
`Report` for every channel.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import click

from sqlmon.plugins import Registry, subclass_of
from sqlmon.results import RunResult

GROUP = "sqlmon.notifiers"


@dataclass
class Report:
    """What every notifier is given: the run, how the CLI will exit, and what a caller adds (dbt build's nodes)."""

    run: RunResult
    exit_code: int
    fail_on: str = "error"
    extra: dict[str, Any] | None = None


class Notifier(ABC):
    name: ClassVar[str]  # the entry-point name, which `--format` takes

    @abstractmethod
    def render(self, report: Report) -> str:
        """The message, as this channel shows it."""

    def send(self, report: Report) -> None:
        """Deliver the message; the console notifiers print it to standard output."""
        click.echo(self.render(report))


REGISTRY: Registry[type[Notifier]] = Registry(
    GROUP,
    "notifier",
    subclass_of(Notifier, "name"),  # type: ignore[type-abstract]  # an ABC, where mypy wants a concrete class
)


def get(name: str) -> Notifier:
    return REGISTRY.get(name)()
