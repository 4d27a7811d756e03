"""`notify:` in sqlmon.yml: each item is validated by the settings model of its channel `type` (entry-point group
`sqlmon.channels`), with file:line problems, as a monitor is by its kind's. Only the types used are imported.

Configuration knows a channel only by its settings (`spec_class`); sending is sqlmon.notify's, which reads the same
entry points.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field, ValidationError, field_validator

from sqlmon.config.errors_pydantic import problems_from_validation, suggest
from sqlmon.config.files import PROJECT_FILE
from sqlmon.config.specs import Origin, OriginMixin, Severity, StrictModel, coerce_duration
from sqlmon.config.yaml_loader import format_key, line_of
from sqlmon.errors import ConfigProblem, Location
from sqlmon.plugins import PluginError, Registry

GROUP = "sqlmon.channels"
CHANNEL_NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"


class WhenSpec(StrictModel):
    """Which alerts a channel gets: each filter given must match (a list matches when any of its entries does)."""

    severity: Severity = Field(default="warn", description="the lowest severity sent: `warn` (all) or `error`")
    monitors: list[str] = Field(default_factory=list, description="monitor names or globs (`orders_*`)")
    sources: list[str] = Field(default_factory=list, description="source names or globs")
    tags: list[str] = Field(default_factory=list, description="monitors with any of these tags")
    owners: list[str] = Field(default_factory=list, description="monitors with any of these owners")


def http_url(value: str) -> str:
    # the value may be a secret from ${ENV}: never quote it
    if not value.startswith(("https://", "http://")):
        raise ValueError("write an http(s):// URL")
    return value


class ChannelSpec(OriginMixin, StrictModel):
    """Keys every channel has; each type adds its own (sqlmon/notify/channels/<type>.py)."""

    # settings that are secrets (a webhook URL, a routing key, a password): redacted from every output and never
    # stored, however they were written
    secret_fields: ClassVar[tuple[str, ...]] = ()

    name: str = Field(pattern=CHANNEL_NAME_PATTERN)
    type: str
    when: WhenSpec = Field(default_factory=WhenSpec)
    repeat_after: timedelta | None = Field(
        default=None, description="send an alert that is still open again after this long (default: never)"
    )
    max_alerts: int = Field(default=10, ge=1, le=40, description="alerts listed in a message; the rest summarised")
    report_url: str | None = Field(default=None, description="the HTML report; alerts link to `#monitor-<name>`")
    timeout: float = Field(default=10.0, gt=0, le=300, description="seconds to wait for the server, per attempt")
    retries: int = Field(default=3, ge=0, le=10, description="attempts after the first, on 5xx, 429 and timeouts")

    @field_validator("repeat_after", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else coerce_duration(value)

    @field_validator("report_url")
    @classmethod
    def _report_url(cls, value: str | None) -> str | None:
        return None if value is None else http_url(value)


def _settings(name: str, loaded: object) -> type[ChannelSpec]:
    spec_class = getattr(loaded, "spec_class", None)
    if not (isinstance(spec_class, type) and issubclass(spec_class, ChannelSpec)):
        raise PluginError(f"channel `{name}` ({loaded!r}) has no `spec_class` subclassing ChannelSpec")
    if getattr(loaded, "type", None) != name:
        raise PluginError(f"channel `{name}` names {loaded!r}, whose `type` is not `{name}`; make them equal")
    return spec_class


SETTINGS: Registry[type[ChannelSpec]] = Registry(GROUP, "notification channel", _settings)


def secret_values(spec: ChannelSpec) -> list[str]:
    """The channel's secret settings (a webhook URL, a routing key, a password), to redact wherever they appear."""
    return [str(value) for name in spec.secret_fields if (value := getattr(spec, name, None))]


def load_channels(
    items: Any, monitors: Mapping[str, Any], sources: Mapping[str, Any], problems: list[ConfigProblem]
) -> dict[str, ChannelSpec]:
    """The valid channels by name; every problem (unknown type, bad key, a duplicate name, a `when:` filter naming
    no monitor or source) goes to `problems`."""
    if not items:
        return {}
    channels: dict[str, ChannelSpec] = {}
    lines = getattr(items, "item_lines", [None] * len(items))
    for index, node in enumerate(items):
        prefix = ("notify", index)
        where = Location(PROJECT_FILE, lines[index] if index < len(lines) else None)
        if not isinstance(node, dict):
            problems.append(ConfigProblem(where, format_key(prefix), "expected a mapping: `name`, `type` and settings"))
            continue
        kind = node.get("type")
        if kind is None or str(kind) not in SETTINGS:
            known = ", ".join(SETTINGS.names())
            if kind is None:
                problems.append(
                    ConfigProblem(where, format_key(prefix), "missing required key `type`", f"one of: {known}")
                )
            else:
                hint = suggest(str(kind), SETTINGS.names())
                problems.append(
                    ConfigProblem(
                        Location(PROJECT_FILE, line_of(node, ("type",))),
                        format_key((*prefix, "type")),
                        f"unknown notification channel type `{kind}`",
                        (hint + " " if hint else "") + f"known types: {known}",
                    )
                )
            continue
        model = SETTINGS.get(str(kind))
        try:
            spec = model.model_validate(node)
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, PROJECT_FILE, node, model, prefix))
            continue
        spec._origin = Origin(PROJECT_FILE, node, prefix)
        if spec.name in channels:
            problems.append(
                ConfigProblem(
                    Location(PROJECT_FILE, line_of(node, ("name",))),
                    format_key((*prefix, "name")),
                    f"a second channel named `{spec.name}`",
                    "give each channel its own name: `sqlmon notify test NAME` and the state are per name",
                )
            )
            continue
        problems.extend(_unknown_names(spec, node, prefix, monitors, sources))
        channels[spec.name] = spec
    return channels


def _unknown_names(
    spec: ChannelSpec, node: Any, prefix: tuple[Any, ...], monitors: Mapping[str, Any], sources: Mapping[str, Any]
) -> list[ConfigProblem]:
    """A `when:` filter that names a monitor or source the project does not have would silently match nothing."""
    found = []
    for key, names, known in (("monitors", spec.when.monitors, monitors), ("sources", spec.when.sources, sources)):
        for position, name in enumerate(names):
            if any(c in name for c in "*?[") or name in known:
                continue  # a glob may rightly match nothing yet
            hint = suggest(name, known)
            found.append(
                ConfigProblem(
                    Location(PROJECT_FILE, line_of(node, ("when", key, position))),
                    format_key((*prefix, "when", key, position)),
                    f"no {key[:-1]} named `{name}`",
                    hint,
                )
            )
    return found
