"""`sqlmon notify test [NAME]`: a test message to each configured channel (or the one named), without a run and
without the warehouse, so a channel can be checked before the first alert needs it."""

from __future__ import annotations

from sqlmon.config.channels import secret_values
from sqlmon.config.files import PROJECT_FILE
from sqlmon.config.loader import Project
from sqlmon.errors import ConfigError, ConfigProblem, Location
from sqlmon.notify.dispatch import open_channel
from sqlmon.notify.message import probe
from sqlmon.results import Delivery
from sqlmon.session import utcnow


def send_tests(project: Project, name: str | None = None) -> list[Delivery]:
    from sqlmon.config.errors_pydantic import suggest
    from sqlmon.errors import SqlmonError, redact

    if not project.channels:
        raise ConfigError(
            ConfigProblem(
                Location(PROJECT_FILE),
                "notify",
                "no notification channels: add `notify:` to sqlmon.yml",
                "see docs/notifications.md",
            )
        )
    if name is not None and name not in project.channels:
        hint = suggest(name, project.channels)
        raise ConfigError(
            ConfigProblem(
                None, "NAME", f"no channel `{name}` in `notify:`", hint or f"channels: {', '.join(project.channels)}"
            )
        )
    chosen = [project.channels[name]] if name else list(project.channels.values())
    deliveries = []
    for spec in chosen:
        try:
            open_channel(spec).send_test(probe(project.spec.name, spec.name, utcnow(), spec.report_url))
        except SqlmonError as exc:
            deliveries.append(Delivery(spec.name, spec.type, "failed", error=redact(str(exc), secret_values(spec))))
        else:
            deliveries.append(Delivery(spec.name, spec.type, "sent"))
    return deliveries
