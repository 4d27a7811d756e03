"""The YAML models that plugins extend: a monitor kind's model gains the keys of the rules configured by one, and the
project's connections the types of plugin engines (entry-point group `sqlmon.connections`)."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import create_model

from sqlmon.config.specs import MonitorSpec, ProjectSpec, StrictModel, project_spec_class
from sqlmon.monitors import registry
from sqlmon.plugins import Registry, subclass_of
from sqlmon.rules import registry as rules

CONNECTIONS: Registry[type[StrictModel]] = Registry(
    "sqlmon.connections",
    "connection type",
    subclass_of(StrictModel),
)


@cache
def project_model() -> type[ProjectSpec]:
    return project_spec_class({name: CONNECTIONS.get(name) for name in CONNECTIONS.names()})


@cache
def monitor_model(type_name: str) -> type[MonitorSpec]:
    """The model of a kind's monitors: its own keys, plus the key of every rule that a monitor configures, so a rule
    plugin's settings are validated with file:line like any other key."""
    kind = registry.get(type_name)
    extra: dict[str, Any] = {  # (type, default) per key; `settings | None` is a type built at run time
        rule.key: (rule.settings | None, None)
        for rule in rules.REGISTRY.all().values()
        if rule.key is not None and rule.settings is not None and rule.key not in kind.spec_class.model_fields
    }
    if not extra:
        return kind.spec_class
    return create_model(kind.spec_class.__name__, __base__=kind.spec_class, **extra)


def reset() -> None:
    """Forget the models built, after plugins were installed or removed (tests)."""
    project_model.cache_clear()
    monitor_model.cache_clear()
